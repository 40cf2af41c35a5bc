package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// ErrResultsJSON is wrapped by every error of ReadResults that is about its
// input (not about the caller's callback).
var ErrResultsJSON = errors.New("api: not the results JSON the clean room releases")

// Bounds of ReadResults. The clean room encodes a record in at most 227
// bytes ({"record":<20 digits>,"segments":[<64 indexes below 64>]} and the
// comma before it); everything else it releases (names of at most
// policy.MaxSegments segments, at most policy.MaxMatchKeys rounds) takes a
// few kilobytes.
const (
	// MaxResultsHead is the most bytes of results JSON outside the
	// activation records.
	MaxResultsHead = 1 << 20
	// MaxActivationRecordSize is the most bytes one activation record
	// takes, the comma and white space before it included.
	MaxActivationRecordSize = 256
	// MaxResultsSize bounds any party's results: the transcript commits
	// to them with a 32-bit length (transcript.CommitResult), so the
	// clean room cannot release results of 4 GiB or more.
	MaxResultsSize = math.MaxUint32
)

// ResultsSizeLimit is the most bytes that results JSON with at most
// records activation records can take within ReadResults' bounds and
// MaxResultsSize: what a party that uploaded records records may accept
// from the clean room.
func ResultsSizeLimit(records int64) int64 {
	if records > (MaxResultsSize-MaxResultsHead)/MaxActivationRecordSize {
		return MaxResultsSize
	}
	return MaxResultsHead + max(records, 0)*MaxActivationRecordSize
}

// ReadResults reads the JSON of one Results from r, holding one activation
// record at a time: a media partner's activation list grows with its
// audience. It calls each with every activation record, in the order
// received; rec.Segments is valid during the call only. It returns the
// results with Activation.Records empty: nil if the list was null or
// absent, empty but not nil if it was a list, so that json.Marshal still
// writes what was read once the records are put back.
//
// What it accepts, it reads as json.Decoder with DisallowUnknownFields
// reads a Results (same values, same nulls, same number and time
// parsing), and it rejects everything that decoder rejects. It is stricter
// where the decoder lets through what a commitment or a reader of the file
// could be misled by:
//   - a key that is not exactly a field's name (the decoder folds case);
//   - a key given twice in one object (the decoder keeps the last, or
//     merges maps);
//   - a key unknown to overlap_by_key's rounds (OverlapRounds'
//     UnmarshalJSON does not pass DisallowUnknownFields on);
//   - top-level null (the decoder leaves a zero Results), and anything but
//     white space after the object (a stray ] or } passes Decode then More);
//   - more than MaxResultsHead bytes outside the records, a record longer
//     than MaxActivationRecordSize: what bounds the memory this takes.
//
// (protocol/strictjson makes the same key checks on a document held
// whole; this reads a stream, and types each value as it goes.)
//
// An error from each is returned as it is; every other error wraps
// ErrResultsJSON.
func ReadResults(r io.Reader, each func(rec ActivationRecord) error) (Results, error) {
	lim := &growingLimit{r: r, max: MaxResultsHead + MaxActivationRecordSize}
	rr := &resultsReader{dec: json.NewDecoder(lim), lim: lim, each: each}
	var res Results
	err := rr.results(&res)
	if err == nil {
		if _, terr := rr.dec.Token(); terr != io.EOF {
			err = errors.New("data after the results")
		}
	}
	if err == nil && rr.dec.InputOffset()-rr.recordBytes > MaxResultsHead {
		err = fmt.Errorf("more than %d bytes outside the activation records", MaxResultsHead)
	}
	var cb *callbackError
	switch {
	case err == nil:
		return res, nil
	case errors.As(err, &cb):
		return Results{}, cb.err
	case errors.Is(err, errTooLong):
		return Results{}, fmt.Errorf("%w: more than %d bytes outside the activation records, or a record longer than %d bytes", ErrResultsJSON, MaxResultsHead, MaxActivationRecordSize)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return Results{}, fmt.Errorf("%w: cut short after %d bytes (%w): %v", ErrResultsJSON, rr.dec.InputOffset(), io.ErrUnexpectedEOF, err)
	}
	return Results{}, fmt.Errorf("%w: %w", ErrResultsJSON, err)
}

// resultsReader walks the objects of Results token by token, to check
// their keys, and decodes each leaf with json.Decoder.Decode into a field
// of the same Go type as Results has, which is what makes its values
// those of the decoder.
type resultsReader struct {
	dec         *json.Decoder
	lim         *growingLimit
	each        func(ActivationRecord) error
	records     int64
	recordBytes int64           // bytes of the records read, from the start of each to its end
	segments    []int           // reused by every record
	raw         json.RawMessage // the record being read
}

// callbackError carries each's error out unchanged.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }

var (
	resultsFields  = []string{"session_id", "role", "overlap", "overlap_by_key", "match_rate", "segments", "dp_epsilon", "activation", "computed_at", "result_nonce"}
	roundFields    = []string{"key", "pairs"}
	rateFields     = []string{"advertiser", "media_partner"}
	activationKeys = []string{"segments", "records"}
	recordFields   = []string{"record", "segments"}
)

func (rr *resultsReader) results(res *Results) error {
	found, err := rr.object(resultsFields, func(i int) error {
		switch resultsFields[i] {
		case "session_id":
			return rr.dec.Decode(&res.SessionID)
		case "role":
			return rr.dec.Decode(&res.Role)
		case "overlap":
			return rr.dec.Decode(&res.Overlap)
		case "overlap_by_key":
			return rr.rounds(&res.OverlapByKey)
		case "match_rate":
			_, err := rr.object(rateFields, func(i int) error {
				if i == 0 {
					return rr.dec.Decode(&res.MatchRate.Advertiser)
				}
				return rr.dec.Decode(&res.MatchRate.MediaPartner)
			})
			return err
		case "segments":
			return rr.segmentCounts(&res.Segments)
		case "dp_epsilon":
			return rr.dec.Decode(&res.DPEpsilon)
		case "activation":
			return rr.activation(&res.Activation)
		case "computed_at":
			return rr.dec.Decode(&res.ComputedAt)
		default: // result_nonce
			return rr.dec.Decode(&res.ResultNonce)
		}
	})
	if err == nil && !found {
		err = errors.New("the results are null")
	}
	return err
}

// object reads an object whose keys are among names, each at most once,
// calling field with the index of each key to read its value. It returns
// false for null, which leaves a struct as it was, as the decoder does.
func (rr *resultsReader) object(names []string, field func(i int) error) (bool, error) {
	open, err := rr.open('{')
	if !open || err != nil {
		return false, err
	}
	var seen uint64 // names have fewer than 64 entries
	for rr.dec.More() {
		tok, err := rr.dec.Token()
		if err != nil {
			return false, err
		}
		key, _ := tok.(string) // the decoder's scanner allows only strings here
		i := indexOf(names, key)
		switch {
		case i < 0:
			return false, fmt.Errorf("unknown field %.40q", key)
		case seen&(1<<i) != 0:
			return false, fmt.Errorf("field %q given twice", key)
		}
		seen |= 1 << i
		if err := field(i); err != nil {
			return false, fmt.Errorf("%s: %w", key, err)
		}
	}
	return true, rr.close()
}

func indexOf(names []string, key string) int {
	for i, n := range names {
		if n == key {
			return i
		}
	}
	return -1
}

// open reads the opening delimiter of an object or an array, or null
// (false).
func (rr *resultsReader) open(delim json.Delim) (bool, error) {
	tok, err := rr.dec.Token()
	switch {
	case err != nil:
		return false, err
	case tok == nil:
		return false, nil
	case tok != delim:
		return false, fmt.Errorf("%v where %s was expected", tok, delim)
	}
	return true, nil
}

// close reads the closing delimiter that More said comes next.
func (rr *resultsReader) close() error {
	_, err := rr.dec.Token()
	return err
}

// rounds reads overlap_by_key as OverlapRounds.UnmarshalJSON does: null
// is released null, a list the rounds (null rounds are zero rounds).
func (rr *resultsReader) rounds(o *OverlapRounds) error {
	*o = OverlapRounds{Released: true}
	open, err := rr.open('[')
	if !open || err != nil {
		return err
	}
	o.Rounds = []KeyPairs{}
	for rr.dec.More() {
		var kp KeyPairs
		_, err := rr.object(roundFields, func(i int) error {
			if i == 0 {
				return rr.dec.Decode(&kp.Key)
			}
			return rr.dec.Decode(&kp.Pairs)
		})
		if err != nil {
			return err
		}
		o.Rounds = append(o.Rounds, kp)
	}
	return rr.close()
}

// segmentCounts reads the segments map, each name at most once.
func (rr *resultsReader) segmentCounts(m *map[string]*int64) error {
	open, err := rr.open('{')
	if !open || err != nil {
		return err
	}
	*m = map[string]*int64{}
	for rr.dec.More() {
		tok, err := rr.dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		if _, dup := (*m)[name]; dup {
			return fmt.Errorf("segment %.40q given twice", name)
		}
		var n *int64
		if err := rr.dec.Decode(&n); err != nil {
			return fmt.Errorf("%.40q: %w", name, err)
		}
		(*m)[name] = n
	}
	return rr.close()
}

func (rr *resultsReader) activation(a **Activation) error {
	act := &Activation{}
	found, err := rr.object(activationKeys, func(i int) error {
		if i == 0 {
			return rr.dec.Decode(&act.Segments)
		}
		return rr.activationRecords(act)
	})
	if found {
		*a = act
	}
	return err
}

// activationRecords reads the records list, handing each record to each.
func (rr *resultsReader) activationRecords(act *Activation) error {
	open, err := rr.open('[')
	if !open || err != nil {
		return err
	}
	act.Records = []ActivationRecord{}
	for rr.dec.More() {
		start := rr.dec.InputOffset()
		rec, err := rr.record()
		if err != nil {
			return fmt.Errorf("record %d: %w", rr.records, err)
		}
		size := rr.dec.InputOffset() - start
		if size > MaxActivationRecordSize {
			return fmt.Errorf("record %d: %w", rr.records, errTooLong)
		}
		rr.records++
		rr.recordBytes += size
		rr.lim.max = rr.recordBytes + MaxResultsHead + MaxActivationRecordSize
		if err := rr.each(rec); err != nil {
			return &callbackError{err}
		}
	}
	return rr.close()
}

// record reads one activation record: whole, then field by field, in
// the form the clean room writes (fastRecord) or, for any other, through
// the same walk as the rest of the results over the record's bytes. The
// one Decode of the whole record is what makes a record cheap: decoding a
// number alone, the decoder finds its end by building an error.
func (rr *resultsReader) record() (ActivationRecord, error) {
	if err := rr.dec.Decode(&rr.raw); err != nil {
		return ActivationRecord{}, err
	}
	if rec, ok := rr.fastRecord(rr.raw); ok {
		return rec, nil
	}
	sub := &resultsReader{dec: json.NewDecoder(bytes.NewReader(rr.raw)), segments: rr.segments}
	rec, err := sub.walkRecord()
	rr.segments = sub.segments
	return rec, err
}

// walkRecord reads one activation record key by key. Its segments go into
// the reused buffer, cleared first: the decoder decodes into the elements
// a slice already has, and a null element must read as 0, not as what the
// last record left there.
func (rr *resultsReader) walkRecord() (ActivationRecord, error) {
	var rec ActivationRecord
	_, err := rr.object(recordFields, func(i int) error {
		if i == 0 {
			return rr.dec.Decode(&rec.Record)
		}
		s := rr.segments[:0]
		clear(s[:cap(s)])
		if err := rr.dec.Decode(&s); err != nil {
			return err
		}
		if cap(s) > cap(rr.segments) {
			rr.segments = s
		}
		rec.Segments = s
		return nil
	})
	return rec, err
}

// fastRecord reads raw, a valid JSON value, if it is exactly
// {"record":N,"segments":L} with L null or a list of integers, all of them
// in range: what encoding/json reads of it then is plain, the numbers
// parsed by strconv as it parses them. Anything else is left to
// walkRecord (ok false).
func (rr *resultsReader) fastRecord(raw []byte) (rec ActivationRecord, ok bool) {
	rest, ok := bytes.CutPrefix(raw, []byte(`{"record":`))
	if !ok {
		return rec, false
	}
	i := bytes.IndexByte(rest, ',')
	if i < 0 {
		return rec, false
	}
	n, err := strconv.ParseUint(string(rest[:i]), 10, 64)
	if err != nil {
		return rec, false
	}
	rec.Record = n
	if rest, ok = bytes.CutPrefix(rest[i:], []byte(`,"segments":`)); !ok {
		return rec, false
	}
	if string(rest) == "null}" {
		return rec, true
	}
	list, ok := bytes.CutPrefix(rest, []byte("["))
	if !ok {
		return rec, false
	}
	if list, ok = bytes.CutSuffix(list, []byte("]}")); !ok {
		return rec, false
	}
	segs := rr.segments[:0]
	for len(list) > 0 {
		j := bytes.IndexByte(list, ',')
		if j < 0 {
			j = len(list)
		}
		v, err := strconv.ParseInt(string(list[:j]), 10, 0)
		if err != nil {
			return rec, false
		}
		segs = append(segs, int(v))
		if list = list[j:]; len(list) > 0 {
			if list = list[1:]; len(list) == 0 {
				return rec, false // a trailing comma: not valid JSON, so not here
			}
		}
	}
	if segs == nil {
		segs = []int{} // [] is an empty list, not null
	}
	if cap(segs) > cap(rr.segments) {
		rr.segments = segs
	}
	rec.Segments = segs
	return rec, true
}

// errTooLong is the read error of growingLimit.
var errTooLong = errors.New("results too long")

// growingLimit lets the decoder read at most max bytes in all, max growing
// with each record read: what bounds the decoder's buffer, which would
// otherwise take in a string or a number of any length whole.
type growingLimit struct {
	r    io.Reader
	n    int64
	max  int64
	done bool
}

func (l *growingLimit) Read(p []byte) (int, error) {
	if l.n >= l.max {
		if l.done {
			return 0, io.EOF
		}
		// At the limit: the input is too long unless it ends here.
		var one [1]byte
		n, err := io.ReadFull(l.r, one[:])
		if n == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF) {
			l.done = true
			return 0, io.EOF
		}
		if err != nil {
			return 0, err
		}
		return 0, errTooLong
	}
	p = p[:min(int64(len(p)), l.max-l.n)]
	n, err := l.r.Read(p)
	l.n += int64(n)
	if err == io.EOF {
		l.done = true
	}
	return n, err
}

package api

import (
	"encoding/json"
	"errors"
	"io"
	"iter"
	"reflect"
	"strconv"
)

// WriteJSON writes r to w exactly as json.Marshal(r) encodes it, except
// that when records is not nil the activation's records are taken from
// records, in its order, instead of r.Activation.Records (which is then
// ignored, and r.Activation must not be nil): the encoding of a slice
// holding those records. It returns the bytes written. An error that
// records yields stops the encoding and is returned as it is; w then
// holds a prefix of the JSON.
//
// It is how the clean room writes a media partner's results, whose
// activation may hold millions of records, without holding them: the
// records come from scratch disk in order, and the JSON goes to a blob
// and through a hash. Its output is the encoding that a results
// commitment covers (CommittedJSON) and that clients read, so it must
// stay byte for byte json.Marshal's: results_json_test.go checks that
// against json.Marshal on random and edge-case Results, and that it
// writes every field of Results.
func (r Results) WriteJSON(w io.Writer, records iter.Seq2[ActivationRecord, error]) (int64, error) {
	e := &resultsEncoder{w: w}
	e.field('{', "session_id", r.SessionID)
	e.field(',', "role", r.Role)
	e.field(',', "overlap", r.Overlap)
	if !reflect.ValueOf(r.OverlapByKey).IsZero() { // omitzero
		e.field(',', "overlap_by_key", r.OverlapByKey)
	}
	e.field(',', "match_rate", r.MatchRate)
	e.field(',', "segments", r.Segments)
	if r.DPEpsilon != nil { // omitempty
		e.field(',', "dp_epsilon", r.DPEpsilon)
	}
	if r.Activation != nil { // omitempty
		e.activation(r.Activation, records)
	}
	e.field(',', "computed_at", r.ComputedAt)
	if r.ResultNonce != "" { // omitempty
		e.field(',', "result_nonce", r.ResultNonce)
	}
	e.buf = append(e.buf, '}')
	e.flush()
	return e.n, e.err
}

// WriteCommittedJSON is WriteJSON of the form a results commitment
// covers: CommittedJSON's, without result_nonce.
func (r Results) WriteCommittedJSON(w io.Writer, records iter.Seq2[ActivationRecord, error]) (int64, error) {
	r.ResultNonce = ""
	return r.WriteJSON(w, records)
}

// RecordsFrom is the iterator WriteJSON takes over records that each
// calls its argument with, in order, stopping at the first error it
// returns (how a scratch file or ReadResults hands them over). each runs
// afresh at every range; its own error, if the range was not stopped
// early, comes last.
func RecordsFrom(each func(emit func(ActivationRecord) error) error) iter.Seq2[ActivationRecord, error] {
	return func(yield func(ActivationRecord, error) bool) {
		stopped := false
		err := each(func(rec ActivationRecord) error {
			if !yield(rec, nil) {
				stopped = true
				return errRangeStopped
			}
			return nil
		})
		if err != nil && !stopped {
			yield(ActivationRecord{}, err)
		}
	}
}

// errRangeStopped ends each when the range over RecordsFrom stops early.
var errRangeStopped = errors.New("api: range stopped")

// resultsEncoder buffers what WriteJSON writes and keeps its first error.
type resultsEncoder struct {
	w   io.Writer
	buf []byte
	n   int64
	err error
}

// encoderFlushAt is how much the encoder buffers before it writes: an
// activation record is about 30 bytes, and a write per record would cost
// more than its encoding.
const encoderFlushAt = 32 << 10

// field appends sep, the quoted name and json.Marshal's encoding of v:
// a struct field as encoding/json writes it (the names here are plain
// ASCII, which it quotes as they are).
func (e *resultsEncoder) field(sep byte, name string, v any) {
	if e.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		e.err = err
		return
	}
	e.buf = append(e.buf, sep, '"')
	e.buf = append(e.buf, name...)
	e.buf = append(e.buf, '"', ':')
	e.buf = append(e.buf, b...)
}

// activation appends the activation field, its records from records when
// it is not nil.
func (e *resultsEncoder) activation(a *Activation, records iter.Seq2[ActivationRecord, error]) {
	if records == nil {
		e.field(',', "activation", a)
		return
	}
	e.field(',', "activation", struct { // Activation without its records
		Segments []string `json:"segments"`
	}{a.Segments})
	if e.err != nil {
		return
	}
	e.buf = append(e.buf[:len(e.buf)-1], `,"records":[`...) // reopen the object
	first := true
	for rec, err := range records {
		if err != nil {
			e.err = err
			return
		}
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		e.buf = appendRecord(e.buf, rec)
		if len(e.buf) >= encoderFlushAt {
			if e.flush(); e.err != nil {
				return
			}
		}
	}
	e.buf = append(e.buf, ']', '}')
}

// appendRecord appends rec as encoding/json writes an ActivationRecord:
// integers in decimal (strconv's, as encoding/json uses), a nil list as
// null.
func appendRecord(b []byte, rec ActivationRecord) []byte {
	b = append(b, `{"record":`...)
	b = strconv.AppendUint(b, rec.Record, 10)
	b = append(b, `,"segments":`...)
	if rec.Segments == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, s := range rec.Segments {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(s), 10)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func (e *resultsEncoder) flush() {
	if e.err != nil || len(e.buf) == 0 {
		return
	}
	n, err := e.w.Write(e.buf)
	e.n += int64(n)
	if err == nil && n < len(e.buf) {
		err = io.ErrShortWrite
	}
	e.err = err
	e.buf = e.buf[:0]
}

package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// referenceDecode is what ReadResults is held to: encoding/json's
// decoder with DisallowUnknownFields, and nothing but white space after
// the value.
func referenceDecode(data []byte) (Results, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var res Results
	if err := dec.Decode(&res); err != nil {
		return Results{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return Results{}, errors.New("data after the value")
	}
	return res, nil
}

// readWhole runs ReadResults and puts the records back into the results.
func readWhole(data []byte) (Results, error) {
	var recs []ActivationRecord
	res, err := ReadResults(bytes.NewReader(data), func(rec ActivationRecord) error {
		recs = append(recs, ActivationRecord{Record: rec.Record, Segments: slices.Clone(rec.Segments)})
		return nil
	})
	if err == nil && res.Activation != nil && res.Activation.Records != nil {
		res.Activation.Records = append(res.Activation.Records, recs...)
	} else if err == nil && len(recs) > 0 {
		err = errors.New("test: records without a records list")
	}
	return res, err
}

// Field names of each object of Results, by the context the walk gives
// them.
var namesOf = map[string][]string{
	"results":    resultsFields,
	"match_rate": rateFields,
	"activation": activationKeys,
	"record":     recordFields,
	"round":      roundFields,
}

// onPurpose reports whether data holds one of the things ReadResults
// rejects although encoding/json accepts them (its doc lists them): a
// key that only case-folds to a field's name, a key given twice, an
// unknown key in a round, top-level null. It is a walk of its own, so
// that the differential test does not take the reader's word for it.
func onPurpose(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	found := false
	var walk func(ctx string, top bool) error
	walk = func(ctx string, top bool) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch {
		case top && tok == nil:
			found = true
		case tok == json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key := kt.(string)
				if seen[key] {
					found = true
				}
				seen[key] = true
				name := key
				if names, ok := namesOf[ctx]; ok {
					name = ""
					for _, n := range names {
						if strings.EqualFold(n, key) {
							name = n
						}
					}
					if !slices.Contains(names, key) && (name != "" || ctx == "round") {
						found = true
					}
				}
				child := "other"
				switch {
				case ctx == "results" && name == "segments":
					child = "segment counts"
				case ctx == "results" && (name == "match_rate" || name == "activation"):
					child = name
				case ctx == "results" && name == "overlap_by_key":
					child = "rounds"
				case ctx == "activation" && name == "records":
					child = "records"
				}
				if err := walk(child, false); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case tok == json.Delim('['):
			child := map[string]string{"rounds": "round", "records": "record"}[ctx]
			for dec.More() {
				if err := walk(cmpOr(child, "other"), false); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	walk("results", true)
	return found
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// checkAgainstReference is the differential property: ReadResults
// accepts exactly what the reference accepts, less what it rejects on
// purpose, and reads the same values.
func checkAgainstReference(t *testing.T, data []byte) {
	t.Helper()
	want, werr := referenceDecode(data)
	got, gerr := readWhole(data)
	purpose := werr == nil && onPurpose(data)
	switch {
	case werr != nil && gerr == nil:
		t.Fatalf("accepted what encoding/json rejects (%v):\n%s", werr, data)
	case werr == nil && !purpose && gerr != nil:
		t.Fatalf("rejected what encoding/json accepts: %v\n%s", gerr, data)
	case purpose && gerr == nil:
		t.Fatalf("accepted what it rejects on purpose:\n%s", data)
	case gerr != nil && !errors.Is(gerr, ErrResultsJSON):
		t.Fatalf("error does not wrap ErrResultsJSON: %v", gerr)
	case gerr == nil && !reflect.DeepEqual(got, want):
		t.Fatalf("read\n%#v\nencoding/json read\n%#v\nfrom\n%s", got, want, data)
	}
}

func ptr[T any](v T) *T { return &v }

// sampleResults are results of every shape the clean room releases.
func sampleResults() []Results {
	at := time.Date(2026, 12, 6, 10, 30, 0, 123456789, time.UTC)
	return []Results{
		{},
		{SessionID: "s1", Role: RoleAdvertiser, Overlap: ptr[int64](1234), OverlapByKey: Rounds([]KeyPairs{{"email", 1000}, {"phone", 234}}),
			MatchRate: MatchRates{Advertiser: ptr("37%"), MediaPartner: ptr(">85%")}, Segments: map[string]*int64{"sports": ptr[int64](60), "travel": nil},
			DPEpsilon: ptr(1.5), ComputedAt: at, ResultNonce: strings.Repeat("ab", 32)},
		{SessionID: "s2", Role: RoleMediaPartner, OverlapByKey: Rounds(nil), Segments: map[string]*int64{},
			Activation: &Activation{Segments: []string{"sports", "travel"}, Records: []ActivationRecord{
				{Record: 0, Segments: []int{0}}, {Record: 7, Segments: []int{0, 1}}, {Record: 1<<64 - 1, Segments: []int{}}, {Record: 3},
			}}, ComputedAt: at.In(time.FixedZone("x", 3600))},
		{SessionID: "s3", Role: RoleMediaPartner, Activation: &Activation{Segments: []string{}, Records: []ActivationRecord{}}},
		{SessionID: "s4", Role: RoleMediaPartner, Activation: &Activation{}},
	}
}

// sampleJSON is the samples as the clean room writes them, and written by
// hand in other orders and spacing.
func sampleJSON(t testing.TB) [][]byte {
	var out [][]byte
	for _, r := range sampleResults() {
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
		indented, _ := json.MarshalIndent(r, " ", "\t")
		out = append(out, indented)
	}
	return append(out,
		[]byte(`{"activation":{"records":[{"segments":[1,0],"record":5},null,{"segments":[null,2]},{}],"segments":["b","a","c"]},"role":"media_partner"}`),
		[]byte(` { "computed_at" : null , "overlap_by_key" : [ null , { "pairs" : 3 } ] , "segments" : { "a" : null } } `),
		[]byte(`{"session_id":"s\u00e9\ud83d\ude00","match_rate":null,"overlap":-0,"dp_epsilon":1e-3,"result_nonce":null}`),
		[]byte(`{"activation":{"records":[{"segments":[3]},{"segments":[4]},{"segments":[null]},{"segments":[1,2,3]},{"segments":[null,null]}]}}`),
	)
}

func TestReadResultsSamples(t *testing.T) {
	for _, data := range sampleJSON(t) {
		checkAgainstReference(t, data)
		if _, err := readWhole(data); err != nil {
			t.Errorf("%v:\n%s", err, data)
		}
	}
}

// TestReadResultsReencodes: what json.Marshal writes of results read back
// is what it wrote, records put back: results.json and the commitment's
// encoding rest on it.
func TestReadResultsReencodes(t *testing.T) {
	for _, r := range sampleResults() {
		data, _ := json.Marshal(r)
		got, err := readWhole(data)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := json.Marshal(got)
		if !bytes.Equal(again, data) {
			t.Errorf("read back as\n%s\nwritten as\n%s", again, data)
		}
	}
}

func TestReadResultsHostile(t *testing.T) {
	long := `{"activation":{"records":[{"record":1,"segments":[` + strings.Repeat("0,", 200) + `0]}]}}`
	for _, tc := range []struct{ name, in, want string }{
		{"empty", ``, "cut short after 0 bytes"},
		{"null", `null`, "null"},
		{"not an object", `[]`, "expected"},
		{"truncated", `{"session_id":"s","activation":{"records":[{"record":1`, "cut short"},
		{"truncated in the records", `{"activation":{"records":[{"record":1},`, "cut short"},
		{"trailing object", `{}{}`, "data after"},
		{"trailing bracket", `{} ]`, "data after"},
		{"trailing garbage", `{} x`, "data after"},
		{"unknown field", `{"session_id":"s","admin":true}`, "unknown field"},
		{"unknown field in activation", `{"activation":{"rows":[]}}`, "unknown field"},
		{"unknown field in a record", `{"activation":{"records":[{"record":1,"email":"a@b.c"}]}}`, "unknown field"},
		{"unknown field in a round", `{"overlap_by_key":[{"key":"email","pairs":1,"extra":2}]}`, "unknown field"},
		{"unknown field in match_rate", `{"match_rate":{"auditor":"1%"}}`, "unknown field"},
		{"case-folded field", `{"Session_ID":"s"}`, "unknown field"},
		{"case-folded record field", `{"activation":{"records":[{"Record":1}]}}`, "unknown field"},
		{"duplicate field", `{"role":"advertiser","role":"media_partner"}`, "twice"},
		{"duplicate record field", `{"activation":{"records":[{"record":1,"record":2}]}}`, "twice"},
		{"duplicate segment", `{"segments":{"a":1,"a":2}}`, "twice"},
		{"duplicate activation", `{"activation":null,"activation":{}}`, "twice"},
		{"record index negative", `{"activation":{"records":[{"record":-1}]}}`, "cannot unmarshal"},
		{"record index fraction", `{"activation":{"records":[{"record":1.5}]}}`, "cannot unmarshal"},
		{"record index too large", `{"activation":{"records":[{"record":18446744073709551616}]}}`, "cannot unmarshal"},
		{"record index a string", `{"activation":{"records":[{"record":"1"}]}}`, "cannot unmarshal"},
		{"segment index a string", `{"activation":{"records":[{"segments":["a"]}]}}`, "cannot unmarshal"},
		{"segments an object", `{"activation":{"records":[{"segments":{}}]}}`, "cannot unmarshal"},
		{"records an object", `{"activation":{"records":{}}}`, "expected"},
		{"record a number", `{"activation":{"records":[5]}}`, "expected"},
		{"overlap a string", `{"overlap":"5"}`, "cannot unmarshal"},
		{"overlap a fraction", `{"overlap":5.5}`, "cannot unmarshal"},
		{"role a number", `{"role":1}`, "cannot unmarshal"},
		{"computed_at not a time", `{"computed_at":"yesterday"}`, "cannot parse"},
		{"epsilon out of range", `{"dp_epsilon":1e400}`, "cannot unmarshal"},
		{"match_rate a list", `{"match_rate":[]}`, "expected"},
		{"overlap_by_key an object", `{"overlap_by_key":{}}`, "expected"},
		{"bad syntax", `{"session_id":'s'}`, "invalid character"},
		{"record too long", long, "longer than"},
		{"head too long", `{"session_id":"` + strings.Repeat("a", MaxResultsHead) + `"}`, "outside the activation records"},
		{"head too long in white space", `{"session_id":"s"` + strings.Repeat(" ", MaxResultsHead) + `}`, "outside the activation records"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			_, err := ReadResults(strings.NewReader(tc.in), func(ActivationRecord) error { calls++; return nil })
			if !errors.Is(err, ErrResultsJSON) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrResultsJSON and %q", err, tc.want)
			}
			if !strings.Contains(tc.name, "too long") { // size bounds are the reader's own
				checkAgainstReference(t, []byte(tc.in))
			}
		})
	}
}

func TestReadResultsCallbackError(t *testing.T) {
	stop := errors.New("stop")
	_, err := ReadResults(strings.NewReader(`{"activation":{"records":[{"record":1},{"record":2}]}}`), func(rec ActivationRecord) error {
		if rec.Record == 2 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Errorf("err = %v, want the callback's", err)
	}
}

// TestReadResultsSizeBounds: results at ResultsSizeLimit of their records
// pass, one byte more of head fails.
func TestReadResultsSizeBounds(t *testing.T) {
	rec := func(size int) string { // a record of size bytes
		r := `"record":1,"segments":[` + strings.Repeat("1,", 100) + `1]}`
		return "{" + strings.Repeat(" ", size-len(r)-1) + r
	}
	// The first record has no comma before it: each record spans
	// MaxActivationRecordSize bytes.
	recs := rec(MaxActivationRecordSize) + "," + rec(MaxActivationRecordSize-1) + "," + rec(MaxActivationRecordSize-1)
	head := `{"activation":{"records":[]},"session_id":""}`
	pad := strings.Repeat("a", MaxResultsHead-len(head))
	in := strings.Replace(strings.Replace(head, `[]`, "["+recs+"]", 1), `""`, `"`+pad+`"`, 1)
	if int64(len(in)) != ResultsSizeLimit(3) {
		t.Fatalf("test input of %d bytes, limit %d", len(in), ResultsSizeLimit(3))
	}
	n := 0
	if _, err := ReadResults(strings.NewReader(in), func(ActivationRecord) error { n++; return nil }); err != nil || n != 3 {
		t.Fatalf("at the limit: %v, %d records", err, n)
	}
	for name, over := range map[string]string{
		"head":   strings.Replace(in, `"session_id":"`, `"session_id":"a`, 1),
		"record": strings.Replace(in, `"record":1,`, `"record":10,`, 1),
	} {
		if _, err := ReadResults(strings.NewReader(over), func(ActivationRecord) error { return nil }); !errors.Is(err, ErrResultsJSON) {
			t.Errorf("one byte over in the %s: %v", name, err)
		}
	}
}

// mutate changes data in one of the ways a broken or hostile server
// could.
func mutate(rng *rand.Rand, data []byte) []byte {
	out := slices.Clone(data)
	tokens := []string{`null`, `"x"`, `1.5`, `-1`, `true`, `[]`, `{}`, `0`, `"SESSION_ID"`, `,`, `:`, `"`, `]`, `}`, `[`, `{`, `"record"`, `"segments"`, `"role":"advertiser",`, ` `}
	switch rng.IntN(6) {
	case 0: // delete a byte
		if len(out) > 0 {
			i := rng.IntN(len(out))
			out = slices.Delete(out, i, i+1)
		}
	case 1: // insert a token
		i := rng.IntN(len(out) + 1)
		out = slices.Insert(out, i, []byte(tokens[rng.IntN(len(tokens))])...)
	case 2: // replace a value after a colon
		colons := indexesOf(out, ':')
		if len(colons) > 0 {
			i := colons[rng.IntN(len(colons))] + 1
			end := i
			for end < len(out) && !strings.ContainsRune(",}]", rune(out[end])) {
				end++
			}
			out = slices.Replace(out, i, end, []byte(tokens[rng.IntN(8)])...)
		}
	case 3: // change the case of a key
		quotes := indexesOf(out, '"')
		if len(quotes) > 0 {
			i := quotes[rng.IntN(len(quotes))] + 1
			if i < len(out) && out[i] >= 'a' && out[i] <= 'z' {
				out[i] -= 'a' - 'A'
			}
		}
	case 4: // repeat a "key":value member
		s := string(out)
		if i := strings.Index(s, `"`); i >= 0 {
			for _, key := range []string{`"role":"media_partner",`, `"record":1,`, `"segments":[0],`, `"a":1,`} {
				name := key[:strings.Index(key, ":")+1]
				if strings.Contains(s, name) && rng.IntN(2) == 0 {
					j := strings.Index(s, name)
					s = s[:j] + key + s[j:]
					break
				}
			}
		}
		out = []byte(s)
	case 5: // cut short
		out = out[:rng.IntN(len(out)+1)]
	}
	return out
}

func indexesOf(b []byte, c byte) []int {
	var out []int
	for i, x := range b {
		if x == c {
			out = append(out, i)
		}
	}
	return out
}

func TestReadResultsDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	samples := sampleJSON(t)
	accepted, rejected := 0, 0
	for i := range 20000 {
		data := samples[i%len(samples)]
		for range 1 + rng.IntN(3) {
			data = mutate(rng, data)
		}
		checkAgainstReference(t, data)
		if _, err := readWhole(data); err == nil {
			accepted++
		} else {
			rejected++
		}
	}
	// The mutations must exercise both sides of the property.
	if accepted < 1000 || rejected < 1000 {
		t.Fatalf("%d accepted, %d rejected: the mutations are too tame or too wild", accepted, rejected)
	}
}

func FuzzReadResults(f *testing.F) {
	for _, data := range sampleJSON(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgainstReference(t, data)
	})
}

// liveHeapWhileReading reads results of n records and returns the live
// heap (after a collection) when the first record is handed over and when
// the last one is.
func liveHeapWhileReading(tb testing.TB, n int) (first, last uint64) {
	seen := 0
	_, err := ReadResults(&recordsStream{n: n}, func(ActivationRecord) error {
		if seen++; seen == 1 || seen == n {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if seen == 1 {
				first = ms.HeapAlloc
			}
			if seen == n {
				last = ms.HeapAlloc
			}
		}
		return nil
	})
	if err != nil || seen != n {
		tb.Fatal(err, seen)
	}
	return first, last
}

// TestReadResultsMemoryFlat: the memory ReadResults holds does not grow
// with the records read. 200,000 records kept as Results holds them would
// take over 10 MB.
func TestReadResultsMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 200,000 records")
	}
	first, last := liveHeapWhileReading(t, 200_000)
	if last > first+256<<10 {
		t.Errorf("the live heap grew from %d to %d bytes over 200,000 records", first, last)
	}
}

// BenchmarkReadResults reads results of b.N records; its live-heap-growth
// metric (bytes between the first record and the last) stays near zero
// whatever b.N.
func BenchmarkReadResults(b *testing.B) {
	b.ReportAllocs()
	first, last := liveHeapWhileReading(b, max(b.N, 1))
	b.ReportMetric(float64(int64(last)-int64(first)), "live-heap-growth-B")
}

// recordsStream is the JSON of results with n activation records,
// produced as it is read.
type recordsStream struct {
	n, i    int
	buf     []byte
	started bool
	done    bool
}

func (s *recordsStream) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) && !s.done {
		switch {
		case !s.started:
			s.buf = append(s.buf, `{"session_id":"s","role":"media_partner","activation":{"segments":["a","b"],"records":[`...)
			s.started = true
		case s.i < s.n:
			if s.i > 0 {
				s.buf = append(s.buf, ',')
			}
			s.buf = fmt.Appendf(s.buf, `{"record":%d,"segments":[0,1]}`, s.i)
			s.i++
		default:
			s.buf = append(s.buf, `]},"computed_at":"2026-12-06T10:00:00Z"}`...)
			s.done = true
		}
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// TestResultsSizeLimitSaturates: no count of records lets a party accept
// results the transcript could not commit to.
func TestResultsSizeLimitSaturates(t *testing.T) {
	for _, records := range []int64{(MaxResultsSize - MaxResultsHead) / MaxActivationRecordSize, 1 << 40, math.MaxInt64} {
		if got := ResultsSizeLimit(records); got > MaxResultsSize {
			t.Errorf("ResultsSizeLimit(%d) = %d, above MaxResultsSize", records, got)
		}
	}
	if got := ResultsSizeLimit(-5); got != MaxResultsHead {
		t.Errorf("ResultsSizeLimit(-5) = %d, want the head alone", got)
	}
}

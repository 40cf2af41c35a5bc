package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"iter"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestWriteJSONFields is a tripwire: WriteJSON writes the fields of
// Results one by one, so a field added to Results needs its line there
// and a value in randomResults, or the differential tests below would not
// see it.
func TestWriteJSONFields(t *testing.T) {
	var names []string
	for f := range reflect.TypeFor[Results]().Fields() {
		names = append(names, f.Tag.Get("json"))
	}
	want := []string{
		"session_id", "role", "overlap", "overlap_by_key,omitzero", "match_rate", "segments",
		"dp_epsilon,omitempty", "activation,omitempty", "computed_at", "result_nonce,omitempty",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("Results has the fields %q; WriteJSON and randomResults know %q", names, want)
	}
	for typ, want := range map[reflect.Type][]string{
		reflect.TypeFor[Activation]():       {"segments", "records"}, // activation writes segments, then the records
		reflect.TypeFor[ActivationRecord](): {"record", "segments"},  // appendRecord
	} {
		var names []string
		for f := range typ.Fields() {
			names = append(names, f.Tag.Get("json"))
		}
		if !slices.Equal(names, want) {
			t.Fatalf("%s has the fields %q; WriteJSON writes %q", typ, names, want)
		}
	}
}

// TestWriteJSONMatchesMarshal: the streamed encoding is json.Marshal's,
// byte for byte, in both forms (stored, with result_nonce; committed,
// without), with the records taken from the slice or from an iterator.
func TestWriteJSONMatchesMarshal(t *testing.T) {
	for i, r := range edgeResults() {
		checkWriteJSON(t, r, "edge case "+strconv.Itoa(i))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		checkWriteJSON(t, randomResults(rng, nil), "random case "+strconv.Itoa(i))
	}
}

// FuzzWriteJSON draws Results from a seed and two strings that go into
// the session id, segment names and match rates (escaping: invalid
// UTF-8, <>&, U+2028), and compares WriteJSON with json.Marshal.
func FuzzWriteJSON(f *testing.F) {
	f.Add(uint64(0), "s", "high_value")
	f.Add(uint64(7), "<script>&amp;", "\xff\xfe\u2028\"\\")
	f.Add(uint64(99), "", "")
	f.Fuzz(func(t *testing.T, seed uint64, a, b string) {
		checkWriteJSON(t, randomResults(rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), []string{a, b}), "fuzz case")
	})
}

func checkWriteJSON(t *testing.T, r Results, name string) {
	t.Helper()
	want, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("%s: json.Marshal: %v", name, err)
	}
	committed, err := r.CommittedJSON()
	if err != nil {
		t.Fatalf("%s: CommittedJSON: %v", name, err)
	}
	var records iter.Seq2[ActivationRecord, error]
	if r.Activation != nil && r.Activation.Records != nil {
		records = sliceRecords(r.Activation.Records)
	}
	for _, c := range []struct {
		form      string
		want      []byte
		write     func(Results, *bytes.Buffer, iter.Seq2[ActivationRecord, error]) (int64, error)
		fromSlice bool
	}{
		{"stored", want, func(r Results, w *bytes.Buffer, s iter.Seq2[ActivationRecord, error]) (int64, error) {
			return r.WriteJSON(w, s)
		}, true},
		{"committed", committed, func(r Results, w *bytes.Buffer, s iter.Seq2[ActivationRecord, error]) (int64, error) {
			return r.WriteCommittedJSON(w, s)
		}, true},
	} {
		for _, seq := range []iter.Seq2[ActivationRecord, error]{nil, records} {
			in := r
			if seq != nil {
				// The records must come from the iterator alone.
				a := *r.Activation
				a.Records = []ActivationRecord{{Record: 666, Segments: []int{6}}}
				in.Activation = &a
			}
			var buf bytes.Buffer
			n, err := c.write(in, &buf, seq)
			if err != nil {
				t.Fatalf("%s, %s form: %v", name, c.form, err)
			}
			if !bytes.Equal(buf.Bytes(), c.want) || n != int64(len(c.want)) {
				t.Fatalf("%s, %s form, iterator %t: wrote %d bytes\n%s\njson.Marshal\n%s", name, c.form, seq != nil, n, buf.Bytes(), c.want)
			}
		}
	}
}

func sliceRecords(recs []ActivationRecord) iter.Seq2[ActivationRecord, error] {
	return func(yield func(ActivationRecord, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// edgeResults are the shapes the clean room releases and the corners of
// the encoding: nothing released, null and absent fields, empty lists and
// maps, no activation, an empty one, a nil record list.
func edgeResults() []Results {
	at := time.Date(2026, 12, 6, 11, 0, 0, 123456789, time.UTC)
	eps := 2.5
	return []Results{
		{},
		{SessionID: "s", Role: RoleAdvertiser, Segments: map[string]*int64{}, ComputedAt: at},
		{SessionID: "s", Role: RoleAdvertiser, Overlap: ptrTo[int64](1234), OverlapByKey: Rounds(nil),
			MatchRate: MatchRates{Advertiser: ptrTo("37%")}, Segments: map[string]*int64{"a": nil, "b": ptrTo[int64](60)},
			DPEpsilon: &eps, ComputedAt: at, ResultNonce: "00ff"},
		{SessionID: "s", Role: RoleAdvertiser, OverlapByKey: Rounds([]KeyPairs{}), ComputedAt: at},
		{SessionID: "s", Role: RoleAdvertiser, OverlapByKey: OverlapRounds{Rounds: []KeyPairs{{Key: "email", Pairs: 3}}}, ComputedAt: at},
		{SessionID: "s", Role: RoleMediaPartner, Overlap: ptrTo[int64](0), OverlapByKey: Rounds([]KeyPairs{{Key: "email", Pairs: 3}, {Key: "phone", Pairs: 0}}),
			MatchRate: MatchRates{MediaPartner: ptrTo(">85%")}, Segments: map[string]*int64{},
			Activation: &Activation{Segments: []string{}, Records: []ActivationRecord{}}, ComputedAt: at,
			ResultNonce: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{SessionID: "s", Role: RoleMediaPartner, Activation: &Activation{}, ComputedAt: at},
		{SessionID: "s", Role: RoleMediaPartner, Activation: &Activation{Segments: []string{"x"}, Records: []ActivationRecord{
			{Record: 0, Segments: []int{0}}, {Record: math.MaxUint64, Segments: nil}, {Record: 5, Segments: []int{}},
			{Record: 6, Segments: []int{-1, math.MaxInt}},
		}}, ComputedAt: at},
		{SessionID: "s", DPEpsilon: ptrTo(math.SmallestNonzeroFloat64), ComputedAt: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("x", -3600))},
		{SessionID: "s", DPEpsilon: ptrTo(1e21), ComputedAt: at},
	}
}

// randomResults draws Results with every field's forms: nil or not,
// empty or not, with strings from strs besides fixed awkward ones.
func randomResults(rng *rand.Rand, strs []string) Results {
	strs = append(strs, "", "high_value", "<b>&", "é\u2028", "a\"b\\c", "\x00\x1f")
	str := func() string { return strs[rng.IntN(len(strs))] }
	maybeInt := func() *int64 {
		if rng.IntN(3) == 0 {
			return nil
		}
		return ptrTo(rng.Int64N(1<<40) - 10)
	}
	maybeStr := func() *string {
		if rng.IntN(2) == 0 {
			return nil
		}
		return ptrTo(str())
	}
	r := Results{
		SessionID:  str(),
		Role:       []Role{RoleAdvertiser, RoleMediaPartner, ""}[rng.IntN(3)],
		Overlap:    maybeInt(),
		MatchRate:  MatchRates{Advertiser: maybeStr(), MediaPartner: maybeStr()},
		ComputedAt: time.Unix(rng.Int64N(1<<35), rng.Int64N(1e9)).In(time.FixedZone("z", 60*(rng.IntN(1441)-720))),
	}
	switch rng.IntN(4) {
	case 1:
		r.OverlapByKey = Rounds(nil)
	case 2:
		r.OverlapByKey = Rounds([]KeyPairs{})
	case 3:
		var kp []KeyPairs
		for range 1 + rng.IntN(3) {
			kp = append(kp, KeyPairs{Key: str(), Pairs: rng.Int64N(1 << 40)})
		}
		r.OverlapByKey = OverlapRounds{Released: rng.IntN(2) == 0, Rounds: kp}
	}
	if rng.IntN(4) > 0 {
		r.Segments = map[string]*int64{}
		for range rng.IntN(5) {
			r.Segments[str()] = maybeInt()
		}
	}
	if rng.IntN(2) == 0 {
		r.DPEpsilon = ptrTo(rng.Float64() * math.Pow(10, float64(rng.IntN(50)-25)))
	}
	if rng.IntN(2) == 0 {
		a := &Activation{}
		if rng.IntN(5) > 0 {
			a.Segments = []string{}
			for range rng.IntN(4) {
				a.Segments = append(a.Segments, str())
			}
		}
		if rng.IntN(5) > 0 {
			a.Records = []ActivationRecord{}
			for range rng.IntN(50) {
				rec := ActivationRecord{Record: rng.Uint64() >> rng.IntN(64)}
				if rng.IntN(10) > 0 {
					rec.Segments = []int{}
					for range rng.IntN(4) {
						rec.Segments = append(rec.Segments, rng.IntN(64))
					}
				}
				a.Records = append(a.Records, rec)
			}
		}
		r.Activation = a
	}
	if rng.IntN(2) == 0 {
		var nonce [32]byte
		for i := range nonce {
			nonce[i] = byte(rng.Uint32())
		}
		r.ResultNonce = string(appendHex(nil, nonce[:]))
	}
	return r
}

func appendHex(dst, src []byte) []byte {
	const digits = "0123456789abcdef"
	for _, b := range src {
		dst = append(dst, digits[b>>4], digits[b&15])
	}
	return dst
}

// TestWriteJSONErrors: an error of the records or of the writer stops the
// encoding and comes back as it is.
func TestWriteJSONErrors(t *testing.T) {
	r := Results{SessionID: "s", Activation: &Activation{Segments: []string{"x"}}}
	errDisk := errors.New("disk gone")
	records := func(yield func(ActivationRecord, error) bool) {
		if yield(ActivationRecord{Record: 1, Segments: []int{0}}, nil) {
			yield(ActivationRecord{}, errDisk)
		}
	}
	if _, err := r.WriteJSON(&bytes.Buffer{}, records); !errors.Is(err, errDisk) {
		t.Errorf("records failing: %v, want %v", err, errDisk)
	}
	errFull := errors.New("no space")
	if _, err := r.WriteJSON(failingWriter{errFull}, sliceRecords(nil)); !errors.Is(err, errFull) {
		t.Errorf("writer failing: %v, want %v", err, errFull)
	}
	bad := Results{DPEpsilon: ptrTo(math.NaN())}
	if _, err := bad.WriteJSON(&bytes.Buffer{}, nil); err == nil {
		t.Error("a NaN epsilon was encoded; json.Marshal refuses it")
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func ptrTo[T any](v T) *T { return &v }

// TestRecordsFrom: the iterator hands over each record in order, runs its
// source afresh at every range, yields the source's error last, and
// stops the source, without an error, when the range stops early.
func TestRecordsFrom(t *testing.T) {
	failure := errors.New("disk gone")
	runs := 0
	var fail error
	seq := RecordsFrom(func(emit func(ActivationRecord) error) error {
		runs++
		for i := range uint64(3) {
			if err := emit(ActivationRecord{Record: i}); err != nil {
				return err
			}
		}
		return fail
	})
	for range 2 {
		var got []uint64
		for rec, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, rec.Record)
		}
		if !slices.Equal(got, []uint64{0, 1, 2}) {
			t.Fatalf("records %v, want 0, 1, 2", got)
		}
	}
	if runs != 2 {
		t.Fatalf("the source ran %d times for two ranges", runs)
	}
	fail = failure
	var errs []error
	for _, err := range seq {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) != 1 || errs[0] != failure {
		t.Fatalf("errors %v, want the source's once, last", errs)
	}
	for rec, err := range seq {
		if err != nil || rec.Record != 0 {
			t.Fatalf("first of a stopped range: %v %v", rec, err)
		}
		break // the source sees an error, the range none
	}
}

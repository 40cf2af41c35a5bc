package policy

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/wire"
)

func consent(p uint8) wire.Attr { return wire.Attr{Kind: wire.AttrPurposeConsent, Value: p} }
func li(p uint8) wire.Attr      { return wire.Attr{Kind: wire.AttrPurposeLI, Value: p} }
func segment(j uint8) wire.Attr { return wire.Attr{Kind: wire.AttrSegment, Value: j} }

var vendors = wire.Attr{Kind: wire.AttrVendors}

// row sets the bits of the given facts in a row declared with attrs.
func row(t *testing.T, attrs []wire.Attr, facts ...wire.Attr) uint64 {
	t.Helper()
	var bits uint64
	for _, f := range facts {
		i := slices.Index(attrs, f)
		if i < 0 {
			t.Fatalf("fact %v is not declared", f)
		}
		bits |= 1 << i
	}
	return bits
}

func TestAttrs(t *testing.T) {
	got, err := Default().Attrs(0)
	want := []wire.Attr{consent(1), consent(3), consent(4), consent(7), consent(9), li(7), li(9)}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Default().Attrs(0) = %v, %v; want %v", got, err, want)
	}
	got, _ = Default().Attrs(3)
	want = append(want, segment(0), segment(1), segment(2))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Default().Attrs(3) = %v, want %v", got, want)
	}

	// Purposes without a legitimate-interest basis get no LI bit; a purpose
	// in both rules gets one consent bit.
	p := mustParse(t, `{"count_purposes": {"any_of": [1, 2, 3, 6, 11]}, "activation_purposes": {"all_of": [1, 2]}, "vendor_ids": [10]}`)
	got, _ = p.Attrs(1)
	want = []wire.Attr{consent(1), consent(2), consent(3), consent(6), consent(11), li(2), li(11), vendors, segment(0)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Attrs = %v, want %v", got, want)
	}

	// The widest policy needs 11 consents, 6 LIs and the vendors bit,
	// leaving 46 of wire.MaxAttrs for segments.
	wide := mustParse(t, `{"count_purposes": {"any_of": [1,2,3,4,5,6,7,8,9,10,11]}, "vendor_ids": [1]}`)
	if a, err := wide.Attrs(46); err != nil || len(a) != wire.MaxAttrs {
		t.Errorf("Attrs(46) = %d attributes, %v", len(a), err)
	}
	for _, n := range []int{47, -1} {
		if _, err := wide.Attrs(n); !errors.Is(err, ErrInvalid) {
			t.Errorf("Attrs(%d): err = %v", n, err)
		}
	}
	if a, err := Default().Attrs(wire.MaxAttrs - 7); err != nil || len(a) != wire.MaxAttrs {
		t.Errorf("Default().Attrs(57) = %d attributes, %v", len(a), err)
	}
	if _, err := Default().Attrs(wire.MaxAttrs - 6); err == nil {
		t.Error("Default().Attrs(58) exceeds wire.MaxAttrs but was accepted")
	}
}

// TestEvaluatorDefaultTruthTable compares the evaluator with a direct
// reading of DESIGN.md section 4 for every combination of the 7 default
// bits, under several orders of the declared attributes.
func TestEvaluatorDefaultTruthTable(t *testing.T) {
	base, _ := Default().Attrs(0)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		attrs := slices.Clone(base)
		rng.Shuffle(len(attrs), func(i, j int) { attrs[i], attrs[j] = attrs[j], attrs[i] })
		e, err := NewEvaluator(Default(), attrs)
		if err != nil {
			t.Fatal(err)
		}
		for combo := range 1 << len(base) {
			has := map[wire.Attr]bool{}
			var facts []wire.Attr
			for i, a := range base {
				if combo&(1<<i) != 0 {
					has[a] = true
					facts = append(facts, a)
				}
			}
			bits := row(t, attrs, facts...)
			counts := has[consent(7)] || has[li(7)] || has[consent(9)] || has[li(9)]
			activates := counts && has[consent(1)] && has[consent(3)] && has[consent(4)]
			if e.Counts(bits) != counts || e.Activates(bits) != activates {
				t.Fatalf("facts %v: Counts %v Activates %v, want %v %v", facts, e.Counts(bits), e.Activates(bits), counts, activates)
			}
			if e.Segments(bits) != 0 {
				t.Fatalf("facts %v: segments without segment attributes", facts)
			}
		}
	}
}

func TestEvaluatorRules(t *testing.T) {
	tests := []struct {
		name      string
		policy    string
		extra     []wire.Attr // declared beyond Attrs(0)
		facts     []wire.Attr
		counts    bool
		activates bool
	}{
		{"nothing", `{}`, nil, nil, false, false},
		{"activation consents alone do not count", `{}`, nil, []wire.Attr{consent(1), consent(3), consent(4)}, false, false},
		{"li 9 counts", `{}`, nil, []wire.Attr{li(9)}, true, false},
		{"li 7 counts and activates", `{}`, nil, []wire.Attr{li(7), consent(1), consent(3), consent(4)}, true, true},
		{"one activation consent missing", `{}`, nil, []wire.Attr{consent(7), consent(1), consent(3)}, true, false},
		{"all_of needs every purpose", `{"count_purposes": {"all_of": [7, 9]}}`, nil, []wire.Attr{consent(7)}, false, false},
		{"all_of mixes bases", `{"count_purposes": {"all_of": [7, 9]}}`, nil, []wire.Attr{consent(7), li(9)}, true, false},
		// TCF 2.2: no legitimate interest for purposes 3 and 4, even when a
		// party declares the bit.
		{"li 3 ignored for counting", `{"count_purposes": {"any_of": [3]}}`, []wire.Attr{li(3)}, []wire.Attr{li(3)}, false, false},
		{"li 1 ignored", `{"count_purposes": {"any_of": [1]}}`, []wire.Attr{li(1)}, []wire.Attr{li(1)}, false, false},
		{"activation is consent only", `{"count_purposes": {"any_of": [2]}, "activation_purposes": {"all_of": [2]}}`, nil,
			[]wire.Attr{li(2)}, true, false},
		{"activation by consent", `{"count_purposes": {"any_of": [2]}, "activation_purposes": {"all_of": [2]}}`, nil,
			[]wire.Attr{consent(2)}, true, true},
		{"activation any_of", `{"activation_purposes": {"any_of": [3, 4]}}`, nil, []wire.Attr{consent(9), consent(4)}, true, true},
		{"vendors required", `{"vendor_ids": [755]}`, nil, []wire.Attr{consent(7), consent(1), consent(3), consent(4)}, false, false},
		{"vendors present", `{"vendor_ids": [755]}`, nil, []wire.Attr{consent(7), vendors, consent(1), consent(3), consent(4)}, true, true},
		{"vendors alone", `{"vendor_ids": [755]}`, nil, []wire.Attr{vendors}, false, false},
		{"undeclared-by-policy extras are ignored", `{}`, []wire.Attr{consent(10), li(10)}, []wire.Attr{consent(10), li(10)}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, tc.policy)
			attrs, _ := p.Attrs(0)
			attrs = append(attrs, tc.extra...)
			e, err := NewEvaluator(p, attrs)
			if err != nil {
				t.Fatal(err)
			}
			bits := row(t, attrs, tc.facts...)
			if got := e.Counts(bits); got != tc.counts {
				t.Errorf("Counts = %v, want %v", got, tc.counts)
			}
			if got := e.Activates(bits); got != tc.activates {
				t.Errorf("Activates = %v, want %v", got, tc.activates)
			}
		})
	}
}

func TestEvaluatorSegments(t *testing.T) {
	// Segments declared out of order and sparsely, among purpose bits.
	attrs := []wire.Attr{segment(5), consent(1), consent(3), segment(0), consent(4), consent(7), consent(9), li(7), li(9), segment(2)}
	e, err := NewEvaluator(Default(), attrs)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		facts []wire.Attr
		want  uint64
	}{
		{nil, 0},
		{[]wire.Attr{segment(0)}, 1},
		{[]wire.Attr{segment(5)}, 1 << 5},
		{[]wire.Attr{segment(2), segment(5), consent(1)}, 1<<2 | 1<<5},
	}
	for _, tc := range tests {
		if got := e.Segments(row(t, attrs, tc.facts...)); got != tc.want {
			t.Errorf("Segments(%v) = %b, want %b", tc.facts, got, tc.want)
		}
	}
	// Bits beyond the declared list are not segments (nor anything else).
	if got := e.Segments(^uint64(0) << len(attrs)); got != 0 {
		t.Errorf("undeclared bits read as segments %b", got)
	}
}

func TestNewEvaluatorRejects(t *testing.T) {
	full, _ := Default().Attrs(0)
	without := func(drop wire.Attr) []wire.Attr {
		return slices.DeleteFunc(slices.Clone(full), func(a wire.Attr) bool { return a == drop })
	}
	var me *MissingAttrError
	if _, err := NewEvaluator(Default(), without(li(9))); !errors.As(err, &me) || !reflect.DeepEqual(me.Missing, []wire.Attr{li(9)}) {
		t.Errorf("missing li 9: err = %v", err)
	} else if !errors.Is(err, ErrMissingAttr) || err.Error() != "policy: attribute list lacks purpose-li 9" {
		t.Errorf("missing li 9: error text %q", err)
	}
	if _, err := NewEvaluator(Default(), nil); !errors.As(err, &me) || len(me.Missing) != len(full) {
		t.Errorf("empty list: err = %v", err)
	}
	vp := mustParse(t, `{"vendor_ids": [1]}`)
	if _, err := NewEvaluator(vp, full); !errors.As(err, &me) || !reflect.DeepEqual(me.Missing, []wire.Attr{vendors}) {
		t.Errorf("missing vendors: err = %v", err)
	}

	hostile := [][]wire.Attr{
		append(slices.Clone(full), consent(7)),                   // duplicate
		append(slices.Clone(full), wire.Attr{Kind: 9, Value: 1}), // unknown kind
		append(slices.Clone(full), consent(25)),                  // purpose out of range
		append(slices.Clone(full), wire.Attr{Kind: wire.AttrVendors, Value: 1}),
		append(slices.Clone(full), segment(64)),
	}
	long := slices.Clone(full)
	for j := range 58 {
		long = append(long, segment(uint8(j)))
	}
	hostile = append(hostile, long) // 65 attributes
	for i, attrs := range hostile {
		if _, err := NewEvaluator(Default(), attrs); !errors.Is(err, ErrAttrs) {
			t.Errorf("hostile list %d: err = %v", i, err)
		}
	}
	bad := Default()
	bad.ActivationPurposes = Rule{}
	if _, err := NewEvaluator(bad, full); !errors.Is(err, ErrInvalid) {
		t.Errorf("invalid policy: err = %v", err)
	}
}

func TestSegmentMask(t *testing.T) {
	session := []string{"a", "b", "c"}
	tests := []struct {
		policy string
		want   uint64
		ok     bool
	}{
		{`{}`, 0b111, true},
		{`{"activation_segments": ["c"]}`, 0b100, true},
		{`{"activation_segments": ["c", "a"]}`, 0b101, true},
		{`{"activation_segments": ["d"]}`, 0, false},
	}
	for _, tc := range tests {
		got, err := mustParse(t, tc.policy).SegmentMask(session)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("%s: SegmentMask = %b, %v", tc.policy, got, err)
		}
	}
	many := make([]string, 64)
	for i := range many {
		many[i] = string(rune('A'+i/26)) + string(rune('a'+i%26))
	}
	if got, err := Default().SegmentMask(many); err != nil || got != ^uint64(0) {
		t.Errorf("64 segments: %b, %v", got, err)
	}
	if _, err := Default().SegmentMask(append(many, "zz")); err == nil {
		t.Error("65 segments accepted")
	}
}

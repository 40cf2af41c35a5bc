package policy

import (
	"errors"
	"reflect"
	"testing"
)

func TestRuleImplies(t *testing.T) {
	anyOf := func(p ...int) Rule { return Rule{AnyOf: p} }
	allOf := func(p ...int) Rule { return Rule{AllOf: p} }
	tests := []struct {
		r, s Rule
		want bool
	}{
		{anyOf(7, 9), anyOf(7, 9), true},
		{anyOf(7), anyOf(7, 9), true},
		{anyOf(9, 7), anyOf(7, 9), true},
		{anyOf(7, 9, 10), anyOf(7, 9), false}, // {10} alone satisfies r, not s
		{allOf(7, 9), anyOf(7, 9), true},
		{allOf(7), anyOf(7, 9), true},
		{allOf(10, 11), anyOf(7, 9), false},
		{allOf(7, 10), anyOf(7, 9), true},
		{anyOf(7, 9), allOf(7, 9), false},
		{anyOf(7), allOf(7), true},
		{allOf(7, 9), allOf(7), true},
		{allOf(1, 3, 4), allOf(1, 3, 4), true},
		{allOf(1, 3, 4, 2), allOf(1, 3, 4), true},
		{allOf(1, 3), allOf(1, 3, 4), false},
		{anyOf(1, 3, 4), allOf(1, 3, 4), false},
		{allOf(1, 3, 4), anyOf(1), true},
		{Rule{}, anyOf(7), false},
		{Rule{}, Rule{}, false},
	}
	for _, tc := range tests {
		if got := tc.r.implies(tc.s); got != tc.want {
			t.Errorf("%+v implies %+v = %v, want %v", tc.r, tc.s, got, tc.want)
		}
	}
}

// TestCheckFloor tightens and loosens each field of the default policy in
// turn; a stricter policy passes, a looser one names exactly that field.
func TestCheckFloor(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(p *Policy)
		looser []string // nil: accepted
	}{
		{"same", func(p *Policy) {}, nil},
		{"min_rows up", func(p *Policy) { p.MinRows = 5000 }, nil},
		{"min_rows down", func(p *Policy) { p.MinRows = 999 }, []string{"min_rows"}},
		{"k up", func(p *Policy) { p.K = 100 }, nil},
		{"k down", func(p *Policy) { p.K = 49 }, []string{"k"}},
		{"count narrower any_of", func(p *Policy) { p.CountPurposes = Rule{AnyOf: []int{9}} }, nil},
		{"count all_of", func(p *Policy) { p.CountPurposes = Rule{AllOf: []int{7, 9}} }, nil},
		{"count all_of with extra", func(p *Policy) { p.CountPurposes = Rule{AllOf: []int{8, 9}} }, nil},
		{"count wider", func(p *Policy) { p.CountPurposes = Rule{AnyOf: []int{7, 8, 9}} }, []string{"count_purposes"}},
		{"count other purpose", func(p *Policy) { p.CountPurposes = Rule{AnyOf: []int{8}} }, []string{"count_purposes"}},
		{"activation more purposes", func(p *Policy) { p.ActivationPurposes = Rule{AllOf: []int{1, 2, 3, 4}} }, nil},
		{"activation fewer purposes", func(p *Policy) { p.ActivationPurposes = Rule{AllOf: []int{1, 3}} }, []string{"activation_purposes"}},
		{"activation any_of", func(p *Policy) { p.ActivationPurposes = Rule{AnyOf: []int{1, 3, 4}} }, []string{"activation_purposes"}},
		{"segments restricted", func(p *Policy) { p.ActivationSegments = []string{"a"} }, nil},
		{"granularity coarser", func(p *Policy) { p.RateGranularity = Decile }, nil},
		{"dp added", func(p *Policy) { p.DP = &DP{Epsilon: 5} }, nil},
		{"vendors added", func(p *Policy) { p.VendorIDs = []int{755} }, nil},
		{"retention shorter", func(p *Policy) { p.RetentionDays = 1 }, nil},
		{"retention longer", func(p *Policy) { p.RetentionDays = 31 }, []string{"retention_days"}},
		{"several looser", func(p *Policy) { p.K, p.MinRows, p.RetentionDays = 1, 1, 365 }, []string{"min_rows", "k", "retention_days"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Default()
			tc.edit(&p)
			checkFloor(t, p, Default(), tc.looser)
		})
	}
}

// TestCheckFloorStrictFloor uses a floor that sets every optional field, so
// that removing or widening each of them is refused.
func TestCheckFloorStrictFloor(t *testing.T) {
	floor := mustParse(t, `{"activation_segments": ["a", "b"], "rate_granularity": "decile",
		"dp": {"epsilon": 2}, "vendor_ids": [1, 755]}`)
	tests := []struct {
		name   string
		edit   func(p *Policy)
		looser []string
	}{
		{"same", func(p *Policy) {}, nil},
		{"segment subset", func(p *Policy) { p.ActivationSegments = []string{"b"} }, nil},
		{"segments all", func(p *Policy) { p.ActivationSegments = nil }, []string{"activation_segments"}},
		{"segment outside", func(p *Policy) { p.ActivationSegments = []string{"a", "c"} }, []string{"activation_segments"}},
		{"granularity finer", func(p *Policy) { p.RateGranularity = Percent }, []string{"rate_granularity"}},
		{"epsilon smaller", func(p *Policy) { p.DP = &DP{Epsilon: 0.5} }, nil},
		{"epsilon equal", func(p *Policy) { p.DP = &DP{Epsilon: 2} }, nil},
		{"epsilon larger", func(p *Policy) { p.DP = &DP{Epsilon: 2.5} }, []string{"dp"}},
		{"dp removed", func(p *Policy) { p.DP = nil }, []string{"dp"}},
		{"vendors superset", func(p *Policy) { p.VendorIDs = []int{755, 2, 1} }, nil},
		{"vendor dropped", func(p *Policy) { p.VendorIDs = []int{755} }, []string{"vendor_ids"}},
		{"vendors removed", func(p *Policy) { p.VendorIDs = nil }, []string{"vendor_ids"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := floor
			p.DP = &DP{Epsilon: floor.DP.Epsilon}
			tc.edit(&p)
			checkFloor(t, p, floor, tc.looser)
		})
	}
}

func checkFloor(t *testing.T, p, floor Policy, looser []string) {
	t.Helper()
	err := p.CheckFloor(floor)
	if looser == nil {
		if err != nil {
			t.Fatalf("stricter policy refused: %v", err)
		}
		return
	}
	var fe *FloorError
	if !errors.As(err, &fe) || !errors.Is(err, ErrLooser) {
		t.Fatalf("err = %v, want *FloorError", err)
	}
	if !reflect.DeepEqual(fe.Fields, looser) {
		t.Fatalf("looser fields %v, want %v", fe.Fields, looser)
	}
}

func TestCheckFloorInvalid(t *testing.T) {
	bad := Default()
	bad.CountPurposes = Rule{} // implies everything vacuously if not validated
	if err := bad.CheckFloor(Default()); !errors.Is(err, ErrInvalid) {
		t.Errorf("invalid policy: err = %v", err)
	}
	if err := Default().CheckFloor(bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("invalid floor: err = %v", err)
	}
}

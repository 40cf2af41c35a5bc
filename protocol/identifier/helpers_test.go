package identifier_test

import (
	"errors"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/identifier"
)

// normCase is one row of a normalization table: want is the normalized form,
// or reason the expected rejection.
type normCase struct {
	name   string
	in     string
	want   string
	reason string
}

func runNormTable(t *testing.T, n identifier.Normalizer, typ identifier.Type, cases []normCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := n.Normalize(typ, c.in)
			if c.reason != "" {
				checkInvalid(t, err, typ, c.reason)
				if got != "" {
					t.Errorf("normalized %q despite error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != c.want {
				t.Fatalf("Normalize = %q, want %q", got, c.want)
			}
			again, err := n.Normalize(typ, got)
			if err != nil || again != got {
				t.Fatalf("not idempotent: Normalize(%q) = %q, %v", got, again, err)
			}
		})
	}
}

func checkInvalid(t *testing.T, err error, typ identifier.Type, reason string) {
	t.Helper()
	var ie *identifier.Error
	if !errors.As(err, &ie) {
		t.Fatalf("error = %v, want *identifier.Error with reason %q", err, reason)
	}
	if ie.Type != typ || ie.Reason != reason {
		t.Fatalf("error = {%s %q}, want {%s %q}", ie.Type, ie.Reason, typ, reason)
	}
	if !errors.Is(err, identifier.ErrInvalid) {
		t.Fatalf("errors.Is(%v, ErrInvalid) = false", err)
	}
}

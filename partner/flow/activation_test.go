package flow

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// newTestActivationRows returns activationRows for byPosition in a
// scratch directory of dir, removed with the test.
func newTestActivationRows(t *testing.T, dir string, byPosition []uint32) *activationRows {
	t.Helper()
	s, err := newScratch(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.remove() })
	a, err := newActivationRows(s, byPosition)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.remove)
	return a
}

// mapped runs records through activationRows and writeActivation and
// returns activation.csv.
func mapped(t *testing.T, byPosition []uint32, names []string, recs []api.ActivationRecord) (string, error) {
	t.Helper()
	dir := t.TempDir()
	a := newTestActivationRows(t, dir, byPosition)
	for _, rec := range recs {
		if err := a.add(rec); err != nil {
			return "", err
		}
	}
	if err := a.finish(names); err != nil {
		return "", err
	}
	r := &runner{opts: Options{OutDir: dir}}
	out, err := r.writeActivation(a, names)
	if err != nil {
		return "", err
	}
	if err := out.commit(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, activationFile))
	return string(data), err
}

func TestActivationRows(t *testing.T) {
	perm := []uint32{2, 0, 3, 1} // upload record i carried kept row perm[i]
	byPosition := rowsByPosition(perm, []uint32{5, 9, 10, 42})
	got, err := mapped(t, byPosition, []string{"a", "b"}, []api.ActivationRecord{
		{Record: 0, Segments: []int{1}}, {Record: 3, Segments: []int{0, 1}}, {Record: 2, Segments: []int{0}},
	})
	if want := "row,segments\n9,a;b\n10,b\n42,a\n"; err != nil || got != want {
		t.Fatalf("activation.csv = %q, %v; want %q", got, err, want)
	}
	// Rows far apart land in different buckets, still written in order.
	far := []uint32{3 * activationBucketRows, 7, activationBucketRows + 1}
	got, err = mapped(t, far, []string{"a"}, []api.ActivationRecord{{Record: 0, Segments: []int{0}}, {Record: 2, Segments: []int{0}}, {Record: 1, Segments: []int{}}})
	if want := "row,segments\n7,\n65537,a\n196608,a\n"; err != nil || got != want {
		t.Fatalf("activation.csv = %q, %v; want %q", got, err, want)
	}
	// Rows billions apart: the buckets widen rather than multiply.
	wide := []uint32{4_000_000_000, 7, 2_000_000_000}
	got, err = mapped(t, wide, []string{"a"}, []api.ActivationRecord{{Record: 0, Segments: []int{0}}, {Record: 2, Segments: []int{0}}, {Record: 1, Segments: []int{0}}})
	if want := "row,segments\n7,a\n2000000000,a\n4000000000,a\n"; err != nil || got != want {
		t.Fatalf("activation.csv = %q, %v; want %q", got, err, want)
	}
	a := newTestActivationRows(t, t.TempDir(), wide)
	if err := a.finish(nil); err != nil || a.buckets.Count() > maxActivationBuckets {
		t.Fatalf("rows up to 4e9 in %d bucket files (%v), want at most %d", a.buckets.Count(), err, maxActivationBuckets)
	}
	for name, tc := range map[string]struct {
		names []string
		recs  []api.ActivationRecord
	}{
		"record out of range":   {[]string{"a", "b"}, []api.ActivationRecord{{Record: 4, Segments: []int{0}}}},
		"record twice":          {[]string{"a", "b"}, []api.ActivationRecord{{Record: 1}, {Record: 2}, {Record: 1}}},
		"segment out of range":  {[]string{"a", "b"}, []api.ActivationRecord{{Record: 0, Segments: []int{2}}}},
		"segment past the 64":   {[]string{"a", "b"}, []api.ActivationRecord{{Record: 0, Segments: []int{64}}}},
		"negative segment":      {[]string{"a", "b"}, []api.ActivationRecord{{Record: 0, Segments: []int{-1}}}},
		"segments out of order": {[]string{"a", "b"}, []api.ActivationRecord{{Record: 0, Segments: []int{1, 0}}}},
		"segment twice":         {[]string{"a", "b"}, []api.ActivationRecord{{Record: 0, Segments: []int{1, 1}}}},
		"no names":              {nil, []api.ActivationRecord{{Record: 0, Segments: []int{0}}}},
		"invalid name":          {[]string{"=cmd|x"}, []api.ActivationRecord{{Segments: []int{0}}}},
	} {
		if _, err := mapped(t, byPosition, tc.names, tc.recs); !errors.Is(err, ErrBadSession) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

package session

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// FuzzPutBlinded feeds arbitrary bodies to the blinded intake: it must
// never panic, must refuse with one of the package's sentinels, and must
// leave no unrecorded file behind.
func FuzzPutBlinded(f *testing.F) {
	h := newHarness(f)
	s := h.smallAt(api.StateJoined)
	recs := s.a.blindedRecords(f)
	for _, p := range wiretest.Parts(f, s.id, wire.KindBlinded, s.a.attrs, recs[:3], 2) {
		f.Add(p)
	}
	bad := wiretest.Parts(f, s.id, wire.KindBlinded, s.a.attrs, [][]byte{append(make([]byte, 32), recs[0][32:]...)}, 1)[0]
	f.Add(bad)
	f.Add([]byte("BJP1"))
	f.Add([]byte{})
	sentinels := []error{ErrInvalidPart, ErrInvalidElement, ErrTooLarge, ErrConflict, ErrTooFewRows}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := h.svc.PutBlinded(context.Background(), adv, s.id, bytes.NewReader(body))
		if extra := h.unrecordedFiles(s.id); len(extra) > 0 {
			t.Fatalf("unrecorded files left behind: %v", extra)
		}
		if err == nil {
			return
		}
		for _, target := range sentinels {
			if errors.Is(err, target) {
				return
			}
		}
		t.Fatalf("unexpected error class: %v", err)
	})
}

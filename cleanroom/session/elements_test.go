package session

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// The blinded leg checks elements in groups of checkGroup as they stream
// in. These tests hold it to what checking each record on arrival gives:
// the first invalid element is the error, at its record, in every position
// of a group, even when the part fails later in another way (a bad
// trailer, over the set limit) before its group was checked. (A truncated
// chunk of records fails before any of its records reach the check.)

// group is checkGroup, spelled out so that the tests also run against a
// check of each record on arrival.
const group = 64

const groupedRecords = 3*group + 8 // three full groups and a partial one

// groupedParty is an advertiser with groupedRecords rows in a session of
// smallPolicy.
func groupedParty(t *testing.T, h *harness) (string, *partyData) {
	t.Helper()
	pol, err := policy.Parse([]byte(smallPolicy))
	if err != nil {
		t.Fatal(err)
	}
	pd := newParty(t, adv, genRows(rand.New(rand.NewPCG(7, 11)), span(0, groupedRecords), 0), pol, 0)
	return h.createJoined(smallPolicy).ID, pd
}

// withElement returns a copy of recs whose record i holds el.
func withElement(recs [][]byte, i int, el []byte) [][]byte {
	out := slices.Clone(recs)
	out[i] = append(slices.Clone(el), recs[i][wire.ElementSize:]...)
	return out
}

func wantElementError(t *testing.T, what string, err error, record uint64, reason string) {
	t.Helper()
	var ee *ElementError
	if !errors.As(err, &ee) || ee.Part != 0 || ee.Record != record || ee.Reason != reason {
		t.Fatalf("%s: error %v, want an ElementError at part 0 record %d: %s", what, err, record, reason)
	}
}

func TestBadElementInEveryGroupPosition(t *testing.T) {
	h := newHarness(t)
	id, pd := groupedParty(t, h)
	recs := pd.blindedRecords(t)
	identity := make([]byte, 32)
	nonCanonical := mustHex(t, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
	positions := []int{0, 1, 7, 8, group - 1, group, group + 1, 2*group - 1,
		3 * group, groupedRecords - 2, groupedRecords - 1}
	for _, at := range positions {
		for _, bad := range []struct {
			el     []byte
			reason string
		}{{identity, "identity element"}, {nonCanonical, "not a canonical ristretto255 encoding"}} {
			in := withElement(recs, at, bad.el)
			if at+1 < len(in) {
				in = withElement(in, at+1, nonCanonical) // a later error must not win
			}
			part := wiretest.Parts(t, id, wire.KindBlinded, pd.attrs, in, len(in))[0]
			_, err := h.svc.PutBlinded(context.Background(), adv, id, bytes.NewReader(part))
			wantElementError(t, bad.reason, err, uint64(at), bad.reason)
		}
	}
	h.wantOnlyRecordedFiles(id)
	part := wiretest.Parts(t, id, wire.KindBlinded, pd.attrs, recs, len(recs))[0]
	if _, err := h.svc.PutBlinded(context.Background(), adv, id, bytes.NewReader(part)); err != nil {
		t.Fatalf("the valid part is refused: %v", err)
	}
}

func TestBadElementBeforeALaterFault(t *testing.T) {
	const reason = "identity element"
	identity := make([]byte, 32)
	tests := []struct {
		name  string
		at    int
		fault func(part []byte) []byte
		limit uint64 // MaxSetRecords, 0 for the default
	}{
		{"truncated trailer, bad in the last, partial group", groupedRecords - 3,
			func(p []byte) []byte { return p[:len(p)-1] }, 0},
		{"corrupt checksum, bad in the last, partial group", groupedRecords - 3,
			func(p []byte) []byte { p[len(p)-3] ^= 0x10; return p }, 0},
		{"trailing data, bad in the last, partial group", groupedRecords - 1,
			func(p []byte) []byte { return append(p, 0) }, 0},
		{"set limit passed a few records after, within its group", 2*group + 2,
			func(p []byte) []byte { return p }, 2*group + 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) {
				if tc.limit > 0 {
					c.MaxSetRecords = tc.limit
				}
			})
			id, pd := groupedParty(t, h)
			recs := withElement(pd.blindedRecords(t), tc.at, identity)
			part := tc.fault(wiretest.Parts(t, id, wire.KindBlinded, pd.attrs, recs, len(recs))[0])
			_, err := h.svc.PutBlinded(context.Background(), adv, id, bytes.NewReader(part))
			wantElementError(t, tc.name, err, uint64(tc.at), reason)

			// The same fault without the bad element is the fault's own error.
			clean := tc.fault(wiretest.Parts(t, id, wire.KindBlinded, pd.attrs, pd.blindedRecords(t), len(recs))[0])
			_, err = h.svc.PutBlinded(context.Background(), adv, id, bytes.NewReader(clean))
			if err == nil || errors.Is(err, ErrInvalidElement) {
				t.Fatalf("without the bad element: error %v, want the fault's", err)
			}
			if got, _ := h.svc.Get(context.Background(), adv, id); got.Uploads.Advertiser.BlindedParts != 0 {
				t.Fatal("a refused part was recorded")
			}
			h.wantOnlyRecordedFiles(id)
		})
	}
}

package session

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// allKeys is the key order of the multi-key tests.
var allKeys = []string{policy.KeyEmail, policy.KeyPhone, policy.KeyMAID}

// mkRow is one row of a party in a multi-key session, as the party's tool
// uploads it (after per-key validity and duplicates, rules 1 and 2): its
// normalized identifiers by key, absent keys missing, and whether the
// (advertiser) row is in segment 0. Every row counts and activates.
type mkRow struct {
	ids map[string]string
	seg bool
}

// mkParty is one party of a multi-key session.
type mkParty struct {
	p     Principal
	rows  []mkRow
	key   *blind.Key
	attrs []wire.Attr
}

func newMKParty(t testing.TB, p Principal, rows []mkRow, pol policy.Policy) *mkParty {
	t.Helper()
	pd := newParty(t, p, nil, pol, 1)
	return &mkParty{p: p, rows: rows, key: pd.key, attrs: pd.attrs}
}

// records builds the keyed upload: full consent, segment 0 as the row
// says, one presence bit and element per identifier.
func (pd *mkParty) records(t testing.TB, keys []string) [][]byte {
	t.Helper()
	var norm identifier.Normalizer
	recs := make([][]byte, len(pd.rows))
	for i, r := range pd.rows {
		var bits uint64
		var elems []blind.Element
		keyIndex := 0
		for j, a := range pd.attrs {
			switch a.Kind {
			case wire.AttrKey:
				k := keys[keyIndex]
				keyIndex++
				v, ok := r.ids[k]
				if !ok {
					continue
				}
				d, _, err := norm.Digest(identifier.Type(k), v)
				if err != nil {
					t.Fatalf("row %d %s %q: %v", i, k, v, err)
				}
				digest := [32]byte(d)
				elems = append(elems, pd.key.Blind(&digest))
			case wire.AttrSegment:
				if !r.seg {
					continue
				}
			}
			bits |= 1 << j
		}
		recs[i] = wiretest.KeyedRecord(elems, bits, pd.attrs)
	}
	return recs
}

// upload sends the party's set in parts of perPart records.
func (h *harness) uploadKeyed(id string, pd *mkParty, keys []string, perPart int) error {
	for _, part := range wiretest.Parts(h.t, id, wire.KindBlinded, pd.attrs, pd.records(h.t, keys), perPart) {
		if _, err := h.svc.PutBlinded(context.Background(), pd.p, id, bytes.NewReader(part)); err != nil {
			return err
		}
	}
	return nil
}

// runKeyed drives a whole multi-key session through the service.
func (h *harness) runKeyed(policyJSON string, advRows, partnerRows []mkRow) (api.Results, api.Results, *mkParty, *mkParty) {
	h.t.Helper()
	pol, err := policy.Parse([]byte(policyJSON))
	if err != nil {
		h.t.Fatal(err)
	}
	s := h.createJoined(policyJSON, "loyal")
	a, b := newMKParty(h.t, adv, advRows, pol), newMKParty(h.t, partner, partnerRows, pol)
	keys := pol.Keys("")
	for _, pd := range []*mkParty{a, b} {
		if err := h.uploadKeyed(s.ID, pd, keys, 7); err != nil {
			h.t.Fatalf("%s upload: %v", pd.p.Party, err)
		}
	}
	h.uploadReblinded(s.ID, a.p, wiretest.Reblind(h.t, a.key, h.download(s.ID, a.p)))
	h.uploadReblinded(s.ID, b.p, wiretest.Reblind(h.t, b.key, h.download(s.ID, b.p)))
	ra, rb := h.results(s.ID)
	return ra, rb, a, b
}

// waterfallTruth restates rules 3 and 4 of protocol/SPEC.md over the
// plaintext rows, pair by pair, independently of the join: it returns the
// pairs of each round and, per partner row, the advertiser row it is
// linked to.
func waterfallTruth(keys []string, block bool, advRows, partnerRows []mkRow) ([]int64, map[int]int) {
	byKey := make([]int64, len(keys))
	advLinked, partnerLinked := map[int]bool{}, map[int]int{}
	for t, key := range keys {
		for i, a := range advRows {
			for j, b := range partnerRows {
				_, taken := partnerLinked[j]
				if advLinked[i] || taken || a.ids[key] == "" || a.ids[key] != b.ids[key] {
					continue
				}
				conflict := false
				for _, earlier := range keys[:t] {
					conflict = conflict || (a.ids[earlier] != "" && b.ids[earlier] != "")
				}
				if block && conflict {
					continue
				}
				advLinked[i], partnerLinked[j] = true, i
				byKey[t]++
			}
		}
	}
	return byKey, partnerLinked
}

// scenario builds rows of the patterns the rules are about, n people of
// each (maids of the MAID pattern), plus unmatched filler:
//
//   - same e-mail and same phone on both sides: linked by e-mail, and not
//     again by phone;
//   - work e-mail at the advertiser, personal e-mail at the partner, same
//     phone: two personas, blocked under "block", linked by phone under
//     "ignore";
//   - phone only at the advertiser, e-mail and phone at the partner:
//     linked by phone (no earlier key on both rows);
//   - e-mail and MAID at the advertiser, MAID only at the partner: linked
//     by MAID.
func scenario(n, maids int) (advRows, partnerRows []mkRow) {
	email := func(kind string, i int) string { return fmt.Sprintf("%s%d@example.com", kind, i) }
	phone := func(i int) string { return fmt.Sprintf("+3361234%04d", i) }
	maid := func(i int) string { return fmt.Sprintf("6f1c2d3e-0000-4000-8000-%012d", i) }
	ids := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for i := range n {
		advRows = append(advRows,
			mkRow{ids: ids("email", email("both", i), "phone", phone(i)), seg: i%2 == 0},
			mkRow{ids: ids("email", email("work", i), "phone", phone(1000+i)), seg: true},
			mkRow{ids: ids("phone", phone(2000+i))},
		)
		partnerRows = append(partnerRows,
			mkRow{ids: ids("email", email("both", i), "phone", phone(i))},
			mkRow{ids: ids("email", email("personal", i), "phone", phone(1000+i))},
			mkRow{ids: ids("email", email("phoneonly", i), "phone", phone(2000+i))},
		)
	}
	for i := range maids {
		advRows = append(advRows, mkRow{ids: ids("email", email("app", i), "maid", maid(i)), seg: true})
		partnerRows = append(partnerRows, mkRow{ids: ids("maid", maid(i))})
	}
	for i := range 5 {
		advRows = append(advRows, mkRow{ids: ids("email", email("advonly", i))})
		partnerRows = append(partnerRows, mkRow{ids: ids("maid", maid(5000+i))})
	}
	return advRows, partnerRows
}

// mkPolicy is a three-key policy small enough for test sets.
func mkPolicy(extra string) string {
	return `{"min_rows": 10, "k": 5, "match_keys": ["email", "phone", "maid"]` + extra + `}`
}

// TestWaterfall runs a three-key session through the service under both
// conflict settings and checks every released figure against the
// restatement of the rules and against the counts the patterns fix.
func TestWaterfall(t *testing.T) {
	const n, maids = 6, 7
	for _, tc := range []struct {
		conflicts string
		byKey     []int64 // by the patterns of scenario
	}{
		{"block", []int64{n, n, maids}},      // the work/personal pairs stay apart
		{"ignore", []int64{n, 2 * n, maids}}, // the shared phone links them
	} {
		t.Run(tc.conflicts, func(t *testing.T) {
			h := newHarness(t)
			advRows, partnerRows := scenario(n, maids)
			ra, rb, _, _ := h.runKeyed(mkPolicy(`, "conflicts": "`+tc.conflicts+`"`), advRows, partnerRows)
			byKey, links := waterfallTruth(allKeys, tc.conflicts == "block", advRows, partnerRows)
			if !slices.Equal(byKey, tc.byKey) {
				t.Fatalf("the restatement gives %v, the patterns %v", byKey, tc.byKey)
			}
			checkWaterfall(t, ra, rb, byKey, links, advRows)
		})
	}
}

// checkWaterfall checks every figure a multi-key session released against
// the restatement of the rules (waterfallTruth's pairs by round and links),
// with every count at least k.
func checkWaterfall(t *testing.T, ra, rb api.Results, byKey []int64, links map[int]int, advRows []mkRow) {
	t.Helper()
	var overlap, loyal int64
	for _, p := range byKey {
		overlap += p
	}
	for _, a := range links {
		if advRows[a].seg {
			loyal++
		}
	}
	want := make([]api.KeyPairs, len(byKey))
	for i, k := range allKeys[:len(byKey)] {
		want[i] = api.KeyPairs{Key: k, Pairs: byKey[i]}
	}
	for _, r := range []api.Results{ra, rb} {
		if r.Overlap == nil || *r.Overlap != overlap {
			t.Errorf("%s overlap %v, want %d", r.Role, r.Overlap, overlap)
		}
		if !slices.Equal(r.OverlapByKey.Rounds, want) {
			t.Errorf("%s overlap_by_key %v, want %v", r.Role, r.OverlapByKey.Rounds, want)
		}
	}
	if got := ra.Segments["loyal"]; got == nil || *got != loyal {
		t.Errorf("segment loyal %v, want %d linked pairs with a loyal advertiser row", got, loyal)
	}
	if got, want := *ra.MatchRate.Advertiser, rate(overlap, int64(len(advRows))); got != want {
		t.Errorf("advertiser match rate %s, want %s (linked rows over rows)", got, want)
	}
	var wantAct []uint64
	for j, a := range links {
		if advRows[a].seg {
			wantAct = append(wantAct, uint64(j))
		}
	}
	slices.Sort(wantAct)
	var gotAct []uint64
	for _, rec := range rb.Activation.Records {
		gotAct = append(gotAct, rec.Record)
	}
	if !slices.Equal(gotAct, wantAct) {
		t.Errorf("activated partner records %v, want %v", gotAct, wantAct)
	}
}

// TestWaterfallLinksOnce: a person linked by e-mail is not linked again by
// phone. The partner holds each such person's e-mail on one row and the
// phone on another; the advertiser row with both is linked once, by
// e-mail, and the phone-only row stays unlinked.
func TestWaterfallLinksOnce(t *testing.T) {
	h := newHarness(t)
	advRows, partnerRows := scenario(6, 6)
	for i := range 6 {
		both := partnerRows[3*i]
		partnerRows[3*i] = mkRow{ids: map[string]string{"email": both.ids["email"]}}
		partnerRows = append(partnerRows, mkRow{ids: map[string]string{"phone": both.ids["phone"]}})
	}
	byKey, _ := waterfallTruth(allKeys, false, advRows, partnerRows)
	ra, _, _, _ := h.runKeyed(mkPolicy(`, "conflicts": "ignore"`), advRows, partnerRows)
	want := []api.KeyPairs{{Key: "email", Pairs: 6}, {Key: "phone", Pairs: 12}, {Key: "maid", Pairs: 6}}
	if !slices.Equal(ra.OverlapByKey.Rounds, want) || byKey[1] != 12 {
		t.Fatalf("overlap_by_key %v (restatement %v), want %v", ra.OverlapByKey.Rounds, byKey, want)
	}
}

// TestWaterfallRoundBelowK: one round below k nulls overlap_by_key as a
// whole (its pairs would follow from the overlap and the other rounds),
// while the overlap itself is still released.
func TestWaterfallRoundBelowK(t *testing.T) {
	h := newHarness(t)
	advRows, partnerRows := scenario(6, 2)
	ra, rb, _, _ := h.runKeyed(mkPolicy(""), advRows, partnerRows)
	for _, r := range []api.Results{ra, rb} {
		if !r.OverlapByKey.Released || r.OverlapByKey.Rounds != nil {
			t.Errorf("%s overlap_by_key %+v released with a round of 2 pairs under k = 5", r.Role, r.OverlapByKey)
		}
		if r.Overlap == nil || *r.Overlap != 14 {
			t.Errorf("%s overlap %v, want 14", r.Role, r.Overlap)
		}
	}
}

// TestKeyedIntakeHostile: keyed uploads that break the session's key rules
// are refused with a clear error and leave nothing stored.
func TestKeyedIntakeHostile(t *testing.T) {
	advRows, _ := scenario(6, 6)
	dupRows := slices.Clone(advRows)
	dupRows[3] = mkRow{ids: map[string]string{"phone": advRows[0].ids["phone"]}} // a phone on two rows
	tests := []struct {
		name   string
		policy string // the session's
		rows   []mkRow
		// mutate edits the header and records a party would send; nil
		// records mean records that fit the edited header (recordsFor).
		mutate func(h wire.Header, recs [][]byte) (wire.Header, [][]byte)
		// raw edits the encoded part; the checksum is recomputed, so the
		// layout checks, not the checksum, must refuse it.
		raw  func(part []byte, firstRecord int, presence func(key int) (byteAt int, bit byte)) []byte
		want error
		text string
	}{
		{
			name: "presence bits for a key the session does not have", policy: `{"min_rows": 10, "k": 5, "match_keys": ["email", "phone"]}`,
			rows: advRows,
			mutate: func(h wire.Header, recs [][]byte) (wire.Header, [][]byte) {
				h.Attrs = append(slices.Clone(h.Attrs), wire.Attr{Kind: wire.AttrKey, Value: wire.KeyMAID})
				return h, recs
			},
			want: ErrInvalidPart, text: "match key maid, which the session does not match on",
		},
		{
			name: "a presence bit of the session missing", policy: mkPolicy(""), rows: advRows,
			mutate: func(h wire.Header, recs [][]byte) (wire.Header, [][]byte) {
				h.Attrs = h.Attrs[:len(h.Attrs)-1]
				return h, nil
			},
			want: ErrInvalidPart, text: "lacks the presence bit of match key maid",
		},
		{
			name: "a one-key layout in a multi-key session", policy: mkPolicy(""), rows: advRows,
			mutate: func(h wire.Header, recs [][]byte) (wire.Header, [][]byte) {
				h.Attrs = slices.DeleteFunc(slices.Clone(h.Attrs), func(a wire.Attr) bool { return a.Kind == wire.AttrKey })
				return h, nil
			},
			want: ErrInvalidPart, text: "lacks the presence bit",
		},
		{
			name: "presence bit without element", policy: mkPolicy(""), rows: advRows,
			raw: func(part []byte, first int, presence func(int) (int, byte)) []byte {
				at, bit := presence(2) // row 0 has e-mail and phone, no MAID
				part[first+at] |= bit
				return part
			},
			want: ErrInvalidPart, text: "presence bits and elements disagree",
		},
		{
			name: "element without presence bit", policy: mkPolicy(""), rows: advRows,
			raw: func(part []byte, first int, presence func(int) (int, byte)) []byte {
				at, bit := presence(1) // row 0's phone
				part[first+at] &^= bit
				return part
			},
			want: ErrInvalidPart, text: "presence bits and elements disagree",
		},
		{name: "one key's value on two rows", policy: mkPolicy(""), rows: dupRows, want: ErrDuplicate},
		{
			name: "one element under two keys", policy: mkPolicy(""), rows: advRows,
			mutate: func(h wire.Header, recs [][]byte) (wire.Header, [][]byte) {
				// Row 0 holds an e-mail and a phone, row 2 a phone only:
				// row 2's phone element goes into row 0's e-mail slot.
				recs = slices.Clone(recs)
				r0 := bytes.Clone(recs[0])
				copy(r0[len(r0)-2*wire.ElementSize:], recs[2][len(recs[2])-wire.ElementSize:])
				recs[0] = r0
				return h, recs
			},
			want: ErrDuplicate,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			pol, err := policy.Parse([]byte(tt.policy))
			if err != nil {
				t.Fatal(err)
			}
			s := h.createJoined(tt.policy, "loyal")
			pd := newMKParty(t, adv, tt.rows, pol)
			recs := pd.records(t, pol.Keys(""))
			hdr := wire.Header{Kind: wire.KindBlinded, Final: true, Session: wiretest.SessionID(t, s.ID), Attrs: pd.attrs}
			if tt.mutate != nil {
				hdr, recs = tt.mutate(hdr, recs)
			}
			if recs == nil {
				recs = recordsFor(hdr, len(tt.rows))
			}
			part := wiretest.Part(t, hdr, recs)
			if tt.raw != nil {
				first := 37 + 2*len(hdr.Attrs) + 8 // after the header, the chunk's count and size
				presence := func(key int) (int, byte) {
					i := len(hdr.Attrs) - len(pol.MatchKeys) + key
					return i / 8, 1 << (i % 8)
				}
				part = tt.raw(part, first, presence)
				sum := sha256.Sum256(part[:len(part)-32])
				copy(part[len(part)-32:], sum[:])
			}
			_, err = h.svc.PutBlinded(context.Background(), adv, s.ID, bytes.NewReader(part))
			if !errors.Is(err, tt.want) {
				t.Fatalf("PutBlinded = %v, want %v", err, tt.want)
			}
			if tt.text != "" && !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q does not say %q", err, tt.text)
			}
			got, err := h.svc.Get(context.Background(), adv, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if up := got.Uploads.Advertiser; up.BlindedParts != 0 || up.BlindedRecords != 0 {
				t.Errorf("refused part left %d parts, %d records stored", up.BlindedParts, up.BlindedRecords)
			}
		})
	}
}

// recordsFor builds n well-formed records for header h, distinct
// elements, every attribute and presence bit set: what a party whose
// attribute list is not the session's would send.
func recordsFor(h wire.Header, n int) [][]byte {
	recs := make([][]byte, n)
	for i := range recs {
		if !h.Keyed() {
			recs[i] = wiretest.BlindedRecord(blind.HashToElement([]byte{byte(i)}), wiretest.AllBits(h.Attrs), h.Attrs)
			continue
		}
		var elems []blind.Element
		for k, a := range h.Attrs {
			if a.Kind == wire.AttrKey {
				elems = append(elems, blind.HashToElement([]byte{byte(i), byte(k)}))
			}
		}
		recs[i] = wiretest.KeyedRecord(elems, wiretest.AllBits(h.Attrs), h.Attrs)
	}
	return recs
}

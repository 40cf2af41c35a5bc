package session

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// garbageElement returns 32 random bytes that do not decode.
func garbageElement(t *testing.T) []byte {
	rng := rand.New(rand.NewPCG(9, 9))
	for {
		b := make([]byte, 32)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if _, err := blind.DecodeElement(b); err != nil {
			return b
		}
	}
}

func TestBadElements(t *testing.T) {
	cases := map[string][]byte{
		"identity":          make([]byte, 32),
		"negative":          mustHex(t, "0100000000000000000000000000000000000000000000000000000000000000"),
		"field modulus":     mustHex(t, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
		"all ones":          bytes.Repeat([]byte{0xff}, 32),
		"random, not on it": garbageElement(t),
	}
	for name, bad := range cases {
		if _, err := blind.DecodeElement(bad); err == nil {
			t.Fatalf("%s: precondition: the element decodes", name)
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			s := h.smallAt(api.StateJoined)
			recs := s.a.blindedRecords(t)
			copy(recs[25+13], bad) // part 1, record 13
			parts := wiretest.Parts(t, s.id, wire.KindBlinded, s.a.attrs, recs, 25)
			if _, err := h.svc.PutBlinded(context.Background(), adv, s.id, bytes.NewReader(parts[0])); err != nil {
				t.Fatal(err)
			}
			_, err := h.svc.PutBlinded(context.Background(), adv, s.id, bytes.NewReader(parts[1]))
			var ee *ElementError
			if !errors.As(err, &ee) || !errors.Is(err, ErrInvalidElement) || ee.Part != 1 || ee.Record != 13 {
				t.Fatalf("error %v, want an ElementError at part 1 record 13", err)
			}
			if bytes.Contains([]byte(err.Error()), []byte(hex.EncodeToString(bad[:8]))) {
				t.Fatal("the error shows the element")
			}
			h.wantOnlyRecordedFiles(s.id)
		})
	}
}

// wantOnlyRecordedFiles fails if the session directory holds a file the
// store does not reference (a leftover of a refused upload).
func (h *harness) wantOnlyRecordedFiles(id string) {
	h.t.Helper()
	if extra := h.unrecordedFiles(id); len(extra) > 0 {
		h.t.Errorf("unrecorded files left behind: %v", extra)
	}
}

func (h *harness) unrecordedFiles(id string) []string {
	var recorded []string
	err := h.store.ReadOnly(context.Background(), func(ctx context.Context, tx store.Tx) error {
		sp, err := loadParts(ctx, tx, id)
		for _, legs := range []map[api.Role][]store.Part{sp.blinded, sp.reblinded, sp.relay} {
			for _, parts := range legs {
				for _, p := range parts {
					recorded = append(recorded, p.File)
				}
			}
		}
		return err
	})
	if err != nil {
		return []string{err.Error()}
	}
	var extra []string
	entries, _ := os.ReadDir(h.sessionDir(id))
	for _, e := range entries {
		if !slices.Contains(recorded, filepath.Join(partsDir, id, e.Name())) {
			extra = append(extra, e.Name())
		}
	}
	return extra
}

func TestInvalidParts(t *testing.T) {
	h := newHarness(t)
	// With segments, the advertiser's attribute list differs from the
	// partner's.
	sess := h.createJoined(smallPolicy, "x", "y")
	s := &small{id: sess.ID}
	s.a, s.b = smallParties(t, smallPolicy, 2)
	other := h.createJoined(smallPolicy)
	recs := s.a.blindedRecords(t)
	good := wiretest.Parts(t, s.id, wire.KindBlinded, s.a.attrs, recs, 100)[0]
	flip := func(at int) []byte {
		b := bytes.Clone(good)
		b[at] ^= 0x10
		return b
	}
	joinRecs := make([][]byte, 3)
	for i := range joinRecs {
		joinRecs[i] = make([]byte, 16)
	}
	cases := map[string][]byte{
		"empty":                  nil,
		"magic only":             good[:4],
		"truncated header":       good[:20],
		"truncated records":      good[:len(good)/2],
		"truncated trailer":      good[:len(good)-1],
		"trailing data":          append(bytes.Clone(good), 0),
		"flipped record bit":     flip(100),
		"flipped header bit":     flip(9),
		"flipped checksum":       flip(len(good) - 3),
		"flipped total":          flip(len(good) - 33),
		"wrong kind":             wiretest.Parts(t, s.id, wire.KindJoin, nil, joinRecs, 100)[0],
		"other session":          wiretest.Parts(t, other.ID, wire.KindBlinded, s.a.attrs, recs, 100)[0],
		"partner attribute list": wiretest.Parts(t, s.id, wire.KindBlinded, s.b.attrs, s.b.blindedRecords(t), 100)[0],
		"missing attribute":      wiretest.Parts(t, s.id, wire.KindBlinded, s.a.attrs[1:], trimAttrs(recs, s.a.attrs), 100)[0],
	}
	for name, part := range cases {
		_, err := h.svc.PutBlinded(context.Background(), adv, s.id, bytes.NewReader(part))
		if !errors.Is(err, ErrInvalidPart) {
			t.Errorf("%s: %v, want ErrInvalidPart", name, err)
		}
	}
	got, _ := h.svc.Get(context.Background(), adv, s.id)
	if got.State != api.StateJoined || got.Uploads.Advertiser.BlindedParts != 0 {
		t.Fatalf("refused parts changed the session: %+v", got)
	}
	h.wantOnlyRecordedFiles(s.id)
	if _, err := h.svc.PutBlinded(context.Background(), adv, s.id, bytes.NewReader(good)); err != nil {
		t.Fatalf("the intact part is refused: %v", err)
	}
}

// trimAttrs drops the first attribute bit of every record.
func trimAttrs(recs [][]byte, attrs []wire.Attr) [][]byte {
	out := make([][]byte, len(recs))
	for i, r := range recs {
		bits := wire.UnpackAttrs(r[wire.ElementSize:]) >> 1
		out[i] = wiretest.BlindedRecord(blind.Element(r[:wire.ElementSize]), bits, attrs[1:])
	}
	return out
}

func TestTooLarge(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxPartSize = 1000; c.MaxSetRecords = 50 })
	s := h.smallAt(api.StateJoined)
	recs := s.a.blindedRecords(t)
	parts := wiretest.Parts(t, s.id, wire.KindBlinded, s.a.attrs, recs, 40)
	_, err := h.svc.PutBlinded(context.Background(), adv, s.id, bytes.NewReader(parts[0]))
	wantErr(t, err, ErrTooLarge)
	parts = wiretest.Parts(t, s.id, wire.KindBlinded, s.a.attrs, recs, 20)
	for i, p := range parts[:2] {
		if _, err := h.svc.PutBlinded(context.Background(), adv, s.id, bytes.NewReader(p)); err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
	}
	_, err = h.svc.PutBlinded(context.Background(), adv, s.id, bytes.NewReader(parts[2]))
	wantErr(t, err, ErrTooLarge) // records 40..59 pass MaxSetRecords
	h.wantOnlyRecordedFiles(s.id)
}

func TestResendAndConflict(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	s := h.smallAt(api.StateJoined)
	recs := s.a.blindedRecords(t)
	parts := wiretest.Parts(t, s.id, wire.KindBlinded, s.a.attrs, recs, 25)
	first, err := h.svc.PutBlinded(ctx, adv, s.id, bytes.NewReader(parts[0]))
	if err != nil {
		t.Fatal(err)
	}
	again, err := h.svc.PutBlinded(ctx, adv, s.id, bytes.NewReader(parts[0]))
	if err != nil || again != first {
		t.Fatalf("re-send: %+v, %v; first %+v", again, err, first)
	}
	if first.Digest != wiretest.DigestHex(t, parts[0]) || first.Records != 25 || first.Final || first.Complete {
		t.Fatalf("receipt %+v", first)
	}
	// Same index, other content (rows swapped).
	swapped := slices.Clone(recs)
	swapped[0], swapped[1] = swapped[1], swapped[0]
	conflicting := wiretest.Parts(t, s.id, wire.KindBlinded, s.a.attrs, swapped, 25)[0]
	_, err = h.svc.PutBlinded(ctx, adv, s.id, bytes.NewReader(conflicting))
	wantErr(t, err, ErrConflict)
	h.wantOnlyRecordedFiles(s.id)

	// Placement: a gap in record numbering, and parts around the final one.
	gap := wiretest.Parts(t, s.id, wire.KindBlinded, s.a.attrs, append([][]byte{recs[0]}, recs...), 26)[1] // part 1 starting at 26
	_, err = h.svc.PutBlinded(ctx, adv, s.id, bytes.NewReader(gap))
	wantErr(t, err, ErrInvalidPart)
	if _, err := h.svc.PutBlinded(ctx, adv, s.id, bytes.NewReader(parts[2])); err != nil { // final part 2, out of order
		t.Fatal(err)
	}
	beyond := wiretest.Parts(t, s.id, wire.KindBlinded, s.a.attrs, append(slices.Clone(recs), recs[:30]...), 25)[3]
	_, err = h.svc.PutBlinded(ctx, adv, s.id, bytes.NewReader(beyond))
	wantErr(t, err, ErrInvalidPart)
	r, err := h.svc.PutBlinded(ctx, adv, s.id, bytes.NewReader(parts[1]))
	if err != nil || !r.Complete || r.State != api.StateUploading {
		t.Fatalf("completing part: %+v, %v", r, err)
	}
	h.wantOnlyRecordedFiles(s.id)
}

func TestTooFewRows(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	sess := h.createJoined(`{"min_rows": 45, "k": 5}`)
	a, _ := smallParties(t, smallPolicy, 0)
	want := groundTruth(t, a.rows, nil, 0, 0).advRows
	if want < 45 || want-20 >= 45 {
		t.Fatalf("test data: %d counting rows", want)
	}
	recs := a.blindedRecords(t)
	parts := wiretest.Parts(t, sess.ID, wire.KindBlinded, a.attrs, recs[:len(recs)-20], 100)
	_, err := h.svc.PutBlinded(ctx, adv, sess.ID, bytes.NewReader(parts[0]))
	wantErr(t, err, ErrTooFewRows)
	got, _ := h.svc.Get(ctx, adv, sess.ID)
	if got.Uploads.Advertiser.BlindedParts != 0 {
		t.Fatal("the refused final part was recorded")
	}
	// The party corrects itself: the same records as a non-final part 0,
	// then the rest.
	parts = wiretest.Parts(t, sess.ID, wire.KindBlinded, a.attrs, recs, len(recs)-20)
	for _, p := range parts {
		if _, err := h.svc.PutBlinded(ctx, adv, sess.ID, bytes.NewReader(p)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = h.svc.Get(ctx, adv, sess.ID)
	if !got.Uploads.Advertiser.BlindedComplete {
		t.Fatalf("set not complete: %+v", got.Uploads.Advertiser)
	}
}

func TestReblindedMismatch(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RelayPartRecords = 20 })
	ctx := context.Background()
	s := h.smallAt(api.StateExchanging)
	relayed := h.download(s.id, adv)
	if len(relayed) < 2 {
		t.Fatalf("%d relayed parts", len(relayed))
	}
	join := wiretest.Reblind(t, s.a.key, relayed)
	recs := wiretest.Decode(t, join[0]).Records
	base := wire.Header{Kind: wire.KindJoin, Session: wiretest.SessionID(t, s.id)}
	withFinal := base
	withFinal.Final = true
	beyond := base
	beyond.Part, beyond.First, beyond.Final = uint32(len(relayed)), 1000, true
	cases := map[string][]byte{
		"one record short": wiretest.Part(t, base, recs[:len(recs)-1]),
		"one record more":  wiretest.Part(t, base, append(slices.Clone(recs), recs[0])),
		"final flag":       wiretest.Part(t, withFinal, recs),
		"part not relayed": wiretest.Part(t, beyond, recs),
		"blinded kind":     wiretest.Parts(t, s.id, wire.KindBlinded, s.a.attrs, s.a.blindedRecords(t)[:20], 20)[0],
	}
	for name, part := range cases {
		_, err := h.svc.PutReblinded(ctx, adv, s.id, bytes.NewReader(part))
		if !errors.Is(err, ErrInvalidPart) {
			t.Errorf("%s: %v, want ErrInvalidPart", name, err)
		}
	}
	h.wantOnlyRecordedFiles(s.id)
	if _, err := h.svc.PutReblinded(ctx, adv, s.id, bytes.NewReader(join[0])); err != nil {
		t.Fatal(err)
	}
	swapped := slices.Clone(recs)
	swapped[0], swapped[1] = swapped[1], swapped[0]
	_, err := h.svc.PutReblinded(ctx, adv, s.id, bytes.NewReader(wiretest.Part(t, base, swapped)))
	wantErr(t, err, ErrConflict)
}

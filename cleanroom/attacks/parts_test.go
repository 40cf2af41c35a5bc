package attacks

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// TestAttackTruncatedPaddedBitFlippedParts: a genuine part cut short
// anywhere, followed by extra bytes, or with any single bit flipped (header,
// counts, records, attribute bits, trailer, checksum) is refused with 400,
// and nothing of it is stored: the genuine part is then accepted as if
// nothing had happened.
func TestAttackTruncatedPaddedBitFlippedParts(t *testing.T) {
	t.Parallel()
	adv, partner := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)
	s := createSession(t, adv, partner, api.CreateSessionRequest{})
	sd := newSide(t, adv, s, rows("flip", 0, 1000))
	part := sd.parts(t, 1000)[0]
	header := 37 + 2*len(sd.attrs)
	recSize := 32 + (len(sd.attrs)+7)/8

	type variant struct {
		name string
		body []byte
	}
	var variants []variant
	for _, n := range []int{0, 1, 4, 8, 36, header - 1, header, header + 4, header + 4 + 500*recSize + 7,
		len(part) - 44, len(part) - 40, len(part) - 32, len(part) - 1} {
		variants = append(variants, variant{fmt.Sprintf("truncated to %d bytes", n), part[:n]})
	}
	variants = append(variants,
		variant{"one byte appended", append(slices.Clone(part), 0)},
		variant{"the part twice", append(slices.Clone(part), part...)},
		variant{"a second part's header appended", append(slices.Clone(part), part[:header]...)},
	)
	// Every field's first byte, then a spread of positions over records.
	positions := []int{0, 4, 5, 6, 7, 8, 24, 27, 28, 35, 36, 37, header, header + 3, header + 4, header + 4 + 32,
		header + 4 + recSize - 1, len(part) - 44, len(part) - 40, len(part) - 33, len(part) - 32, len(part) - 1}
	for p := header + 4; p < len(part)-44; p += 997 {
		positions = append(positions, p)
	}
	for _, p := range positions {
		for _, bit := range []int{0, 7} {
			variants = append(variants, variant{fmt.Sprintf("bit %d of byte %d flipped", bit, p), withBit(part, 8*p+bit)})
		}
	}

	for _, v := range variants {
		r := sd.put(t, "blinded", v.body)
		if r.status != http.StatusBadRequest {
			t.Fatalf("%s: %d %s, want 400", v.name, r.status, r.body)
		}
		if d := errorDetail(t, r); d.Code != api.CodeInvalidPart && d.Code != api.CodeInvalidElement {
			t.Fatalf("%s: code %s", v.name, d.Code)
		}
	}
	if up := getSession(t, adv, s.ID).Uploads.Advertiser; up.BlindedParts != 0 {
		t.Fatalf("%d parts stored from %d corrupted uploads", up.BlindedParts, len(variants))
	}
	if files := partFiles(t, shared.dir, s.ID); len(files) != 0 {
		t.Fatalf("corrupted uploads left files: %v", files)
	}
	if rcpt := sd.mustPut(t, "blinded", part); rcpt.Records != 1000 || !rcpt.Complete {
		t.Fatalf("genuine part after the attack: %+v", rcpt)
	}
}

// partFiles lists the files a server with data directory dataDir keeps
// for a session.
func partFiles(t testing.TB, dataDir, id string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dataDir, "parts", id))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestAttackPartsOutOfOrderAndReplayed: parts may arrive in any order, but
// every one must fit its neighbours; a replayed part changes nothing (same
// receipt, no record counted twice); a part replayed with other content
// under the same index, after the final part, into another session, of
// another kind, or once the set is closed is refused.
func TestAttackPartsOutOfOrderAndReplayed(t *testing.T) {
	t.Parallel()
	adv, partner := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)
	s := createSession(t, adv, partner, api.CreateSessionRequest{})
	other := createSession(t, adv, partner, api.CreateSessionRequest{})
	advRows := rows("order", 0, 1200)
	a := newSide(t, adv, s, advRows)
	parts := a.parts(t, 400) // 0, 1, 2 (final)

	if rcpt := a.mustPut(t, "blinded", parts[2]); rcpt.Complete || rcpt.State != api.StateUploading {
		t.Fatalf("final part first: %+v", rcpt)
	}
	first := a.mustPut(t, "blinded", parts[0])
	if again := a.mustPut(t, "blinded", parts[0]); again != first {
		t.Fatalf("replayed part 0: receipt %+v, first %+v", again, first)
	}
	if up := getSession(t, adv, s.ID).Uploads.Advertiser; up.BlindedParts != 2 || up.BlindedRecords != 800 {
		t.Fatalf("after a replay: %d parts, %d records, want 2 and 800", up.BlindedParts, up.BlindedRecords)
	}

	reshuffled := newSide(t, adv, s, advRows).parts(t, 400)
	wrongFirst := wiretest.Part(t, wire.Header{Kind: wire.KindBlinded, Session: a.sid, Part: 1, First: 401, Attrs: a.attrs}, a.recs[400:800])
	afterFinal := wiretest.Part(t, wire.Header{Kind: wire.KindBlinded, Final: true, Session: a.sid, Part: 3, First: 1200, Attrs: a.attrs}, a.recs[:10])
	elsewhere := wiretest.Parts(t, other.ID, wire.KindBlinded, a.attrs, a.recs, 400)[1]
	elements := make([][]byte, 400)
	for i := range elements {
		elements[i] = a.recs[400+i][:32]
	}
	asRelay := wiretest.Part(t, wire.Header{Kind: wire.KindElements, Session: a.sid, Part: 1, First: 400}, elements)
	for _, c := range []struct {
		name   string
		part   []byte
		status int
		code   string
	}{
		{"part 0 again with other content", reshuffled[0], http.StatusConflict, api.CodeConflict},
		{"part 1 not starting where part 0 ends", wrongFirst, http.StatusBadRequest, api.CodeInvalidPart},
		{"part 3 after the final part 2", afterFinal, http.StatusBadRequest, api.CodeInvalidPart},
		{"part 1 of another session", elsewhere, http.StatusBadRequest, api.CodeInvalidPart},
		{"part 1 of kind elements", asRelay, http.StatusBadRequest, api.CodeInvalidPart},
	} {
		expectError(t, c.name, a.put(t, "blinded", c.part), c.status, c.code)
	}
	if rcpt := a.mustPut(t, "blinded", parts[1]); !rcpt.Complete {
		t.Fatalf("the set is not complete with parts 2, 0, 1: %+v", rcpt)
	}

	partnerRows := rows("order", 700, 1000) // overlap 500
	p := newSide(t, partner, s, partnerRows)
	p.upload(t)
	// A replay is acknowledged with the session's current progress.
	if again := a.mustPut(t, "blinded", parts[0]); again.Digest != first.Digest || again.Records != 400 || again.State != api.StateExchanging {
		t.Fatalf("part 0 replayed while exchanging: %+v", again)
	}
	late := wiretest.Part(t, wire.Header{Kind: wire.KindBlinded, Final: true, Session: a.sid, Part: 3, First: 1200, Attrs: a.attrs}, a.recs[:1])
	expectError(t, "a new blinded part while exchanging", a.put(t, "blinded", late), http.StatusConflict, api.CodeWrongState)
	expectError(t, "counterpart part out of range", a.p.do(t, http.MethodGet, "/v1/sessions/"+s.ID+"/counterpart?part=1", "", nil),
		http.StatusBadRequest, api.CodeBadRequest)

	joinParts := a.reblind(t, a.key, a.download(t))
	jr := a.mustPut(t, "reblinded", joinParts[0])
	if again := a.mustPut(t, "reblinded", joinParts[0]); again != jr {
		t.Fatalf("replayed re-blinded part: %+v, first %+v", again, jr)
	}
	swapped := swapJoinDigests(t, joinParts[0])
	expectError(t, "re-blinded part 0 again with other content", a.put(t, "reblinded", swapped), http.StatusConflict, api.CodeConflict)
	for _, part := range p.reblind(t, p.key, p.download(t)) {
		p.mustPut(t, "reblinded", part)
	}
	awaitState(t, adv, s.ID, api.StateComputed)
	if again := a.mustPut(t, "reblinded", joinParts[0]); again.Digest != jr.Digest || again.State != api.StateComputed {
		t.Fatalf("re-blinded part replayed once computed: %+v", again)
	}
	ra := results(t, adv, s.ID)
	if want := overlap(advRows, partnerRows); count(ra.Overlap) != fmt.Sprint(want) {
		t.Fatalf("overlap %s, want %d", count(ra.Overlap), want)
	}
	if up := getSession(t, adv, s.ID).Uploads.Advertiser; up.BlindedRecords != 1200 || up.ReblindedParts != 1 {
		t.Fatalf("final progress %+v", up)
	}
}

// swapJoinDigests returns a join part with its first two digests swapped:
// the same records in another order, so another digest.
func swapJoinDigests(t testing.TB, part []byte) []byte {
	t.Helper()
	d := wiretest.Decode(t, part)
	recs := d.Records
	recs[0], recs[1] = recs[1], recs[0]
	return wiretest.Part(t, d.Header, recs)
}

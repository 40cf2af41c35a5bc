package attacks

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/shuffle"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// row is one plaintext row of a party.
type row struct {
	email string
	// noCount: no consent for the count purposes, so the row is uploaded
	// but must never be counted, relayed or joined.
	noCount bool
	// countOnly: consent for the count purposes only, so the row counts
	// but must never be released for activation.
	countOnly bool
	segments  uint64 // advertiser segments, by session segment index
}

// rows returns n counting rows with fully consented emails tag-i@..., for
// i in [from, from+n).
func rows(tag string, from, n int) []row {
	out := make([]row, n)
	for i := range out {
		out[i] = row{email: fmt.Sprintf("%s-%07d@attack.example", tag, from+i)}
	}
	return out
}

// overlap is the number of distinct identifiers that count on both sides:
// what the clean room must compute.
func overlap(a, b []row) int {
	counting := func(rs []row) map[string]bool {
		m := map[string]bool{}
		for _, r := range rs {
			if !r.noCount {
				m[r.email] = true
			}
		}
		return m
	}
	inA, n := counting(a), 0
	for email := range counting(b) {
		if inA[email] {
			n++
		}
	}
	return n
}

// side is one honest party of a session, built by hand: its own key, its
// rows blinded, shuffled and encoded as wire parts.
type side struct {
	p     *party
	sess  api.Session
	sid   [16]byte
	key   *blind.Key
	attrs []wire.Attr
	rows  []row    // in upload order
	recs  [][]byte // blinded records in upload order
}

// newSide blinds rows for p in session s with a fresh key, as DESIGN.md
// section 2 says a party does, and records every derived value as a
// secret.
func newSide(t testing.TB, p *party, s api.Session, rs []row) *side {
	t.Helper()
	return newSideWith(t, p, s, rs, sideAttrs(t, s, p.role))
}

// newSideWith is newSide with the attribute list of the party's choice.
func newSideWith(t testing.TB, p *party, s api.Session, rs []row, attrs []wire.Attr) *side {
	t.Helper()
	key, err := blind.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secrets.addBytes("party key", key.Bytes())
	sd := &side{p: p, sess: s, sid: wiretest.SessionID(t, s.ID), key: key, attrs: attrs}
	digests := make([][32]byte, len(rs))
	for i, r := range rs {
		d, _, err := identifier.Normalizer{}.Digest(identifier.Email, r.email)
		if err != nil {
			t.Fatal(err)
		}
		digests[i] = d
		secrets.add("identifier", r.email)
		secrets.addBytes("identifier digest", d[:])
	}
	elems := make([]blind.Element, len(rs))
	if err := key.BlindBatch(elems, digests); err != nil {
		t.Fatal(err)
	}
	perm, err := shuffle.Permutation(rand.Reader, len(rs))
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range perm {
		secrets.addBytes("blinded element", elems[i][:])
		sd.rows = append(sd.rows, rs[i])
		sd.recs = append(sd.recs, sd.record(elems[i], rs[i]))
	}
	return sd
}

// sideAttrs is the attribute list the session's policy requires of role.
func sideAttrs(t testing.TB, s api.Session, role api.Role) []wire.Attr {
	t.Helper()
	pol, err := policy.Parse(s.Policy)
	if err != nil {
		t.Fatal(err)
	}
	segments := 0
	if role == api.RoleAdvertiser {
		segments = len(s.Segments)
	}
	attrs, err := pol.Attrs(segments)
	if err != nil {
		t.Fatal(err)
	}
	return attrs
}

// record encodes one blinded record: the element and the row's facts as
// attribute bits.
func (sd *side) record(el blind.Element, r row) []byte {
	var bits uint64
	for i, a := range sd.attrs {
		var set bool
		switch a.Kind {
		case wire.AttrSegment:
			set = r.segments&(1<<a.Value) != 0
		case wire.AttrPurposeConsent:
			// Count purposes 7 and 9; activation purposes 1, 3, 4.
			set = !r.noCount && (!r.countOnly || a.Value == 7 || a.Value == 9)
		default: // legitimate interest, vendors
			set = !r.noCount && !r.countOnly
		}
		if set {
			bits |= 1 << i
		}
	}
	return wiretest.BlindedRecord(el, bits, sd.attrs)
}

// parts encodes the side's blinded set.
func (sd *side) parts(t testing.TB, perPart int) [][]byte {
	t.Helper()
	return wiretest.Parts(t, sd.sess.ID, wire.KindBlinded, sd.attrs, sd.recs, perPart)
}

// encode encodes recs as the side's whole blinded set in one part.
func (sd *side) encode(t testing.TB, recs [][]byte) []byte {
	t.Helper()
	return wiretest.Parts(t, sd.sess.ID, wire.KindBlinded, sd.attrs, recs, len(recs)+1)[0]
}

// put uploads one part of leg ("blinded" or "reblinded").
func (sd *side) put(t testing.TB, leg string, part []byte) reply {
	t.Helper()
	return putPart(t, sd.p, sd.sess.ID, leg, part)
}

// mustPut uploads a part that must be accepted and returns its receipt.
func (sd *side) mustPut(t testing.TB, leg string, part []byte) api.PartReceipt {
	t.Helper()
	return mustPutPart(t, sd.p, sd.sess.ID, leg, part)
}

// putPart uploads one part of leg ("blinded" or "reblinded") of session id.
func putPart(t testing.TB, p *party, id, leg string, part []byte) reply {
	t.Helper()
	return p.do(t, http.MethodPut, "/v1/sessions/"+id+"/"+leg, api.PartContentType, bytes.NewReader(part))
}

// partsAccepted counts the parts the servers accepted, for TestMain's
// check that the log it scans is the real thing.
var partsAccepted atomic.Int64

// mustPutPart uploads a part that must be accepted and returns its receipt.
func mustPutPart(t testing.TB, p *party, id, leg string, part []byte) api.PartReceipt {
	t.Helper()
	r := putPart(t, p, id, leg, part)
	if r.status != http.StatusOK {
		t.Fatalf("%s: PUT %s: %d %s", p.name, leg, r.status, r.body)
	}
	var rcpt api.PartReceipt
	if err := json.Unmarshal(r.body, &rcpt); err != nil {
		t.Fatal(err)
	}
	partsAccepted.Add(1)
	return rcpt
}

// upload sends the whole blinded set in one part.
func (sd *side) upload(t testing.TB) api.PartReceipt {
	t.Helper()
	var last api.PartReceipt
	for _, part := range sd.parts(t, len(sd.recs)+1) {
		last = sd.mustPut(t, "blinded", part)
	}
	return last
}

// relayed is one downloaded part of the counterpart set.
type relayed struct {
	h     wire.Header
	elems []blind.Element
}

// download fetches every part of the counterpart set.
func (sd *side) download(t testing.TB) []relayed {
	t.Helper()
	return download(t, sd.p, sd.sess.ID)
}

// download fetches every part of p's counterpart set in session id.
func download(t testing.TB, p *party, id string) []relayed {
	t.Helper()
	awaitCounterpart(t, p, id)
	var out []relayed
	for n, count := 0, 1; n < count; n++ {
		r := p.do(t, http.MethodGet, "/v1/sessions/"+id+"/counterpart?part="+strconv.Itoa(n), "", nil)
		if r.status != http.StatusOK {
			t.Fatalf("counterpart part %d: %d %s", n, r.status, r.body)
		}
		var err error
		if count, err = strconv.Atoi(r.header.Get(api.PartCountHeader)); err != nil || count < 1 {
			t.Fatalf("part count header %q", r.header.Get(api.PartCountHeader))
		}
		var rel relayed
		rel.h, rel.elems = wiretest.Elements(t, r.body)
		out = append(out, rel)
	}
	return out
}

// reblind re-blinds relayed parts with key and encodes the join digests as
// the matching parts of kind join.
func (sd *side) reblind(t testing.TB, key *blind.Key, parts []relayed) [][]byte {
	t.Helper()
	var out [][]byte
	for _, rel := range parts {
		out = append(out, wiretest.Part(t, wiretest.JoinHeader(rel.h), joinRecords(t, key, rel.elems)))
	}
	return out
}

// joinRecords re-blinds elements with key and returns the join digests as
// wire records, each recorded as a secret.
func joinRecords(t testing.TB, key *blind.Key, elems []blind.Element) [][]byte {
	t.Helper()
	recs := wiretest.JoinRecords(t, key, elems)
	for _, r := range recs {
		secrets.addBytes("join digest", r)
	}
	return recs
}

// exchange runs the rest of a session whose blinded sets are both
// complete: each side downloads, re-blinds with its own key and uploads.
func exchange(t testing.TB, adv, partner *side) {
	t.Helper()
	for _, sd := range []*side{adv, partner} {
		for _, part := range sd.reblind(t, sd.key, sd.download(t)) {
			sd.mustPut(t, "reblinded", part)
		}
	}
}

// runSession runs an honest session between two sides from upload to
// results and returns both parties' results.
func runSession(t testing.TB, adv, partner *side) (api.Results, api.Results) {
	t.Helper()
	adv.upload(t)
	partner.upload(t)
	exchange(t, adv, partner)
	return results(t, adv.p, adv.sess.ID), results(t, partner.p, partner.sess.ID)
}

// count formats a released count for messages.
func count(v *int64) string {
	if v == nil {
		return "null"
	}
	return strconv.FormatInt(*v, 10)
}

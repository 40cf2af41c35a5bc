package flow

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/shuffle"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// fakeRoom is an in-test clean room that speaks protocol/api faithfully
// enough for the flows: tokens, the session state machine, strict part
// decoding with element validation, idempotent part commits with conflict
// detection, a secretly permuted relay split into parts, and a real join
// on the join digests both parties send, released with the policy's k.
type fakeRoom struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	parties  map[string]fakeParty // API key -> party
	tokens   map[string]fakeParty
	tokenTTL int
	sess     *fakeSession
	relayPer int // records per relay part
	rng      *rand.Rand

	// faults answers the next requests matching "METHOD /suffix" (the
	// path after the session id, or the full path) with a status.
	faults []fault
	// onCommit runs (without the lock) after each newly committed part.
	onCommit func(side api.Role, leg string, part uint32)
	// log of every committed or re-sent part: "side leg part digest".
	received []string
}

type fakeParty struct {
	name string
	role api.Role
}

type fault struct {
	match      string
	status     int
	retryAfter string
	times      int
}

// sideSet is one party's parts of one leg.
type sideSet struct {
	parts map[uint32]*fakePart
}

type fakePart struct {
	h       wire.Header
	digest  [32]byte
	records [][]byte
}

func (s *sideSet) progress() (parts int, records uint64, complete bool) {
	if s == nil {
		return 0, 0, false
	}
	for _, p := range s.parts {
		records += uint64(len(p.records))
		if p.h.Final && len(s.parts) == int(p.h.Part)+1 {
			complete = true
		}
	}
	return len(s.parts), records, complete
}

// all returns the records of a complete set in order.
func (s *sideSet) all() [][]byte {
	var out [][]byte
	for i := range len(s.parts) {
		out = append(out, s.parts[uint32(i)].records...)
	}
	return out
}

type fakeSession struct {
	api.Session
	pol       policy.Policy
	blinded   map[api.Role]*sideSet // by side
	reblinded map[api.Role]*sideSet
	relay     map[api.Role][][]byte // encoded relay parts, by recipient
	relayPos  map[api.Role][]uint64 // relay position -> sender's upload index, by recipient
	results   map[api.Role]api.Results
}

const (
	advKey, pubKey = "key-adv", "key-pub"
	advName        = "acme-retail"
	pubName        = "daily-news"
	fakeSessionID  = "00112233445566778899aabbccddeeff"
)

func newFakeRoom(t *testing.T, policyJSON string, segments []string) *fakeRoom {
	t.Helper()
	pol, err := policy.Parse([]byte(policyJSON))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r := &fakeRoom{
		t: t,
		parties: map[string]fakeParty{
			advKey: {advName, api.RoleAdvertiser},
			pubKey: {pubName, api.RoleMediaPartner},
		},
		tokens:   map[string]fakeParty{},
		tokenTTL: 900,
		relayPer: 1 << 20,
		rng:      rand.New(rand.NewPCG(1, 2)),
		sess: &fakeSession{
			Session: api.Session{
				ID: fakeSessionID, State: api.StateCreated, Advertiser: advName, Partner: pubName,
				MatchKey: api.MatchKeyEmail, Policy: pol.Canonical(), PolicyHash: pol.Hash(),
				Segments: segments, Auditors: []string{}, CreatedAt: now, UpdatedAt: now,
			},
			pol:       pol,
			blinded:   map[api.Role]*sideSet{},
			reblinded: map[api.Role]*sideSet{},
			relay:     map[api.Role][][]byte{},
			relayPos:  map[api.Role][]uint64{},
		},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/auth/token", r.token)
	mux.HandleFunc("GET /v1/sessions/{id}", r.authed(r.getSession))
	mux.HandleFunc("POST /v1/sessions/{id}/join", r.authed(r.join))
	mux.HandleFunc("PUT /v1/sessions/{id}/blinded", r.authed(r.putBlinded))
	mux.HandleFunc("GET /v1/sessions/{id}/counterpart", r.authed(r.counterpart))
	mux.HandleFunc("PUT /v1/sessions/{id}/reblinded", r.authed(r.putReblinded))
	mux.HandleFunc("GET /v1/sessions/{id}/results", r.authed(r.getResults))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.injectFault(w, req) {
			return
		}
		mux.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// fail makes the next `times` requests matching match ("PUT /blinded",
// "POST /v1/auth/token") answer status.
func (r *fakeRoom) fail(match string, status int, retryAfter string, times int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults = append(r.faults, fault{match: match, status: status, retryAfter: retryAfter, times: times})
}

func (r *fakeRoom) injectFault(w http.ResponseWriter, req *http.Request) bool {
	r.mu.Lock()
	var hit *fault
	for i := range r.faults {
		f := &r.faults[i]
		method, suffix, _ := strings.Cut(f.match, " ")
		if f.times > 0 && req.Method == method && strings.HasSuffix(req.URL.Path, suffix) {
			f.times--
			hit = f
			break
		}
	}
	var status int
	var retryAfter string
	if hit != nil {
		status, retryAfter = hit.status, hit.retryAfter
	}
	r.mu.Unlock()
	if hit == nil {
		return false
	}
	// Drained without the lock: the body may be produced from a download
	// that needs this server.
	io.Copy(io.Discard, req.Body)
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	writeErr(w, status, "injected", "injected failure")
	return true
}

// revokeTokens invalidates every issued token.
func (r *fakeRoom) revokeTokens() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.tokens)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, api.ErrorBody{Error: api.ErrorDetail{Code: code, Message: msg}})
}

func (r *fakeRoom) token(w http.ResponseWriter, req *http.Request) {
	var tr api.TokenRequest
	json.NewDecoder(req.Body).Decode(&tr)
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.parties[tr.APIKey]
	if !ok {
		writeErr(w, 401, api.CodeUnauthenticated, "missing, invalid or expired credentials")
		return
	}
	enc := base64.RawURLEncoding.EncodeToString
	claims, _ := json.Marshal(map[string]any{"sub": p.name, "role": p.role, "jti": len(r.tokens) + r.rng.IntN(1<<30)})
	tok := enc([]byte(`{"alg":"none"}`)) + "." + enc(claims) + ".sig"
	r.tokens[tok] = p
	writeJSON(w, 200, api.TokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: r.tokenTTL})
}

type partyHandler func(w http.ResponseWriter, req *http.Request, p fakeParty)

func (r *fakeRoom) authed(h partyHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		tok := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
		r.mu.Lock()
		p, ok := r.tokens[tok]
		r.mu.Unlock()
		if !ok {
			writeErr(w, 401, api.CodeUnauthenticated, "missing, invalid or expired credentials")
			return
		}
		if req.PathValue("id") != fakeSessionID {
			writeErr(w, 404, api.CodeNotFound, "not found")
			return
		}
		h(w, req, p)
	}
}

// view is the session as members see it. Called with r.mu held.
func (r *fakeRoom) view() api.Session {
	s := r.sess.Session
	prog := func(side api.Role) api.SideProgress {
		var sp api.SideProgress
		sp.BlindedParts, sp.BlindedRecords, sp.BlindedComplete = r.sess.blinded[side].progress()
		sp.ReblindedParts, sp.ReblindedRecords, sp.ReblindedComplete = r.sess.reblinded[side].progress()
		return sp
	}
	s.Uploads = api.Uploads{Advertiser: prog(api.RoleAdvertiser), MediaPartner: prog(api.RoleMediaPartner)}
	return s
}

func (r *fakeRoom) getSession(w http.ResponseWriter, _ *http.Request, _ fakeParty) {
	r.mu.Lock()
	defer r.mu.Unlock()
	writeJSON(w, 200, r.view())
}

func (r *fakeRoom) join(w http.ResponseWriter, req *http.Request, p fakeParty) {
	var jr api.JoinRequest
	json.NewDecoder(req.Body).Decode(&jr)
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case p.role != api.RoleMediaPartner:
		writeErr(w, 403, api.CodeForbidden, "your role may not do this")
	case r.sess.State != api.StateCreated:
		writeErr(w, 409, api.CodeWrongState, "the session is not in a state that allows this")
	case jr.PolicyHash != r.sess.PolicyHash:
		writeErr(w, 409, api.CodeConflict, "policy hash mismatch")
	default:
		r.sess.State = api.StateJoined
		writeJSON(w, 200, r.view())
	}
}

// readPart decodes a whole part, checking every element of kinds 1 and 2.
func readPart(body io.Reader) (wire.Header, [][]byte, [32]byte, error) {
	rd, err := wire.NewReader(body)
	if err != nil {
		return wire.Header{}, nil, [32]byte{}, err
	}
	h := rd.Header()
	var recs [][]byte
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return h, nil, [32]byte{}, err
		}
		if h.Kind != wire.KindJoin {
			if _, err := blind.DecodeElement(rec[:wire.ElementSize]); err != nil {
				return h, nil, [32]byte{}, err
			}
		}
		recs = append(recs, bytes.Clone(rec))
	}
	return h, recs, rd.Digest(), nil
}

// attrsFor is the attribute list a side must declare.
func (r *fakeRoom) attrsFor(side api.Role) []wire.Attr {
	n := 0
	if side == api.RoleAdvertiser {
		n = len(r.sess.Segments)
	}
	attrs, err := r.sess.pol.Attrs(n)
	if err != nil {
		r.t.Error(err)
	}
	return attrs
}

func (r *fakeRoom) evaluator(side api.Role) *policy.Evaluator {
	e, err := policy.NewEvaluator(r.sess.pol, r.attrsFor(side))
	if err != nil {
		r.t.Error(err)
	}
	return e
}

func sessionBytes() [16]byte {
	var b [16]byte
	hex.Decode(b[:], []byte(fakeSessionID))
	return b
}

func (r *fakeRoom) putBlinded(w http.ResponseWriter, req *http.Request, p fakeParty) {
	r.putPart(w, req, p, "blinded", wire.KindBlinded)
}

func (r *fakeRoom) putReblinded(w http.ResponseWriter, req *http.Request, p fakeParty) {
	r.putPart(w, req, p, "reblinded", wire.KindJoin)
}

func (r *fakeRoom) putPart(w http.ResponseWriter, req *http.Request, p fakeParty, leg string, kind wire.Kind) {
	if req.Header.Get("Content-Type") != api.PartContentType {
		writeErr(w, 400, api.CodeBadRequest, "invalid Content-Type")
		return
	}
	h, recs, digest, err := readPart(req.Body)
	if err != nil {
		writeErr(w, 400, api.CodeInvalidPart, "the part is malformed")
		return
	}
	side := p.role
	r.mu.Lock()
	receipt, status, code, fresh := r.commit(side, leg, kind, h, recs, digest)
	cb := r.onCommit
	r.mu.Unlock()
	if status != 200 {
		writeErr(w, status, code, "refused: "+code)
		return
	}
	writeJSON(w, 200, receipt)
	if cb != nil && fresh {
		cb(side, leg, h.Part)
	}
}

// commit records a decoded part. Called with r.mu held.
func (r *fakeRoom) commit(side api.Role, leg string, kind wire.Kind, h wire.Header, recs [][]byte, digest [32]byte) (receipt api.PartReceipt, status int, code string, fresh bool) {
	s := r.sess
	sets := s.blinded
	if leg == "reblinded" {
		sets = s.reblinded
	}
	if h.Kind != kind || h.Session != sessionBytes() {
		return api.PartReceipt{}, 400, api.CodeInvalidPart, false
	}
	if kind == wire.KindBlinded && !slices.Equal(h.Attrs, r.attrsFor(side)) {
		return api.PartReceipt{}, 400, api.CodeInvalidPart, false
	}
	set := sets[side]
	if set == nil {
		set = &sideSet{parts: map[uint32]*fakePart{}}
		sets[side] = set
	}
	r.received = append(r.received, fmt.Sprintf("%s %s %d %x", side, leg, h.Part, digest))
	receiptOf := func() api.PartReceipt {
		_, _, complete := set.progress()
		return api.PartReceipt{Part: h.Part, Records: uint64(len(recs)), Digest: hex.EncodeToString(digest[:]),
			Final: h.Final, Complete: complete, State: s.State}
	}
	if old, ok := set.parts[h.Part]; ok {
		if old.digest != digest {
			return api.PartReceipt{}, 409, api.CodeConflict, false
		}
		return receiptOf(), 200, "", false
	}
	open := []api.State{api.StateJoined, api.StateUploading}
	if leg == "reblinded" {
		open = []api.State{api.StateExchanging}
	}
	if !slices.Contains(open, s.State) {
		return api.PartReceipt{}, 409, api.CodeWrongState, false
	}
	if leg == "reblinded" {
		// A join part must answer the relay part of the same index.
		relay := s.relay[side]
		if int(h.Part) >= len(relay) {
			return api.PartReceipt{}, 400, api.CodeInvalidPart, false
		}
		rh, rrecs, _, _ := readPart(bytes.NewReader(relay[h.Part]))
		if rh.First != h.First || rh.Final != h.Final || len(rrecs) != len(recs) {
			return api.PartReceipt{}, 400, api.CodeInvalidPart, false
		}
	}
	set.parts[h.Part] = &fakePart{h: h, digest: digest, records: recs}
	_, _, complete := set.progress()
	if leg == "blinded" && complete {
		counting := 0
		eval := r.evaluator(side)
		seen := map[[wire.ElementSize]byte]bool{}
		for _, rec := range set.all() {
			if !eval.Counts(wire.UnpackAttrs(rec[wire.ElementSize:])) {
				continue
			}
			counting++
			e := [wire.ElementSize]byte(rec)
			if seen[e] {
				delete(set.parts, h.Part) // as the clean room: one person, one element
				return api.PartReceipt{}, 422, api.CodeDuplicate, false
			}
			seen[e] = true
		}
		if int64(counting) < s.pol.MinRows {
			delete(set.parts, h.Part)
			return api.PartReceipt{}, 422, api.CodeTooFewRows, false
		}
	}
	if s.State == api.StateJoined {
		s.State = api.StateUploading
	}
	other := api.RoleMediaPartner
	if side == api.RoleMediaPartner {
		other = api.RoleAdvertiser
	}
	if _, _, otherDone := sets[other].progress(); complete && otherDone {
		if leg == "blinded" {
			s.State = api.StateExchanging
			r.prepareRelays()
		} else {
			r.computeResults()
			s.State = api.StateComputed
		}
	}
	return receiptOf(), 200, "", true
}

// prepareRelays permutes each side's counting records and encodes them as
// relay parts for the other side. Called with r.mu held.
func (r *fakeRoom) prepareRelays() {
	for _, sender := range []api.Role{api.RoleAdvertiser, api.RoleMediaPartner} {
		recipient := api.RoleMediaPartner
		if sender == api.RoleMediaPartner {
			recipient = api.RoleAdvertiser
		}
		eval := r.evaluator(sender)
		var idx []uint64
		var elems [][]byte
		for i, rec := range r.sess.blinded[sender].all() {
			if eval.Counts(wire.UnpackAttrs(rec[wire.ElementSize:])) {
				idx = append(idx, uint64(i))
				elems = append(elems, rec[:wire.ElementSize])
			}
		}
		perm, err := shuffle.Permutation(rngReader{r.rng}, len(elems))
		if err != nil {
			r.t.Error(err)
		}
		pos := make([]uint64, len(perm))
		for j, k := range perm {
			pos[j] = idx[k]
		}
		r.sess.relayPos[recipient] = pos
		var parts [][]byte
		for first := 0; first < len(perm) || len(parts) == 0; first += r.relayPer {
			end := min(first+r.relayPer, len(perm))
			var buf bytes.Buffer
			pw, err := wire.NewWriter(&buf, wire.Header{Kind: wire.KindElements, Final: end == len(perm),
				Session: sessionBytes(), Part: uint32(len(parts)), First: uint64(first)})
			if err != nil {
				r.t.Error(err)
				return
			}
			for _, k := range perm[first:end] {
				pw.WriteRecord(elems[k])
			}
			if err := pw.Close(); err != nil {
				r.t.Error(err)
			}
			parts = append(parts, buf.Bytes())
		}
		r.sess.relay[recipient] = parts
	}
}

type rngReader struct{ r *rand.Rand }

func (g rngReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(g.r.Uint32())
	}
	return len(p), nil
}

func (r *fakeRoom) counterpart(w http.ResponseWriter, req *http.Request, p fakeParty) {
	r.mu.Lock()
	state, parts := r.sess.State, r.sess.relay[p.role]
	r.mu.Unlock()
	if state != api.StateExchanging {
		writeErr(w, 409, api.CodeWrongState, "the counterpart set is available while the session is exchanging")
		return
	}
	n, err := strconv.Atoi(req.URL.Query().Get("part"))
	if err != nil || n < 0 || n >= len(parts) {
		writeErr(w, 400, api.CodeBadRequest, "invalid part")
		return
	}
	w.Header().Set("Content-Type", api.PartContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(parts[n])))
	w.Header().Set(api.PartCountHeader, strconv.Itoa(len(parts)))
	w.Write(parts[n])
}

// computeResults joins the two digest lists like the clean room does.
// Called with r.mu held.
func (r *fakeRoom) computeResults() {
	s := r.sess
	// digests of each side's upload records, computed by the other side.
	digestsOf := func(owner api.Role) map[uint64]string {
		recipient := api.RoleMediaPartner
		if owner == api.RoleMediaPartner {
			recipient = api.RoleAdvertiser
		}
		out := map[uint64]string{}
		for j, rec := range s.reblinded[recipient].all() {
			out[s.relayPos[recipient][j]] = string(rec)
		}
		return out
	}
	advRecs, pubRecs := s.blinded[api.RoleAdvertiser].all(), s.blinded[api.RoleMediaPartner].all()
	advEval, pubEval := r.evaluator(api.RoleAdvertiser), r.evaluator(api.RoleMediaPartner)
	type advInfo struct{ member, activatable uint64 }
	adv := map[string]*advInfo{}
	for i, d := range digestsOf(api.RoleAdvertiser) {
		bits := wire.UnpackAttrs(advRecs[i][wire.ElementSize:])
		a := adv[d]
		if a == nil {
			a = &advInfo{}
			adv[d] = a
		}
		a.member |= advEval.Segments(bits)
		if advEval.Activates(bits) {
			a.activatable |= advEval.Segments(bits)
		}
	}
	actMask, _ := s.pol.SegmentMask(s.Segments)
	matched := map[string]bool{}
	segCounts := make([]int64, len(s.Segments))
	actCounts := make([]int64, len(s.Segments))
	type act struct {
		record uint64
		mask   uint64
	}
	var acts []act
	pubCounting := int64(0)
	for i, d := range digestsOf(api.RoleMediaPartner) {
		pubCounting++
		a, ok := adv[d]
		if !ok {
			continue
		}
		matched[d] = true
		if m := a.activatable & actMask; m != 0 && pubEval.Activates(wire.UnpackAttrs(pubRecs[i][wire.ElementSize:])) {
			acts = append(acts, act{i, m})
			for j := range s.Segments {
				if m>>j&1 == 1 {
					actCounts[j]++
				}
			}
		}
	}
	for d := range matched {
		for j := range s.Segments {
			if adv[d].member>>j&1 == 1 {
				segCounts[j]++
			}
		}
	}
	release := func(n int64) *int64 {
		if !s.pol.Releasable(n) {
			return nil
		}
		return &n
	}
	overlap := int64(len(matched))
	rate := func(total int64) *string {
		if release(overlap) == nil {
			return nil
		}
		v := s.pol.FormatRate(overlap, total)
		return &v
	}
	segs := map[string]*int64{}
	for j, name := range s.Segments {
		segs[name] = release(segCounts[j])
	}
	// As the clean room does: segment counts and each party's own rate
	// to each, activation over the segments with k eligible rows.
	advRes := api.Results{SessionID: s.ID, Role: api.RoleAdvertiser, Overlap: release(overlap), Segments: segs,
		MatchRate:  api.MatchRates{Advertiser: rate(int64(len(digestsOf(api.RoleAdvertiser))))},
		ComputedAt: s.UpdatedAt.Add(time.Hour)}
	pubRes := api.Results{SessionID: s.ID, Role: api.RoleMediaPartner, Overlap: release(overlap), Segments: map[string]*int64{},
		MatchRate:  api.MatchRates{MediaPartner: rate(pubCounting)},
		ComputedAt: s.UpdatedAt.Add(time.Hour)}
	activation := &api.Activation{Segments: []string{}, Records: []api.ActivationRecord{}}
	position := map[int]int{}
	for j, name := range s.Segments {
		if s.pol.Releasable(actCounts[j]) {
			position[j] = len(activation.Segments)
			activation.Segments = append(activation.Segments, name)
		}
	}
	slices.SortFunc(acts, func(a, b act) int { return int(a.record) - int(b.record) })
	for _, a := range acts {
		var segIdx []int
		for j := range s.Segments {
			if pos, ok := position[j]; ok && a.mask>>j&1 == 1 {
				segIdx = append(segIdx, pos)
			}
		}
		if len(segIdx) > 0 {
			activation.Records = append(activation.Records, api.ActivationRecord{Record: a.record, Segments: segIdx})
		}
	}
	pubRes.Activation = activation
	s.results = map[api.Role]api.Results{api.RoleAdvertiser: advRes, api.RoleMediaPartner: pubRes}
}

func (r *fakeRoom) getResults(w http.ResponseWriter, _ *http.Request, p fakeParty) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sess.State != api.StateComputed {
		writeErr(w, 409, api.CodeWrongState, "not computed")
		return
	}
	writeJSON(w, 200, r.sess.results[p.role])
}

// uploadedBits returns the attribute bits of every record a side uploaded.
func (r *fakeRoom) uploadedBits(side api.Role) []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []uint64
	if set := r.sess.blinded[side]; set != nil {
		for _, p := range set.parts {
			for _, rec := range p.records {
				out = append(out, wire.UnpackAttrs(rec[wire.ElementSize:]))
			}
		}
	}
	return out
}

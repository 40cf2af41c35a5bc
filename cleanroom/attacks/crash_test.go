package attacks

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gtank/ristretto255"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// TestAttackCrashMidUploadAndMidCompute kills the real blindjoind with
// SIGKILL twice on the same data directory: while a part is streaming in,
// and after the last re-blinded part was committed, while the join runs.
// After each restart the session continues: committed parts are kept, the
// half-received part's temporary file is deleted by the blob sweep once
// old enough, no
// result was ever served before the join completed, and the join job that
// the crash cut short is taken over once its lease ran out and releases
// the exact answer. The daemon runs with a short job lease and sweep
// period, and the test ages the temporary file, so that both happen
// within seconds.
//
// Sets are large (200,000 rows a side) so that the join takes long enough
// to be interrupted; they are made cheaply and honestly as far as the
// server can tell: the blinded elements are valid, distinct group elements
// P + i·B (one point addition and one encoding each, instead of hashing
// and blinding an identifier), and since the server never decodes join
// digests, the two parties agree on a join digest per element index
// instead of re-blinding 400,000 elements. The server runs exactly the
// code paths of an honest session, on a known answer.
func TestAttackCrashMidUploadAndMidCompute(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the blindjoind binary; skipped with -short")
	}
	t.Parallel()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	adv := partyAdd(t, bin, data, "crash-adv", api.RoleAdvertiser)
	partner := partyAdd(t, bin, data, "crash-pub", api.RoleMediaPartner)
	flags := []string{"--job-lease", "3s", "--sweep-every", "1s"}
	d := startDaemon(t, bin, data, flags...)
	login := func(d *daemon) {
		for _, p := range []*party{adv, partner} {
			p.srv = d.srv
			p.token = p.login(t)
		}
	}
	login(d)
	s := createSession(t, adv, partner, api.CreateSessionRequest{Segments: []string{"all"}})

	const n, ov = 200_000, 150_000
	pool := cheapElements(t, 2*n-ov)
	index := make(map[blind.Element]int, len(pool))
	for i, el := range pool {
		index[el] = i
	}
	advAttrs, partnerAttrs := sideAttrs(t, s, api.RoleAdvertiser), sideAttrs(t, s, api.RoleMediaPartner)
	advParts := wiretest.Parts(t, s.ID, wire.KindBlinded, advAttrs, blindedRecords(pool[:n], advAttrs), n/2)
	partnerParts := wiretest.Parts(t, s.ID, wire.KindBlinded, partnerAttrs, blindedRecords(pool[n-ov:], partnerAttrs), n)
	put := func(p *party, leg string, part []byte) api.PartReceipt {
		t.Helper()
		return mustPutPart(t, p, s.ID, leg, part)
	}

	// 1. SIGKILL while part 1 of the advertiser streams in.
	put(adv, "blinded", advParts[0])
	half := len(advParts[1]) / 2
	body, feed := io.Pipe()
	release := make(chan struct{})
	go func() {
		feed.Write(advParts[1][:half])
		<-release
		feed.CloseWithError(io.ErrUnexpectedEOF)
	}()
	sent := make(chan error, 1)
	go func() {
		req := adv.srv.request(t, http.MethodPut, "/v1/sessions/"+s.ID+"/blinded", api.PartContentType, body)
		req.ContentLength = int64(len(advParts[1]))
		req.Header.Set("Authorization", "Bearer "+adv.token)
		res, err := httpClient.Do(req)
		if err == nil {
			res.Body.Close()
			err = fmt.Errorf("the interrupted upload was answered %d", res.StatusCode)
		}
		sent <- err
	}()
	waitForTempFile(t, data, s.ID, int64(half/2))
	d.kill(t)
	close(release)
	if err := <-sent; strings.Contains(err.Error(), "answered") {
		t.Fatal(err)
	}

	// The half-written part's temporary file outlives the restart; the
	// blob sweep deletes it once it is older than --blob-grace (1 h by
	// default), which the test brings about by ageing the file.
	if len(tempFiles(t, data, s.ID)) == 0 {
		t.Fatal("the killed upload left no temporary file")
	}
	for _, name := range tempFiles(t, data, s.ID) {
		old := time.Now().Add(-2 * time.Hour)
		if err := os.Chtimes(filepath.Join(data, "parts", s.ID, name), old, old); err != nil {
			t.Fatal(err)
		}
	}
	d = startDaemon(t, bin, data, flags...)
	login(d)
	for deadline := time.Now().Add(time.Minute); len(tempFiles(t, data, s.ID)) != 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("temporary files survived the blob sweep: %v", tempFiles(t, data, s.ID))
		}
	}
	got := getSession(t, adv, s.ID)
	if up := got.Uploads.Advertiser; got.State != api.StateUploading || up.BlindedParts != 1 || up.BlindedRecords != n/2 || up.BlindedComplete {
		t.Fatalf("after a crash mid-upload: state %s, %+v", got.State, up)
	}
	put(adv, "blinded", advParts[1])
	if rcpt := put(partner, "blinded", partnerParts[0]); rcpt.State != api.StateExchanging {
		t.Fatalf("both sets complete, state %s", rcpt.State)
	}

	// The exchange: each party downloads the other's set and answers
	// with the agreed join digest of each element.
	joinParts := func(p *party) [][]byte {
		var out [][]byte
		for _, rel := range download(t, p, s.ID) {
			recs := make([][]byte, len(rel.elems))
			for i, el := range rel.elems {
				recs[i] = agreedDigest(index[el])
			}
			out = append(out, wiretest.Part(t, wiretest.JoinHeader(rel.h), recs))
		}
		return out
	}
	advJoin, partnerJoin := joinParts(adv), joinParts(partner)
	for _, part := range partnerJoin {
		put(partner, "reblinded", part)
	}
	expectError(t, "results before the join", partner.call(t, http.MethodGet, "/v1/sessions/"+s.ID+"/results", nil),
		http.StatusConflict, api.CodeWrongState)

	// 2. SIGKILL as soon as the join job starts: the last re-blinded
	// part is committed and the join has not finished.
	d.killOn(func(m map[string]any) bool {
		return matches(m, "job started", map[string]any{"job": "join", "session": s.ID})
	})
	for _, part := range advJoin {
		r, err := httpClient.Do(withToken(adv, adv.srv.request(t, http.MethodPut, "/v1/sessions/"+s.ID+"/reblinded",
			api.PartContentType, bytes.NewReader(part))))
		if err == nil {
			r.Body.Close() // the last part's answer races with the kill
		}
	}
	select {
	case <-d.done: // the log line "job started" killed it
	case <-time.After(time.Minute):
		t.Fatal("the join job did not start within a minute of the last re-blinded part")
	}
	d.kill(t)
	if d.logged("session computed", nil) {
		t.Fatal("the join finished before the kill: the crash did not hit the computation")
	}

	d = startDaemon(t, bin, data, flags...)
	login(d)
	ra, rp := results(t, adv, s.ID), results(t, partner, s.ID)
	// The results are readable from the join's commit on; its log line
	// follows, and the test reads the log asynchronously.
	for deadline := time.Now().Add(30 * time.Second); !d.logged("session computed", map[string]any{"session": s.ID}); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the restarted daemon did not log the join")
		}
	}
	if !d.logged("job taken over after its lease ran out", map[string]any{"job": "join", "session": s.ID}) {
		t.Fatal("the interrupted join was not taken over from the killed process")
	}
	if ns, ok := d.logField("session computed", "duration").(float64); ok {
		t.Logf("the join cut short by SIGKILL took %v when it ran again", time.Duration(ns))
	}
	want := fmt.Sprint(ov)
	if count(ra.Overlap) != want || count(rp.Overlap) != want || count(ra.Segments["all"]) != want || len(rp.Activation.Records) != ov {
		t.Fatalf("after the restarts: overlap %s / %s, segment %s, %d activated; want %s",
			count(ra.Overlap), count(rp.Overlap), count(ra.Segments["all"]), len(rp.Activation.Records), want)
	}
	got = getSession(t, adv, s.ID)
	if got.State != api.StateComputed || got.Uploads.Advertiser.BlindedParts != 2 || !got.Uploads.MediaPartner.ReblindedComplete {
		t.Fatalf("final session: %s %+v", got.State, got.Uploads)
	}
}

func withToken(p *party, req *http.Request) *http.Request {
	req.Header.Set("Authorization", "Bearer "+p.token)
	return req
}

// cheapElements returns n distinct valid elements P + i·B for a random P,
// computed on every core; a sample is recorded as secrets.
func cheapElements(t testing.TB, n int) []blind.Element {
	t.Helper()
	var seed [32]byte
	rand.Read(seed[:])
	start := blind.HashToElement(seed[:])
	p, err := ristretto255.NewElement().SetCanonicalBytes(start[:])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]blind.Element, n)
	workers := runtime.GOMAXPROCS(0)
	per := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*per, min(n, (w+1)*per)
		wg.Go(func() {
			var b [32]byte
			binary.LittleEndian.PutUint64(b[:], uint64(lo))
			s, _ := ristretto255.NewScalar().SetCanonicalBytes(b[:])
			q := ristretto255.NewElement().ScalarBaseMult(s)
			q.Add(q, p)
			step := ristretto255.NewGeneratorElement()
			for i := lo; i < hi; i++ {
				q.Encode(out[i][:0])
				q.Add(q, step)
			}
		})
	}
	wg.Wait()
	for i := 0; i < n; i += 997 {
		secrets.addBytes("blinded element", out[i][:])
	}
	return out
}

// blindedRecords gives every element all the attribute bits attrs declares
// (full consent, every segment).
func blindedRecords(elems []blind.Element, attrs []wire.Attr) [][]byte {
	recs := make([][]byte, len(elems))
	for i := range elems {
		recs[i] = wiretest.BlindedRecord(elems[i], wiretest.AllBits(attrs), attrs)
	}
	return recs
}

// agreedDigest is the join digest both parties give the element of index
// i: they agree on it instead of re-blinding (see the test's comment).
func agreedDigest(i int) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	sum := sha256.Sum256(append([]byte("crash-test-join"), b[:]...))
	if i%997 == 0 {
		secrets.addBytes("join digest", sum[:16])
	}
	return sum[:16]
}

// tempFiles lists the temporary part files of a session.
func tempFiles(t testing.TB, dataDir, id string) []string {
	t.Helper()
	var tmp []string
	for _, name := range partFiles(t, dataDir, id) {
		if strings.HasPrefix(name, ".tmp-") {
			tmp = append(tmp, name)
		}
	}
	return tmp
}

// waitForTempFile waits until the server has written at least size bytes
// of a part to a temporary file: the upload is then certainly under way.
func waitForTempFile(t testing.TB, dataDir, id string, size int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		for _, name := range tempFiles(t, dataDir, id) {
			if fi, err := os.Stat(filepath.Join(dataDir, "parts", id, name)); err == nil && fi.Size() >= size {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the server never started writing the part")
}

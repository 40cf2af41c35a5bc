package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/internal/memtest"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

func ptr[T any](v T) *T { return &v }

// resultsFiles are results files of several shapes: as the flow writes
// them (the clean room's encoding and a newline), and as a person or
// another tool may have rewritten them (indented, fields reordered).
func resultsFiles(t *testing.T) map[string][]byte {
	recs := make([]api.ActivationRecord, 3000)
	for i := range recs {
		recs[i] = api.ActivationRecord{Record: uint64(i * 7), Segments: []int{i % 3, 3 + i%2}}
	}
	recs[5].Segments, recs[6].Segments = nil, []int{}
	at := time.Date(2026, 12, 6, 11, 0, 0, 5, time.UTC)
	nonce := strings.Repeat("c4", 32)
	out := map[string][]byte{}
	for name, r := range map[string]api.Results{
		"advertiser": {SessionID: "s1", Role: api.RoleAdvertiser, Overlap: ptr[int64](900), OverlapByKey: api.Rounds([]api.KeyPairs{{Key: "email", Pairs: 900}}),
			MatchRate: api.MatchRates{Advertiser: ptr("37%")}, Segments: map[string]*int64{"a<&>": ptr[int64](60), "b": nil}, DPEpsilon: ptr(0.5), ComputedAt: at, ResultNonce: nonce},
		"media partner": {SessionID: "s1", Role: api.RoleMediaPartner, Overlap: ptr[int64](900), Segments: map[string]*int64{},
			Activation: &api.Activation{Segments: []string{"a", "b", "c", "d", "e"}, Records: recs}, ComputedAt: at, ResultNonce: nonce},
		"no records":   {SessionID: "s1", Role: api.RoleMediaPartner, Activation: &api.Activation{Segments: []string{}, Records: []api.ActivationRecord{}}, ResultNonce: nonce},
		"null records": {SessionID: "s1", Role: api.RoleMediaPartner, Activation: &api.Activation{}, ResultNonce: nonce},
		"legacy":       {SessionID: "s1", Role: api.RoleMediaPartner, Activation: &api.Activation{Segments: []string{"a"}, Records: recs[:2]}},
	} {
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = append(data, '\n')
		indented, _ := json.MarshalIndent(r, "", "  ")
		out[name+", indented"] = indented
	}
	out["reordered"] = []byte(`{"result_nonce":"` + nonce + `","activation":{"records":[{"segments":[1],"record":3},{"record":4}],"segments":["b","a"]},` +
		`"role":"media_partner","session_id":"s1","overlap_by_key":null,"computed_at":"2026-12-06T12:00:00+01:00"}`)
	return out
}

// TestCommittedEncodingStreamed: the size and bytes the audit streams
// into the commitment are CommittedJSON's of the decoded file, byte for
// byte, whatever the file's layout.
func TestCommittedEncodingStreamed(t *testing.T) {
	for name, data := range resultsFiles(t) {
		var whole api.Results
		if err := json.Unmarshal(data, &whole); err != nil {
			t.Fatal(err)
		}
		want, _ := whole.CommittedJSON()
		f := bytes.NewReader(data)
		res, size, err := committedSize(f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got bytes.Buffer
		if err := writeCommitted(f, res, &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got.Bytes(), want) || size != int64(len(want)) {
			t.Errorf("%s: streamed %d bytes (size %d), CommittedJSON %d:\n%.300s\n%.300s", name, got.Len(), size, len(want), got.Bytes(), want)
		}
	}
}

// computedTranscript is a transcript of session s1 whose computed event
// commits to the committed encoding of data for role (or holds its legacy
// digest when the results carry no nonce).
func computedTranscript(t *testing.T, data []byte) transcript.Transcript {
	t.Helper()
	var r api.Results
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	committed, _ := r.CommittedJSON()
	ev := transcript.Event{Type: transcript.TypeComputed, Data: map[string]string{}}
	other := map[api.Role]string{api.RoleAdvertiser: "media_partner", api.RoleMediaPartner: "advertiser"}[r.Role]
	if r.ResultNonce == "" {
		legacy := map[api.Role]string{api.RoleAdvertiser: "result_digest", api.RoleMediaPartner: "partner_result_digest"}
		sum := sha256.Sum256(committed)
		ev.Data[legacy[r.Role]] = hex.EncodeToString(sum[:])
		ev.Data[legacy[api.Role(other)]] = hex.EncodeToString(sum[:])
	} else {
		nonce, _ := hex.DecodeString(r.ResultNonce)
		c, err := transcript.CommitResult("s1", string(r.Role), nonce, committed)
		if err != nil {
			t.Fatal(err)
		}
		ev.Data[transcript.ResultCommitmentKey(string(r.Role))] = c
		ev.Data[transcript.ResultCommitmentKey(other)] = c
	}
	return transcript.Transcript{SessionID: "s1", Events: []transcript.Event{ev}}
}

// TestResultsFileOpensItsCommitment: every results file opens the
// commitment to its results, and none opens it once a record changed.
func TestResultsFileOpensItsCommitment(t *testing.T) {
	for name, data := range resultsFiles(t) {
		tr := computedTranscript(t, data)
		path := filepath.Join(t.TempDir(), "results.json")
		os.WriteFile(path, data, 0o600)
		o, err := ResultsFile(path, tr)
		if err != nil || o.Legacy != strings.HasPrefix(name, "legacy") {
			t.Errorf("%s: %+v, %v", name, o, err)
		}
		if !bytes.Contains(data, []byte(`"record":4`)) {
			continue
		}
		os.WriteFile(path, bytes.Replace(data, []byte(`"record":4`), []byte(`"record":5`), 1), 0o600)
		if _, err := ResultsFile(path, tr); !errors.Is(err, transcript.ErrResultMismatch) {
			t.Errorf("%s: an altered record: %v", name, err)
		}
	}
}

// TestResultsFileMemory: checking a media partner's results file of
// 300,000 activation records holds a few megabytes, not the list.
func TestResultsFileMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("checks 300,000 activation records")
	}
	path := filepath.Join(t.TempDir(), "results.json")
	tr := func() transcript.Transcript { // its locals are garbage once it returns
		recs := make([]api.ActivationRecord, 300_000)
		for i := range recs {
			recs[i] = api.ActivationRecord{Record: uint64(i), Segments: []int{0, 1}}
		}
		r := api.Results{SessionID: "s1", Role: api.RoleMediaPartner, Activation: &api.Activation{Segments: []string{"a", "b"}, Records: recs}, ResultNonce: strings.Repeat("ab", 32)}
		data, _ := json.Marshal(r)
		os.WriteFile(path, data, 0o600)
		return computedTranscript(t, data)
	}()
	held := memtest.PeakLiveHeap(func() {
		if _, err := ResultsFile(path, tr); err != nil {
			t.Fatal(err)
		}
	})
	if held > 4<<20 {
		t.Errorf("checking 300,000 records held %d bytes", held)
	}
	t.Logf("held %d bytes while checking 300,000 records", held)
}

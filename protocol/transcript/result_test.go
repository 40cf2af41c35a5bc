package transcript

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
)

const resultSession = "00112233445566778899aabbccddeeff"

func katNonce() []byte {
	n := make([]byte, ResultNonceSize)
	for i := range n {
		n[i] = byte(i)
	}
	return n
}

// TestCommitResultKnownAnswer pins the encoding for verifiers in other
// languages; the value was computed with Python's hashlib and struct.
func TestCommitResultKnownAnswer(t *testing.T) {
	got, err := CommitResult(resultSession, "advertiser", katNonce(), []byte(`{"overlap":120}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "a0c00993053b121aec18a4ed7bf3d347cc6dc3fc4f489e2fd704950da8611630"; got != want {
		t.Fatalf("CommitResult = %s, want %s", got, want)
	}
}

func TestCommitResultBindsEveryInput(t *testing.T) {
	base, _ := CommitResult(resultSession, "advertiser", katNonce(), []byte("r"))
	other := bytes.Clone(katNonce())
	other[31] ^= 1
	for name, c := range map[string][]string{
		"session": {"ffeeddccbbaa99887766554433221100", "advertiser", string(katNonce()), "r"},
		"side":    {resultSession, "media_partner", string(katNonce()), "r"},
		"nonce":   {resultSession, "advertiser", string(other), "r"},
		"results": {resultSession, "advertiser", string(katNonce()), "s"},
		// Length prefixes: moving a byte between fields changes the value.
		"boundary": {resultSession, "advertiser" + "r", string(katNonce()), ""},
	} {
		got, err := CommitResult(c[0], c[1], []byte(c[2]), []byte(c[3]))
		if err != nil || got == base {
			t.Errorf("%s: a different input gives the same commitment (%v)", name, err)
		}
	}
	for _, n := range [][]byte{nil, make([]byte, 16), make([]byte, 33)} {
		if _, err := CommitResult(resultSession, "advertiser", n, []byte("r")); err == nil {
			t.Errorf("a nonce of %d bytes was accepted", len(n))
		}
	}
}

// TestResultCommitmentStreamed: results written in pieces commit as
// CommitResult over them whole; a size that is not the one written, or
// that the 32-bit length prefix cannot hold, is refused.
func TestResultCommitmentStreamed(t *testing.T) {
	results := []byte(`{"overlap":120,"activation":{"segments":["a"],"records":[{"record":1,"segments":[0]}]}}`)
	want, _ := CommitResult(resultSession, "media_partner", katNonce(), results)
	for _, cut := range []int{0, 1, 17, len(results)} {
		c, err := NewResultCommitment(resultSession, "media_partner", katNonce(), int64(len(results)))
		if err != nil {
			t.Fatal(err)
		}
		c.Write(results[:cut])
		c.Write(results[cut:])
		if got, err := c.Sum(); err != nil || got != want {
			t.Errorf("cut at %d: %s, %v; want %s", cut, got, err, want)
		}
	}
	for _, size := range []int64{int64(len(results)) - 1, int64(len(results)) + 1} {
		c, _ := NewResultCommitment(resultSession, "media_partner", katNonce(), size)
		c.Write(results)
		if got, err := c.Sum(); err == nil {
			t.Errorf("%d bytes written to a commitment of %d gave %s", len(results), size, got)
		}
	}
	for _, size := range []int64{-1, 1 << 32} {
		if _, err := NewResultCommitment(resultSession, "media_partner", katNonce(), size); !errors.Is(err, ErrResultTooLarge) {
			t.Errorf("size %d: %v, want ErrResultTooLarge", size, err)
		}
	}
}

// resultTranscript is a computed session's transcript whose computed
// event holds data.
func resultTranscript(t *testing.T, computed ...map[string]string) Transcript {
	t.Helper()
	events := []Event{{Seq: 1, Time: t0, Actor: "adv", Type: TypeSessionCreated}}
	for _, d := range computed {
		events = append(events, Event{Seq: uint64(len(events) + 1), Time: t0, Actor: "server", Type: TypeComputed, Data: d})
	}
	return seal(t, resultSession, events)
}

func TestCheckResult(t *testing.T) {
	advJSON, partnerJSON := []byte(`{"role":"advertiser","segments":{"a":60}}`), []byte(`{"role":"media_partner"}`)
	advNonce, partnerNonce := katNonce(), bytes.Repeat([]byte{7}, ResultNonceSize)
	advC, _ := CommitResult(resultSession, "advertiser", advNonce, advJSON)
	partnerC, _ := CommitResult(resultSession, "media_partner", partnerNonce, partnerJSON)
	committed := map[string]string{ResultCommitmentKey("advertiser"): advC, ResultCommitmentKey("media_partner"): partnerC}
	sum := sha256.Sum256(advJSON)
	legacy := map[string]string{legacyAdvertiserDigestKey: hex.EncodeToString(sum[:]), legacyPartnerDigestKey: hex.EncodeToString(sum[:])}

	tr := resultTranscript(t, committed)
	for _, tc := range []struct {
		name    string
		tr      Transcript
		side    string
		nonce   []byte
		results []byte
		want    error
	}{
		{"advertiser", tr, "advertiser", advNonce, advJSON, nil},
		{"media partner", tr, "media_partner", partnerNonce, partnerJSON, nil},
		{"altered results", tr, "advertiser", advNonce, []byte(`{"role":"advertiser","segments":{"a":61}}`), ErrResultMismatch},
		{"the other party's nonce", tr, "advertiser", partnerNonce, advJSON, ErrResultMismatch},
		{"the other party's side", tr, "media_partner", advNonce, advJSON, ErrResultMismatch},
		{"no nonce", tr, "advertiser", nil, advJSON, ErrResultMismatch},
		{"short nonce", tr, "advertiser", advNonce[:31], advJSON, ErrResultMismatch},
		{"unknown side", tr, "auditor", advNonce, advJSON, ErrResultNotRecorded},
		{"not computed", resultTranscript(t), "advertiser", advNonce, advJSON, ErrNotComputed},
		{"two computed events", resultTranscript(t, committed, committed), "advertiser", advNonce, advJSON, ErrResultNotRecorded},
		{"legacy digest", resultTranscript(t, legacy), "advertiser", nil, advJSON, nil},
		{"legacy digest, altered results", resultTranscript(t, legacy), "advertiser", nil, partnerJSON, ErrResultMismatch},
		{"legacy digest with a nonce", resultTranscript(t, legacy), "advertiser", advNonce, advJSON, ErrResultNotRecorded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.tr.CheckResult(tc.side, tc.nonce, tc.results)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("CheckResult = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestResultCommitments(t *testing.T) {
	good := "a0c00993053b121aec18a4ed7bf3d347cc6dc3fc4f489e2fd704950da8611630"
	adv, partner := ResultCommitmentKey("advertiser"), ResultCommitmentKey("media_partner")
	got, err := resultTranscript(t, map[string]string{adv: good, partner: good}).ResultCommitments()
	if err != nil || got["advertiser"] != good || got["media_partner"] != good || len(got) != 2 {
		t.Fatalf("ResultCommitments = %v, %v", got, err)
	}
	for _, tc := range []struct {
		name string
		data map[string]string
		want error
	}{
		{"one side missing", map[string]string{adv: good}, ErrResultNotRecorded},
		{"upper-case hex", map[string]string{adv: good, partner: "A0C00993053B121AEC18A4ED7BF3D347CC6DC3FC4F489E2FD704950DA8611630"}, ErrResultNotRecorded},
		{"short", map[string]string{adv: good, partner: good[:62]}, ErrResultNotRecorded},
		{"not hex", map[string]string{adv: good, partner: "zz" + good[2:]}, ErrResultNotRecorded},
		{"empty", map[string]string{adv: good, partner: ""}, ErrResultNotRecorded},
		{"legacy digests", map[string]string{legacyAdvertiserDigestKey: good, legacyPartnerDigestKey: good}, ErrLegacyResultDigest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := resultTranscript(t, tc.data).ResultCommitments(); !errors.Is(err, tc.want) {
				t.Fatalf("ResultCommitments = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := resultTranscript(t).ResultCommitments(); !errors.Is(err, ErrNotComputed) {
		t.Fatalf("without a computed event: %v", err)
	}
}

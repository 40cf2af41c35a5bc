// Package demo runs `blindjoin demo`: it starts a clean room on loopback
// (operator.Start), registers the two demo parties, runs both through
// partner/demo (one match key, or a multi-key session over keyed
// audiences), checks the released figures against the plaintext truth
// and the signed transcript against the room's key, and stops the room.
// It returns a Report; the command writes it as text or JSON.
//
// It lives in internal/ because it wires the clean room and the partner
// side together, which neither may do (imports_test.go).
package demo

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/internal/proc"
	"github.com/blindjoin/blindjoin/partner/audit"
	"github.com/blindjoin/blindjoin/partner/client"
	parties "github.com/blindjoin/blindjoin/partner/demo"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/partner/wording"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// keyedConsent is the consent cell of the multi-key demo's rows: the
// keyed audiences are about the waterfall, not consent, which the default
// demo shows.
const keyedConsent = "1;3;4;7;9"

// The demo's parties, as the operator registers them.
const (
	Advertiser = "acme-retail"
	Partner    = "daily-news"
)

// Report is what the demo did and found (`blindjoin demo --json`).
type Report struct {
	Dir             string                `json:"dir"`
	CleanRoom       string                `json:"clean_room"` // where it listened; stopped when the demo returns
	SessionID       string                `json:"session_id"`
	PolicyHash      string                `json:"policy_hash"`
	K               int64                 `json:"k"`
	Advertiser      flow.Summary          `json:"advertiser"`
	MediaPartner    flow.Summary          `json:"media_partner"`
	AdvertiserCSV   string                `json:"advertiser_csv"`
	PartnerCSV      string                `json:"partner_csv"`
	ActivationFile  string                `json:"activation_file"`
	Transcript      string                `json:"transcript"`
	TranscriptKey   string                `json:"transcript_key"`
	TranscriptCheck string                `json:"transcript_check"`
	Verified        bool                  `json:"verified"`
	Verification    *parties.Verification `json:"verification"`
	Seconds         map[string]float64    `json:"seconds"`
}

// Config says where the demo writes and reports.
type Config struct {
	Keep   string        // write the files here (new or empty); "" for a new temporary directory
	Policy policy.Policy // the session's; with several match keys, a multi-key session over keyed audiences
	Log    io.Writer     // the clean room's errors, the demo's own lines and each party's progress
}

// Run starts a clean room, runs both parties through partner/demo,
// checks the transcript and the truth, and stops the clean room before
// returning, whatever happened.
func Run(ctx context.Context, c Config) (rep *Report, err error) {
	start, cpuStart := time.Now(), proc.CPU()
	dir, err := filesDir(c.Keep)
	if err != nil {
		return nil, err
	}
	dir, _ = filepath.Abs(dir)
	// The clean room's own data (database, keys, blinded parts) is not
	// the parties' business and goes when the demo ends.
	roomDir, err := os.MkdirTemp("", "blindjoin-demo-cleanroom-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(roomDir)
	room, err := operator.Start(ctx, operator.Config{
		DataDir: roomDir,
		Addr:    "127.0.0.1:0",
		Logger:  slog.New(slog.NewTextHandler(c.Log, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		return nil, fmt.Errorf("starting the clean room: %w", err)
	}
	defer func() {
		if cerr := room.Stop(); err == nil && cerr != nil {
			err = fmt.Errorf("stopping the clean room: %w", cerr)
		}
	}()
	fmt.Fprintf(c.Log, "demo: clean room serving on %s; files in %s\n", room.URL, dir)

	cfg := parties.Config{
		Data:            synth.DefaultConfig(),
		Policy:          c.Policy,
		Partner:         Partner,
		Progress:        progress(c.Log),
		PollInterval:    100 * time.Millisecond,
		MaxPollInterval: time.Second,
	}
	for _, p := range []struct {
		party *parties.Party
		name  string
		role  api.Role
		dir   string
	}{
		{&cfg.Advertiser, Advertiser, api.RoleAdvertiser, "advertiser"},
		{&cfg.MediaPartner, Partner, api.RoleMediaPartner, "media-partner"},
	} {
		key, err := operator.AddParty(ctx, roomDir, p.name, p.role)
		if err != nil {
			return nil, fmt.Errorf("registering %s: %w", p.name, err)
		}
		p.party.Client, err = client.New(client.Config{BaseURL: room.URL, APIKey: client.Secret(key), UserAgent: "blindjoin-demo"})
		if err != nil {
			return nil, err
		}
		p.party.Dir = filepath.Join(dir, p.dir)
	}
	if c.Policy.Multi() {
		data := cfg.Data
		cfg.Keyed = &synth.KeyedConfig{Seed: data.Seed, Rows: data.AdvertiserRows, OverlapFraction: data.OverlapFraction,
			Segments: data.Segments, Consent: keyedConsent}
		fmt.Fprintf(c.Log, "demo: %s and %s (%s rows each) match on %s, in this order\n",
			Advertiser, Partner, wording.Thousands(int64(data.AdvertiserRows)), strings.Join(c.Policy.MatchKeys, ", then "))
	} else {
		fmt.Fprintf(c.Log, "demo: %s (advertiser, %s rows) and %s (media partner, %s rows) match on %s\n",
			Advertiser, wording.Thousands(int64(cfg.Data.AdvertiserRows)), Partner, wording.Thousands(int64(cfg.Data.PartnerRows)), cfg.Data.MatchKey)
	}

	out, err := parties.Run(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rep = &Report{
		Dir: dir, CleanRoom: room.URL, SessionID: out.Session.ID, PolicyHash: out.Session.PolicyHash, K: cfg.Policy.K,
		Advertiser: out.Advertiser, MediaPartner: out.MediaPartner,
		AdvertiserCSV: out.AdvertiserCSV, PartnerCSV: out.PartnerCSV, ActivationFile: out.Activation(),
		Transcript: filepath.Join(dir, "transcript.json"), TranscriptKey: hex.EncodeToString(room.TranscriptKey),
	}
	if cfg.Keyed != nil {
		rep.Verification, err = parties.CheckKeyed(out.KeyedTruth, cfg.Policy, out.Advertiser, out.MediaPartner)
	} else {
		rep.Verification, err = parties.Check(out.Truth, cfg.Policy, out.Advertiser, out.MediaPartner, out.Activation())
	}
	if err != nil {
		return nil, err
	}
	rep.TranscriptCheck = checkTranscript(ctx, cfg.Advertiser, rep)
	rep.Verified = rep.Verification.OK() && rep.TranscriptCheck == "ok"
	rep.Seconds = map[string]float64{
		"generate": out.Timings.Generate.Seconds(),
		"session":  out.Timings.Match.Seconds(),
		"truth":    out.Timings.Truth.Seconds(),
		"wall":     time.Since(start).Seconds(),
		"cpu":      (proc.CPU() - cpuStart).Seconds(),
	}
	return rep, nil
}

// filesDir returns the directory for the demo's files: keep (created if
// missing, refused unless empty) or a new temporary one.
func filesDir(keep string) (string, error) {
	if keep == "" {
		return os.MkdirTemp("", "blindjoin-demo-")
	}
	if err := os.MkdirAll(keep, 0o700); err != nil {
		return "", err
	}
	entries, err := os.ReadDir(keep)
	if err != nil {
		return "", err
	}
	if len(entries) > 0 {
		return "", fmt.Errorf("%s is not empty: the demo writes into a new or empty directory", keep)
	}
	return keep, nil
}

// checkTranscript fetches the session's transcript as p, saves it and
// verifies it with the key the clean room published; it returns "ok" or
// what failed.
func checkTranscript(ctx context.Context, p parties.Party, rep *Report) string {
	raw, err := p.Client.Transcript(ctx, rep.SessionID)
	if err != nil {
		return err.Error()
	}
	if err := os.WriteFile(rep.Transcript, raw, 0o644); err != nil {
		return err.Error()
	}
	pub, err := transcript.ParsePublicKey(rep.TranscriptKey)
	if err != nil {
		return err.Error()
	}
	if _, err := audit.Verify(raw, pub); err != nil {
		return err.Error()
	}
	return "ok"
}

// progress gives each party its own line reporter on w, each line
// prefixed with the role; both write through one lock.
func progress(w io.Writer) func(role api.Role) flow.Progress {
	var mu sync.Mutex
	return func(role api.Role) flow.Progress {
		return flow.NewLines(&prefixWriter{w: w, mu: &mu, prefix: "  " + wording.Role(role) + ": "}, 2*time.Second, time.Now)
	}
}

// prefixWriter prefixes every write (one line each, from flow.Lines).
type prefixWriter struct {
	w      io.Writer
	mu     *sync.Mutex
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := io.WriteString(p.w, p.prefix+string(b)); err != nil {
		return 0, err
	}
	return len(b), nil
}

package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/internal/proc"
	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/partner/demo"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// demoKeyedConsent is the consent cell of the multi-key demo's rows: the
// keyed audiences are about the waterfall, not consent, which the default
// demo shows.
const demoKeyedConsent = "1;3;4;7;9"

// The demo's parties, as the operator registers them.
const (
	demoAdvertiser = "acme-retail"
	demoPartner    = "daily-news"
)

// demoReport is what `blindjoin demo --json` prints.
type demoReport struct {
	Dir             string             `json:"dir"`
	CleanRoom       string             `json:"clean_room"` // where it listened; stopped when the demo returns
	SessionID       string             `json:"session_id"`
	PolicyHash      string             `json:"policy_hash"`
	K               int64              `json:"k"`
	Advertiser      flow.Summary       `json:"advertiser"`
	MediaPartner    flow.Summary       `json:"media_partner"`
	AdvertiserCSV   string             `json:"advertiser_csv"`
	PartnerCSV      string             `json:"partner_csv"`
	ActivationFile  string             `json:"activation_file"`
	Transcript      string             `json:"transcript"`
	TranscriptKey   string             `json:"transcript_key"`
	TranscriptCheck string             `json:"transcript_check"`
	Verified        bool               `json:"verified"`
	Verification    *demo.Verification `json:"verification"`
	Seconds         map[string]float64 `json:"seconds"`
}

func runDemo(args []string, std stdio) int {
	fs := newFlags("demo", std)
	keep := fs.String("keep", "", "write the files into `DIR` (new or empty) instead of a new temporary directory; either way they are kept")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	keys := fs.String("keys", "", "a multi-key session on these comma-separated `keys` in order (e.g. email,phone,maid), over audiences with personas, household phones and duplicated CRM rows")
	pos, code, ok := parseOrUsage(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fmt.Fprintln(std.err, "usage: blindjoin demo [--keep DIR] [--keys email,phone,maid] [--json]")
		return exitUsage
	}
	pol := policy.Default()
	if pol.MatchKeys = splitList(*keys); len(pol.MatchKeys) == 1 {
		fmt.Fprintln(std.err, "blindjoin demo: --keys names two or three keys (one key is the default demo)")
		return exitUsage
	}
	if err := pol.Validate(); err != nil {
		fmt.Fprintf(std.err, "blindjoin demo: --keys: %v\n", err)
		return exitUsage
	}
	ctx, stop := std.interruptible()
	defer stop()
	rep, err := runDemoSession(ctx, *keep, pol, std)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(std.err, "blindjoin demo: interrupted; the clean room is stopped")
			return exitInterrupted
		}
		fmt.Fprintf(std.err, "blindjoin demo: %v\n", err)
		return exitFail
	}
	if *asJSON {
		if code := printJSON(std, rep); code != exitOK {
			return code
		}
	} else {
		describeDemo(std.out, rep)
	}
	if !rep.Verified {
		return exitFail
	}
	return exitOK
}

// demoDir returns the directory for the demo's files: keep (created if
// missing, refused unless empty) or a new temporary one.
func demoDir(keep string) (string, error) {
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

// runDemoSession starts a clean room, runs both parties through
// partner/demo, checks the transcript and the truth, and stops the clean
// room before returning, whatever happened.
func runDemoSession(ctx context.Context, keep string, pol policy.Policy, std stdio) (rep *demoReport, err error) {
	start, cpuStart := time.Now(), proc.CPU()
	dir, err := demoDir(keep)
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
		Logger:  slog.New(slog.NewTextHandler(std.err, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		return nil, fmt.Errorf("starting the clean room: %w", err)
	}
	defer func() {
		if cerr := room.Stop(); err == nil && cerr != nil {
			err = fmt.Errorf("stopping the clean room: %w", cerr)
		}
	}()
	fmt.Fprintf(std.err, "demo: clean room serving on %s; files in %s\n", room.URL, dir)

	cfg := demo.Config{
		Data:            synth.DefaultConfig(),
		Policy:          pol,
		Partner:         demoPartner,
		Progress:        demoProgress(std.err),
		PollInterval:    100 * time.Millisecond,
		MaxPollInterval: time.Second,
	}
	parties := []struct {
		party *demo.Party
		name  string
		role  api.Role
		dir   string
	}{
		{&cfg.Advertiser, demoAdvertiser, api.RoleAdvertiser, "advertiser"},
		{&cfg.MediaPartner, demoPartner, api.RoleMediaPartner, "media-partner"},
	}
	for _, p := range parties {
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
	if pol.Multi() {
		data := cfg.Data
		cfg.Keyed = &synth.KeyedConfig{Seed: data.Seed, Rows: data.AdvertiserRows, OverlapFraction: data.OverlapFraction,
			Segments: data.Segments, Consent: demoKeyedConsent}
		fmt.Fprintf(std.err, "demo: %s and %s (%s rows each) match on %s, in this order\n",
			demoAdvertiser, demoPartner, thousands(int64(data.AdvertiserRows)), strings.Join(pol.MatchKeys, ", then "))
	} else {
		fmt.Fprintf(std.err, "demo: %s (advertiser, %s rows) and %s (media partner, %s rows) match on %s\n",
			demoAdvertiser, thousands(int64(cfg.Data.AdvertiserRows)), demoPartner, thousands(int64(cfg.Data.PartnerRows)), cfg.Data.MatchKey)
	}

	out, err := demo.Run(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rep = &demoReport{
		Dir: dir, CleanRoom: room.URL, SessionID: out.Session.ID, PolicyHash: out.Session.PolicyHash, K: cfg.Policy.K,
		Advertiser: out.Advertiser, MediaPartner: out.MediaPartner,
		AdvertiserCSV: out.AdvertiserCSV, PartnerCSV: out.PartnerCSV, ActivationFile: out.Activation(),
		Transcript: filepath.Join(dir, "transcript.json"), TranscriptKey: hex.EncodeToString(room.TranscriptKey),
	}
	if cfg.Keyed != nil {
		rep.Verification, err = demo.CheckKeyed(out.KeyedTruth, cfg.Policy, out.Advertiser, out.MediaPartner)
	} else {
		rep.Verification, err = demo.Check(out.Truth, cfg.Policy, out.Advertiser, out.MediaPartner, out.Activation())
	}
	if err != nil {
		return nil, err
	}
	rep.TranscriptCheck = demoTranscript(ctx, cfg.Advertiser, rep)
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

// demoTranscript fetches the session's transcript as the advertiser,
// saves it and verifies it with the key the clean room published; it
// returns "ok" or what failed.
func demoTranscript(ctx context.Context, p demo.Party, rep *demoReport) string {
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
	t, err := transcript.ParseTranscript(raw)
	if err == nil {
		err = transcript.Verify(t, pub)
	}
	if err != nil {
		return err.Error()
	}
	return "ok"
}

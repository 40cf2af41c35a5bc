package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// ErrConfig is wrapped by the errors of Run about its Config.
var ErrConfig = errors.New("demo: invalid config")

// ErrPolicyChanged is returned when the session the media partner reads
// does not carry the policy the advertiser proposed.
var ErrPolicyChanged = errors.New("demo: the session's policy is not the one proposed")

// Party is one side: its own connection to the clean room and its own
// directory, which receives its input file, its outputs (Dir/out) and its
// session key while the session runs (Dir/keys).
type Party struct {
	Client *client.Client
	Dir    string
}

// The subdirectories of a Party's Dir.
const (
	outDir  = "out"
	keysDir = "keys"
)

// Config configures Run.
type Config struct {
	Data synth.Config
	// Keyed, if set, makes the session a multi-key one over the
	// audiences of synth.KeyedAudiences (Data is then not used); the
	// policy names the keys in match_keys.
	Keyed   *synth.KeyedConfig
	Policy  policy.Policy
	Partner string // the media partner's registered party name

	Advertiser, MediaPartner Party

	// Progress, if set, returns the progress reporter of each role's
	// flow (api.RoleAdvertiser, api.RoleMediaPartner).
	Progress func(role api.Role) flow.Progress
	// PollInterval and MaxPollInterval are passed to both flows (zero:
	// the flow's defaults).
	PollInterval, MaxPollInterval time.Duration
}

// Outcome is what a Run produced.
type Outcome struct {
	Session api.Session // as created
	// AdvertiserCSV and PartnerCSV are the generated input files;
	// AdvertiserOut and PartnerOut the flows' output directories.
	AdvertiserCSV, PartnerCSV string
	AdvertiserOut, PartnerOut string
	Advertiser, MediaPartner  flow.Summary
	Truth                     *synth.Truth
	KeyedTruth                *synth.KeyedTruth // instead of Truth, with Config.Keyed
	// Generate, Match and Truth are the wall times of writing the files,
	// of the session (create to both results), and of computing the truth.
	Timings struct{ Generate, Match, Truth time.Duration }
}

// Activation is the path of the media partner's activation.csv.
func (o *Outcome) Activation() string { return filepath.Join(o.PartnerOut, "activation.csv") }

// Run generates the dataset, runs the session and computes the truth.
// It does not compare them: Check does.
func Run(ctx context.Context, cfg Config) (*Outcome, error) {
	if cfg.Advertiser.Client == nil || cfg.MediaPartner.Client == nil || cfg.Advertiser.Dir == "" || cfg.MediaPartner.Dir == "" || cfg.Partner == "" {
		return nil, fmt.Errorf("%w: both parties need a client and a directory, and the partner a name", ErrConfig)
	}
	if err := cfg.Policy.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if cfg.Keyed != nil {
		return runKeyed(ctx, cfg)
	}
	data, err := synth.New(cfg.Data)
	if err != nil {
		return nil, err
	}
	o := &Outcome{
		AdvertiserCSV: filepath.Join(cfg.Advertiser.Dir, "crm.csv"),
		PartnerCSV:    filepath.Join(cfg.MediaPartner.Dir, "audience.csv"),
		AdvertiserOut: filepath.Join(cfg.Advertiser.Dir, outDir),
		PartnerOut:    filepath.Join(cfg.MediaPartner.Dir, outDir),
	}

	start := time.Now()
	if err := writeFile(o.AdvertiserCSV, data.WriteAdvertiserCSV); err != nil {
		return nil, err
	}
	if err := writeFile(o.PartnerCSV, data.WritePartnerCSV); err != nil {
		return nil, err
	}
	o.Timings.Generate = time.Since(start)

	start = time.Now()
	req := api.CreateSessionRequest{Partner: cfg.Partner, MatchKey: string(cfg.Data.MatchKey), Policy: cfg.Policy.Canonical(), Segments: cfg.Data.Segments}
	err = o.match(ctx, cfg, req, cfg.options(cfg.Advertiser, api.RoleAdvertiser, o.AdvertiserCSV, data.AdvertiserColumns(), nil),
		cfg.options(cfg.MediaPartner, api.RoleMediaPartner, o.PartnerCSV, data.PartnerColumns(), nil))
	if err != nil {
		return o, err
	}
	o.Timings.Match = time.Since(start)

	start = time.Now()
	if o.Truth, err = data.Truth(cfg.Policy); err != nil {
		return o, err
	}
	o.Timings.Truth = time.Since(start)
	return o, nil
}

// match creates the session as the advertiser with req, then runs both
// sides' flows at once (their options without the session id); the first
// failure stops the other side.
func (o *Outcome) match(ctx context.Context, cfg Config, req api.CreateSessionRequest, advOpts, partnerOpts flow.Options) error {
	s, err := cfg.Advertiser.Client.CreateSession(ctx, req)
	if err != nil {
		return fmt.Errorf("demo: advertiser: creating the session: %w", err)
	}
	o.Session = s

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	wg.Go(func() {
		advOpts.SessionID = s.ID
		sum, err := flow.Run(ctx, advOpts)
		o.Advertiser = sum
		if err != nil {
			cancel(fmt.Errorf("demo: advertiser: %w", err))
		}
	})
	wg.Go(func() {
		err := join(ctx, cfg.MediaPartner.Client, s.ID, cfg.Policy.Hash())
		if err == nil {
			partnerOpts.SessionID = s.ID
			o.MediaPartner, err = flow.Run(ctx, partnerOpts)
		}
		if err != nil {
			cancel(fmt.Errorf("demo: media partner: %w", err))
		}
	})
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	// The flows deleted the session keys once the results were written;
	// the directories that held them go too, if empty.
	os.Remove(filepath.Join(cfg.Advertiser.Dir, keysDir))
	os.Remove(filepath.Join(cfg.MediaPartner.Dir, keysDir))
	return nil
}

// join is the media partner's review: the session it reads must carry
// the policy proposed (checked by hash, over the policy as sent), and it
// accepts that hash.
func join(ctx context.Context, c *client.Client, id, want string) error {
	s, err := c.Session(ctx, id)
	if err != nil {
		return fmt.Errorf("reading the session: %w", err)
	}
	if _, err := policy.ParseHashed(s.Policy, want); err != nil || s.PolicyHash != want {
		return ErrPolicyChanged
	}
	if _, err := c.Join(ctx, id, want); err != nil {
		return fmt.Errorf("joining: %w", err)
	}
	return nil
}

// options are a party's flow options but the session id; keyCols, for a
// multi-key session, name the column of each key.
func (cfg Config) options(p Party, role api.Role, input string, cols csvin.Columns, keyCols map[string]string) flow.Options {
	opts := flow.Options{
		Client:          p.Client,
		Input:           input,
		Columns:         cols,
		KeyColumns:      keyCols,
		OutDir:          filepath.Join(p.Dir, outDir),
		KeyDir:          filepath.Join(p.Dir, keysDir),
		Role:            role,
		PollInterval:    cfg.PollInterval,
		MaxPollInterval: cfg.MaxPollInterval,
	}
	if cfg.Progress != nil {
		opts.Progress = cfg.Progress(role)
	}
	return opts
}

// writeFile writes a generated file, private to its party.
func writeFile(path string, write func(w io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("demo: writing %s: %w", filepath.Base(path), err)
	}
	return nil
}

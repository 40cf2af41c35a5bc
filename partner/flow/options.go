package flow

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/partner/consent"
	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/partner/keystore"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// Options configure Run. Client, SessionID, Input, Columns.ID,
// Columns.Consent and OutDir are required.
type Options struct {
	Client    *client.Client
	SessionID string

	// Input is the CSV file; Columns names its identifier, consent and
	// (advertiser only) segments columns.
	Input   string
	Columns csvin.Columns
	// DefaultRegion lets phone numbers in national format be read
	// (identifier.Normalizer.DefaultRegion).
	DefaultRegion string
	// Hashed says the identifier column holds SHA-256 digests of
	// identifiers already normalized for the session's match key (64 hex
	// characters or base64), as UID2 and PAIR exchange them.
	Hashed bool
	// RegionHints are the regions to prefer when a warning guesses the
	// --region of national phone numbers that several regions read alike
	// (the user's locale, say).
	RegionHints []string
	// Format says how to read Input: its delimiter and encoding, and the
	// reader behind the name "-" (stdin). Compressed and Parquet input are
	// told by the file's name (csvin.OpenFile). OnRead is the flow's.
	Format csvin.Options
	// ConsentMap, when set, reads the consent column as a first-party
	// column ("Oui"/"Non") whose values it maps to purposes, instead of TC
	// strings and purpose lists. ConsentMapID names the mapping in the
	// resume record (the --consent-map text, or a digest of the mapping
	// file), so a rerun with another mapping is refused.
	ConsentMap   *consent.Mapping
	ConsentMapID string
	// SegmentNames says how labels of the segments column become segment
	// names: as written, or slugged (SegmentNamesSlug). It must be the
	// one the session's segments were declared with.
	SegmentNames SegmentNaming
	// NoSegments lets an advertiser whose session defines segments upload
	// rows without any: without it, a file that yields no label of the
	// session is refused before anything is uploaded (ErrNoSegments).
	NoSegments bool
	// ActivationColumns (media partner) are columns of Input copied into
	// activation.csv next to each row number: the partner's own data, so
	// the file can be used without joining it back by hand.
	ActivationColumns []string
	// Warnings, when set, receives what reading the input found worth a
	// warning (see Warning), once the input is read and before anything is
	// uploaded.
	Warnings func([]Warning)
	// KeyColumns maps match keys to input columns ("phone" -> "mobile"):
	// required for a multi-key session, where a key of the session without
	// a column is absent on every row; for a one-key session it may stand
	// in for Columns.ID. HashedKeys names the keys whose column holds
	// SHA-256 digests, as Hashed does for Columns.ID.
	KeyColumns map[string]string
	HashedKeys []string

	// OutDir receives summary.json, rejects.csv, results.json and (media
	// partner) activation.csv. It is created 0700 if missing.
	OutDir string
	// KeyDir holds the session key and resume state. Default:
	// keystore.Dir(Client.Host()).
	KeyDir string

	// AcceptPolicyHash lets a media partner's flow join a session that it
	// has not joined yet, if the session's policy hash is exactly this.
	AcceptPolicyHash string
	// Role overrides the role read from the access token.
	Role api.Role

	Progress Progress     // default: no progress reports
	Logger   *slog.Logger // default: discard
	Rand     io.Reader    // session key generation; default crypto/rand

	// Now and Sleep are injectable for tests; Sleep must return ctx.Err()
	// early when ctx ends.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// PollInterval is the first wait when polling the session; waits grow
	// by half up to MaxPollInterval. Defaults 2 s and 5 s: a counterpart
	// that joins or uploads is seen at most 5 s later, for one GET every
	// 5 s while waiting. Waiting for the results polls at least every
	// second whatever these say (resultsPollInterval): results are seen
	// within a second of being computed.
	PollInterval    time.Duration
	MaxPollInterval time.Duration

	// PartRecords caps the records per uploaded part. Default (and
	// maximum): wire.MaxRecords of the part's header. Kept in the resume
	// state: a resumed run uses the first run's value.
	PartRecords int
	// BatchSize is the number of elements blinded per batch. Default 4096.
	BatchSize int
	// Parallel is how many parts are in flight at once, in the upload and
	// in the exchange (each part producing while it streams, so memory
	// grows by a part's buffers, not a part). Default runtime.NumCPU():
	// the clean room checks each stream on its own core, and a party's
	// blinding overlaps the network round trips of the others. Parts
	// still start in index order, part i only once part i-Parallel is
	// acknowledged, which keeps a resume exact (resumeFrom); a rerun may
	// use another value.
	Parallel int
}

const (
	defaultPollInterval    = 2 * time.Second
	defaultMaxPollInterval = 5 * time.Second
	defaultBatchSize       = 4096
)

// Option errors.
var (
	ErrOptions = errors.New("flow: invalid options")
)

// withDefaults checks the options of a run that reads the input (Run,
// Plan) and fills in the defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Input == "" {
		return o, fmt.Errorf("%w: an input file is required", ErrOptions)
	}
	if err := o.checkRead(); err != nil {
		return o, err
	}
	return o.withRunDefaults()
}

// withRunDefaults checks the options every run needs, with or without the
// input (RunWorker and FinishWorkers take their rows from a plan), and fills in the
// defaults.
func (o Options) withRunDefaults() (Options, error) {
	switch {
	case o.Client == nil:
		return o, fmt.Errorf("%w: a client is required", ErrOptions)
	case o.SessionID == "":
		return o, fmt.Errorf("%w: a session id is required", ErrOptions)
	case o.OutDir == "":
		return o, fmt.Errorf("%w: an output directory is required", ErrOptions)
	case o.PartRecords < 0 || o.BatchSize < 0:
		return o, fmt.Errorf("%w: negative part or batch size", ErrOptions)
	case o.Parallel < 0:
		return o, fmt.Errorf("%w: negative number of parts in flight", ErrOptions)
	case o.Role != "" && o.Role != api.RoleAdvertiser && o.Role != api.RoleMediaPartner:
		return o, fmt.Errorf("%w: role must be %s or %s", ErrOptions, api.RoleAdvertiser, api.RoleMediaPartner)
	}
	if o.KeyDir == "" {
		dir, err := keystore.Dir(o.Client.Host())
		if err != nil {
			return o, err
		}
		o.KeyDir = dir
	}
	if o.Progress == nil {
		o.Progress = noProgress{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = client.Sleep
	}
	if o.PollInterval <= 0 {
		o.PollInterval = defaultPollInterval
	}
	if o.MaxPollInterval <= 0 {
		o.MaxPollInterval = defaultMaxPollInterval
	}
	if o.BatchSize == 0 {
		o.BatchSize = defaultBatchSize
	}
	if o.Parallel == 0 {
		o.Parallel = runtime.NumCPU()
	}
	return o, nil
}

// partRecords is the number of records per part for header h.
func (o Options) partRecords(h wire.Header) int {
	max := wire.MaxRecords(h)
	if o.PartRecords > 0 && o.PartRecords < max {
		return o.PartRecords
	}
	return max
}

// checkRead checks the options that say how the input is read,
// for Run and Preflight alike.
func (o Options) checkRead() error {
	switch {
	case o.Columns.ID == "" && len(o.KeyColumns) == 0:
		return fmt.Errorf("%w: the identifier column is required", ErrOptions)
	case o.Columns.ID != "" && len(o.KeyColumns) > 0:
		return fmt.Errorf("%w: name the identifier column once: by key (KeyColumns) or as the one identifier column (Columns.ID)", ErrOptions)
	case o.Columns.Consent == "":
		// Every policy has a count rule on TCF purposes: without a
		// consent column no row could count.
		return fmt.Errorf("%w: the consent column is required: the session policy counts only rows with consent (or legitimate interest) for its purposes", ErrOptions)
	}
	if err := (identifier.Normalizer{DefaultRegion: o.DefaultRegion}).Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrOptions, err)
	}
	return nil
}

// LocaleRegions returns the region of the user's locale (LC_ALL,
// LC_MESSAGES or LANG, as "fr_FR.UTF-8"), for Options.RegionHints; nil
// when none is set. getenv is os.Getenv, or a test's environment.
func LocaleRegions(getenv func(string) string) []string {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(name)
		if v == "" {
			continue
		}
		v, _, _ = strings.Cut(v, ".")
		if _, region, ok := strings.Cut(v, "_"); ok && len(region) == 2 {
			return []string{strings.ToUpper(region)}
		}
		return nil
	}
	return nil
}

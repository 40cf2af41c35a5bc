package flow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/blindjoin/blindjoin/partner/keystore"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// Run errors.
var (
	// ErrTooFewRows is returned when fewer rows may count than the
	// policy's min_rows; rejects.csv says why the others may not.
	ErrTooFewRows = errors.New("flow: too few rows may count for this session's policy")
	// ErrKeyLost is returned when the session key is missing although the
	// clean room already holds an upload made with it: the session cannot
	// be completed from this key store.
	ErrKeyLost = errors.New("flow: the session key is missing from the key store, but the clean room already holds this party's upload made with it")
	// ErrInputChanged is returned when a resumed run's kept rows (its
	// input file, or the options that select and encode its rows) differ
	// from those the first run uploaded.
	ErrInputChanged = errors.New("flow: the input differs from the one this session's upload was made from")
	// ErrNoSegments is returned, before anything is uploaded, when the
	// session defines segments and none of the advertiser's rows carries
	// one: every segment would come out empty and the session, which can
	// run once, would be spent (Options.NoSegments allows it).
	ErrNoSegments = errors.New("flow: the input yields none of the session's segments")
)

// runner is one Run.
type runner struct {
	opts Options
	info *sessionInfo
	// state is the resume record the run goes on with, once checkResume
	// or the upload has found or made it.
	state   *resumeState
	summary Summary
	started time.Time
	phase   string
	// labelsFound (Preflight without the session's segments) reads the
	// advertiser's segments column to report the labels found.
	labelsFound bool
}

// Run runs our side of the session and writes its outputs into
// opts.OutDir: rejects.csv once the input is read, summary.json,
// results.json and (media partner) activation.csv once the results are in. Interrupted, it can
// be run again with the same options: it resumes where the clean room's
// record of the session says it stopped.
func Run(ctx context.Context, opts Options) (Summary, error) {
	opts, err := opts.withDefaults()
	return runWith(opts, err, func(r *runner) error { return r.run(ctx) })
}

// runWith runs step on a runner of opts, which checked out with err, and
// returns what it summed up: the one way into Run and each step of a
// split match.
func runWith(opts Options, err error, step func(*runner) error) (Summary, error) {
	if err != nil {
		return Summary{}, err
	}
	r := &runner{opts: opts}
	err = step(r)
	return r.summary, err
}

func (r *runner) run(ctx context.Context) error {
	s, a, key, err := r.prepare(ctx)
	if err != nil {
		return err
	}
	defer a.close()
	st, err := r.checkResume(ctx, s, a, key)
	if err != nil {
		return err
	}
	r.state = st
	if s.State == api.StateCreated {
		r.begin("wait for the partner to join")
		if s, err = r.waitForJoin(ctx); err != nil {
			return err
		}
	}
	if s.State == api.StateJoined || s.State == api.StateUploading {
		r.begin("upload")
		if err := r.upload(ctx, a, key, r.info.side(s)); err != nil {
			return err
		}
	}
	if s, err = r.waitForCounterpart(ctx, s); err != nil {
		return err
	}
	a.dropUploadData()
	if s.State == api.StateExchanging {
		r.begin("re-blind")
		if err := r.exchange(ctx, key, s); err != nil {
			return err
		}
	}
	r.begin("wait for the results")
	d, err := r.fetchResults(ctx, len(a.byPosition))
	if err != nil {
		return err
	}
	defer d.remove()
	r.begin("write")
	if err := r.writeOutputs(d, a.byPosition); err != nil {
		return err
	}
	return r.writeSummaryAndForgetKey()
}

// writeSummaryAndForgetKey ends the run: summary.json, then the session
// key and resume record go.
func (r *runner) writeSummaryAndForgetKey() error {
	r.end()
	if err := writeSummary(r.opts.OutDir, &r.summary); err != nil {
		return err
	}
	// The outputs are safe on disk: the key has served its purpose, and
	// keeping it would only let it be stolen.
	return keystore.Delete(r.opts.KeyDir, r.opts.SessionID)
}

// prepare does what a run does before it uploads, and what a plan
// (PlanWorkers) does: it opens the session, reads the input and writes
// rejects.csv, refuses an input that cannot go, and returns the session
// key with the rows in upload order (keyAndOrder, audience.order).
func (r *runner) prepare(ctx context.Context) (api.Session, *audience, *blind.Key, error) {
	r.begin("session")
	s, err := r.openSession(ctx)
	if err != nil {
		return s, nil, nil, err
	}
	r.summary = Summary{SessionID: s.ID, Role: r.info.role, MatchKey: s.MatchKey, PolicyHash: s.PolicyHash}

	r.begin("read")
	a, err := r.readInput(ctx)
	if err != nil {
		return s, nil, nil, err
	}
	key, perm, err := r.acceptInput(s, a)
	if err == nil && perm != nil {
		// Once computed, the results need the rows' order, not their
		// records.
		err = a.order(perm, !resultsReady(s.State))
	}
	if err != nil {
		a.close()
		return s, nil, nil, err
	}
	return s, a, key, nil
}

// acceptInput summarizes the input read into a, refuses one that cannot
// go, and returns the session key and upload order (keyAndOrder).
func (r *runner) acceptInput(s api.Session, a *audience) (*blind.Key, []uint32, error) {
	r.summarizeInput(a)
	if r.opts.Warnings != nil {
		r.opts.Warnings(r.warnings(a))
	}
	if r.columns().Segments != "" && a.stats.withSegment == 0 {
		return nil, nil, fmt.Errorf("%w: the session's segments are %s, and no row that may count carries one in column %q. Fix --segments-column (or --segment-names), or pass --no-segments to match without segments", ErrNoSegments, strings.Join(r.info.segments, ", "), r.opts.Columns.Segments)
	}
	if int64(a.len()) < r.info.pol.MinRows {
		return nil, nil, fmt.Errorf("%w: %d of %d rows may count, the policy needs %d", ErrTooFewRows, a.len(), a.read, r.info.pol.MinRows)
	}
	if err := r.checkActivationColumns(); err != nil {
		return nil, nil, err
	}
	return r.keyAndOrder(s, a)
}

// waitForJoin waits for the media partner to join a created session.
func (r *runner) waitForJoin(ctx context.Context) (api.Session, error) {
	return r.waitFor(ctx, "the media partner to join", r.opts.MaxPollInterval, func(s api.Session) bool { return s.State != api.StateCreated })
}

// waitForCounterpart waits, once our set is uploaded, until the clean
// room's relay job has prepared the counterpart set (until then its
// download would only answer 503), or the results are in.
func (r *runner) waitForCounterpart(ctx context.Context, s api.Session) (api.Session, error) {
	if resultsReady(s.State) || r.info.side(s).CounterpartParts > 0 {
		return s, nil
	}
	r.begin("wait for the counterpart")
	return r.waitFor(ctx, "the counterpart's upload", r.opts.MaxPollInterval, func(s api.Session) bool {
		return (s.State == api.StateExchanging && r.info.side(s).CounterpartParts > 0) || resultsReady(s.State)
	})
}

// summarizeInput fills the summary's account of the input read into a.
func (r *runner) summarizeInput(a *audience) {
	r.summary.Rows = RowCounts{Read: a.read, Uploaded: int64(a.len()), Rejected: a.read - int64(a.len())}
	r.summary.Rejected = a.rejected
	r.summary.Keys = a.keyCounts
	if len(a.unknown) > 0 {
		r.summary.UnknownSegments = shownLabels(a.unknown)
	}
	if len(a.stats.consent) > 0 {
		r.summary.Consent = a.stats.consent
	}
	r.summary.NonASCIIEmails = a.stats.nonASCIIEmails
	if r.columns().Segments != "" {
		n := a.stats.withSegment
		r.summary.SegmentRows = &n
	}
}

// keyAndOrder returns the session key and our upload permutation. A
// session whose results are computed needs neither for the advertiser
// (nil, nil); the media partner still needs them to map activation
// records back to rows.
func (r *runner) keyAndOrder(s api.Session, a *audience) (*blind.Key, []uint32, error) {
	var key *blind.Key
	var err error
	switch {
	case resultsReady(s.State) && r.info.role == api.RoleAdvertiser:
		return nil, nil, nil
	case resultsReady(s.State):
		key, err = keystore.Load(r.opts.KeyDir, r.opts.SessionID)
		if errors.Is(err, keystore.ErrNoKey) {
			err = fmt.Errorf("%w (the results are computed; activation rows cannot be mapped back without it)", ErrKeyLost)
		}
	default:
		var created bool
		key, created, err = keystore.LoadOrCreate(r.opts.KeyDir, r.opts.SessionID, r.opts.Rand)
		if err == nil && created && r.info.side(s).BlindedParts > 0 {
			// Keep no key that could only produce conflicting parts.
			keystore.Delete(r.opts.KeyDir, r.opts.SessionID)
			err = ErrKeyLost
		}
	}
	if err != nil {
		return nil, nil, err
	}
	perm, err := uploadPermutation(key, r.info.wireID, a.len())
	return key, perm, err
}

// writeOutputs reads the downloaded results, fills the summary from them
// and writes results.json and, for the media partner, activation.csv,
// whose records it maps back to rows through byPosition (rowsByPosition).
// Both are written only once the results are read and found sound: a
// clean room's bad answer leaves neither. activation.csv is committed
// first, so that a results.json of this run never stands beside an
// activation.csv of another (two renames are not one: a failure between
// them can leave this run's activation.csv beside an older results.json).
func (r *runner) writeOutputs(d *downloaded, byPosition []uint32) error {
	each := func(api.ActivationRecord) error { return nil } // the advertiser's results hold none
	var act *activationRows
	if r.info.role == api.RoleMediaPartner {
		var err error
		if act, err = newActivationRows(d.scratch, byPosition); err != nil {
			return err
		}
		defer act.remove()
		each = act.add
	}
	res, err := r.readResults(d, each)
	if err != nil {
		return err
	}
	r.summary.Overlap = res.Overlap
	r.summary.OverlapByKey = res.OverlapByKey.Rounds
	for i := range r.summary.Keys {
		for _, kp := range res.OverlapByKey.Rounds {
			if kp.Key == r.summary.Keys[i].Key {
				r.summary.Keys[i].Linked = &kp.Pairs
			}
		}
	}
	r.summary.MatchRate = res.MatchRate
	r.summary.Segments = res.Segments
	r.summary.DPEpsilon = res.DPEpsilon
	r.summary.ComputedAt = res.ComputedAt
	var activation *atomicFile
	if act != nil {
		var names []string
		if res.Activation != nil {
			names = res.Activation.Segments
		}
		if err := act.finish(names); err != nil {
			return err
		}
		if activation, err = r.writeActivation(act, names); err != nil {
			return err
		}
		defer activation.abort()
		n := act.count
		r.summary.ActivationRows = &n
	}
	results, err := writeResults(r.opts.OutDir, d)
	if err != nil {
		return err
	}
	defer results.abort()
	if activation != nil {
		if err := activation.commit(); err != nil {
			return err
		}
	}
	return results.commit()
}

// begin starts timing a phase, ending the previous one.
func (r *runner) begin(phase string) {
	r.end()
	r.phase, r.started = phase, r.opts.Now()
}

// end records the current phase's wall time.
func (r *runner) end() {
	if r.phase != "" {
		r.summary.Phases = append(r.summary.Phases, PhaseTime{Name: r.phase, Seconds: r.opts.Now().Sub(r.started).Seconds()})
		r.phase = ""
	}
}

// hiddenLabels counts, in Summary.UnknownSegments, the labels that are not
// shown because they may be a person's value or an identifier: a segments
// column picked by mistake must not put e-mail addresses on the screen,
// in summary.json or on the console's page.
const hiddenLabels = "(not shown: shaped like identifiers or one person's value)"

// shownLabels is unknown with every label that is neither a segment name
// nor a group's name in words (showableLabel) counted under hiddenLabels.
func shownLabels(unknown map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(unknown))
	for name, n := range unknown {
		if name == otherUnknownSegments || policy.CheckSegmentName(name) == nil || showableLabel(name, n) {
			out[name] += n
		} else {
			out[hiddenLabels] += n
		}
	}
	return out
}

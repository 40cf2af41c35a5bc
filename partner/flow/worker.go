package flow

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/blindjoin/blindjoin/partner/keystore"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// ErrWorkerKey is returned by RunWorker when its key store lacks the
// session key: the operator copies it there from the plan's machine.
var ErrWorkerKey = errors.New("flow: this worker's key store has no copy of the session key")

// RunWorker is worker i of the w of a plan (PlanWorkers) whose directory,
// or at least its manifest and bucket file i, is opts.OutDir, with the
// session key in opts.KeyDir: it blinds and uploads its share of the
// parts, waits for the counterpart's set and re-blinds its share of it
// (the counterpart parts whose index is i modulo w), Options.Parallel
// parts at once. Run again after an interruption, it sends only the parts
// of its share that the session's transcript does not list yet.
func RunWorker(ctx context.Context, opts Options, i, w int) (Summary, error) {
	opts, err := opts.withRunDefaults()
	return runWith(opts, err, func(r *runner) error { return r.work(ctx, i, w) })
}

func (r *runner) work(ctx context.Context, i, w int) error {
	r.begin("session")
	dir := r.opts.OutDir
	m, err := readManifest(dir, r.opts.SessionID)
	if err != nil {
		return err
	}
	if w != m.Workers || i < 0 || i >= w {
		return fmt.Errorf("%w: this is worker %d/%d, but the plan in %s is for %d workers (--worker 0/%d to %d/%d)", ErrPlanFile, i, w, dir, m.Workers, m.Workers, m.Workers-1, m.Workers)
	}
	a, err := readBucket(dir, m, i)
	if err != nil {
		return err
	}
	defer a.close()
	key, err := keystore.Load(r.opts.KeyDir, r.opts.SessionID)
	if errors.Is(err, keystore.ErrNoKey) {
		return fmt.Errorf("%w: copy the file %s.key from the key store of the machine that ran --plan into %s (mode 0600, in a directory only this user can access)", ErrWorkerKey, r.opts.SessionID, r.opts.KeyDir)
	}
	if err != nil {
		return err
	}
	if err := checkPlannedKey(key, m, r.opts.KeyDir); err != nil {
		return err
	}
	s, err := r.openPlanned(ctx, m)
	if err != nil {
		return err
	}
	r.summary = Summary{SessionID: s.ID, Role: r.info.role, MatchKey: s.MatchKey, PolicyHash: s.PolicyHash}
	if s.State == api.StateCreated {
		r.begin("wait for the partner to join")
		if s, err = r.waitForJoin(ctx); err != nil {
			return err
		}
	}
	switch {
	case s.State != api.StateJoined && s.State != api.StateUploading, r.info.side(s).BlindedComplete:
		r.summary.SkippedParts = m.Buckets[i].Parts
	default:
		r.begin("upload")
		if err := r.uploadShare(ctx, m, m.Buckets[i], a, key); err != nil {
			return err
		}
	}
	if s, err = r.waitForCounterpart(ctx, s); err != nil {
		return err
	}
	a.dropUploadData()
	if s.State == api.StateExchanging && !r.info.side(s).ReblindedComplete {
		r.begin("re-blind")
		if err := r.reblindShare(ctx, key, r.info.side(s).CounterpartParts, i, w); err != nil {
			return err
		}
	}
	r.end()
	return nil
}

// uploadShare blinds and sends the parts of bucket b that the clean room
// lacks. a holds the bucket's records in upload order: its position k is
// the session's b.First+k.
func (r *runner) uploadShare(ctx context.Context, m *planManifest, b planFile, a *audience, key *blind.Key) error {
	held, err := r.heldParts(ctx, transcript.TypePartUploaded)
	if err != nil {
		return err
	}
	var todo []int
	skipped := 0 // records
	for p := b.FirstPart; p < b.FirstPart+b.Parts; p++ {
		if held[p] {
			skipped += min((p+1)*m.PartRecords, m.Records) - p*m.PartRecords
		} else {
			todo = append(todo, p)
		}
	}
	r.summary.SkippedParts = b.Parts - len(todo)
	r.opts.Progress.Start("upload", "records", int64(b.Records))
	defer r.opts.Progress.Done()
	r.opts.Progress.Add(int64(skipped))
	send := func(ctx context.Context, j int) error {
		p := todo[j]
		first, end := p*m.PartRecords, min((p+1)*m.PartRecords, m.Records)
		return r.sendBlinded(ctx, a, key, first-b.First, end-b.First, p, m.Parts, first)
	}
	return sendParts(ctx, r.opts.Parallel, 0, func() int { return len(todo) }, send, noAck)
}

// reblindShare re-blinds worker i's share of the counterpart set of parts
// parts, the parts whose index is i modulo w, but for those the clean
// room holds.
func (r *runner) reblindShare(ctx context.Context, key *blind.Key, parts, i, w int) error {
	held, err := r.heldParts(ctx, transcript.TypeReblindedUploaded)
	if err != nil {
		return err
	}
	todo := reblindShareParts(parts, i, w, held)
	r.opts.Progress.Start("re-blind", "records", -1)
	defer r.opts.Progress.Done()
	send := func(ctx context.Context, j int) error {
		_, err := r.sendJoin(ctx, key, todo[j], false)
		return err
	}
	return sendParts(ctx, r.opts.Parallel, 0, func() int { return len(todo) }, send, noAck)
}

// reblindShareParts is worker i's share of a counterpart set of parts
// parts, less the parts held.
func reblindShareParts(parts, i, w int, held map[int]bool) []int {
	var out []int
	for p := i; p < parts; p += w {
		if !held[p] {
			out = append(out, p)
		}
	}
	return out
}

// heldParts is the index of each part of ours the session's transcript
// lists under event type typ (transcript.TypePartUploaded or
// TypeReblindedUploaded). The session view only counts parts; workers
// send theirs in any order, so only the list tells which are missing. It
// is not verified against the clean room's transcript key: a clean room
// that lied here could only make a worker skip a part, and the session
// would then never complete, as it could make happen anyway.
func (r *runner) heldParts(ctx context.Context, typ string) (map[int]bool, error) {
	data, err := r.opts.Client.Transcript(ctx, r.info.id)
	if err != nil {
		return nil, fmt.Errorf("flow: reading the session's transcript for the parts it holds: %w", err)
	}
	t, err := transcript.ParseTranscript(data)
	if err != nil {
		return nil, fmt.Errorf("%w: its transcript: %w", ErrBadSession, err)
	}
	held := map[int]bool{}
	for k := range t.PartDigests() {
		if k.Type != typ || k.Side != string(r.info.role) {
			continue
		}
		if p, err := strconv.Atoi(k.Part); err == nil && p >= 0 {
			held[p] = true
		}
	}
	return held, nil
}

package flow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// Plan errors.
var (
	// ErrPlanExists is returned by PlanWorkers for an output directory that is
	// not empty: a second plan would mix its files with the first's.
	ErrPlanExists = errors.New("flow: the plan's output directory is not empty")
	// ErrPlanTooLate is returned by PlanWorkers for a session whose results are
	// computed: there is nothing left to share among workers.
	ErrPlanTooLate = errors.New("flow: the session's results are computed; run `blindjoin match` without --plan to write the outputs")
)

// PlanWorkers is the first step of a match split among workers on several
// machines (RunWorker, FinishWorkers): it does what Run does before it uploads (reads
// the input once, writes rejects.csv, creates or loads the session key),
// then writes into opts.OutDir the share of each of the workers (a bucket
// file: the rows' identifier digests and attribute bits in upload order,
// and the parts they make), the row map (the input row of each upload
// position, for FinishWorkers) and the manifest that ties them together, and
// summary.json with the input's account. The shares are contiguous runs of
// the upload order, which the session key shuffles (uploadPermutation):
// which rows a worker gets depends on the key and the row's place, never
// on its identifier.
func PlanWorkers(ctx context.Context, opts Options, workers int) (Summary, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	if workers < 1 || workers > maxWorkers {
		return Summary{}, fmt.Errorf("%w: the number of workers must be 1 to %d", ErrOptions, maxWorkers)
	}
	if err := checkEmptyDir(opts.OutDir); err != nil {
		return Summary{}, err
	}
	return runWith(opts, nil, func(r *runner) error { return r.plan(ctx, workers) })
}

// checkEmptyDir refuses a directory that exists and holds anything.
func checkEmptyDir(dir string) error {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("flow: output directory: %w", err)
	}
	defer f.Close()
	if _, err := f.Readdirnames(1); err != io.EOF {
		return fmt.Errorf("%w: %s holds files (a plan made already?): give an empty or new directory", ErrPlanExists, dir)
	}
	return nil
}

func (r *runner) plan(ctx context.Context, workers int) error {
	s, a, key, err := r.prepare(ctx)
	if err != nil {
		return err
	}
	defer a.close()
	if resultsReady(s.State) {
		return ErrPlanTooLate
	}
	st, err := r.checkResume(ctx, s, a, key)
	if err != nil {
		return err
	}
	side := r.info.side(s)
	if st == nil && (side.BlindedParts > 0 || side.BlindedComplete) {
		// Workers skip the parts the clean room holds: only a record that
		// vouches these rows were uploaded with this key may let them.
		return fmt.Errorf("%w: the clean room holds part of this party's upload, and the record of what it was made from in %s is missing. Finish the session with the plan and key store that started it, or start a new session", ErrResumeState, r.opts.KeyDir)
	}
	r.begin("plan")
	h := r.blindedHeader()
	n := a.len()
	per := min(r.opts.partRecords(h), (n+workers-1)/workers)
	if st != nil && st.PartRecords > 0 && st.PartRecords <= wire.MaxRecords(h) {
		per = st.PartRecords // the parts the clean room may hold
	}
	parts := (n + per - 1) / per
	// Workers send parts in any order, so nobody can tell from a count of
	// parts where a later plain `blindjoin match` of the session should
	// resume: the record makes it resume both legs from their first part.
	err = r.saveState(resumeState{Key: keyFingerprint(key), Rows: a.fingerprintHex(), Records: n, PartRecords: per,
		Options: r.opts.uploadOptions(), BlindedAhead: math.MaxInt32, ReblindedAhead: math.MaxInt32})
	if err != nil {
		return err
	}
	m := planManifest{Version: planVersion, SessionID: s.ID, Role: r.info.role, Workers: workers,
		Records: n, Parts: parts, PartRecords: per, Keys: len(r.info.keys),
		KeyFingerprint: keyFingerprint(key), RowsFingerprint: a.fingerprintHex(),
		Buckets: splitParts(n, per, parts, workers), Input: r.opts.uploadOptions(), ActivationColumns: r.opts.ActivationColumns}
	if err := r.writeBuckets(&m, a); err != nil {
		return err
	}
	a.dropUploadData()
	m.RowMap = planFile{File: rowMapFile}
	byPosition := a.byPosition
	if m.RowMap.SHA256, err = writePlanFile(r.opts.OutDir, rowMapFile, func(w io.Writer) error { return writeRowMap(w, byPosition) }); err != nil {
		return err
	}
	r.end()
	m.Summary = r.summary
	// The manifest goes last: a directory with one holds a whole plan.
	if _, err := writePlanFile(r.opts.OutDir, manifestFile, func(w io.Writer) error { return writeJSON(w, m) }); err != nil {
		return err
	}
	return writeSummary(r.opts.OutDir, &r.summary)
}

// writeBuckets writes each worker's bucket file and records its SHA-256
// in m.
func (r *runner) writeBuckets(m *planManifest, a *audience) error {
	for i := range m.Buckets {
		b := &m.Buckets[i]
		h := bucketHeader{Session: r.info.wireID, Worker: uint32(i), Workers: uint32(m.Workers), Keys: uint8(m.Keys),
			FirstPart: uint32(b.FirstPart), Parts: uint32(b.Parts), PartRecords: uint32(m.PartRecords),
			First: uint64(b.First), Records: uint64(b.Records)}
		var err error
		if b.SHA256, err = writePlanFile(r.opts.OutDir, b.File, func(w io.Writer) error { return writeBucket(w, h, a, b.First, b.First+b.Records) }); err != nil {
			return err
		}
	}
	return nil
}

// checkPlannedKey refuses a session key other than the plan's.
func checkPlannedKey(key *blind.Key, m *planManifest, dir string) error {
	if keyFingerprint(key) != m.KeyFingerprint {
		return fmt.Errorf("%w: the key of session %s in %s is not the one the plan ordered the rows with: copy the key file from the machine that ran --plan", ErrKeyChanged, m.SessionID, dir)
	}
	return nil
}

// openPlanned reads the session for a worker or FinishWorkers, which read no
// input: our role must be the plan's, and the session's keys and
// attributes those the plan's rows were encoded for.
func (r *runner) openPlanned(ctx context.Context, m *planManifest) (api.Session, error) {
	s, err := r.opts.Client.Session(ctx, r.opts.SessionID)
	if err != nil {
		return s, fmt.Errorf("flow: reading the session: %w", err)
	}
	role, err := r.role(ctx, s)
	if err != nil {
		return s, err
	}
	if role != m.Role {
		return s, fmt.Errorf("%w: the plan is the %s's, this run is the %s's", ErrPlanFile, m.Role, role)
	}
	if r.info, err = deriveInfo(s, role, false); err != nil {
		return s, err
	}
	r.info.keys = sessionKeys(s)
	if len(r.info.keys) != m.Keys {
		return s, fmt.Errorf("%w: the plan has %d match keys, the session %d", ErrPlanFile, m.Keys, len(r.info.keys))
	}
	if r.info.multi() {
		return s, r.info.findKeyBits()
	}
	return s, nil
}

package flow

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// Output files of the results phase.
const (
	// activationFile is the media partner's activation output.
	activationFile = "activation.csv"
	// ResultsFile is the results as the clean room released them, nonce
	// included, for `blindjoin audit verify --results`: the bytes it sent,
	// then a newline (StoreResults).
	ResultsFile = "results.json"
)

// resultsPollInterval is the longest wait between two looks at a session
// whose results are awaited.
const resultsPollInterval = time.Second

// resultsReady reports whether a session in state may have results: once
// computed, they stay readable after the blinded data is purged.
func resultsReady(state api.State) bool {
	return state == api.StateComputed || state == api.StatePurged
}

// downloaded is the results as the clean room sent them, in a file of
// their own scratch directory in the output directory.
type downloaded struct {
	scratch *scratch
	file    *os.File
}

func (d *downloaded) remove() {
	d.file.Close()
	d.scratch.remove()
}

// fetchResults waits until the session is computed and downloads the
// results. uploaded is the records this party uploaded: results may hold
// one activation record for each (api.ResultsSizeLimit), never more, so a
// clean room that sends more cannot fill the disk.
func (r *runner) fetchResults(ctx context.Context, uploaded int) (*downloaded, error) {
	// Results are computed within seconds of the last re-blinded part:
	// polled every second at most, they are seen within one of existing.
	maxWait := min(r.opts.MaxPollInterval, resultsPollInterval)
	if _, err := r.waitFor(ctx, "the results", maxWait, func(s api.Session) bool { return resultsReady(s.State) }); err != nil {
		return nil, err
	}
	s, err := newScratch(r.opts.OutDir)
	if err != nil {
		return nil, err
	}
	f, err := s.create("results")
	if err != nil {
		s.remove()
		return nil, err
	}
	d := &downloaded{scratch: s, file: f}
	if _, err := r.opts.Client.DownloadResults(ctx, r.info.id, f, api.ResultsSizeLimit(int64(uploaded))); err != nil {
		d.remove()
		return nil, fmt.Errorf("flow: results: %w", err)
	}
	return d, nil
}

// readResults reads the downloaded results, handing each activation
// record to each, and checks that they are ours.
func (r *runner) readResults(d *downloaded, each func(api.ActivationRecord) error) (api.Results, error) {
	if _, err := d.file.Seek(0, io.SeekStart); err != nil {
		return api.Results{}, fmt.Errorf("flow: results: %w", err)
	}
	res, err := api.ReadResults(bufio.NewReaderSize(d.file, 64<<10), each)
	if errors.Is(err, api.ErrResultsJSON) {
		return res, fmt.Errorf("%w: results: %w", ErrBadSession, err)
	}
	if err != nil {
		return res, err
	}
	if res.Role != "" && res.Role != r.info.role {
		return res, fmt.Errorf("%w: results are for role %q", ErrBadSession, res.Role)
	}
	return res, nil
}

// writeResults starts results.json: the results as the clean room sent
// them (the encoding/json encoding of api.Results, which `blindjoin audit
// verify --results` decodes and encodes again to open the commitment),
// then a newline. Its result_nonce is what lets this party, and only this
// party, check that the transcript's computed event commits to exactly
// these results. The caller commits it.
func writeResults(dir string, d *downloaded) (*atomicFile, error) {
	if _, err := d.file.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("flow: %s: %w", ResultsFile, err)
	}
	return resultsOutput(dir, d.file)
}

// StoreResults writes results, the bytes the clean room sent, into dir
// as a run does (ResultsFile), put in place atomically: for a computed
// session whose results no run wrote there (the web console).
func StoreResults(dir string, results io.Reader) error {
	out, err := resultsOutput(dir, results)
	if err != nil {
		return err
	}
	defer out.abort()
	return out.commit()
}

// resultsOutput starts ResultsFile in dir with results and its newline;
// the caller commits it.
func resultsOutput(dir string, results io.Reader) (*atomicFile, error) {
	out, err := newAtomicFile(dir, ResultsFile)
	if err != nil {
		return nil, err
	}
	if _, err := out.ReadFrom(results); err != nil {
		out.abort()
		return nil, fmt.Errorf("flow: %s: %w", ResultsFile, err)
	}
	out.WriteByte('\n')
	return out, nil
}

// rowsByPosition turns the upload permutation into the input row number
// of each upload position, in place: position i carried kept row perm[i],
// whose input row number is rows[perm[i]]. perm is spent, and so is rows,
// which becomes the inverse permutation (the position of each kept row)
// without a third array: each kept row is met once, and its number read
// before its position is written over it.
func rowsByPosition(perm, rows []uint32) []uint32 {
	for p, j := range perm {
		perm[p], rows[j] = rows[j], uint32(p)
	}
	return perm
}

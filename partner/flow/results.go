package flow

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// Output files of the results phase.
const (
	// activationFile is the media partner's activation output.
	activationFile = "activation.csv"
	// resultsFile is the results as the clean room released them, nonce
	// included, for `blindjoin audit verify --results`.
	resultsFile = "results.json"
)

// resultsPollInterval is the longest wait between two looks at a session
// whose results are awaited.
const resultsPollInterval = time.Second

// resultsReady reports whether a session in state may have results: once
// computed, they stay readable after the blinded data is purged.
func resultsReady(state api.State) bool {
	return state == api.StateComputed || state == api.StatePurged
}

// fetchResults waits until the session is computed and returns the results.
func (r *runner) fetchResults(ctx context.Context) (api.Results, error) {
	// Results are computed within seconds of the last re-blinded part:
	// polled every second at most, they are seen within one of existing.
	maxWait := min(r.opts.MaxPollInterval, resultsPollInterval)
	if _, err := r.waitFor(ctx, "the results", maxWait, func(s api.Session) bool { return resultsReady(s.State) }); err != nil {
		return api.Results{}, err
	}
	res, err := r.opts.Client.Results(ctx, r.info.id)
	if err != nil {
		return res, fmt.Errorf("flow: results: %w", err)
	}
	if res.Role != "" && res.Role != r.info.role {
		return res, fmt.Errorf("%w: results are for role %q", ErrBadSession, res.Role)
	}
	return res, nil
}

// writeResults writes results.json: res as the API returned it. Its
// result_nonce is what lets this party, and only this party, check that the
// transcript's computed event commits to exactly these results.
func writeResults(dir string, res api.Results) error {
	data, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("flow: %s: %w", resultsFile, err)
	}
	out, err := newAtomicFile(dir, resultsFile)
	if err != nil {
		return err
	}
	defer out.abort()
	out.Write(append(data, '\n'))
	return out.commit()
}

// activationRow is one line of activation.csv.
type activationRow struct {
	row      uint32
	segments []int
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

// mapActivation maps the released records (indexes into our upload) back
// to input rows: record i carried input row byPosition[i].
func mapActivation(act *api.Activation, byPosition []uint32) ([]activationRow, error) {
	if act == nil {
		return nil, nil
	}
	out := make([]activationRow, 0, len(act.Records))
	for _, rec := range act.Records {
		if rec.Record >= uint64(len(byPosition)) {
			return nil, fmt.Errorf("%w: activation names record %d of an upload of %d", ErrBadSession, rec.Record, len(byPosition))
		}
		for _, s := range rec.Segments {
			// Checked here so writeActivation need not quote.
			if s < 0 || s >= len(act.Segments) || !policy.ValidSegmentName(act.Segments[s]) {
				return nil, fmt.Errorf("%w: activation names an invalid segment (%d of %d)", ErrBadSession, s, len(act.Segments))
			}
		}
		out = append(out, activationRow{row: byPosition[rec.Record], segments: rec.Segments})
	}
	slices.SortFunc(out, func(a, b activationRow) int { return cmp.Compare(a.row, b.row) })
	return out, nil
}

// writeActivation writes activation.csv: header "row", the activation
// columns, "segments"; one line per released row in row order, with the
// row's cells of those columns (the partner's own data, quoted as CSV
// needs) and its segments by name joined with ';'.
// extra, nil without columns, holds each row's cells.
func writeActivation(dir string, rows []activationRow, names, columns []string, extra [][]string) error {
	out, err := newAtomicFile(dir, activationFile)
	if err != nil {
		return err
	}
	defer out.abort()
	w := csv.NewWriter(out)
	w.Write(slices.Concat([]string{"row"}, columns, []string{"segments"}))
	line := make([]string, 0, len(columns)+2)
	var b strings.Builder
	for r, a := range rows {
		b.Reset()
		for i, s := range a.segments {
			if i > 0 {
				b.WriteByte(';')
			}
			b.WriteString(names[s])
		}
		line = append(line[:0], strconv.FormatUint(uint64(a.row), 10))
		if extra != nil {
			line = append(line, extra[r]...)
		}
		line = append(line, b.String())
		w.Write(line)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("flow: %s: %w", activationFile, err)
	}
	return out.commit()
}

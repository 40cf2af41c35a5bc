package flow

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// ErrSegmentNames is wrapped by the errors of SegmentNames that are about
// the labels found rather than the file.
var ErrSegmentNames = errors.New("flow: unusable segment labels")

// SegmentNames returns the distinct segment labels of column in the CSV
// file at path, sorted: what an advertiser declares when it creates a
// session from its file rather than listing the segments itself. A
// session's segments are fixed when it is created (the policy and its hash
// depend on them), so they are read before the session exists.
//
// Labels are read as the flow reads them (separated by ';', trimmed, empty
// ones dropped). A label that policy.CheckSegmentName refuses (not a
// segment name, or shaped like an identifier or a digest) is an error
// naming its row, never its text: a wrong column could hold identifiers.
// So is a column whose labels look like one value per person rather than
// a few groups (checkLabelSpread). Rows the CSV reader skips are skipped
// here too; the flow reports them.
func SegmentNames(path, column string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("flow: segments: %w", err)
	}
	defer f.Close()
	// The segments column is the only one read: csvin requires an
	// identifier column, so it is selected as that and split here.
	rd, err := csvin.Open(f, csvin.Columns{ID: column})
	if err != nil {
		return nil, fmt.Errorf("flow: segments: %w", err)
	}
	seen := map[string]bool{}
	labelled := 0 // rows with at least one label
	for {
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		if _, ok := errors.AsType[*csvin.RowError](err); ok {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("flow: segments: %w", err)
		}
		labels := csvin.SplitSegments(row.ID)
		if len(labels) > 0 {
			labelled++
		}
		for _, label := range labels {
			if seen[label] {
				continue
			}
			if err := policy.CheckSegmentName(label); err != nil {
				return nil, fmt.Errorf("%w: row %d: a label is refused: %w", ErrSegmentNames, row.Number, err)
			}
			if len(seen) == policy.MaxSegments {
				return nil, fmt.Errorf("%w: more than %d distinct labels", ErrSegmentNames, policy.MaxSegments)
			}
			seen[strings.Clone(label)] = true
		}
	}
	if len(seen) == 0 {
		return nil, fmt.Errorf("%w: the column holds no labels", ErrSegmentNames)
	}
	if err := checkLabelSpread(len(seen), labelled); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// Bounds on how labels spread over rows. A segment groups many people; a
// column where every labelled row has a label of its own, or with more
// distinct labels than one per minRowsPerLabel labelled rows, holds values
// per person (an identifier, a hash, a customer number) rather than
// segments. Up to freeLabels labels are always allowed, so a small sample
// file still works; an advertiser whose file really has few rows per
// segment lists the segments with --segments instead.
const (
	minRowsForSpread = 5  // below this, one label per row proves nothing
	freeLabels       = 8  // this many labels need no minimum of rows
	minRowsPerLabel  = 10 // past freeLabels, labelled rows per distinct label
)

// checkLabelSpread refuses labels that look like one value per row.
func checkLabelSpread(distinct, labelled int) error {
	switch {
	case labelled >= minRowsForSpread && distinct >= labelled:
		return fmt.Errorf("%w: each of the %d labelled rows has a label of its own: the column holds one value per person, not segments (check --segments-column, or list the segments with --segments)", ErrSegmentNames, labelled)
	case distinct > freeLabels && distinct*minRowsPerLabel > labelled:
		return fmt.Errorf("%w: %d distinct labels over %d labelled rows: more than %d labels need at least %d rows per label, or the column holds values per person rather than segments (check --segments-column, or list the segments with --segments)", ErrSegmentNames, distinct, labelled, freeLabels, minRowsPerLabel)
	}
	return nil
}

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
// ones dropped). A label that is not a valid segment name is an error
// naming its row, never its text: a wrong column could hold identifiers.
// Rows the CSV reader skips are skipped here too; the flow reports them.
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
		for _, label := range csvin.SplitSegments(row.ID) {
			if seen[label] {
				continue
			}
			if !policy.ValidSegmentName(label) {
				return nil, fmt.Errorf("%w: row %d: a label is not a segment name (1..%d characters of A-Z a-z 0-9 _ . -)", ErrSegmentNames, row.Number, policy.MaxSegmentName)
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
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

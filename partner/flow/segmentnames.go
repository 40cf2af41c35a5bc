package flow

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
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
// The file is read as the flow reads it (format: delimiter, encoding,
// compression, Parquet, "-" for stdin) and so are labels (separated by
// ';', trimmed, empty ones dropped, named by naming). Labels that
// policy.CheckSegmentName refuses are reported all at once: those that
// are words ("Nouveau client") by their text, with the names
// --segment-names slug would give them; those shaped like an identifier
// or a digest by their first row only, never their text: a wrong column
// could hold identifiers. A column whose labels look like one value per
// person rather than a few groups is refused too (checkLabelSpread).
// Rows the CSV reader skips are skipped here too; the flow reports them.
func SegmentNames(path, column string, format csvin.Options, naming SegmentNaming) ([]string, error) {
	// The segments column is the only one read: csvin requires an
	// identifier column, so it is selected as that and split here.
	format.OnRead = nil
	rd, err := csvin.OpenFile(path, csvin.Columns{ID: column}, format)
	if err != nil {
		return nil, fmt.Errorf("flow: segments: %w", err)
	}
	defer rd.Close()
	seen := map[string]bool{}
	refused := map[string]*refusedLabel{}
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
			name := naming.name(label)
			if seen[name] {
				continue
			}
			if ref, ok := refused[name]; ok {
				ref.rows++
				continue
			}
			if policy.CheckSegmentName(name) != nil {
				if len(refused) < maxUnknownSegments {
					refused[strings.Clone(name)] = &refusedLabel{first: row.Number, rows: 1}
				}
				continue
			}
			if len(seen) == policy.MaxSegments {
				return nil, fmt.Errorf("%w: more than %d distinct labels", ErrSegmentNames, policy.MaxSegments)
			}
			seen[strings.Clone(name)] = true
		}
	}
	if len(seen)+len(refused) == 0 {
		return nil, fmt.Errorf("%w: the column holds no labels", ErrSegmentNames)
	}
	// The spread first: a column of values per person is reported as
	// such, without quoting any of them.
	if err := checkLabelSpread(len(seen)+len(refused), labelled); err != nil {
		return nil, err
	}
	if err := refusedLabels(refused, naming); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// refusedLabel is where a label that is not a segment name was found.
type refusedLabel struct {
	first int // the first row holding it
	rows  int64
}

// minRowsToShowLabel: a label on fewer rows could be one person's value
// (a name, an address in the wrong column) and is never quoted.
const minRowsToShowLabel = 3

// showableLabel reports whether a label refused as a segment name may be
// quoted in a message: a group's name in words ("Nouveau client"), which
// the slug would make a segment name, held by several rows, with no '@'.
func showableLabel(label string, rows int64) bool {
	return rows >= minRowsToShowLabel && !strings.Contains(label, "@") && policy.CheckSegmentName(Slug(label)) == nil
}

// refusedLabels reports every label that is not a segment name at once:
// words by their text, with the slug that would fix them, the others by
// the first row holding them.
func refusedLabels(refused map[string]*refusedLabel, naming SegmentNaming) error {
	if len(refused) == 0 {
		return nil
	}
	var words, slugs []string
	var hidden []int // first rows of labels not shown
	for _, label := range slices.Sorted(maps.Keys(refused)) {
		if ref := refused[label]; naming == SegmentNamesSlug || !showableLabel(label, ref.rows) {
			hidden = append(hidden, ref.first)
			continue
		}
		words, slugs = append(words, strconv.Quote(label)), append(slugs, Slug(label))
	}
	var parts []string
	if len(words) > 0 {
		parts = append(parts, fmt.Sprintf("%d labels are not segment names (1..64 characters of A-Z a-z 0-9 _ . -): %s; --segment-names slug makes them %s (give it to session create and to match)", len(words), strings.Join(words, ", "), strings.Join(slugs, ", ")))
	}
	if len(hidden) > 0 {
		slices.Sort(hidden)
		rows := make([]string, len(hidden))
		for i, n := range hidden {
			rows[i] = strconv.Itoa(n)
		}
		parts = append(parts, fmt.Sprintf("%d labels are not segment names and look like values of a person or identifiers, not groups (first seen on rows %s; not shown): check --segments-column", len(hidden), strings.Join(rows, ", ")))
	}
	return fmt.Errorf("%w: %s: %w", ErrSegmentNames, strings.Join(parts, "; "), policy.ErrSegmentName)
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

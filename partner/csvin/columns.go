package csvin

import (
	"fmt"
	"strings"
)

// Columns names the header columns to read. ID is required; Segments and
// Consent may be empty. Names match header cells ignoring surrounding
// spaces and ASCII/Unicode case, so "Email" selects " email ".
type Columns struct {
	ID       string // the identifier column
	Segments string // optional: segment labels separated by ';'
	Consent  string // optional: TCF TC string or explicit purpose list
	// Keys are further identifier columns (a multi-key session's other
	// keys), at most MaxKeyColumns, read into Row.Keys in this order.
	Keys []string
}

// MaxKeyColumns bounds Columns.Keys: a session matches on at most three
// keys, one of them in ID.
const MaxKeyColumns = 2

// columnIndex holds the positions of the selected columns; -1 means not
// selected.
type columnIndex struct {
	id, segments, consent int
	keys                  []int
}

// cells lists the positions of every selected column: id, segments,
// consent, then the keys.
func (c columnIndex) cells() []int {
	return append([]int{c.id, c.segments, c.consent}, c.keys...)
}

func sameColumn(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// resolve finds the selected columns in header.
func (c Columns) resolve(header []string, delimiter rune) (columnIndex, error) {
	if strings.TrimSpace(c.ID) == "" {
		return columnIndex{}, fmt.Errorf("%w: the ID column name is required", ErrColumns)
	}
	if len(c.Keys) > MaxKeyColumns {
		return columnIndex{}, fmt.Errorf("%w: %d further identifier columns, at most %d", ErrColumns, len(c.Keys), MaxKeyColumns)
	}
	for _, k := range c.Keys {
		if strings.TrimSpace(k) == "" {
			return columnIndex{}, fmt.Errorf("%w: an identifier column name is empty", ErrColumns)
		}
	}
	names := append([]string{c.ID, c.Segments, c.Consent}, c.Keys...)
	for i, a := range names {
		for _, b := range names[i+1:] {
			if a != "" && sameColumn(a, b) {
				return columnIndex{}, fmt.Errorf("%w: %q is selected twice", ErrColumns, a)
			}
		}
	}
	idx := make([]int, len(names))
	for i, name := range names {
		idx[i] = -1
		if name == "" {
			continue
		}
		for j, h := range header {
			if !sameColumn(h, name) {
				continue
			}
			if idx[i] >= 0 {
				return columnIndex{}, &ColumnError{Column: name, Header: header, Delimiter: delimiter, Err: ErrDuplicateColumn}
			}
			idx[i] = j
		}
		if idx[i] < 0 {
			return columnIndex{}, &ColumnError{Column: name, Header: header, Delimiter: delimiter, Err: ErrMissingColumn}
		}
	}
	return columnIndex{id: idx[0], segments: idx[1], consent: idx[2], keys: idx[3:]}, nil
}

package csvin

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// Row is one data row. Its strings share the memory of their record, as
// encoding/csv allocates them: clone a string kept beyond the row's use so
// it does not pin the whole record.
type Row struct {
	// Number is the 1-based data row: the header is not counted, blank
	// lines are not counted, rows reported as *RowError are.
	Number int
	// Line is the 1-based line of the input where the row starts; it
	// drifts from Number after blank lines and quoted fields spanning
	// lines.
	Line int
	// ID is the identifier cell, as written (the identifier package trims).
	ID string
	// Segments are the ';'-separated labels of the Segments column,
	// trimmed, empty labels dropped; nil when none or not selected.
	Segments []string
	// Consent is the trimmed Consent cell; empty when not selected.
	Consent string
}

// Reader reads the data rows of a CSV input. It is not safe for concurrent
// use.
type Reader struct {
	csv    *csv.Reader
	budget *budgetReader
	header []string
	cols   columnIndex
	rows   int
	err    error // sticky: set once reading cannot continue
}

// Open reads the header row of r and locates the columns of cols. A UTF-8
// byte order mark at the start is skipped.
func Open(r io.Reader, cols Columns) (*Reader, error) {
	budget := &budgetReader{r: r}
	budget.reset()
	br := bufio.NewReaderSize(budget, bufSize)
	if err := skipBOM(br); err != nil {
		return nil, err
	}
	cr := csv.NewReader(br) // reuses br: it is a *bufio.Reader of bufSize
	cr.FieldsPerRecord = -1 // field counts are checked per row, see Next
	cr.ReuseRecord = true
	header, err := cr.Read()
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		return nil, ErrNoHeader
	case errors.Is(err, errBudget):
		return nil, ErrRecordTooLarge
	case errors.As(err, &pe):
		return nil, fmt.Errorf("%w (line %d): %s", ErrHeader, pe.StartLine, parseReason(pe))
	case err != nil:
		return nil, fmt.Errorf("csvin: read: %w", err)
	}
	header = slices.Clone(header) // ReuseRecord would overwrite it
	for _, h := range header {
		if !utf8.ValidString(h) {
			return nil, fmt.Errorf("%w (line 1): invalid UTF-8", ErrHeader)
		}
	}
	idx, err := cols.resolve(header)
	if err != nil {
		return nil, err
	}
	return &Reader{csv: cr, budget: budget, header: header, cols: idx}, nil
}

// skipBOM drops a UTF-8 byte order mark and rejects UTF-16 input.
func skipBOM(br *bufio.Reader) error {
	start, err := br.Peek(3)
	if err != nil && err != io.EOF {
		return fmt.Errorf("csvin: read: %w", err)
	}
	switch {
	case bytes.HasPrefix(start, []byte("\xef\xbb\xbf")):
		_, err = br.Discard(3)
		return err
	case bytes.HasPrefix(start, []byte("\xff\xfe")), bytes.HasPrefix(start, []byte("\xfe\xff")):
		return ErrUTF16
	}
	return nil
}

// Header returns a copy of the header row.
func (r *Reader) Header() []string {
	return slices.Clone(r.header)
}

// Next returns the next data row. At the end of input it returns io.EOF.
// A skipped row yields a *RowError, after which Next may be called again;
// any other error is final and is returned again by later calls.
//
// Only the selected columns must be valid UTF-8: the others are never
// read, and rejecting a row for, say, Latin-1 text in an unused comment
// column would drop a usable identifier.
func (r *Reader) Next() (Row, error) {
	if r.err != nil {
		return Row{}, r.err
	}
	r.budget.reset()
	rec, err := r.csv.Read()
	if err == io.EOF {
		return Row{}, io.EOF
	}
	r.rows++
	// errors.AsType, not errors.As with a local: &pe would escape and
	// cost an allocation on every row, errors or not.
	pe, parseErr := errors.AsType[*csv.ParseError](err)
	switch {
	case parseErr:
		return Row{}, &RowError{Row: r.rows, Line: pe.StartLine, Reason: parseReason(pe)}
	case errors.Is(err, errBudget):
		r.err = fmt.Errorf("%w (row %d)", ErrRecordTooLarge, r.rows)
		return Row{}, r.err
	case err != nil:
		r.err = fmt.Errorf("csvin: read: %w", err)
		return Row{}, r.err
	}
	line, _ := r.csv.FieldPos(0) // a record always has at least one field
	if len(rec) != len(r.header) {
		reason := fmt.Sprintf("has %d fields, header has %d", len(rec), len(r.header))
		return Row{}, &RowError{Row: r.rows, Line: line, Reason: reason}
	}
	for _, i := range []int{r.cols.id, r.cols.segments, r.cols.consent} {
		if i >= 0 && !utf8.ValidString(rec[i]) {
			reason := fmt.Sprintf("invalid UTF-8 in column %q", r.header[i])
			return Row{}, &RowError{Row: r.rows, Line: line, Reason: reason}
		}
	}
	row := Row{Number: r.rows, Line: line, ID: rec[r.cols.id]}
	if r.cols.segments >= 0 {
		row.Segments = SplitSegments(rec[r.cols.segments])
	}
	if r.cols.consent >= 0 {
		row.Consent = strings.TrimSpace(rec[r.cols.consent])
	}
	return row, nil
}

// SplitSegments splits a ';'-separated list of segment labels as Next does
// for the Segments column: labels trimmed, empty ones dropped, nil if none.
func SplitSegments(s string) []string {
	if s == "" {
		return nil
	}
	// Sized for every label at once: growing by append would cost a
	// second allocation per row from two labels on.
	out := make([]string, 0, strings.Count(s, ";")+1)
	for s != "" {
		var label string
		label, s, _ = strings.Cut(s, ";")
		if label = strings.TrimSpace(label); label != "" {
			out = append(out, label)
		}
	}
	if len(out) == 0 {
		return nil // as documented on Row.Segments
	}
	return out
}

// parseReason words a csv.ParseError as a short, stable reason.
func parseReason(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return "quote inside an unquoted field"
	case errors.Is(pe.Err, csv.ErrQuote):
		return "missing or stray quote in a quoted field"
	}
	return "malformed CSV"
}

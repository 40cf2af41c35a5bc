package csvin

import (
	"bufio"
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
	// lines. It is 0 for Parquet input, which has rows but no lines.
	Line int
	// ID is the identifier cell, as written (the identifier package trims).
	ID string
	// Segments are the ';'-separated labels of the Segments column,
	// trimmed, empty labels dropped; nil when none or not selected.
	Segments []string
	// Consent is the trimmed Consent cell; empty when not selected.
	Consent string
	// Keys are the cells of Columns.Keys, as written, in that order; the
	// slice is reused by the next call of Next.
	Keys []string
}

// Reader reads the data rows of an input: CSV (Open, OpenReader,
// OpenFile) or Parquet (OpenFile). It is not safe for concurrent use.
type Reader struct {
	csv     *csv.Reader
	budget  *budgetReader
	parquet *parquetRows // set instead of csv for Parquet input
	closer  io.Closer    // the file OpenFile opened; nil otherwise
	file    string       // the name given to OpenFile, for RowError.File
	header  []string
	cols    columnIndex
	cellIdx []int    // cols.cells(), computed once
	keys    []string // Row.Keys of the current row
	rows    int
	notUTF8 bool  // a rejected cell read as Windows-1252: see Hints
	err     error // sticky: set once reading cannot continue
}

// Open reads CSV from r as OpenReader does with the zero Options: UTF-8 or
// UTF-16 with a byte order mark, delimiter detected.
func Open(r io.Reader, cols Columns) (*Reader, error) {
	return OpenReader(r, cols, Options{})
}

// OpenReader reads the header row of CSV text from r, decoded as
// opts.Encoding, with opts.Delimiter (or the detected one), and locates the
// columns of cols. A byte order mark at the start is skipped. opts.Stdin is
// not used; compressed and Parquet input need OpenFile.
func OpenReader(r io.Reader, cols Columns, opts Options) (*Reader, error) {
	if opts.Delimiter != 0 && !slices.Contains(delimiters[:], opts.Delimiter) {
		return nil, fmt.Errorf("%w: %q", ErrDelimiter, opts.Delimiter)
	}
	text, err := decodeText(bufio.NewReaderSize(r, bufSize), opts.Encoding)
	if err != nil {
		return nil, err
	}
	budget := &budgetReader{r: text}
	budget.reset()
	br := bufio.NewReaderSize(budget, bufSize)
	delimiter := opts.Delimiter
	if delimiter == 0 {
		// A read error here is met again by the header read below (see
		// budgetReader), which reports it.
		start, _ := br.Peek(bufSize)
		delimiter = sniffDelimiter(start)
	}
	cr := csv.NewReader(br) // reuses br: it is a *bufio.Reader of bufSize
	cr.Comma = delimiter
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
			return nil, invalidHeader(header)
		}
	}
	idx, err := cols.resolve(header, delimiter)
	if err != nil {
		return nil, err
	}
	return &Reader{csv: cr, budget: budget, header: header, cols: idx, cellIdx: idx.cells()}, nil
}

// invalidHeader reports a header row that is not valid UTF-8, with the
// encoding it most likely is in.
func invalidHeader(header []string) error {
	if looksLikeWindows1252(strings.Join(header, ",")) {
		return fmt.Errorf("%w (line 1): invalid UTF-8; %s", ErrHeader, notUTF8Hint)
	}
	return fmt.Errorf("%w (line 1): invalid UTF-8", ErrHeader)
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
	if r.parquet != nil {
		return r.nextParquet()
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
		return Row{}, &RowError{File: r.file, Row: r.rows, Line: pe.StartLine, Reason: parseReason(pe)}
	case errors.Is(err, errBudget):
		return Row{}, r.final(fmt.Errorf("%w (row %d)", ErrRecordTooLarge, r.rows))
	case err != nil:
		return Row{}, r.final(fmt.Errorf("csvin: read: %w", err))
	}
	line, _ := r.csv.FieldPos(0) // a record always has at least one field
	if len(rec) != len(r.header) {
		reason := fmt.Sprintf("has %d fields, header has %d", len(rec), len(r.header))
		return Row{}, &RowError{File: r.file, Row: r.rows, Line: line, Reason: reason}
	}
	for _, i := range r.cellIdx {
		if i >= 0 && !utf8.ValidString(rec[i]) {
			r.notUTF8 = r.notUTF8 || looksLikeWindows1252(rec[i])
			reason := fmt.Sprintf("invalid UTF-8 in column %q", r.header[i])
			return Row{}, &RowError{File: r.file, Row: r.rows, Line: line, Reason: reason}
		}
	}
	row := Row{Number: r.rows, Line: line, ID: rec[r.cols.id]}
	if r.cols.segments >= 0 {
		row.Segments = SplitSegments(rec[r.cols.segments])
	}
	if r.cols.consent >= 0 {
		row.Consent = strings.TrimSpace(rec[r.cols.consent])
	}
	if len(r.cols.keys) > 0 {
		r.keys = r.keys[:0]
		for _, i := range r.cols.keys {
			r.keys = append(r.keys, rec[i])
		}
		row.Keys = r.keys
	}
	return row, nil
}

// final makes err, prefixed with the file's name when OpenFile has one,
// the error Next returns from now on.
func (r *Reader) final(err error) error {
	if r.file != "" {
		err = fmt.Errorf("%s: %w", r.file, err)
	}
	r.err = err
	return err
}

// Hints returns advice about the input learnt while reading it, for the
// user to see once rather than with each rejected row: today, that rows
// were rejected for invalid UTF-8 in cells that read as Windows-1252. The
// hints name flags, never a cell.
func (r *Reader) Hints() []string {
	if r.notUTF8 {
		return []string{notUTF8Hint}
	}
	return nil
}

// Close closes the file OpenFile opened; it does nothing for a Reader made
// by Open or OpenReader, whose caller owns the reader.
func (r *Reader) Close() error {
	if r.parquet != nil {
		r.parquet.close()
	}
	if r.closer == nil {
		return nil
	}
	return r.closer.Close()
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

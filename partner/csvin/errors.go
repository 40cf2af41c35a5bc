package csvin

import (
	"errors"
	"fmt"
)

var (
	// ErrNoHeader is returned by Open for an input without any record.
	ErrNoHeader = errors.New("csvin: no header row")
	// ErrHeader is wrapped by Open when the header row cannot be read.
	ErrHeader = errors.New("csvin: malformed header row")
	// ErrUTF16 is returned by Open for input starting with a UTF-16 byte
	// order mark, what spreadsheet "Unicode text" exports produce.
	ErrUTF16 = errors.New("csvin: input is UTF-16; export it as UTF-8")
	// ErrColumns is wrapped by Open when the Columns selection is unusable.
	ErrColumns = errors.New("csvin: invalid column selection")
	// ErrMissingColumn and ErrDuplicateColumn are wrapped by *ColumnError.
	ErrMissingColumn   = errors.New("csvin: column not found in header")
	ErrDuplicateColumn = errors.New("csvin: column appears more than once in header")
	// ErrRecordTooLarge is returned by Next, and then by every later call,
	// when a record exceeds MaxRecordSize. Reading cannot resume: the record
	// boundary is unknown (often an unterminated quote swallowed the rest).
	ErrRecordTooLarge = errors.New("csvin: record larger than 1 MiB (unterminated quote?)")
)

// RowError reports a data row that was skipped. Reading can continue.
type RowError struct {
	Row    int // 1-based data row, as Row.Number
	Line   int // 1-based line of the input where the row starts
	Reason string
}

func (e *RowError) Error() string {
	return fmt.Sprintf("csvin: row %d (line %d): %s", e.Row, e.Line, e.Reason)
}

// ColumnError reports a selected column that the header lacks or holds
// twice.
//
// Header holds the header row as read, for an interactive caller to show
// its user; Error() leaves it out on purpose. When a file lacks its header
// row, the first data row is read as the header and its cells are personal
// data, so they must not end up in logs through the error text.
type ColumnError struct {
	Column string   // the name given in Columns
	Header []string // the header row as read
	Err    error    // ErrMissingColumn or ErrDuplicateColumn
}

func (e *ColumnError) Error() string {
	return fmt.Sprintf("%v: %q (header has %d columns)", e.Err, e.Column, len(e.Header))
}

func (e *ColumnError) Unwrap() error { return e.Err }

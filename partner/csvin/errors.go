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
	// ErrEncoding is wrapped when Options.Encoding is unknown or
	// contradicts the input's byte order mark.
	ErrEncoding = errors.New("csvin: encoding")
	// ErrDelimiter is wrapped by ParseDelimiter for an unsupported value.
	ErrDelimiter = errors.New("csvin: unsupported delimiter")
	// ErrCompression is wrapped by OpenFile when a file's name and its
	// first bytes disagree about its compression or format.
	ErrCompression = errors.New("csvin: compression")
	// ErrParquet is wrapped by OpenFile when a Parquet file cannot be read
	// or its selected columns are not flat string columns.
	ErrParquet = errors.New("csvin: parquet")
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
	File   string // the input's name as given to OpenFile; empty for Open
	Row    int    // 1-based data row, as Row.Number
	Line   int    // 1-based line of the input where the row starts; 0 in Parquet
	Reason string
}

func (e *RowError) Error() string {
	file := ""
	if e.File != "" {
		file = e.File + ": "
	}
	if e.Line == 0 {
		return fmt.Sprintf("csvin: %srow %d: %s", file, e.Row, e.Reason)
	}
	return fmt.Sprintf("csvin: %srow %d (line %d): %s", file, e.Row, e.Line, e.Reason)
}

// ColumnError reports a selected column that the header lacks or holds
// twice.
//
// Header holds the header row as read, for an interactive caller to show
// its user. Error() lists it only when every cell looks like a column name
// (see looksLikeName): when a file lacks its header row, the first data row
// is read as the header and its cells are personal data, which must not
// end up in logs through the error text. It then says the header row looks
// missing instead.
type ColumnError struct {
	Column    string   // the name given in Columns
	Header    []string // the header row as read
	Delimiter rune     // the field delimiter the header was split on; 0 in Parquet
	Err       error    // ErrMissingColumn or ErrDuplicateColumn
}

func (e *ColumnError) Error() string {
	msg := fmt.Sprintf("%v: %q (%s)", e.Err, e.Column, describeHeader(e.Header))
	if hint := e.Hint(); hint != "" {
		msg += "; " + hint
	}
	return msg
}

// Hint guesses why a column is missing: the header split on another
// delimiter would hold it, or holds a single column containing another
// delimiter ("the file looks ;-separated: try --delimiter ';'"). Empty when
// there is no such guess. It names delimiters only, never a cell.
func (e *ColumnError) Hint() string {
	if e.Delimiter == 0 || !errors.Is(e.Err, ErrMissingColumn) {
		return ""
	}
	if d, ok := otherDelimiter(e.Header, e.Column, e.Delimiter); ok {
		return fmt.Sprintf("the file looks %s-separated: try --delimiter %s", delimiterName(d), delimiterFlag(d))
	}
	return ""
}

func (e *ColumnError) Unwrap() error { return e.Err }

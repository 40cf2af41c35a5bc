// Package csvin reads a party's input file: CSV with a header row, one
// identifier per row, optionally with segment labels and a consent string.
//
// The format is RFC 4180 (read with encoding/csv, strict quoting) in UTF-8,
// with or without a byte order mark, with CRLF or LF line ends. A Reader
// streams: memory is bounded by the largest record (at most MaxRecordSize),
// whatever the file size.
//
// A bad row (wrong number of fields, broken quoting, invalid UTF-8 in a
// selected column) is reported as a *RowError and reading goes on with the
// next row, so one damaged line does not void an upload of millions of rows.
// Errors carry row and line numbers and column names, never cell values:
// cells hold identifiers and consent strings, which must not reach logs.
package csvin

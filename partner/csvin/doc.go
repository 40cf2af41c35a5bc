// Package csvin reads a party's input file: one identifier per row,
// optionally with segment labels and a consent cell, from CSV with a header
// row or from Parquet.
//
// Input as it comes (OpenFile): plain, gzip (.gz) or zstd (.zst)
// compressed CSV, chosen by the file's extension and checked against its
// first bytes; Parquet (.parquet), whose selected columns must be flat
// string columns; or standard input for the name "-", told apart by its
// first bytes. CSV text is UTF-8 (default), UTF-16 with a byte order mark
// (detected), Windows-1252 or ISO-8859-1 (Options.Encoding), separated by
// ',', ';', tab or '|', detected from the header row unless
// Options.Delimiter forces one. Plain UTF-8 CSV is read exactly as before
// these options existed: RFC 4180 (encoding/csv, strict quoting), with or
// without a byte order mark, CRLF or LF line ends.
//
// A Reader streams: memory is bounded by the largest record (at most
// MaxRecordSize) for CSV, by one page per selected column for Parquet,
// whatever the file size.
//
// A bad row (wrong number of fields, broken quoting, invalid UTF-8 in a
// selected column) is reported as a *RowError and reading goes on with the
// next row, so one damaged line does not void an upload of millions of rows.
// Errors name the file (OpenFile), the row and line (or Parquet row), the
// column and what was expected, and suggest the likely fix where the input
// shows it (another delimiter, Windows-1252 text, a missing header row:
// see ColumnError and Reader.Hints). They never carry a cell value: cells
// hold identifiers and consent strings, which must not reach logs; a header
// row is listed only when its cells look like column names.
package csvin

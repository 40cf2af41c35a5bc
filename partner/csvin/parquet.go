package csvin

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// parquetBatch is how many values of one column are decoded at a time.
// Memory stays bounded by a page of each selected column plus this batch,
// whatever the file size: row groups and pages are read one at a time.
const parquetBatch = 1024

// openParquet reads the schema of a Parquet file and locates the columns
// of cols among its top-level fields, matched by name as CSV header cells
// are. A selected column must be a flat (not repeated, not nested) byte
// array column: strings, as Parquet writers store text.
func openParquet(file *os.File, cols Columns, opts Options) (r *Reader, err error) {
	defer func() {
		if recover() != nil {
			r, err = nil, fmt.Errorf("%w: %w", ErrParquet, errLibraryPanic)
		}
	}()
	fi, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("csvin: %w", err)
	}
	var at io.ReaderAt = file
	if opts.OnRead != nil {
		at = &countingReaderAt{r: file, onRead: opts.OnRead}
	}
	start := make([]byte, len(magicParquet))
	if _, err := at.ReadAt(start, 0); err != nil || kindOfMagic(start) != parquetFile {
		return nil, fmt.Errorf("%w: the name ends in .parquet but the file does not start with PAR1", ErrCompression)
	}
	f, err := parquet.OpenFile(at, fi.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("%w: not a readable Parquet file: %w", ErrParquet, err)
	}
	fields := f.Schema().Fields()
	header := make([]string, len(fields))
	for i, field := range fields {
		header[i] = field.Name()
	}
	idx, err := cols.resolve(header, 0)
	if err != nil {
		return nil, err
	}
	p := &parquetRows{groups: f.RowGroups()}
	for _, i := range idx.cells() {
		if i < 0 {
			p.columns = append(p.columns, nil)
			continue
		}
		field := fields[i]
		leaf, _ := f.Schema().Lookup(field.Name())
		kind := field.Type().Kind()
		if !field.Leaf() || field.Repeated() || kind != parquet.ByteArray && kind != parquet.FixedLenByteArray {
			return nil, fmt.Errorf("%w: column %q is %s, want a flat string (BYTE_ARRAY) column", ErrParquet, field.Name(), describeField(field))
		}
		p.columns = append(p.columns, &parquetColumn{name: field.Name(), index: leaf.ColumnIndex})
	}
	return &Reader{parquet: p, header: header, cols: idx, cellIdx: idx.cells()}, nil
}

func describeField(f parquet.Field) string {
	switch {
	case !f.Leaf():
		return "a group"
	case f.Repeated():
		return "repeated"
	}
	return f.Type().Kind().String()
}

// parquetRows walks the row groups of a file, reading the selected columns
// in step.
type parquetRows struct {
	groups  []parquet.RowGroup
	group   int              // index of the next row group to start
	columns []*parquetColumn // id, segments, consent; nil when not selected
	started bool             // the columns read groups[group-1]
}

// parquetColumn reads the values of one column chunk page by page.
type parquetColumn struct {
	name   string
	index  int // leaf column index in the schema
	pages  parquet.Pages
	page   parquet.Page
	values parquet.ValueReader
	buf    []parquet.Value
	pos    int
}

// errLibraryPanic reports a panic of the Parquet library on a damaged
// file: it trusts some of a file's offsets and counts.
var errLibraryPanic = errors.New("the file is damaged (the Parquet decoder failed)")

// guard turns a panic of the Parquet library into errLibraryPanic in *err,
// so that a damaged file is an error, not a crash. The Reader then stops:
// the library's state after a panic is unknown.
func guard(err *error) {
	if recover() != nil {
		*err = errLibraryPanic
	}
}

// next returns the column's next value; io.EOF at the end of its chunk.
func (c *parquetColumn) next() (v parquet.Value, err error) {
	defer guard(&err)
	for c.pos == len(c.buf) {
		if c.values == nil {
			if c.page != nil {
				parquet.Release(c.page)
				c.page = nil
			}
			page, err := c.pages.ReadPage()
			if err != nil {
				return parquet.Value{}, err
			}
			c.page, c.values = page, page.Values()
		}
		if c.buf == nil {
			c.buf = make([]parquet.Value, parquetBatch)
		}
		n, err := c.values.ReadValues(c.buf[:cap(c.buf)])
		c.buf, c.pos = c.buf[:n], 0
		if err == io.EOF {
			c.values = nil
		} else if err != nil {
			return parquet.Value{}, err
		}
	}
	v = c.buf[c.pos]
	c.pos++
	return v, nil
}

func (c *parquetColumn) close() {
	if c.page != nil {
		parquet.Release(c.page)
	}
	if c.pages != nil {
		c.pages.Close()
	}
	*c = parquetColumn{name: c.name, index: c.index, buf: c.buf[:0]}
}

func (p *parquetRows) close() {
	defer guard(new(error)) // closing what a damaged file left: nothing to report
	for _, c := range p.columns {
		if c != nil {
			c.close()
		}
	}
}

// startGroup opens the selected columns' chunks of the next row group;
// io.EOF when there is none.
func (p *parquetRows) startGroup() (err error) {
	defer guard(&err)
	p.close()
	if p.group == len(p.groups) {
		return io.EOF
	}
	chunks := p.groups[p.group].ColumnChunks()
	p.group++
	for _, c := range p.columns {
		if c != nil {
			c.pages = chunks[c.index].Pages()
		}
	}
	return nil
}

// nextParquet is Next for Parquet input. Row.Line is 0: a Parquet file has
// rows, not lines.
func (r *Reader) nextParquet() (Row, error) {
	p := r.parquet
	var cells [3 + MaxKeyColumns]string
	for {
		if !p.started {
			if err := p.startGroup(); err == io.EOF {
				return Row{}, io.EOF
			} else if err != nil {
				return Row{}, r.fail(err)
			}
			p.started = true
		}
		ended, err := p.readRow(&cells)
		if err != nil {
			return Row{}, r.fail(err)
		}
		if !ended {
			break
		}
		p.started = false
	}
	r.rows++
	for i, c := range p.columns {
		if c != nil && !utf8.ValidString(cells[i]) {
			reason := fmt.Sprintf("invalid UTF-8 in column %q", c.name)
			return Row{}, &RowError{File: r.file, Row: r.rows, Reason: reason}
		}
	}
	row := Row{Number: r.rows, ID: cells[0]}
	if p.columns[1] != nil {
		row.Segments = SplitSegments(cells[1])
	}
	if p.columns[2] != nil {
		row.Consent = strings.TrimSpace(cells[2])
	}
	if n := len(p.columns) - 3; n > 0 {
		r.keys = append(r.keys[:0], cells[3:3+n]...)
		row.Keys = r.keys
	}
	return row, nil
}

// errColumnsOutOfStep reports selected columns with different numbers of
// values in one row group: the file is damaged.
var errColumnsOutOfStep = errors.New("selected columns hold different numbers of rows")

// readRow reads one value of every selected column into cells (a null is
// ""); ended reports that the row group has no more rows.
func (p *parquetRows) readRow(cells *[3 + MaxKeyColumns]string) (ended bool, err error) {
	eofs, selected := 0, 0
	for i, c := range p.columns {
		if c == nil {
			continue
		}
		selected++
		v, err := c.next()
		switch {
		case err == io.EOF:
			eofs++
			continue
		case err != nil:
			return false, err
		}
		cells[i] = ""
		if !v.IsNull() {
			cells[i] = string(v.ByteArray())
		}
	}
	switch eofs {
	case 0:
		return false, nil
	case selected:
		return true, nil
	}
	return false, errColumnsOutOfStep
}

// fail makes err the Reader's final error.
func (r *Reader) fail(err error) error {
	return r.final(fmt.Errorf("%w: row %d: %w", ErrParquet, r.rows+1, err))
}

// countingReaderAt reports each read's size to onRead.
type countingReaderAt struct {
	r      io.ReaderAt
	onRead func(int64)
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.onRead(int64(n))
	return n, err
}

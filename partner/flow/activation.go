package flow

import (
	"cmp"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/blindjoin/blindjoin/internal/spill"
	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// activationBucketRows is the least span of input row numbers one bucket
// of activation rows covers: what writeActivation sorts in memory at a
// time (28 bytes a row at most: 1.8 MB). Files of more rows than
// maxActivationBuckets such spans widen it, so that the bucket files,
// all open at once, stay few (1,024 files and 4 MiB of buffers; about a
// million rows, 28 MB, a bucket at 10^9 rows).
const (
	activationBucketRows = 1 << 16
	maxActivationBuckets = 1 << 10
)

// activationEntrySize is a bucket entry: the input row (4 bytes) and its
// segments as a bit mask (8 bytes), big-endian.
const activationEntrySize = 4 + 8

// activationRows maps the released records, as api.ReadResults hands them
// over, to input rows without holding the list, which grows with the
// audience: each record's row and segments go to a bucket of rows
// (internal/spill), which writeActivation sorts one at a time. What stays
// in memory is a bit per upload position, which finds a record released
// twice, and the union of the segments named, checked against the
// released names once the results are read (a results file may list them
// after the records).
type activationRows struct {
	byPosition []uint32
	named      []uint64 // bit p: record p was released
	used       uint64   // bit s: a record is in segment s
	count      int64
	span       uint32 // input rows per bucket
	w          *spill.Writer
	buckets    *spill.Buckets
	entry      [activationEntrySize]byte
}

func newActivationRows(s *scratch, byPosition []uint32) (*activationRows, error) {
	maxRow := uint32(0)
	for _, row := range byPosition {
		maxRow = max(maxRow, row)
	}
	span := uint32(max(activationBucketRows, (uint64(maxRow)+maxActivationBuckets)/maxActivationBuckets))
	nb := int(maxRow/span) + 1
	w, err := spill.Create(s.Path(), nb, activationEntrySize, nb*4096)
	if err != nil {
		return nil, fmt.Errorf("flow: activation: %w", err)
	}
	return &activationRows{byPosition: byPosition, named: make([]uint64, (len(byPosition)+63)/64), span: span, w: w}, nil
}

// add maps one released record. The clean room lists a record's segments
// in increasing order, each below policy.MaxSegments: what lets a mask
// stand for the list, and activation.csv name them in the same order.
func (a *activationRows) add(rec api.ActivationRecord) error {
	if rec.Record >= uint64(len(a.byPosition)) {
		return fmt.Errorf("%w: activation names record %d of an upload of %d", ErrBadSession, rec.Record, len(a.byPosition))
	}
	p := rec.Record
	if a.named[p/64]&(1<<(p%64)) != 0 {
		return fmt.Errorf("%w: activation names record %d twice", ErrBadSession, p)
	}
	a.named[p/64] |= 1 << (p % 64)
	var mask uint64
	for i, s := range rec.Segments {
		if s < 0 || s >= policy.MaxSegments {
			return fmt.Errorf("%w: activation names an invalid segment (%d)", ErrBadSession, s)
		}
		if i > 0 && s <= rec.Segments[i-1] {
			return fmt.Errorf("%w: activation record %d lists its segments out of order", ErrBadSession, p)
		}
		mask |= 1 << s
	}
	a.used |= mask
	a.count++
	row := a.byPosition[p]
	binary.BigEndian.PutUint32(a.entry[:4], row)
	binary.BigEndian.PutUint64(a.entry[4:], mask)
	return a.w.Add(int(row/a.span), a.entry[:])
}

// finish ends the adding, and checks the segments named against names,
// the released segments.
func (a *activationRows) finish(names []string) error {
	b, err := a.w.Finish()
	a.w = nil
	if err != nil {
		return fmt.Errorf("flow: activation: %w", err)
	}
	a.buckets = b
	for m := a.used; m != 0; m &= m - 1 {
		// Checked here so writeActivation need not quote.
		if s := bits.TrailingZeros64(m); s >= len(names) || !policy.ValidSegmentName(names[s]) {
			return fmt.Errorf("%w: activation names an invalid segment (%d of %d)", ErrBadSession, s, len(names))
		}
	}
	return nil
}

// remove deletes the buckets.
func (a *activationRows) remove() {
	if a.w != nil {
		a.w.Abandon()
	}
	if a.buckets != nil {
		a.buckets.Remove()
	}
}

// activationRow is one line of activation.csv.
type activationRow struct {
	row  uint32
	mask uint64
}

// writeActivation starts activation.csv: header "row", the activation
// columns, "segments"; one line per released row in row order, with the
// row's cells of those columns (the partner's own data, quoted as CSV
// needs) and its segments by name joined with ';'. The caller commits it.
func (r *runner) writeActivation(a *activationRows, names []string) (*atomicFile, error) {
	columns := r.opts.ActivationColumns
	cells, err := r.openActivationColumns()
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, c := range cells {
			c.rd.Close()
		}
	}()
	out, err := newAtomicFile(r.opts.OutDir, activationFile)
	if err != nil {
		return nil, err
	}
	w := csv.NewWriter(out)
	w.Write(slices.Concat([]string{"row"}, columns, []string{"segments"}))
	line := make([]string, 0, len(columns)+2)
	var b strings.Builder
	var data []byte
	var rows []activationRow
	for k := range a.buckets.Count() {
		if data, err = a.buckets.Read(k, data); err != nil {
			out.abort()
			return nil, fmt.Errorf("flow: activation: %w", err)
		}
		rows = rows[:0]
		for e := data; len(e) > 0; e = e[activationEntrySize:] {
			rows = append(rows, activationRow{row: binary.BigEndian.Uint32(e), mask: binary.BigEndian.Uint64(e[4:])})
		}
		slices.SortFunc(rows, func(x, y activationRow) int { return cmp.Compare(x.row, y.row) })
		for _, row := range rows {
			line = append(line[:0], strconv.FormatUint(uint64(row.row), 10))
			for c, cur := range cells {
				cell, err := cur.cell(row.row)
				if err != nil {
					out.abort()
					return nil, fmt.Errorf("%w: %s: %w", ErrActivationColumns, columns[c], err)
				}
				line = append(line, cell)
			}
			b.Reset()
			for m := row.mask; m != 0; m &= m - 1 {
				if b.Len() > 0 {
					b.WriteByte(';')
				}
				b.WriteString(names[bits.TrailingZeros64(m)])
			}
			line = append(line, b.String())
			w.Write(line)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		out.abort()
		return nil, fmt.Errorf("flow: %s: %w", activationFile, err)
	}
	return out, nil
}

// columnCursor reads one activation column of the input again, in step
// with the activation rows, which come in row order.
type columnCursor struct{ rd *csvin.Reader }

// openActivationColumns opens one cursor per activation column.
func (r *runner) openActivationColumns() ([]columnCursor, error) {
	var out []columnCursor
	for _, col := range r.opts.ActivationColumns {
		rd, err := r.openColumn(col)
		if err != nil {
			for _, c := range out {
				c.rd.Close()
			}
			return nil, err
		}
		out = append(out, columnCursor{rd: rd})
	}
	return out, nil
}

// cell returns the cell of row, numbered as in the first read (csvin
// numbers the rows it skips too). A row this read skips, or a file that
// ends before it, means the file changed since it was read.
func (c columnCursor) cell(row uint32) (string, error) {
	for {
		got, err := c.rd.Next()
		if err == io.EOF {
			return "", fmt.Errorf("the file ended before row %d: it changed since it was read", row)
		}
		if _, skipped := errors.AsType[*csvin.RowError](err); skipped {
			continue
		}
		if err != nil {
			return "", err
		}
		switch n := int64(got.Number); {
		case n == int64(row):
			return got.ID, nil
		case n > int64(row):
			return "", fmt.Errorf("the file ended before row %d: it changed since it was read", row)
		}
	}
}

package flow

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// ErrActivationColumns is wrapped by the errors about
// Options.ActivationColumns, all found before anything is uploaded.
var ErrActivationColumns = errors.New("flow: activation columns")

// checkActivationColumns makes sure, before the upload, that the
// activation columns can be copied once the results are in: the media
// partner's, from a file that can be read again, each in its header.
func (r *runner) checkActivationColumns() error {
	cols := r.opts.ActivationColumns
	switch {
	case len(cols) == 0:
		return nil
	case r.info.role != api.RoleMediaPartner:
		return fmt.Errorf("%w: only the media partner receives activation rows", ErrActivationColumns)
	case r.opts.Input == csvin.StdinName:
		return fmt.Errorf("%w: stdin cannot be read again to copy them: give the file's name", ErrActivationColumns)
	}
	for _, col := range cols {
		rd, err := r.openColumn(col)
		if err != nil {
			return err
		}
		rd.Close()
	}
	return nil
}

// openColumn opens the input with column selected as the identifier
// column, the only one csvin requires: each activation column is read
// alone.
func (r *runner) openColumn(column string) (*csvin.Reader, error) {
	format := r.opts.Format
	format.OnRead = nil
	rd, err := csvin.OpenFile(r.opts.Input, csvin.Columns{ID: column}, format)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrActivationColumns, err)
	}
	return rd, nil
}

// activationCells returns, for each activation row, its cells of the
// activation columns, read from the input one pass per column; nil without
// columns. rows are in row order; a row numbered as in the first read
// (csvin numbers the rows it skips too) gets its cell as written, or an
// empty one if this read skips it.
func (r *runner) activationCells(rows []activationRow) ([][]string, error) {
	cols := r.opts.ActivationColumns
	if len(cols) == 0 {
		return nil, nil
	}
	cells := make([][]string, len(rows))
	for i := range cells {
		cells[i] = make([]string, len(cols))
	}
	for c, col := range cols {
		rd, err := r.openColumn(col)
		if err != nil {
			return nil, err
		}
		err = copyColumn(rd, rows, cells, c)
		rd.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrActivationColumns, col, err)
		}
	}
	return cells, nil
}

// copyColumn sets cells[i][c] to the cell of rows[i] that rd reads.
func copyColumn(rd *csvin.Reader, rows []activationRow, cells [][]string, c int) error {
	next := 0 // the first activation row not yet reached
	for next < len(rows) {
		row, err := rd.Next()
		if err == io.EOF {
			return fmt.Errorf("the file ended before row %d: it changed since it was read", rows[next].row)
		}
		if _, skipped := errors.AsType[*csvin.RowError](err); skipped {
			continue
		}
		if err != nil {
			return err
		}
		for next < len(rows) && int64(rows[next].row) == int64(row.Number) {
			cells[next][c] = strings.Clone(row.ID)
			next++
		}
	}
	return nil
}

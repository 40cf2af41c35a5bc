package flow

import (
	"errors"
	"fmt"

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

package testvectors

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/blindjoin/blindjoin/testvectors/internal/schema"
)

var (
	// ErrNoFiles is returned by Verify for a file system without vector files.
	ErrNoFiles = errors.New("testvectors: no *.json vector files")
	// ErrFormat is wrapped by the error of a file that is not a well-formed
	// vector file: not JSON, an unknown, repeated or misspelt key, a value of
	// the wrong JSON type.
	ErrFormat = errors.New("testvectors: malformed vector file")
	// ErrMismatch is wrapped by every *Error.
	ErrMismatch = errors.New("testvectors: vector does not replay")
)

// Error reports the first vector of a file that does not replay: a value
// that differs from the one computed, a missing or misplaced field, or an
// outcome (accepted, rejected, reason) other than the one stated.
type Error struct {
	Vector string // where in the file, such as "records[3]" or "intersections[0].b[2]"; "" for the file's header
	Field  string // the JSON key at fault, if one is
	Reason string
}

func (e *Error) Error() string {
	msg := e.Reason
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Vector != "" {
		msg = e.Vector + ": " + msg
	}
	return msg
}

// Unwrap lets callers test errors.Is(err, ErrMismatch).
func (e *Error) Unwrap() error { return ErrMismatch }

// FileResult is the outcome of replaying one vector file.
type FileResult struct {
	Name string // path of the file within the file system given to Verify
	// Checked counts the vectors that replayed before the first failure
	// (all of them when Err is nil): each record, each encoding and the
	// overlap of each intersection counts one.
	Checked int
	Err     error // nil if the whole file replayed
}

// Verify replays every "*.json" file at the root of fsys (Embedded for the
// vectors of this package) and returns one result per file, in name order.
// A file that cannot be read or parsed, or whose first failing vector stops
// its replay, has a non-nil Err; Verify itself fails only when fsys cannot be
// listed or holds no vector file.
func Verify(fsys fs.FS) ([]FileResult, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, ErrNoFiles
	}
	results := make([]FileResult, len(names))
	for i, name := range names {
		results[i] = verifyFile(fsys, name)
	}
	return results, nil
}

func verifyFile(fsys fs.FS, name string) FileResult {
	res := FileResult{Name: name}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		res.Err = err
		return res
	}
	f, err := schema.Decode(data)
	if err != nil {
		res.Err = fmt.Errorf("%w: %w", ErrFormat, err)
		return res
	}
	var r replayer
	res.Err = r.file(f)
	res.Checked = r.checked
	return res
}

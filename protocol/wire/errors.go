package wire

import (
	"errors"
	"strconv"
)

// Sentinel errors. Decoding errors reach the caller wrapped in *Error, so test
// them with errors.Is; the texts never contain record contents.
var (
	ErrMagic        = errors.New("wire: not a blindjoin part (bad magic)")
	ErrVersion      = errors.New("wire: unsupported format version")
	ErrSuite        = errors.New("wire: unsupported cipher suite")
	ErrKind         = errors.New("wire: unknown part kind")
	ErrHeader       = errors.New("wire: malformed header")
	ErrChunk        = errors.New("wire: malformed chunk framing")
	ErrRecord       = errors.New("wire: malformed record")
	ErrTruncated    = errors.New("wire: truncated part")
	ErrTrailingData = errors.New("wire: data after the trailer")
	ErrChecksum     = errors.New("wire: checksum mismatch")
	ErrTooLarge     = errors.New("wire: part exceeds MaxPartSize")
)

// errClosed reports use of a Writer after Close: a programming error, not
// something a peer can cause, so it has no exported sentinel.
var errClosed = errors.New("wire: writer is closed")

// Error is a decoding failure at a byte offset of the part (counted from the
// first byte of the magic). Err wraps one of the sentinels above, or the
// error returned by the underlying io.Reader.
type Error struct {
	Offset int64
	Err    error
}

func (e *Error) Error() string {
	return e.Err.Error() + " (at byte " + strconv.FormatInt(e.Offset, 10) + ")"
}

func (e *Error) Unwrap() error { return e.Err }

package csvin

import (
	"errors"
	"io"
)

// MaxRecordSize is the largest record a Reader accepts, in bytes. A real
// row (an identifier, a few segment labels, a TC string of a few KiB) is far
// smaller; the bound keeps a hostile or broken file (an unterminated quote)
// from being buffered whole.
const MaxRecordSize = 1 << 20

// bufSize is the read-ahead of the bufio.Reader between budgetReader and
// encoding/csv.
const bufSize = 4096

var errBudget = errors.New("csvin: record budget exhausted")

// budgetReader fails once more than MaxRecordSize (plus read-ahead slack)
// has been read since the last reset. Reader resets it before each record,
// which bounds the memory encoding/csv uses for one record.
//
// It also keeps the first error of r and returns it again on every later
// call: the delimiter detection peeks ahead, and bufio.Reader hands a read
// error to the Peek that met it and then forgets it, so a failure met
// there must still reach the row that needs the missing bytes.
type budgetReader struct {
	r    io.Reader
	left int
	err  error
}

func (b *budgetReader) reset() {
	// A record that fits MaxRecordSize may need that much plus one
	// read-ahead chunk past its end, and part of it may already be buffered.
	b.left = MaxRecordSize + 2*bufSize
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.left <= 0 {
		return 0, errBudget
	}
	if len(p) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= n
	b.err = err
	return n, err
}

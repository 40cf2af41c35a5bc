package flow

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// rowLog is what the read found on each row, in row order, in a scratch
// file. A one-key row's outcome depends on whether an earlier row holds
// its identifier, which the read can tell only once every row is in
// (dupFinder): holding every identifier in memory to tell it sooner is
// what the log avoids. So the read logs what it found, and replay
// (read.go) then writes rejects.csv, counts and keeps rows in row order
// exactly as a read that knew the duplicates would have. Entries, each a tag byte then its fields
// (numbers big-endian, strings as a uvarint length and bytes):
//
//	logReject  row u32, reject key, detail: a row that stays home
//	logNote    row u32, text: a line of rejects.csv that counts no row (a
//	           multi-key row's dropped key)
//	logRow     row u32, digest (32 bytes), consent kind, flags
//	           (flagNotTC, flagRejected), then the reject key and detail
//	           if rejected, else the bits u64, then the number of unknown
//	           segment names and the names: a one-key row with a valid
//	           identifier (rowConsent)
type rowLog struct {
	file *spillFile
	buf  []byte
}

const (
	logReject byte = 'r'
	logNote   byte = 'n'
	logRow    byte = 'v'

	flagNotTC    = 1
	flagRejected = 2
)

func newRowLog(s *scratch) (*rowLog, error) {
	f, err := s.spill("rows")
	if err != nil {
		return nil, err
	}
	return &rowLog{file: f}, nil
}

func (l *rowLog) begin(tag byte, row uint32) {
	l.buf = binary.BigEndian.AppendUint32(append(l.buf[:0], tag), row)
}

func (l *rowLog) str(s string) {
	l.buf = append(binary.AppendUvarint(l.buf, uint64(len(s))), s...)
}

func (l *rowLog) end() { l.file.w.Write(l.buf) }

func (l *rowLog) reject(row uint32, rej *reject) {
	l.begin(logReject, row)
	l.str(rej.key)
	l.str(rej.detail)
	l.end()
}

func (l *rowLog) note(row uint32, text string) {
	l.begin(logNote, row)
	l.str(text)
	l.end()
}

func (l *rowLog) row(row uint32, d *[32]byte, rc *rowConsent) {
	l.begin(logRow, row)
	l.buf = append(l.buf, d[:]...)
	l.str(rc.kind)
	var flags byte
	if rc.notTC {
		flags |= flagNotTC
	}
	if rc.rej != nil {
		flags |= flagRejected
	}
	l.buf = append(l.buf, flags)
	if rc.rej != nil {
		l.str(rc.rej.key)
		l.str(rc.rej.detail)
	} else {
		l.buf = binary.BigEndian.AppendUint64(l.buf, rc.bits)
	}
	l.buf = binary.AppendUvarint(l.buf, uint64(len(rc.unknown)))
	for _, name := range rc.unknown {
		l.str(name)
	}
	l.end()
}

// loggedRow is one entry of a rowLog as read back.
type loggedRow struct {
	tag    byte
	row    uint32
	rej    reject // logReject, and logRow when rc.rej is set
	text   string // logNote
	digest [32]byte
	rc     rowConsent
}

// logReader reads a rowLog back. The strings of its entries repeat (a
// handful of consent kinds and reasons), so it shares one copy of each
// up to a bound rather than allocate one per row.
type logReader struct {
	br      *bufio.Reader
	strs    map[string]string
	scratch []byte
	fixed   [8]byte // fixed-size fields, here rather than on the stack, where io.ReadFull would move them to the heap
}

// maxLogStrings bounds the strings a logReader shares.
const maxLogStrings = 4096

var errBadLog = errors.New("flow: the scratch file of rows read is damaged")

func (l *rowLog) reader() (*logReader, error) {
	br, err := l.file.rewind()
	if err != nil {
		return nil, err
	}
	return &logReader{br: br, strs: map[string]string{}}, nil
}

// next reads the next entry into e; io.EOF after the last.
func (lr *logReader) next(e *loggedRow) error {
	tag, err := lr.br.ReadByte()
	if err == io.EOF {
		return io.EOF
	}
	if err == nil {
		_, err = io.ReadFull(lr.br, lr.fixed[:4])
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errBadLog, err)
	}
	e.tag, e.row = tag, binary.BigEndian.Uint32(lr.fixed[:4])
	switch tag {
	case logReject:
		e.rej.key, err = lr.str()
		if err == nil {
			e.rej.detail, err = lr.str()
		}
	case logNote:
		e.text, err = lr.str()
	case logRow:
		err = lr.row(e)
	default:
		err = errors.New("unknown entry")
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errBadLog, err)
	}
	return nil
}

func (lr *logReader) row(e *loggedRow) error {
	if _, err := io.ReadFull(lr.br, e.digest[:]); err != nil {
		return err
	}
	var err error
	e.rc = rowConsent{}
	if e.rc.kind, err = lr.str(); err != nil {
		return err
	}
	flags, err := lr.br.ReadByte()
	if err != nil {
		return err
	}
	e.rc.notTC = flags&flagNotTC != 0
	if flags&flagRejected != 0 {
		if e.rej.key, err = lr.str(); err != nil {
			return err
		}
		if e.rej.detail, err = lr.str(); err != nil {
			return err
		}
		e.rc.rej = &e.rej
	} else {
		if _, err := io.ReadFull(lr.br, lr.fixed[:]); err != nil {
			return err
		}
		e.rc.bits = binary.BigEndian.Uint64(lr.fixed[:])
	}
	n, err := binary.ReadUvarint(lr.br)
	if err != nil {
		return err
	}
	for range n {
		name, err := lr.str()
		if err != nil {
			return err
		}
		e.rc.unknown = append(e.rc.unknown, name)
	}
	return nil
}

func (lr *logReader) str() (string, error) {
	n, err := binary.ReadUvarint(lr.br)
	if err != nil {
		return "", err
	}
	if n > 1<<20 {
		return "", errors.New("string too long")
	}
	if cap(lr.scratch) < int(n) {
		lr.scratch = make([]byte, n)
	}
	b := lr.scratch[:n]
	if _, err := io.ReadFull(lr.br, b); err != nil {
		return "", err
	}
	if s, ok := lr.strs[string(b)]; ok {
		return s, nil
	}
	s := string(b)
	if len(lr.strs) < maxLogStrings {
		lr.strs[s] = s
	}
	return s, nil
}

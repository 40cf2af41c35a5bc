package session

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// countingSet is a party's blinded set as the server relays and joins it:
// only the records that count, in upload order. Counting position i is the
// i-th counting record; everything is held in flat slices, never as one
// heap object per record.
type countingSet struct {
	n     int
	index []uint32                 // original record index in the upload (if asked for)
	bits  []uint64                 // attribute bits (if asked for)
	elems [][wire.ElementSize]byte // elements (if asked for)
}

// setFields selects what loadSet keeps per counting record.
type setFields struct {
	index, bits, elems bool
}

// errCorrupt reports a stored file that no longer matches what was
// recorded when it was received: the disk or someone with access to it
// changed it. It is an internal error, never the party's fault.
var errCorrupt = errors.New("session: stored part file does not match its recorded digest")

// loadSet reads a side's committed blinded parts back from disk and keeps
// the counting records. The store keeps how many records of a part count,
// not which, so the count rule is applied again (and must find as many);
// each file's digest is checked against the store.
func (s *Service) loadSet(parts []store.Part, eval *policy.Evaluator, want setFields) (*countingSet, error) {
	var total uint64
	for _, p := range parts {
		total += p.Counting
	}
	set := &countingSet{n: int(total)}
	if want.index {
		set.index = make([]uint32, 0, total)
	}
	if want.bits {
		set.bits = make([]uint64, 0, total)
	}
	if want.elems {
		set.elems = make([][wire.ElementSize]byte, 0, total)
	}
	counted := 0
	for _, p := range parts {
		err := s.readPart(p, wire.KindBlinded, func(i uint64, rec []byte) {
			bits := wire.UnpackAttrs(rec[wire.ElementSize:])
			if !eval.Counts(bits) {
				return
			}
			counted++
			if want.index {
				set.index = append(set.index, uint32(p.First+i))
			}
			if want.bits {
				set.bits = append(set.bits, bits)
			}
			if want.elems {
				set.elems = append(set.elems, [wire.ElementSize]byte(rec))
			}
		})
		if err != nil {
			return nil, err
		}
	}
	if counted != set.n {
		return nil, fmt.Errorf("%w: counting records changed", errCorrupt)
	}
	return set, nil
}

// readPart streams the records of a stored part file of the given kind to
// fn and checks the file's digest and record count against the store.
func (s *Service) readPart(p store.Part, kind wire.Kind, fn func(i uint64, rec []byte)) error {
	// No deadline of its own: a join, once started, runs to its end.
	f, err := s.openPart(context.Background(), p)
	if err != nil {
		return err
	}
	defer f.Close()
	rd, err := wire.NewReader(bufio.NewReaderSize(f, 256<<10))
	if err != nil {
		return fmt.Errorf("%w: %w", errCorrupt, err)
	}
	if rd.Header().Kind != kind {
		return fmt.Errorf("%w: part kind changed", errCorrupt)
	}
	var i uint64
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %w", errCorrupt, err)
		}
		fn(i, rec)
		i++
	}
	if d := rd.Digest(); !bytes.Equal(d[:], p.Digest) || i != p.Records {
		return errCorrupt
	}
	return nil
}

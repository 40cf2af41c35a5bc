package session

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// countingSet is a party's blinded set as the server relays and joins it:
// only the records that count, in upload order, and their identifiers
// (elements), record by record and in key order within a record. Counting
// row r is the r-th counting record, identifier i the i-th element of the
// counting records; in a one-key session they are the same. Everything is
// held in flat slices, never as one heap object per record.
type countingSet struct {
	rows  int                      // counting records
	n     int                      // their identifiers: what is relayed and joined
	index []uint32                 // per row: original record index in the upload (if asked for)
	bits  []uint64                 // per row: attribute bits (if asked for)
	elems [][wire.ElementSize]byte // per identifier: its element (if asked for)
	// For a keyed set, with bits: per row the match keys it carries (a
	// mask over the session's keys), and per identifier its row and key
	// index. All nil for a one-key set, where identifier i is row i of
	// key 0.
	keys  []uint8
	rowOf []uint32
	keyOf []uint8
}

// row and key say which counting row, and which of the session's keys,
// identifier i stands for.
func (set *countingSet) row(i uint32) uint32 {
	if set.rowOf == nil {
		return i
	}
	return set.rowOf[i]
}

func (set *countingSet) key(i uint32) uint8 {
	if set.keyOf == nil {
		return 0
	}
	return set.keyOf[i]
}

// keysOf is the match keys counting row r carries.
func (set *countingSet) keysOf(r uint32) uint8 {
	if set.keys == nil {
		return 1
	}
	return set.keys[r]
}

// setFields selects what loadSet keeps per counting record.
type setFields struct {
	index, bits, elems bool
}

// errCorrupt reports a stored file that no longer matches what was
// recorded when it was received: the disk or someone with access to it
// changed it. It is an internal error, never the party's fault.
var errCorrupt = errors.New("session: stored part file does not match its recorded digest")

// countingRecord is one counting record of a blinded set, as scanSet
// streams it.
type countingRecord struct {
	row   uint64 // its number among the counting records
	index uint64 // its position in the party's upload
	bits  uint64 // its attribute bits
	keys  uint8  // the session's match keys it carries (a mask; 1 in a one-key set)
	elems []byte // its elements, one per key it carries, in key order; valid during the call only
}

// scanSet streams the counting records of a side's committed blinded
// parts, declared with attrs, in upload order. The store keeps how many
// records of a part count, not which, so the count rule is applied again
// (and must find as many); each file's digest is checked against the
// store. It holds nothing per record, whatever the set's size.
func (s *Service) scanSet(parts []store.Part, attrs []wire.Attr, eval *policy.Evaluator, fn func(countingRecord) error) error {
	var total uint64
	for _, p := range parts {
		total += p.Counting
	}
	layout := wire.Header{Kind: wire.KindBlinded, Attrs: attrs}
	keyed := layout.Keyed()
	var counted uint64
	var fnErr error
	for _, p := range parts {
		err := s.readPart(p, wire.KindBlinded, func(i uint64, rec []byte) {
			attrBits, elems := layout.SplitRecord(rec)
			if fnErr != nil || !eval.Counts(attrBits) {
				return
			}
			r := countingRecord{row: counted, index: p.First + i, bits: attrBits, keys: 1, elems: elems}
			if keyed {
				r.keys = eval.Keys(attrBits)
			}
			counted++
			fnErr = fn(r)
		})
		if err == nil {
			err = fnErr
		}
		if err != nil {
			return err
		}
	}
	if counted != total {
		return fmt.Errorf("%w: counting records changed", errCorrupt)
	}
	return nil
}

// loadSet reads a side's counting records into memory (scanSet), keeping
// the fields want asks for.
func (s *Service) loadSet(parts []store.Part, attrs []wire.Attr, eval *policy.Evaluator, want setFields) (*countingSet, error) {
	var total uint64
	for _, p := range parts {
		total += p.Counting
	}
	layout := wire.Header{Kind: wire.KindBlinded, Attrs: attrs}
	keyed := layout.Keyed()
	set := &countingSet{rows: int(total)}
	if want.index {
		set.index = make([]uint32, 0, total)
	}
	if want.bits {
		set.bits = make([]uint64, 0, total)
	}
	if want.elems {
		set.elems = make([][wire.ElementSize]byte, 0, total)
	}
	if keyed && want.bits {
		set.keys = make([]uint8, 0, total)
		set.rowOf = make([]uint32, 0, total)
		set.keyOf = make([]uint8, 0, total)
	}
	err := s.scanSet(parts, attrs, eval, func(r countingRecord) error {
		set.n += len(r.elems) / wire.ElementSize
		if want.index {
			set.index = append(set.index, uint32(r.index))
		}
		if want.bits {
			set.bits = append(set.bits, r.bits)
		}
		if want.elems {
			for e := range len(r.elems) / wire.ElementSize {
				set.elems = append(set.elems, [wire.ElementSize]byte(r.elems[e*wire.ElementSize:]))
			}
		}
		if set.keys != nil {
			set.keys = append(set.keys, r.keys)
			for m := r.keys; m != 0; m &= m - 1 {
				set.rowOf = append(set.rowOf, uint32(r.row))
				set.keyOf = append(set.keyOf, uint8(bits.TrailingZeros8(m)))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
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

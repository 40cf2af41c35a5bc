package flow

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/blindjoin/blindjoin/internal/radix"
	"github.com/blindjoin/blindjoin/internal/spill"
)

// dupBuckets is the number of files the duplicate search scatters the
// identifiers into: one bucket is sorted in memory at a time, so its
// memory is 24 bytes per identifier over dupBuckets (1 MB per ten
// million identifiers), and the files' write buffers cost 1 MB.
const dupBuckets = 256

// dupEntry is one row's identifier in a bucket: the match key it is a
// value of (its index in the session's keys), the first 16 bytes of its
// digest (the precision of the clean room's join digests, at which two
// identifiers are one person) and the row (its number, or its place: any
// number that grows with the rows).
type dupEntry struct {
	key   uint8
	value [16]byte
	row   uint32
}

const dupEntrySize = 1 + 16 + 4

// compareDupEntries orders entries by key, value and row: a run of equal
// values starts with its first row.
func compareDupEntries(a, b dupEntry) int {
	if c := cmp.Compare(a.key, b.key); c != 0 {
		return c
	}
	if c := bytes.Compare(a.value[:], b.value[:]); c != 0 {
		return c
	}
	return cmp.Compare(a.row, b.row)
}

// dupEntryKey is the leading 64 bits of compareDupEntries' order: the
// key, then the value's first seven bytes.
func dupEntryKey(e *dupEntry) uint64 {
	return uint64(e.key)<<56 | binary.BigEndian.Uint64(e.value[:8])>>8
}

// duplicate is a row whose value of a key an earlier row, first, holds.
type duplicate struct {
	key        uint8
	row, first uint32
}

// dupFinder finds the rows whose identifier an earlier row holds without
// a map of every identifier seen: while the input is read, each
// identifier goes to a bucket file chosen by its digest's first byte;
// then each bucket is sorted by identifier and row, and every row after
// the first of a run of equal identifiers is a duplicate of the first.
// Only the duplicates stay in memory (12 bytes each). In a one-key
// session a row is a duplicate or kept, never both.
type dupFinder struct {
	w     *spill.Writer      // nil once find has run
	entry [dupEntrySize]byte // the entry being added
}

func newDupFinder(s *scratch) (*dupFinder, error) {
	w, err := spill.Create(s.Path(), dupBuckets, dupEntrySize, dupBuckets*4096)
	if err != nil {
		return nil, fmt.Errorf("flow: scratch file: %w", err)
	}
	return &dupFinder{w: w}, nil
}

// add notes that row holds value d of key k. Rows come in increasing
// order.
func (f *dupFinder) add(k uint8, d *[32]byte, row uint32) {
	f.entry[0] = k
	copy(f.entry[1:17], d[:16])
	binary.BigEndian.PutUint32(f.entry[17:], row)
	// A failed write sticks in the bucket's buffer: find's Finish
	// reports it.
	f.w.Add(int(d[0]), f.entry[:])
}

// find returns the duplicates by key and in row order, each with the
// first row of its value. The bucket files are removed once sorted.
func (f *dupFinder) find() ([]duplicate, error) {
	b, err := f.w.Finish()
	f.w = nil
	if err != nil {
		return nil, fmt.Errorf("flow: scratch file: %w", err)
	}
	defer b.Remove()
	var dups []duplicate
	var entries []dupEntry
	var data []byte
	for i := range dupBuckets {
		if data, err = b.Read(i, data); err != nil {
			return nil, fmt.Errorf("flow: reading back a scratch file: %w", err)
		}
		entries = entries[:0]
		for e := data; len(e) >= dupEntrySize; e = e[dupEntrySize:] {
			entries = append(entries, dupEntry{key: e[0], value: [16]byte(e[1:17]), row: binary.BigEndian.Uint32(e[17:])})
		}
		radix.Sort(entries, dupEntryKey, compareDupEntries)
		for j := 1; j < len(entries); j++ {
			if first := entries[j-1]; entries[j].key == first.key && entries[j].value == first.value {
				// The first of the run is carried along: entries[j-1] is
				// made the run's first for the next entry.
				dups = append(dups, duplicate{key: first.key, row: entries[j].row, first: first.row})
				entries[j].row = first.row
			}
		}
	}
	slices.SortFunc(dups, func(a, b duplicate) int {
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.row, b.row)
	})
	return dups, nil
}

// close removes the bucket files if find has not.
func (f *dupFinder) close() {
	if f.w != nil {
		f.w.Abandon()
		f.w = nil
	}
}

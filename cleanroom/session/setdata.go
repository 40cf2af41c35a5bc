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
	total := statusOf(parts).counting
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

package flow

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/bits"
	"os"
	"strconv"

	"github.com/blindjoin/blindjoin/internal/spill"
	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// audience is the rows that may leave the party. In memory a kept row
// costs its input row number (4 bytes): rows[i], the i-th kept row's,
// until order turns the rows into byPosition, the input row of each
// upload position, which maps activation records back to rows. The rows'
// identifier digests and attribute bits are in recs, a file of the
// scratch directory, gone once the upload is complete.
type audience struct {
	scratch *scratch
	recs    *records // kept-row order once read, upload order once ordered
	kept    int
	rows    []uint32 // 1-based data row numbers, as in rejects.csv
	// byPosition is the input row number of each upload position.
	byPosition []uint32
	keyCounts  []KeyCounts
	// fingerprint identifies the kept rows (numbers, digests and bits), so
	// a resumed run can tell whether its input is still the same.
	fingerprint [32]byte

	read     int64            // data rows read
	rejected map[string]int64 // by reject key
	unknown  map[string]int64 // unknown segment names and their row counts
	stats    readStats
	hints    []string // csvin.Reader.Hints
}

func (a *audience) len() int { return a.kept }

// dropUploadData forgets the digests and bits once the blinded set is
// uploaded: the exchange and the results need neither. The scratch
// directory goes with them.
func (a *audience) dropUploadData() { a.close() }

// close removes the scratch directory and what it holds; a no-op once
// done. Deferred by every caller of readInput, so that no digest stays on
// disk after an error.
func (a *audience) close() {
	if a.recs != nil {
		a.recs.file.close()
		a.recs = nil
	}
	a.scratch.remove()
	a.scratch = nil
}

// identifiers is the number of identifiers that the records at upload
// positions from to to-1 carry.
func (a *audience) identifiers(from, to int) (int, error) {
	if !a.recs.keyed {
		return to - from, nil
	}
	f, err := a.recs.locate(from)
	if err != nil {
		return 0, err
	}
	t, err := a.recs.locate(to)
	return int(t.idents - f.idents), err
}

// order puts the kept rows in upload order: position p carries kept row
// perm[p] (uploadPermutation). perm becomes byPosition (rows goes: the
// results need nothing else) and, when the records are still to be
// uploaded, the records file is written again in upload order, so that
// each part reads its records front to back rather than one read per
// record.
func (a *audience) order(perm []uint32, records bool) error {
	inv := a.rows
	a.byPosition, a.rows = rowsByPosition(perm, inv), nil
	if !records {
		return nil
	}
	return a.orderRecords(inv)
}

// orderBuckets is the number of files orderRecords scatters the records
// into by position: one is sorted in memory at a time.
const orderBuckets = 256

// orderRecords writes the records again in upload order: it scatters
// them, with their positions (inv), into buckets of consecutive
// positions, then places each bucket's records in order, one bucket at a
// time, into the new file. A bucket entry is the position and the record,
// padded in a multi-key session to the size of a record of every key
// (internal/spill's entries have one size; the keys byte tells a record's
// own).
func (a *audience) orderRecords(inv []uint32) error {
	n := a.kept
	nb := max(1, min(orderBuckets, n))
	span := max(1, (n+nb-1)/nb)
	recSize := 8 + 32
	if a.recs.keyed {
		recSize = maxRecordSize
	}
	entrySize := 4 + recSize
	w, err := spill.Create(a.scratch.Path(), nb, entrySize, nb*4096)
	if err != nil {
		return fmt.Errorf("flow: scratch file: %w", err)
	}
	rd, err := a.recs.reader(0)
	if err != nil {
		w.Abandon()
		return err
	}
	entry := make([]byte, entrySize)
	for j := range n {
		rec, err := rd.next()
		if err != nil {
			w.Abandon()
			return err
		}
		p := inv[j]
		binary.BigEndian.PutUint32(entry, p)
		clear(entry[4+copy(entry[4:], rec):])
		w.Add(int(p)/span, entry) // a failed write sticks in the buffer: Finish reports it
	}
	b, err := w.Finish()
	if err != nil {
		return fmt.Errorf("flow: scratch file: %w", err)
	}
	defer b.Remove()
	out, err := newRecords(a.scratch, "ordered", a.recs.keyed)
	if err != nil {
		return err
	}
	// Bucket i holds positions i*span to (i+1)*span-1, each once: a
	// record's place is its position less the bucket's first.
	idx := make([]int, span)
	var data []byte
	for i := range nb {
		if data, err = b.Read(i, data); err != nil {
			out.file.close()
			return fmt.Errorf("flow: reading back a scratch file: %w", err)
		}
		first := i * span
		count := max(0, min(span, n-first))
		for off := 0; off < len(data); off += entrySize {
			at := int(binary.BigEndian.Uint32(data[off:])) - first
			if at < 0 || at >= count {
				out.file.close()
				return errBadLog
			}
			idx[at] = off + 4
		}
		for _, start := range idx[:count] {
			size := 8 + 32
			if out.keyed {
				size = 1 + 8 + 32*bits.OnesCount8(data[start])
			}
			if size > recSize {
				out.file.close()
				return errBadLog
			}
			out.appendRaw(data[start : start+size])
		}
	}
	if err := out.finish(); err != nil {
		out.file.close()
		return err
	}
	a.recs.file.remove()
	a.recs = out
	return nil
}

// rejectsFile is the name of the rejected rows' report in the output
// directory.
const rejectsFile = "rejects.csv"

// readInput reads the input into an audience and writes rejects.csv (into
// OutDir; nowhere when it is empty, as for Preflight). The caller closes
// the audience.
func (r *runner) readInput(ctx context.Context) (*audience, error) {
	var size int64 = -1
	if r.opts.Input != csvin.StdinName {
		if fi, err := os.Stat(r.opts.Input); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	prog := r.opts.Progress
	prog.Start("read", "bytes", size)
	defer prog.Done()
	format := r.opts.Format
	format.OnRead = prog.Add
	rd, err := csvin.OpenFile(r.opts.Input, r.columns(), format)
	if err != nil {
		return nil, fmt.Errorf("flow: input: %w", err)
	}
	defer rd.Close()
	sc, err := newScratch(r.opts.OutDir)
	if err != nil {
		return nil, err
	}
	a := &audience{scratch: sc}
	if r.opts.OutDir == "" {
		err = r.classifyRows(ctx, rd, a, csv.NewWriter(io.Discard))
	} else {
		var out *atomicFile
		if out, err = newAtomicFile(r.opts.OutDir, rejectsFile); err == nil {
			defer out.abort()
			if err = r.classifyRows(ctx, rd, a, csv.NewWriter(out)); err == nil {
				err = out.commit()
			}
		}
	}
	if err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// classifyRows reads every row of rd into a, writing each rejected row to
// rejects. The rows go through a rowLog: read, classified and logged
// first, they are counted, kept or rejected by replay once the
// duplicates are known.
func (r *runner) classifyRows(ctx context.Context, rd *csvin.Reader, a *audience, rejects *csv.Writer) error {
	rejects.Write([]string{"row", "reason"})
	cls := newClassifier(r.info, r.opts)
	a.rejected, a.unknown = map[string]int64{}, cls.unknown
	log, err := newRowLog(a.scratch)
	if err != nil {
		return err
	}
	defer log.file.remove()
	dups, err := newDupFinder(a.scratch)
	if err != nil {
		return err
	}
	defer dups.close()
	var stage *keyedStage
	if r.info.multi() {
		if stage, err = newKeyedStage(r.info, a.scratch, dups); err != nil {
			return err
		}
		defer stage.file.remove()
	}
	valid := 0 // one-key rows with a valid identifier
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		var rej *reject
		var number int
		if re, ok := errors.AsType[*csvin.RowError](err); ok {
			number, rej = re.Row, &reject{key: reasonMalformedRow, detail: re.Reason}
		} else if err != nil {
			return fmt.Errorf("flow: input: %w", err)
		}
		if rej == nil {
			number = row.Number
		}
		num, err := rowNumber(number)
		if err != nil {
			return err
		}
		a.read++
		switch {
		case rej == nil && stage != nil:
			cls.countLabels(row)
			var bits uint64
			if bits, rej = cls.consentAndSegments(row); rej == nil {
				rej = stage.add(cls, row, num, bits, log)
			}
		case rej == nil:
			var d [32]byte
			if d, rej = cls.classify(row); rej == nil {
				rc := cls.rowConsent(row)
				log.row(num, &d, &rc)
				dups.add(0, &d, num)
				valid++
			}
		}
		if rej != nil {
			log.reject(num, rej)
		}
	}
	found, err := dups.find()
	if err != nil {
		return err
	}
	fp := sha256.New()
	if stage == nil {
		err = r.replay(a, cls, log, found, valid, fp, rejects)
	} else if err = r.replay(a, cls, log, nil, 0, fp, rejects); err == nil {
		err = stage.finish(a, found, fp, rejects, r.info.pol.Duplicates)
	}
	if err != nil {
		return err
	}
	rejects.Flush()
	if err := rejects.Error(); err != nil {
		return fmt.Errorf("flow: %s: %w", rejectsFile, err)
	}
	fp.Sum(a.fingerprint[:0])
	a.stats, a.hints = cls.stats, rd.Hints()
	return nil
}

// replay goes through the logged rows in row order, knowing dups (the
// one-key duplicates, in row order): it writes each rejected row to
// rejects, counts the rows' consent and segments but a duplicate's, and
// keeps a one-key row that counts (into a.recs and a.rows, hashed into
// fp). valid is the number of logged one-key rows, whose rows but the
// duplicates may be kept: a.rows gets its exact capacity at most.
func (r *runner) replay(a *audience, cls *classifier, log *rowLog, dups []duplicate, valid int, fp hash.Hash, rejects *csv.Writer) error {
	lr, err := log.reader()
	if err != nil {
		return err
	}
	if !r.info.multi() {
		if a.recs, err = newRecords(a.scratch, "records", false); err != nil {
			return err
		}
		a.rows = make([]uint32, 0, valid-len(dups))
		defer func() { a.kept = len(a.rows) }()
	}
	reject := func(row uint32, rej *reject) {
		a.rejected[rej.key]++
		rejects.Write([]string{strconv.FormatUint(uint64(row), 10), rej.String()})
	}
	var e loggedRow
	var buf [4 + 32 + 8]byte
	for {
		err := lr.next(&e)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch e.tag {
		case logReject:
			reject(e.row, &e.rej)
		case logNote:
			rejects.Write([]string{strconv.FormatUint(uint64(e.row), 10), e.text})
		case logRow:
			if len(dups) > 0 && dups[0].row == e.row {
				reject(e.row, cls.duplicateReject(dups[0].first))
				dups = dups[1:]
				continue
			}
			bits, rej := cls.count(&e.rc)
			if rej != nil {
				reject(e.row, rej)
				continue
			}
			a.recs.append(0, bits, e.digest)
			a.rows = append(a.rows, e.row)
			writeFingerprint(fp, buf[:], e.row, &e.digest, bits)
		}
	}
	if a.recs != nil {
		return a.recs.finish()
	}
	return nil
}

// columns selects the input's columns: the segments column only where
// the session has segments for our rows to carry (the advertiser's,
// unless NoSegments) or the labels are to be found (Preflight), so that
// its default name need not exist otherwise.
func (r *runner) columns() csvin.Columns {
	cols := r.opts.Columns
	noSegments := len(r.info.segments) == 0 && !r.labelsFound
	if r.info.role == api.RoleAdvertiser && (noSegments || r.opts.NoSegments) {
		cols.Segments = ""
	}
	return cols
}

// writeFingerprint hashes one kept row: number, digest, bits.
func writeFingerprint(h hash.Hash, buf []byte, row uint32, d *[32]byte, bits uint64) {
	binary.BigEndian.PutUint32(buf[0:4], row)
	copy(buf[4:36], d[:])
	binary.BigEndian.PutUint64(buf[36:44], bits)
	h.Write(buf[:44])
}

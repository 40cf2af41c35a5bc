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
	"os"
	"runtime"
	"strconv"

	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// audience is the rows that may leave the party, in input order:
// digests.at(i), bits.at(i) and rows[i] describe the i-th kept row. The
// digests and bits, 40 of the 44 bytes a row costs, are kept in blocks
// (see blocks) and dropped once the upload is complete; the row numbers
// stay to the end, to map activation records back to rows.
type audience struct {
	digests blocks[[32]byte]
	bits    blocks[uint64]
	rows    []uint32 // 1-based data row numbers, as in rejects.csv

	// Multi-key sessions: digests holds every identifier of the kept rows,
	// row by row in key order; keys[i] is the keys row i carries (a mask
	// over the session's keys) and identStart[i] its first identifier.
	// Both nil for a one-key session, where identifier i is row i.
	keys       []uint8
	identStart []uint32
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

func (a *audience) len() int { return len(a.rows) }

// dropUploadData forgets the digests and bits once the blinded set is
// uploaded: the exchange and the results need neither. They are 40 of the
// 48 bytes a row holds, and collecting them now, rather than when the heap
// next reaches twice its size at the last collection, lets the results
// (the media partner's activation list) reuse their memory instead of
// coming on top of it.
func (a *audience) dropUploadData() {
	a.digests, a.bits = blocks[[32]byte]{}, blocks[uint64]{}
	a.keys, a.identStart = nil, nil
	runtime.GC()
}

// rejectsFile is the name of the rejected rows' report in the output
// directory.
const rejectsFile = "rejects.csv"

// readInput reads the input into an audience and writes rejects.csv (into
// OutDir; nowhere when it is empty, as for Preflight).
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
	if r.opts.OutDir == "" {
		return r.classifyRows(ctx, rd, csv.NewWriter(io.Discard))
	}
	out, err := newAtomicFile(r.opts.OutDir, rejectsFile)
	if err != nil {
		return nil, err
	}
	defer out.abort()
	a, err := r.classifyRows(ctx, rd, csv.NewWriter(out))
	if err != nil {
		return nil, err
	}
	return a, out.commit()
}

// classifyRows reads every row of rd into an audience, writing each
// rejected row to rejects.
func (r *runner) classifyRows(ctx context.Context, rd *csvin.Reader, rejects *csv.Writer) (*audience, error) {
	rejects.Write([]string{"row", "reason"})
	cls := newClassifier(r.info, r.opts)
	a := &audience{rejected: map[string]int64{}, unknown: cls.unknown}
	var stage *keyedStage
	if r.info.multi() {
		stage = newKeyedStage(r.info)
	}
	fp := sha256.New()
	var rec [4 + 32 + 8]byte
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
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
			return nil, fmt.Errorf("flow: input: %w", err)
		}
		if rej == nil {
			number = row.Number
		}
		num, err := rowNumber(number)
		if err != nil {
			return nil, err
		}
		a.read++
		var d [32]byte
		var bits uint64
		if rej == nil && stage != nil {
			cls.countLabels(row)
			if bits, rej = cls.consentAndSegments(row); rej == nil {
				if rej = stage.add(cls, row, num, bits, rejects); rej == nil {
					continue
				}
			}
		} else if rej == nil {
			d, bits, rej = cls.classify(row, num)
		}
		if rej != nil {
			a.rejected[rej.key]++
			rejects.Write([]string{strconv.FormatUint(uint64(num), 10), rej.String()})
			continue
		}
		a.digests.append(d)
		a.bits.append(bits)
		a.rows = append(a.rows, num)
		writeFingerprint(fp, rec[:], num, &d, bits)
	}
	if stage != nil {
		stage.finish(a, fp, rejects, r.info.pol.Duplicates)
	}
	rejects.Flush()
	if err := rejects.Error(); err != nil {
		return nil, fmt.Errorf("flow: %s: %w", rejectsFile, err)
	}
	fp.Sum(a.fingerprint[:0])
	a.stats, a.hints = cls.stats, rd.Hints()
	return a, nil
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

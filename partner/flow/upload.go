package flow

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"sync"

	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// ErrBadReceipt is returned when the clean room acknowledges a part other
// than the one sent.
var ErrBadReceipt = errors.New("flow: the clean room acknowledged another part than the one sent")

// plan is how our set splits into parts, and from which part to send.
// When the upload starts over, record is the resume state to save once
// the clean room has acknowledged recordAfter parts.
type plan struct {
	per, parts, start int
	record            *resumeState
	recordAfter       int
}

// planUpload splits n records into parts and decides where to resume:
// near the first part the clean room lacks (resumeFrom) if checkResume
// vouched for the upload (r.state), otherwise at part 0 under a new state
// (re-sent parts the server holds are acknowledged unchanged, or refused
// as a conflict if they differ). The new state vouches for the key and
// rows from then on, so it is saved only once the parts the server already
// held have come back acknowledged as identical: a replaced key whose
// state was lost must not be recorded as the one the upload was made with.
// Either way the record allows for Options.Parallel parts in flight before
// the first is sent.
func (r *runner) planUpload(a *audience, key *blind.Key, h wire.Header, side api.SideProgress) (plan, error) {
	n := a.len()
	st := r.state
	p := plan{per: r.opts.partRecords(h)}
	same := st != nil && st.PartRecords > 0 && st.PartRecords <= wire.MaxRecords(h)
	if same {
		p.per = st.PartRecords
	}
	p.parts = max(1, (n+p.per-1)/p.per)
	if same {
		p.start = min(resumeFrom(side.BlindedParts, st.BlindedAhead), p.parts)
		if side.BlindedComplete {
			p.start = p.parts
			return p, nil
		}
		return p, r.allowAhead(&st.BlindedAhead)
	}
	record := resumeState{Key: keyFingerprint(key), Rows: a.fingerprintHex(), Records: n, PartRecords: p.per,
		Options: r.opts.uploadOptions(), BlindedAhead: r.opts.Parallel - 1}
	if p.recordAfter = min(side.BlindedParts, p.parts); p.recordAfter > 0 {
		// The parts the server held came from a run whose record is
		// lost, with a --parallel nobody knows: they may lie anywhere, so
		// a later run resumes from the first part (resumeFrom with every
		// part ahead) while the leg is incomplete.
		record.BlindedAhead = p.parts
		p.record = &record
		return p, nil
	}
	r.state = &record
	return p, r.saveState(record)
}

// upload blinds and sends our set in permuted order, Options.Parallel
// parts at once (sendParts).
func (r *runner) upload(ctx context.Context, a *audience, key *blind.Key, side api.SideProgress) error {
	p, err := r.planUpload(a, key, r.blindedHeader(), side)
	if err != nil {
		return err
	}
	n := a.len()
	r.summary.SkippedParts = p.start
	r.opts.Progress.Start("upload", "records", int64(n))
	defer r.opts.Progress.Done()
	r.opts.Progress.Add(int64(min(p.start*p.per, n)))
	send := func(ctx context.Context, i int) error {
		first, end := i*p.per, min((i+1)*p.per, n)
		return r.sendBlinded(ctx, a, key, first, end, i, p.parts, first)
	}
	acked := func(i int) error {
		if p.record == nil || i+1 != p.recordAfter {
			return nil
		}
		r.state = p.record
		return r.saveState(*p.record)
	}
	return sendParts(ctx, r.opts.Parallel, p.start, func() int { return p.parts }, send, acked)
}

// blindedHeader is the header of our blinded parts, but for the part's
// place (index, first record, final).
func (r *runner) blindedHeader() wire.Header {
	return wire.Header{Kind: wire.KindBlinded, Session: r.info.wireID, Attrs: r.info.attrs}
}

// sendBlinded blinds and sends part i of a set of parts: upload positions
// first, first+1, ..., which carry a's records from to to-1 (a holds the
// whole upload, or a worker's share of it). Its progress counts from
// first.
func (r *runner) sendBlinded(ctx context.Context, a *audience, key *blind.Key, from, to, i, parts, first int) error {
	h := r.blindedHeader()
	h.Part, h.First, h.Final = uint32(i), uint64(first), i == parts-1
	prog := &highWater{p: r.opts.Progress}
	prog.from(int64(first))
	prod := &blindedPart{r: r, recs: a.recs, key: key, from: from, to: to, h: h, first: first, prog: prog}
	idents, err := a.identifiers(from, to)
	if err != nil {
		return err
	}
	size := partSize(h, to-from, idents)
	rec, err := r.opts.Client.PutBlinded(ctx, r.info.id, client.Body{Size: size, Open: prod.open(ctx, prod.write)})
	if client.IsCode(err, api.CodeConflict) {
		return fmt.Errorf("%w: the clean room holds another part %d, made from other rows or with another session key (%w)", ErrInputChanged, i, err)
	}
	if err != nil {
		return fmt.Errorf("flow: uploading part %d of %d: %w", i+1, parts, err)
	}
	if err := prod.checkReceipt(h, rec); err != nil {
		return err
	}
	r.opts.Logger.InfoContext(ctx, "blinded part accepted", "session", r.info.id, "part", i, "records", rec.Records, "state", rec.State)
	return nil
}

// partSize is the size in bytes of a part with header h and n records
// that carry idents identifiers (n, unless the part is keyed): SPEC.md
// section 6.
func partSize(h wire.Header, n, idents int) int64 {
	chunks := (int64(n) + wire.MaxChunkRecords - 1) / wire.MaxChunkRecords
	head := int64(37 + 2*len(h.Attrs))
	if !h.Keyed() {
		return head + 4*chunks + int64(n)*int64(h.RecordSize()) + 4 + 8 + 32
	}
	attrBytes := int64(len(h.Attrs)+7) / 8
	return head + 8*chunks + int64(n)*attrBytes + int64(idents)*wire.ElementSize + 4 + 8 + 32
}

// producer runs a part's encoder in a goroutine writing into an io.Pipe,
// once per attempt, and keeps the digest of the part last produced to
// check the clean room's receipt against.
type producer struct {
	mu     sync.Mutex
	done   chan struct{} // closed when the latest attempt's encoder ends
	digest [32]byte
	count  uint64
}

// open returns a client.Body Open that runs write into a fresh pipe on
// every attempt and returns its reading end.
func (p *producer) open(ctx context.Context, write func(context.Context, io.Writer) (*wire.Writer, error)) func() (io.Reader, error) {
	return func() (io.Reader, error) {
		pr, pw := io.Pipe()
		done := make(chan struct{})
		p.mu.Lock()
		p.done = done
		p.mu.Unlock()
		go func() {
			defer close(done)
			w, err := write(ctx, pw)
			if err == nil {
				p.mu.Lock()
				p.digest, p.count = w.Digest(), w.Records()
				p.mu.Unlock()
			}
			pw.CloseWithError(err)
		}()
		return pr, nil
	}
}

// checkReceipt compares a receipt with the part produced. The encoder
// may still be returning from writing the trailer when the answer
// arrives, so it waits for it to end first.
func (p *producer) checkReceipt(h wire.Header, rec api.PartReceipt) error {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	<-done
	p.mu.Lock()
	defer p.mu.Unlock()
	if rec.Part != h.Part || rec.Records != p.count || rec.Final != h.Final || rec.Digest != hex.EncodeToString(p.digest[:]) {
		return fmt.Errorf("%w (part %d)", ErrBadReceipt, h.Part)
	}
	return nil
}

// blindedPart produces one part of our blinded set; each open starts over.
// Its records are a's from to to-1, at upload positions first, first+1,
// ...
type blindedPart struct {
	producer
	r *runner
	// recs is the audience's records as the part was made: an attempt
	// the client gave up on may still be starting when the upload ends
	// and the audience lets its records go; it then reads a closed file
	// and fails, which nobody waits for, instead of finding none.
	recs     *records
	key      *blind.Key
	from, to int
	h        wire.Header
	first    int
	prog     *highWater
}

// write encodes the part into w, blinding batch by batch: the
// identifiers of a batch of records (one per key each carries), then the
// records with their elements (SPEC.md section 3.2 for a multi-key
// record: attribute bytes with the row's key presence bits, then the
// row's elements in key order).
func (b *blindedPart) write(ctx context.Context, w io.Writer) (*wire.Writer, error) {
	pw, err := wire.NewWriter(w, b.h)
	if err != nil {
		return nil, err
	}
	rd, err := b.recs.reader(b.from)
	if err != nil {
		return nil, err
	}
	n := b.to - b.from
	size := min(b.r.opts.BatchSize, max(n, 1))
	keys := len(b.r.info.keys)
	digests := make([][32]byte, 0, size*keys)
	present := make([]uint8, size)
	attrs := make([]uint64, size)
	elems := make([]blind.Element, size*keys)
	nattrs := len(b.h.Attrs)
	keyed := b.recs.keyed
	rec := make([]byte, 0, b.h.RecordSize()+keys*wire.ElementSize)
	for done := 0; done < n; done += size {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k := min(size, n-done)
		digests = digests[:0]
		for j := range k {
			raw, err := rd.next()
			if err != nil {
				return nil, err
			}
			present[j], attrs[j], digests = b.recs.fields(raw, digests)
		}
		if err := b.key.BlindBatch(elems[:len(digests)], digests); err != nil {
			return nil, fmt.Errorf("flow: blinding: %w", err)
		}
		next := 0
		for j := range k {
			if !keyed {
				rec = rec[:b.h.RecordSize()]
				copy(rec, elems[j][:])
				wire.PackAttrs(rec[wire.ElementSize:], attrs[j], nattrs)
				next++
			} else {
				a := attrs[j]
				for k, bit := range b.r.info.keyBits {
					if present[j]&(1<<k) != 0 {
						a |= 1 << bit
					}
				}
				rec = rec[:(nattrs+7)/8]
				wire.PackAttrs(rec, a, nattrs)
				for range bits.OnesCount8(present[j]) {
					rec = append(rec, elems[next][:]...)
					next++
				}
			}
			if err := pw.WriteRecord(rec); err != nil {
				return nil, err
			}
		}
		b.prog.advance(int64(b.first + done + k))
	}
	return pw, pw.Close()
}

// highWater reports one part's progress as the furthest position it
// reached, so that a part produced again for a retry is not counted twice.
// Each part in flight has its own: one mark for all would jump ahead with
// a later part and then drop the work of the earlier ones.
type highWater struct {
	mu  sync.Mutex
	max int64
	p   Progress
}

// from says where the part starts: the positions before it are other
// parts' work.
func (h *highWater) from(pos int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.max = max(h.max, pos)
}

func (h *highWater) advance(to int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if to > h.max {
		h.p.Add(to - h.max)
		h.max = to
	}
}

package flow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// ErrBadCounterpart is returned when the counterpart set the clean room
// relays is not what the protocol allows (wrong header, an invalid
// element); it is not retried.
var ErrBadCounterpart = errors.New("flow: the clean room relayed an invalid counterpart part")

// exchange re-blinds the counterpart's set part by part and sends back
// the join digests, Options.Parallel parts at once (sendParts), resuming
// near the first part the clean room lacks (resumeFrom).
func (r *runner) exchange(ctx context.Context, key *blind.Key, s api.Session) error {
	side := r.info.side(s)
	if side.ReblindedComplete {
		return nil
	}
	if r.state == nil {
		// checkResume refuses a run past the upload without a record.
		return fmt.Errorf("%w: there is no record to resume the exchange from", ErrResumeState)
	}
	start := resumeFrom(side.ReblindedParts, r.state.ReblindedAhead)
	if err := r.allowAhead(&r.state.ReblindedAhead); err != nil {
		return err
	}
	// Every record we relay counts (rows that may not are never sent),
	// and so does the counterpart's if it runs this flow: its upload size
	// is the best estimate of the relay's.
	r.opts.Progress.Start("re-blind", "records", int64(r.info.other(s).BlindedRecords))
	defer r.opts.Progress.Done()
	// The number of parts is known from a part's download: the first part
	// goes alone, and the others follow once it is acknowledged.
	var parts atomic.Int64
	end := func() int { return max(int(parts.Load()), start+1) }
	send := func(ctx context.Context, i int) error {
		n, err := r.sendJoin(ctx, key, i, i == start)
		if err == nil {
			parts.Store(int64(n))
		}
		return err
	}
	return sendParts(ctx, r.opts.Parallel, start, end, send, noAck)
}

// noAck is sendParts' acked for a leg that records nothing per part.
func noAck(int) error { return nil }

// sendJoin re-blinds counterpart part i as it downloads and sends the join
// part; it returns the number of parts of the counterpart set, which the
// download tells. countsSkipped: the part's progress also counts the
// records of the parts before it (the first part of a resumed run).
func (r *runner) sendJoin(ctx context.Context, key *blind.Key, i int, countsSkipped bool) (int, error) {
	prod := &joinPart{r: r, key: key, part: i, prog: &highWater{p: r.opts.Progress}, countsSkipped: countsSkipped}
	rec, err := r.opts.Client.PutReblinded(ctx, r.info.id, client.Body{Size: -1, Open: prod.open(ctx, prod.write)})
	if err != nil {
		return 0, fmt.Errorf("flow: re-blinded part %d: %w", i, err)
	}
	h, n := prod.result()
	if err := prod.checkReceipt(h, rec); err != nil {
		return 0, err
	}
	r.opts.Logger.InfoContext(ctx, "re-blinded part accepted", "session", r.info.id, "part", i, "of", n, "records", rec.Records)
	return n, nil
}

// joinPart produces the join part for counterpart part `part`: it
// downloads that part and re-blinds its elements as they arrive.
type joinPart struct {
	producer
	r    *runner
	key  *blind.Key
	part int
	prog *highWater
	// countsSkipped: the first part sent also counts the records of the
	// parts before it, which this run skips.
	countsSkipped bool

	mu    sync.Mutex
	h     wire.Header // of the join part, once known
	parts int         // parts of the counterpart set
}

func (j *joinPart) result() (wire.Header, int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.h, j.parts
}

// write streams the join part into w while the counterpart part
// downloads. Its records are computed from download records that are
// only tentative until the part's checksum is verified at its end
// (wire.Reader), so the join part's trailer is written only after that:
// if the download turns out corrupt, the upload is cut short and the
// clean room discards it.
func (j *joinPart) write(ctx context.Context, w io.Writer) (*wire.Writer, error) {
	d, err := j.r.opts.Client.Counterpart(ctx, j.r.info.id, j.part)
	if err != nil {
		return nil, err
	}
	defer d.Body.Close()
	rd, err := wire.NewReader(d.Body)
	if err != nil {
		return nil, counterpartError(j.part, err)
	}
	rh := rd.Header()
	if rh.Kind != wire.KindElements || rh.Session != j.r.info.wireID || rh.Part != uint32(j.part) || rh.Final != (j.part == d.Parts-1) {
		return nil, fmt.Errorf("%w: part %d has an unexpected header", ErrBadCounterpart, j.part)
	}
	h := wire.Header{Kind: wire.KindJoin, Session: rh.Session, Part: rh.Part, First: rh.First, Final: rh.Final}
	j.mu.Lock()
	j.h, j.parts = h, d.Parts
	j.mu.Unlock()
	jw, err := wire.NewWriter(w, h)
	if err != nil {
		return nil, err
	}
	size := j.r.opts.BatchSize
	in := make([]blind.Element, size)
	out := make([][blind.JoinDigestSize]byte, size)
	done := rh.First
	if !j.countsSkipped {
		j.prog.from(int64(done))
	}
	j.prog.advance(int64(done))
	flush := func(k int) error {
		if err := j.key.ReblindJoinBatch(out[:k], in[:k]); err != nil {
			return fmt.Errorf("%w: part %d: %w", ErrBadCounterpart, j.part, err)
		}
		for _, digest := range out[:k] {
			if err := jw.WriteRecord(digest[:]); err != nil {
				return err
			}
		}
		done += uint64(k)
		j.prog.advance(int64(done))
		return ctx.Err()
	}
	k := 0
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, counterpartError(j.part, err)
		}
		copy(in[k][:], rec)
		if k++; k == size {
			if err := flush(k); err != nil {
				return nil, err
			}
			k = 0
		}
	}
	if err := flush(k); err != nil {
		return nil, err
	}
	// rd returned io.EOF: the download is complete and its checksum
	// matched, so the trailer may go out.
	return jw, jw.Close()
}

// counterpartError keeps a broken download retryable (it wraps
// client.ErrInterrupted) and turns anything else into ErrBadCounterpart.
func counterpartError(part int, err error) error {
	if errors.Is(err, client.ErrInterrupted) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: part %d: %w", ErrBadCounterpart, part, err)
}

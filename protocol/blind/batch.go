package blind

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/blindjoin/blindjoin/protocol"
)

// ErrBatchLength is returned when a batch's output and input differ in
// length.
var ErrBatchLength = errors.New("blind: output and input batches differ in length")

// BatchError reports the first element of a batch that failed: the one with
// the lowest index, whichever goroutine found it first.
type BatchError struct {
	Index int   // position of the element in the input
	Err   error // ErrNonCanonical or ErrIdentity
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("blind: batch element %d: %v", e.Index, e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }

// BlindBatch sets out[i] = k.Blind(&digests[i]) for every i.
//
// Like the other batch methods, it splits the work into one contiguous chunk
// per GOMAXPROCS, allocates a fixed amount per call and nothing per element,
// and keeps the order of the input.
func (k *Key) BlindBatch(out []Element, digests [][32]byte) error {
	if len(out) != len(digests) {
		return ErrBatchLength
	}
	return parallel(len(out), func(w *fast, i int) error {
		w.blind(&out[i], k, digests[i][:])
		return nil
	})
}

// ReblindBatch sets out[i] = k.Reblind(&in[i]) for every i. out may be in
// itself (in place); other overlaps are not supported. On error it returns a
// *BatchError for the lowest invalid index, and out holds unspecified values.
func (k *Key) ReblindBatch(out, in []Element) error {
	if len(out) != len(in) {
		return ErrBatchLength
	}
	return parallel(len(out), func(w *fast, i int) error {
		return k.reblind(w, &out[i], &in[i])
	})
}

// ReblindJoinBatch sets out[i] = JoinDigest(k.Reblind(&in[i])) for every i:
// the last leg of the protocol, without keeping the double-blinded elements.
// Errors are those of ReblindBatch.
func (k *Key) ReblindJoinBatch(out [][JoinDigestSize]byte, in []Element) error {
	if len(out) != len(in) {
		return ErrBatchLength
	}
	return parallel(len(out), func(w *fast, i int) error {
		var double Element
		if err := k.reblind(w, &double, &in[i]); err != nil {
			return err
		}
		out[i] = JoinDigest(&double)
		return nil
	})
}

// minChunk is the smallest number of elements worth a goroutine: about a
// millisecond of work, against a microsecond to start one.
const minChunk = 32

// parallel calls fn(w, i) for every i in [0, n), in contiguous chunks, one
// goroutine and one fast backend per chunk. It returns a *BatchError for the
// lowest i at which fn failed.
//
// A chunk stops at its first error, and also as soon as a lower chunk has
// reported one, since nothing it could find would be the lowest. So the first
// chunk (in index order) holding an error holds the lowest one: every chunk
// below it ran to its end.
func parallel(n int, fn func(w *fast, i int) error) error {
	if n == 0 {
		return nil
	}
	chunks := min(runtime.GOMAXPROCS(0), (n+minChunk-1)/minChunk)
	if chunks <= 1 {
		w := newFast(protocol.DST)
		for i := range n {
			if err := fn(w, i); err != nil {
				return &BatchError{Index: i, Err: err}
			}
		}
		return nil
	}

	size := (n + chunks - 1) / chunks
	failures := make([]*BatchError, chunks)
	var lowest atomic.Int64 // lowest failed index reported so far
	lowest.Store(int64(n))
	var wg sync.WaitGroup
	for c := range chunks {
		lo, hi := c*size, min((c+1)*size, n)
		wg.Go(func() {
			w := newFast(protocol.DST)
			for i := lo; i < hi && lowest.Load() >= int64(lo); i++ {
				if err := fn(w, i); err != nil {
					failures[c] = &BatchError{Index: i, Err: err}
					lowerTo(&lowest, int64(i))
					return
				}
			}
		})
	}
	wg.Wait()
	for _, f := range failures {
		if f != nil {
			return f
		}
	}
	return nil
}

// lowerTo sets a to min(a, v) atomically.
func lowerTo(a *atomic.Int64, v int64) {
	for cur := a.Load(); v < cur; cur = a.Load() {
		if a.CompareAndSwap(cur, v) {
			return
		}
	}
}

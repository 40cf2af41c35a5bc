package blind

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"filippo.io/edwards25519"

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
// and keeps the order of the input. Within a chunk it works on groups of up
// to encodeGroup elements: each point is multiplied by k/2, and the group is
// encoded doubled with one shared inversion (double_encode.go).
func (k *Key) BlindBatch(out []Element, digests [][32]byte) error {
	if len(out) != len(digests) {
		return ErrBatchLength
	}
	return parallel(k, len(out), func(w *batchWorker, lo, hi int) (int, error) {
		w.blind(out[lo:hi], digests[lo:hi])
		return 0, nil
	})
}

// ReblindBatch sets out[i] = k.Reblind(&in[i]) for every i. out may be in
// itself (in place); other overlaps are not supported. On error it returns a
// *BatchError for the lowest invalid index, and out holds unspecified values.
func (k *Key) ReblindBatch(out, in []Element) error {
	if len(out) != len(in) {
		return ErrBatchLength
	}
	return parallel(k, len(out), func(w *batchWorker, lo, hi int) (int, error) {
		return w.reblind(out[lo:hi], in[lo:hi])
	})
}

// ReblindJoinBatch sets out[i] = JoinDigest(k.Reblind(&in[i])) for every i:
// the last leg of the protocol, without keeping the double-blinded elements.
// Errors are those of ReblindBatch.
func (k *Key) ReblindJoinBatch(out [][JoinDigestSize]byte, in []Element) error {
	if len(out) != len(in) {
		return ErrBatchLength
	}
	return parallel(k, len(out), func(w *batchWorker, lo, hi int) (int, error) {
		double := w.double[:hi-lo]
		if i, err := w.reblind(double, in[lo:hi]); err != nil {
			return i, err
		}
		for i := range double {
			out[lo+i] = JoinDigest(&double[i])
		}
		return 0, nil
	})
}

// halfOne is (l+1)/2, the inverse of 2 modulo the group order l.
var halfOne = func() *edwards25519.Scalar {
	s, err := edwards25519.NewScalar().SetCanonicalBytes([]byte{
		0xf7, 0xe9, 0x7a, 0x2e, 0x8d, 0x31, 0x09, 0x2c, 0x6b, 0xce, 0x7b, 0x51, 0xef, 0x7c, 0x6f, 0x0a,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08,
	})
	if err != nil {
		panic("blind: bad constant 1/2")
	}
	return s
}()

// halfKey returns k/2 modulo l. Multiplying by it and doubling gives k*P
// on the prime-order group, up to 4-torsion, which encoding discards.
func halfKey(k *Key) *edwards25519.Scalar {
	s, err := edwards25519.NewScalar().SetCanonicalBytes(k.s.Bytes())
	if err != nil {
		panic("blind: a Key holds a canonical scalar") // ParseKey and GenerateKey guarantee it
	}
	return s.Multiply(s, halfOne)
}

// batchWorker is one goroutine's state for the batch methods.
type batchWorker struct {
	x      *xmd
	u      [encodeGroup][64]byte // uniform bytes from the expander
	arith  groupBackend
	double [encodeGroup]Element // ReblindJoinBatch's double-blinded group
}

// blind sets out[i] = k * hash_to_ristretto255(digests[i]) for a group:
// 64 bytes of expand_message_xmd per digest, then the backend's blindGroup
// (RFC 9380 Appendix B, RFC 9496 section 4.3.4).
func (w *batchWorker) blind(out []Element, digests [][32]byte) {
	for i := range digests {
		w.x.expand(w.u[i][:], digests[i][:])
	}
	w.arith.blindGroup(out, w.u[:len(digests)])
}

// reblind sets out[i] = k * decode(in[i]) for a group, rejecting what
// Key.reblind rejects in the same order, and returns the group index of the
// first element it rejects. It reads the whole group before writing out.
func (w *batchWorker) reblind(out, in []Element) (int, error) {
	if i, err := w.decode(in); err != nil {
		return i, err
	}
	w.arith.multiplyEncodeDecoded(out)
	return 0, nil
}

// decode decodes a group through the backend (which keeps the points for
// multiplyEncodeDecoded), rejecting what DecodeElement rejects with the
// same error, and returns the group index of the first element it rejects.
func (w *batchWorker) decode(in []Element) (int, error) {
	valid := w.arith.decode(in)
	for i := range in {
		if in[i] == (Element{}) {
			return i, ErrIdentity
		}
		if valid>>i&1 == 0 {
			return i, ErrNonCanonical
		}
	}
	return 0, nil
}

// CheckElements reports whether DecodeElement accepts every element of
// elems, and if not, which one fails first: it returns a *BatchError for
// the lowest index, wrapping the error DecodeElement returns for it
// (ErrIdentity or ErrNonCanonical). It is the check of a received batch,
// as the clean room makes of every upload, and costs a fraction of
// DecodeElement per element: the square roots of each group of up to 64
// elements are computed together, and on CPUs with AVX-512 IFMA the whole
// decoding runs eight lanes at a time.
//
// It runs on the calling goroutine, so a caller that streams records can
// check them in groups as they arrive, and it allocates nothing once warm.
func CheckElements(elems []Element) error {
	w := checkWorkers.Get().(*batchWorker)
	defer checkWorkers.Put(w)
	for g := 0; g < len(elems); g += encodeGroup {
		end := min(g+encodeGroup, len(elems))
		if i, err := w.decode(elems[g:end]); err != nil {
			return &BatchError{Index: g + i, Err: err}
		}
	}
	return nil
}

// checkWorkers keeps the decoding state of CheckElements between calls:
// a clean room checks a part 64 records at a time. The state holds only
// received, public encodings and their points.
var checkWorkers = sync.Pool{New: func() any { return &batchWorker{arith: decodeBackend()} }}

// minChunk is the smallest number of elements worth a goroutine: about a
// millisecond of work, against a microsecond to start one.
const minChunk = 32

// parallel calls group(w, lo, hi) over [0, n) in groups of at most
// encodeGroup elements, in contiguous chunks, one goroutine and one
// batchWorker per chunk. group returns the index within [lo, hi) at which it
// failed; parallel returns a *BatchError for the lowest such index overall.
//
// A chunk stops at its first error, and also as soon as a lower chunk has
// reported one, since nothing it could find would be the lowest. So the first
// chunk (in index order) holding an error holds the lowest one: every chunk
// below it ran to its end.
func parallel(k *Key, n int, group func(w *batchWorker, lo, hi int) (int, error)) error {
	if n == 0 {
		return nil
	}
	newBackend := backendFor(halfKey(k), k.portable)
	newWorker := func() *batchWorker {
		return &batchWorker{x: newXMD(protocol.DST), arith: newBackend()}
	}
	// run does the chunk [lo, hi) and returns its first failure, if any.
	run := func(w *batchWorker, lo, hi int, stop func() bool) *BatchError {
		for g := lo; g < hi && !stop(); g += encodeGroup {
			end := min(g+encodeGroup, hi)
			if i, err := group(w, g, end); err != nil {
				return &BatchError{Index: g + i, Err: err}
			}
		}
		return nil
	}

	chunks := min(runtime.GOMAXPROCS(0), (n+minChunk-1)/minChunk)
	if chunks <= 1 {
		if f := run(newWorker(), 0, n, func() bool { return false }); f != nil {
			return f
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
			stop := func() bool { return lowest.Load() < int64(lo) }
			if f := run(newWorker(), lo, hi, stop); f != nil {
				failures[c] = f
				lowerTo(&lowest, int64(f.Index))
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

package blind

import (
	"errors"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/blindjoin/blindjoin/protocol"
)

func randomDigests(n int, seed byte) [][32]byte {
	r := newRand(seed)
	ds := make([][32]byte, n)
	for i := range ds {
		_, _ = r.Read(ds[i][:])
	}
	return ds
}

func withGOMAXPROCS(t *testing.T, n int) {
	old := runtime.GOMAXPROCS(n)
	t.Cleanup(func() { runtime.GOMAXPROCS(old) })
}

// Batches must equal the single-element operations, in order, whatever the
// number of chunks.
func TestBatchesMatchSingles(t *testing.T) {
	k := testKey(t, 11)
	ds := randomDigests(150, 7)
	for _, procs := range []int{1, 2, 3} {
		withGOMAXPROCS(t, procs)
		blinded := make([]Element, len(ds))
		if err := k.BlindBatch(blinded, ds); err != nil {
			t.Fatal(err)
		}
		double := make([]Element, len(ds))
		if err := k.ReblindBatch(double, blinded); err != nil {
			t.Fatal(err)
		}
		joins := make([][JoinDigestSize]byte, len(ds))
		if err := k.ReblindJoinBatch(joins, blinded); err != nil {
			t.Fatal(err)
		}
		for i := range ds {
			if blinded[i] != k.Blind(&ds[i]) {
				t.Fatalf("GOMAXPROCS %d: BlindBatch[%d] differs from Blind", procs, i)
			}
			want, err := k.Reblind(&blinded[i])
			if err != nil || double[i] != want {
				t.Fatalf("GOMAXPROCS %d: ReblindBatch[%d] differs from Reblind", procs, i)
			}
			if joins[i] != JoinDigest(&want) {
				t.Fatalf("GOMAXPROCS %d: ReblindJoinBatch[%d] differs", procs, i)
			}
		}
		// In place gives the same result.
		if err := k.ReblindBatch(blinded, blinded); err != nil {
			t.Fatal(err)
		}
		for i := range blinded {
			if blinded[i] != double[i] {
				t.Fatalf("GOMAXPROCS %d: in-place ReblindBatch[%d] differs", procs, i)
			}
		}
	}
}

func TestBatchLengths(t *testing.T) {
	k := testKey(t, 3)
	if err := k.BlindBatch(make([]Element, 2), make([][32]byte, 3)); !errors.Is(err, ErrBatchLength) {
		t.Errorf("BlindBatch: %v", err)
	}
	if err := k.ReblindBatch(make([]Element, 3), make([]Element, 2)); !errors.Is(err, ErrBatchLength) {
		t.Errorf("ReblindBatch: %v", err)
	}
	if err := k.ReblindJoinBatch(make([][JoinDigestSize]byte, 1), nil); !errors.Is(err, ErrBatchLength) {
		t.Errorf("ReblindJoinBatch: %v", err)
	}
	if err := k.ReblindBatch(nil, nil); err != nil {
		t.Errorf("empty batch: %v", err)
	}
}

// TestBatchFirstError puts an invalid element at the end of one chunk and
// another at the start of the next: the later chunk finds its error almost
// at once, long before the earlier one, and must still lose.
func TestBatchFirstError(t *testing.T) {
	k := testKey(t, 5)
	const n, procs = 400, 4 // chunks of 100
	withGOMAXPROCS(t, procs)
	valid := make([]Element, n)
	if err := k.BlindBatch(valid, randomDigests(n, 8)); err != nil {
		t.Fatal(err)
	}
	bad := Element(unhex(t, fieldPrime))
	tests := []struct {
		name    string
		invalid map[int]Element
		want    int
		wantErr error
	}{
		{"end of chunk 0 before start of chunk 1", map[int]Element{99: {}, 100: bad, 399: bad}, 99, ErrIdentity},
		{"only the last element", map[int]Element{399: bad}, 399, ErrNonCanonical},
		{"only the first element", map[int]Element{0: bad, 200: {}}, 0, ErrNonCanonical},
		{"several in one chunk", map[int]Element{260: {}, 250: bad, 301: bad}, 250, ErrNonCanonical},
	}
	for _, tc := range tests {
		in := append([]Element(nil), valid...)
		for i, e := range tc.invalid {
			in[i] = e
		}
		for name, run := range map[string]func() error{
			"ReblindBatch":     func() error { return k.ReblindBatch(make([]Element, n), in) },
			"ReblindJoinBatch": func() error { return k.ReblindJoinBatch(make([][JoinDigestSize]byte, n), in) },
		} {
			err := run()
			var be *BatchError
			if !errors.As(err, &be) || be.Index != tc.want || !errors.Is(err, tc.wantErr) {
				t.Errorf("%s, %s: err = %v, want index %d and %v", tc.name, name, err, tc.want, tc.wantErr)
			}
		}
	}
}

// The per-element operations of the fast backend must not allocate, and a
// batch must allocate a fixed amount whatever its size.
func TestNoAllocationsPerElement(t *testing.T) {
	k := testKey(t, 13)
	w := newFast(protocol.DST)
	d := randomDigests(1, 9)[0]
	var e, out Element
	w.blind(&e, k, d[:])
	checks := map[string]func(){
		"blind":         func() { w.blind(&out, k, d[:]) },
		"reblind":       func() { w.reblind(&out, k, &e) },
		"decode":        func() { w.decode(&e) },
		"DecodeElement": func() { _, _ = DecodeElement(e[:]) },
		"JoinDigest":    func() { _ = JoinDigest(&e) },
	}
	for name, fn := range checks {
		if a := testing.AllocsPerRun(20, fn); a != 0 {
			t.Errorf("%s: %v allocations", name, a)
		}
	}

	if testing.Short() {
		t.Skip("batch allocation counts take a few seconds")
	}
	withGOMAXPROCS(t, 2)
	small, large := 64, 1024
	count := func(n int) (blind, reblind float64) {
		ds := randomDigests(n, 10)
		es := make([]Element, n)
		blind = testing.AllocsPerRun(2, func() { _ = k.BlindBatch(es, ds) })
		reblind = testing.AllocsPerRun(2, func() { _ = k.ReblindBatch(es, es) })
		return blind, reblind
	}
	sb, sr := count(small)
	lb, lr := count(large)
	t.Logf("allocations per batch: BlindBatch %v (n=%d) %v (n=%d), ReblindBatch %v, %v", sb, small, lb, large, sr, lr)
	if lb > sb || lr > sr {
		t.Errorf("allocations grow with the batch size")
	}
}

// checkBatches runs the three batch methods on ds (and on the blinded
// results) and compares every element with gtank's single-element path and
// with circl's reference backend.
func checkBatches(t *testing.T, k *Key, ds [][32]byte) {
	t.Helper()
	n := len(ds)
	ref := newReference(protocol.DST)
	blinded := make([]Element, n)
	if err := k.BlindBatch(blinded, ds); err != nil {
		t.Fatal(err)
	}
	double := make([]Element, n)
	if err := k.ReblindBatch(double, blinded); err != nil {
		t.Fatal(err)
	}
	joins := make([][JoinDigestSize]byte, n)
	if err := k.ReblindJoinBatch(joins, blinded); err != nil {
		t.Fatal(err)
	}
	for i := range ds {
		var want Element
		ref.blind(&want, k, ds[i][:])
		if blinded[i] != want || blinded[i] != k.Blind(&ds[i]) {
			t.Fatalf("batch of %d: BlindBatch[%d] = %x, want %x", n, i, blinded[i][:], want[:])
		}
		if !ref.reblind(&want, k, &blinded[i]) || double[i] != want {
			t.Fatalf("batch of %d: ReblindBatch[%d] = %x, want %x", n, i, double[i][:], want[:])
		}
		if joins[i] != JoinDigest(&want) {
			t.Fatalf("batch of %d: ReblindJoinBatch[%d] differs", n, i)
		}
	}
}

// TestBatchSizes covers every size up to 17, the group boundaries of the
// batch encoder and sizes that split into uneven chunks.
func TestBatchSizes(t *testing.T) {
	sizes := []int{}
	for n := 1; n <= 17; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, encodeGroup-1, encodeGroup, encodeGroup+1, 2*encodeGroup+1, 200)
	for _, procs := range []int{1, 2} {
		withGOMAXPROCS(t, procs)
		for _, n := range sizes {
			checkBatches(t, testKey(t, byte(n)), randomDigests(n, byte(n)))
		}
	}
}

// TestRandomBatches compares 300 random batches of 1 to 40 elements under
// random keys.
func TestRandomBatches(t *testing.T) {
	batches := 300
	if testing.Short() {
		batches = 20
	}
	r := newRand(43)
	pick := rand.New(r)
	for range batches {
		k, err := GenerateKey(r)
		if err != nil {
			t.Fatal(err)
		}
		checkBatches(t, k, randomDigests(1+pick.IntN(40), byte(pick.IntN(256))))
	}
}

// TestBatchErrorInEveryPosition puts one invalid element at each position
// of a batch spanning two encoder groups, alone and followed by another:
// the error must name it, whichever group it falls in.
func TestBatchErrorInEveryPosition(t *testing.T) {
	withGOMAXPROCS(t, 1)
	k := testKey(t, 9)
	const n = encodeGroup + 9
	valid := make([]Element, n)
	if err := k.BlindBatch(valid, randomDigests(n, 44)); err != nil {
		t.Fatal(err)
	}
	bad := Element(unhex(t, fieldPrime))
	for pos := range n {
		for _, tc := range []struct {
			e    Element
			want error
		}{{bad, ErrNonCanonical}, {Element{}, ErrIdentity}} {
			in := append([]Element(nil), valid...)
			in[pos] = tc.e
			if pos+1 < n {
				in[pos+1] = Element{} // a later error must not win
			}
			err := k.ReblindBatch(make([]Element, n), in)
			var be *BatchError
			if !errors.As(err, &be) || be.Index != pos || !errors.Is(err, tc.want) {
				t.Fatalf("invalid at %d: err = %v", pos, err)
			}
		}
	}
}

// A Portable key's batches use the portable arithmetic and give the same
// bytes as the key's own, which keeps its backend.
func TestPortableKey(t *testing.T) {
	k := testKey(t, 15)
	p := k.Portable()
	if p.BatchBackend() != backendPortable || k.BatchBackend() != BackendName() {
		t.Fatalf("backends: portable key %q, key %q, machine %q", p.BatchBackend(), k.BatchBackend(), BackendName())
	}
	if string(p.Bytes()) != string(k.Bytes()) {
		t.Fatal("Portable changed the scalar")
	}
	if _, ok := backendFor(halfKey(p), p.portable)().(*portableBackend); !ok {
		t.Fatal("a Portable key's batches do not get the portable backend")
	}
	ds := randomDigests(2*encodeGroup+3, 17)
	fast, slow := make([]Element, len(ds)), make([]Element, len(ds))
	if err := k.BlindBatch(fast, ds); err != nil {
		t.Fatal(err)
	}
	if err := p.BlindBatch(slow, ds); err != nil {
		t.Fatal(err)
	}
	for i := range ds {
		if fast[i] != slow[i] || fast[i] != k.Blind(&ds[i]) {
			t.Fatalf("BlindBatch[%d]: portable and %s batches or Blind differ", i, BackendName())
		}
	}
	if err := k.ReblindBatch(fast, fast); err != nil {
		t.Fatal(err)
	}
	if err := p.ReblindBatch(slow, slow); err != nil {
		t.Fatal(err)
	}
	if fast[len(ds)-1] != slow[len(ds)-1] || fast[0] != slow[0] {
		t.Fatal("ReblindBatch: portable and fast batches differ")
	}
}

package shuffle

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"slices"
	"testing"
)

// assemble builds the whole permutation of n inputs the way a bucketed
// caller does in pieces: label every input, list each bucket's members in
// input order, and concatenate the buckets, each in its own Order.
func assemble(t testing.TB, b *Bucketed, n int) []uint32 {
	t.Helper()
	members := make([][]uint32, b.Buckets())
	labels := b.Labels()
	for i := range n {
		k := labels.Next()
		members[k] = append(members[k], uint32(i))
	}
	perm := make([]uint32, 0, n)
	for k, m := range members {
		order, err := b.Order(k, len(m))
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range order {
			perm = append(perm, m[j])
		}
	}
	return perm
}

func TestBucketsFor(t *testing.T) {
	const per = 1 << 20
	for _, tc := range []struct {
		n    uint64
		want int
	}{
		{0, 1}, {1, 1}, {per, 1}, {per + 1, 2}, {2 * per, 2},
		{2*per + 1, 4}, {10_000_000, 16}, {1_000_000_000, 1024}, {1 << 52, 1 << 32},
	} {
		if got := BucketsFor(tc.n, per); got != tc.want {
			t.Errorf("BucketsFor(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}

func TestNewBucketedRefusesBadCounts(t *testing.T) {
	for _, buckets := range []int{0, -1, -2, 3, 6, 1000, 1<<32 + 1, 1 << 33} {
		if _, err := NewBucketed([32]byte{}, buckets); !errors.Is(err, ErrBuckets) {
			t.Errorf("%d buckets: %v, want ErrBuckets", buckets, err)
		}
	}
}

// TestOneBucketIsKeyed: a set that fits one bucket is permuted exactly as
// before buckets existed, so relays written then are still joined right.
func TestOneBucketIsKeyed(t *testing.T) {
	key := [32]byte{9}
	b, err := NewBucketed(key, 1)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Keyed(key, 3000)
	if got := assemble(t, b, 3000); !slices.Equal(got, want) {
		t.Fatal("one bucket differs from Keyed")
	}
}

func TestBucketedIsBijection(t *testing.T) {
	for _, buckets := range []int{2, 4, 16, 256} {
		b, _ := NewBucketed([32]byte{byte(buckets)}, buckets)
		for _, n := range []int{0, 1, 3, 100, 5000} {
			perm := assemble(t, b, n)
			if len(perm) != n {
				t.Fatalf("B=%d n=%d: length %d", buckets, n, len(perm))
			}
			checkBijection(t, perm)
		}
	}
}

// TestLabelsAreTheKeystreamWords spells the labels out: the low bits of the
// little-endian 32-bit words of the AES-256-CTR keystream of
// HMAC-SHA256(key, "labels"), across the internal buffer's refills.
func TestLabelsAreTheKeystreamWords(t *testing.T) {
	key := [32]byte{1, 2, 3}
	b, _ := NewBucketed(key, 8)
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte("labels"))
	block, _ := aes.NewCipher(m.Sum(nil))
	keystream := make([]byte, 4*5000)
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(keystream, keystream)
	labels := b.Labels()
	for i := range 5000 {
		if got, want := labels.Next(), int(binary.LittleEndian.Uint32(keystream[4*i:])&7); got != want {
			t.Fatalf("label %d = %d, want %d", i, got, want)
		}
	}
}

func TestBucketedDependsOnTheKey(t *testing.T) {
	b1, _ := NewBucketed([32]byte{1}, 4)
	b2, _ := NewBucketed([32]byte{2}, 4)
	again, _ := NewBucketed([32]byte{1}, 4)
	p1, p2, p3 := assemble(t, b1, 2000), assemble(t, b2, 2000), assemble(t, again, 2000)
	if !slices.Equal(p1, p3) {
		t.Error("the same key gave two permutations")
	}
	if slices.Equal(p1, p2) {
		t.Error("two keys gave the same permutation")
	}
}

// keyOf returns a distinct key per run, so that runs are independent draws
// of the keyed permutation.
func keyOf(run int) [32]byte {
	var k [32]byte
	binary.LittleEndian.PutUint64(k[:], uint64(run))
	k[31] = 0xb5
	return k
}

// TestBucketedUniformOverPermutationsOf3 is TestUniformOverPermutationsOf3
// for the bucketed permutation: with more buckets than inputs, most runs
// spread the three inputs over several buckets, which is where a wrong
// construction would show.
func TestBucketedUniformOverPermutationsOf3(t *testing.T) {
	for _, buckets := range []int{2, 4} {
		run := 0
		counts := permutationsOf3(60_000, func() []uint32 {
			run++
			b, _ := NewBucketed(keyOf(run), buckets)
			return assemble(t, b, 3)
		})
		if x2 := chiSquare(counts); x2 > chi2Critical5 {
			t.Fatalf("B=%d counts %v: chi-square %.1f > %.2f", buckets, counts, x2, chi2Critical5)
		}
	}
}

// TestBucketedPositionFrequencies is TestPositionFrequencies for the
// bucketed permutation.
func TestBucketedPositionFrequencies(t *testing.T) {
	const n, runs = 10, 20_000
	counts := make([]int, n*n)
	for run := range runs {
		b, _ := NewBucketed(keyOf(run), 4)
		for pos, idx := range assemble(t, b, n) {
			counts[pos*n+int(idx)]++
		}
	}
	if x2 := chiSquare(counts); x2 > 126 {
		t.Fatalf("chi-square %.1f > 126", x2)
	}
}

// TestBucketedChiSquareDetectsBias: sorting by label without the shuffle
// within buckets keeps each bucket's inputs in order, which the test must
// reject.
func TestBucketedChiSquareDetectsBias(t *testing.T) {
	run := 0
	counts := permutationsOf3(60_000, func() []uint32 {
		run++
		b, _ := NewBucketed(keyOf(run), 2)
		members := make([][]uint32, 2)
		labels := b.Labels()
		for i := range 3 {
			k := labels.Next()
			members[k] = append(members[k], uint32(i))
		}
		return append(members[0], members[1]...)
	})
	if x2 := chiSquare(counts); x2 <= chi2Critical5 {
		t.Fatalf("unshuffled buckets passed: counts %v, chi-square %.1f", counts, x2)
	}
}

func BenchmarkLabels(b *testing.B) {
	bk, _ := NewBucketed([32]byte{1}, 1024)
	labels := bk.Labels()
	b.ReportAllocs()
	for b.Loop() {
		labels.Next()
	}
}

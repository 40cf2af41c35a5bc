package dp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func testSeed() []byte {
	seed := make([]byte, 32)
	for i := range seed {
		seed[i] = byte(i)
	}
	return seed
}

func mustSource(t *testing.T, seed []byte) *Source {
	t.Helper()
	s, err := NewSource(seed)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The expected words were computed with Python's hmac module from the
// stream definition in doc.go, so they pin the format for other languages.
func TestStreamKnownAnswer(t *testing.T) {
	st := mustSource(t, testSeed()).stream("overlap")
	want := []uint64{
		0x425e0f9b8e2ae5aa, 0x8550defc71e31780, 0x7541b4efa34735df, 0x40a6722174c91d21,
		0x62781e4a936841b1, 0xe239e0bd430ce9d9, 0x62d852a71a19e6b7, 0xe52d84d47d1463d1,
	}
	for i, w := range want {
		if got := st.word(); got != w {
			t.Fatalf("word %d = %#x, want %#x", i, got, w)
		}
	}
}

func TestDeriveSeedKnownAnswer(t *testing.T) {
	got := DeriveSeed([]byte("server secret"), []byte("abc"), nil)
	want, _ := hex.DecodeString("abf4a4df65f665bc928c9b7ee27cd42d0e400d0ca6f128d618f0cf4ab89dfcc4")
	if !bytes.Equal(got, want) {
		t.Fatalf("DeriveSeed = %x", got)
	}
	// Length prefixes keep input boundaries apart.
	if bytes.Equal(DeriveSeed([]byte("k"), []byte("ab"), []byte("c")), DeriveSeed([]byte("k"), []byte("a"), []byte("bc"))) {
		t.Fatal("DeriveSeed ignores input boundaries")
	}
}

func TestNewSourceRejectsShortSeed(t *testing.T) {
	for _, n := range []int{0, 1, MinSeedSize - 1} {
		if _, err := NewSource(make([]byte, n)); !errors.Is(err, ErrSeed) {
			t.Errorf("seed of %d bytes: err = %v", n, err)
		}
	}
	seed := testSeed()
	s := mustSource(t, seed)
	seed[0] ^= 1 // NewSource must have copied the seed
	if s.stream("x").word() != mustSource(t, testSeed()).stream("x").word() {
		t.Fatal("Source aliases the caller's seed")
	}
}

func TestLabelsAreIndependentStreams(t *testing.T) {
	s := mustSource(t, testSeed())
	seen := map[uint64]string{}
	for _, label := range []string{"overlap", "segment:a", "segment:b", "segment:a\x00", ""} {
		w := s.stream(label).word()
		if prev, ok := seen[w]; ok {
			t.Fatalf("labels %q and %q share a stream", prev, label)
		}
		seen[w] = label
	}
}

func TestUniformRange(t *testing.T) {
	st := mustSource(t, testSeed()).stream("uniform")
	// n = 2^63+1 rejects almost half of all words: the worst case.
	for _, n := range []uint64{1, 2, 3, 10, 1<<63 + 1, ^uint64(0)} {
		var low, high bool
		for range 2000 {
			v := st.uniform(n)
			if v >= n {
				t.Fatalf("uniform(%d) = %d", n, v)
			}
			low = low || v < n/2
			high = high || v >= n/2
		}
		if n > 1 && !(low && high) {
			t.Errorf("uniform(%d) stays in one half", n)
		}
	}
	counts := make([]int, 3)
	const draws = 30000
	for range draws {
		counts[st.uniform(3)]++
	}
	for v, c := range counts {
		if c < draws/3-600 || c > draws/3+600 { // about 7 standard deviations
			t.Errorf("uniform(3) gave %d %d times out of %d", v, c, draws)
		}
	}
}

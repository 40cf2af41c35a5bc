package spill

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"testing"
)

// TestScatterAndReadBack: with 16 MiB of buffers and with buffers far
// smaller than a record per bucket, every bucket reads back (whole and
// streamed) as it was written.
func TestScatterAndReadBack(t *testing.T) {
	for _, buffers := range []int{16 << 20, 1} {
		scatterAndReadBack(t, buffers)
	}
}

func scatterAndReadBack(t *testing.T, buffers int) {
	parent := t.TempDir()
	const buckets, size, n = 7, 12, 5000
	w, err := Create(parent, buckets, size, buffers)
	if err != nil {
		t.Fatal(err)
	}
	want := make([][]byte, buckets)
	rec := make([]byte, size)
	for i := range n {
		binary.BigEndian.PutUint64(rec, uint64(i)*2654435761)
		binary.BigEndian.PutUint32(rec[8:], uint32(i))
		k := (i * 31) % buckets
		if err := w.Add(k, rec); err != nil {
			t.Fatal(err)
		}
		want[k] = append(want[k], rec...)
	}
	b, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if b.Count() != buckets {
		t.Fatalf("%d buckets, want %d", b.Count(), buckets)
	}
	var buf []byte
	for k := range buckets {
		if b.Len(k) != uint64(len(want[k])/size) {
			t.Fatalf("bucket %d: %d records, want %d", k, b.Len(k), len(want[k])/size)
		}
		if buf, err = b.Read(k, buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf, want[k]) {
			t.Fatalf("bucket %d read back differently", k)
		}
		var streamed []byte
		err := b.Each(k, func(rec []byte) error {
			streamed = append(streamed, rec...)
			return nil
		})
		if err != nil || !bytes.Equal(streamed, want[k]) {
			t.Fatalf("bucket %d streamed differently (%v)", k, err)
		}
	}
	stop := errors.New("stop")
	calls := 0
	if err := b.Each(0, func([]byte) error { calls++; return stop }); err != stop || calls != 1 {
		t.Fatalf("Each after fn's error: %v after %d calls, want fn's error after 1", err, calls)
	}
	if err := b.Remove(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Fatalf("Remove left %d entries", len(left))
	}
}

func TestRefusesWhatDoesNotFit(t *testing.T) {
	for _, tc := range []struct {
		buckets, size int
	}{{0, 8}, {-1, 8}, {4, 0}, {4, -3}} {
		if _, err := Create(t.TempDir(), tc.buckets, tc.size, 1<<20); !errors.Is(err, ErrRecord) {
			t.Errorf("Create(%d, %d): %v, want ErrRecord", tc.buckets, tc.size, err)
		}
	}
	w, err := Create(t.TempDir(), 2, 4, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abandon()
	for _, tc := range []struct {
		k   int
		rec []byte
	}{{-1, make([]byte, 4)}, {2, make([]byte, 4)}, {0, make([]byte, 3)}, {1, make([]byte, 5)}, {0, nil}} {
		if err := w.Add(tc.k, tc.rec); !errors.Is(err, ErrRecord) {
			t.Errorf("Add(%d, %d bytes): %v, want ErrRecord", tc.k, len(tc.rec), err)
		}
	}
}

func TestAbandonAndFailedFinishLeaveNothing(t *testing.T) {
	parent := t.TempDir()
	w, err := Create(parent, 3, 8, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	w.Add(1, make([]byte, 8))
	w.Abandon()
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Fatalf("Abandon left %d entries", len(left))
	}

	// A bucket file deleted under the reader is an error, not a short bucket.
	w, _ = Create(parent, 2, 8, 1<<20)
	w.Add(0, make([]byte, 8))
	b, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Remove()
	os.Remove(w.path(0))
	if _, err := b.Read(0, nil); err == nil {
		t.Fatal("reading a deleted bucket succeeded")
	}
	if err := b.Each(0, func([]byte) error { return nil }); err == nil {
		t.Fatal("streaming a deleted bucket succeeded")
	}

	// A bucket file cut short is an error too, not fewer records.
	w, _ = Create(parent, 1, 8, 1<<20)
	w.Add(0, make([]byte, 8))
	w.Add(0, make([]byte, 8))
	b, err = w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Remove()
	if err := os.Truncate(w.path(0), 12); err != nil {
		t.Fatal(err)
	}
	if err := b.Each(0, func([]byte) error { return nil }); err == nil {
		t.Fatal("streaming a truncated bucket succeeded")
	}
}

func TestCreateInAMissingDirectory(t *testing.T) {
	if _, err := Create(t.TempDir()+"/no/such/dir", 2, 8, 1<<20); err == nil {
		t.Fatal("created a spill under a missing directory")
	}
}

// TestBucketSizes: Len, Largest and Total count what went into each
// bucket, however uneven.
func TestBucketSizes(t *testing.T) {
	w, err := Create(t.TempDir(), 4, 1, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	for k, n := range []int{3, 0, 9, 1} {
		for range n {
			if err := w.Add(k, []byte{byte(k)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Remove()
	if b.Len(1) != 0 || b.Len(2) != 9 || b.Largest() != 9 || b.Total() != 13 {
		t.Fatalf("Len(1) %d, Len(2) %d, Largest %d, Total %d; want 0, 9, 9, 13", b.Len(1), b.Len(2), b.Largest(), b.Total())
	}
}

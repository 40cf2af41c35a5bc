package spill

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"testing"
)

func TestScatterAndReadBack(t *testing.T) {
	parent := t.TempDir()
	const buckets, size, n = 7, 12, 5000
	w, err := Create(parent, buckets, size)
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
		if _, err := Create(t.TempDir(), tc.buckets, tc.size); !errors.Is(err, ErrRecord) {
			t.Errorf("Create(%d, %d): %v, want ErrRecord", tc.buckets, tc.size, err)
		}
	}
	w, err := Create(t.TempDir(), 2, 4)
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
	w, err := Create(parent, 3, 8)
	if err != nil {
		t.Fatal(err)
	}
	w.Add(1, make([]byte, 8))
	w.Abandon()
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Fatalf("Abandon left %d entries", len(left))
	}

	// A bucket file deleted under the reader is an error, not a short bucket.
	w, _ = Create(parent, 2, 8)
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
}

func TestCreateInAMissingDirectory(t *testing.T) {
	if _, err := Create(t.TempDir()+"/no/such/dir", 2, 8); err == nil {
		t.Fatal("created a spill under a missing directory")
	}
}

package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"io"
	"runtime"
	"testing"
)

// zeros is an endless stream of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// lazySum serves the checksum of everything hashed so far, computed at its
// first Read, that is once the rest of the part has been streamed.
type lazySum struct {
	h   hash.Hash
	sum []byte
}

func (l *lazySum) Read(p []byte) (int, error) {
	if l.sum == nil {
		l.sum = l.h.Sum(nil)
	}
	if len(l.sum) == 0 {
		return 0, io.EOF
	}
	n := copy(p, l.sum)
	l.sum = l.sum[n:]
	return n, nil
}

// syntheticPart streams the canonical encoding of n all-zero records under
// header h without ever holding the part in memory.
func syntheticPart(h Header, n int) io.Reader {
	size := specRecordSize(byte(h.Kind), len(h.Attrs))
	readers := []io.Reader{bytes.NewReader(rawHeader(h))}
	for _, c := range canonicalChunks(n) {
		readers = append(readers,
			bytes.NewReader(binary.BigEndian.AppendUint32(nil, uint32(c))),
			io.LimitReader(zeros{}, int64(c*size)))
	}
	tail := binary.BigEndian.AppendUint64(make([]byte, 4), uint64(n))
	readers = append(readers, bytes.NewReader(tail))
	sum := sha256.New()
	return io.MultiReader(io.TeeReader(io.MultiReader(readers...), sum), &lazySum{h: sum})
}

// countRecords decodes a part without keeping its records.
func countRecords(r io.Reader) (int, error) {
	rd, err := NewReader(r)
	if err != nil {
		return 0, err
	}
	for n := 0; ; n++ {
		if _, err := rd.Next(); err != nil {
			if err == io.EOF {
				return n, nil
			}
			return n, err
		}
	}
}

// TestMaxRecords checks MaxRecords against the SPEC.md size formula: the
// largest record count whose part fits MaxPartSize.
func TestMaxRecords(t *testing.T) {
	headers := []Header{
		{Kind: KindElements, Session: testSession},
		{Kind: KindJoin, Session: testSession},
	}
	for _, n := range []int{0, 1, 8, 9, 11, 64} {
		headers = append(headers, Header{Kind: KindBlinded, Session: testSession, Attrs: attrsOf(n)})
	}
	for _, h := range headers {
		n := MaxRecords(h)
		if specSize(h, n) > MaxPartSize || specSize(h, n+1) <= MaxPartSize {
			t.Errorf("%s/%d attrs: MaxRecords %d: sizes %d and %d around %d", h.Kind, len(h.Attrs), n, specSize(h, n), specSize(h, n+1), MaxPartSize)
		}
	}
	// SPEC.md quotes this figure for the media partner's default layout.
	if got := MaxRecords(Header{Kind: KindBlinded, Attrs: attrsOf(8)}); got != 2033595 {
		t.Errorf("MaxRecords for 8 attribute bits = %d, SPEC.md says 2033595", got)
	}
	if got := MaxRecords(Header{Kind: 9}); got != 0 {
		t.Errorf("MaxRecords of an invalid header = %d, want 0", got)
	}
}

// TestMaxPartSizeBoundary: a part of exactly MaxRecords records decodes, one
// more record is ErrTooLarge at the chunk that crosses MaxPartSize.
func TestMaxPartSizeBoundary(t *testing.T) {
	for _, h := range []Header{
		{Kind: KindJoin, Final: true, Session: testSession},
		{Kind: KindBlinded, Final: true, Session: testSession, Attrs: attrsOf(8)},
	} {
		n := MaxRecords(h)
		if got, err := countRecords(syntheticPart(h, n)); err != nil || got != n {
			t.Fatalf("%s: part of MaxRecords=%d records: %d decoded, %v", h.Kind, n, got, err)
		}
		_, err := countRecords(syntheticPart(h, n+1))
		var we *Error
		if !errors.Is(err, ErrTooLarge) || !errors.As(err, &we) {
			t.Fatalf("%s: %d records: got %v, want ErrTooLarge", h.Kind, n+1, err)
		}
		lastCount := int64(specSize(h, n+1) - 44 - (n+1)%65536*specRecordSize(byte(h.Kind), len(h.Attrs)) - 4)
		if we.Offset != lastCount {
			t.Fatalf("%s: ErrTooLarge at %d, want the last chunk count at %d", h.Kind, we.Offset, lastCount)
		}
	}
}

// TestHugeStreamNotBuffered: a reader that refuses an oversized stream does
// so without holding it in memory.
func TestHugeStreamNotBuffered(t *testing.T) {
	h := Header{Kind: KindElements, Final: true, Session: testSession}
	src := syntheticPart(h, 8*MaxRecords(h)) // claims half a gigabyte
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := countRecords(src)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Fatalf("reader allocated %d bytes for a refused stream", alloc)
	}
}

// TestWriterLimit: the Writer stops at MaxRecords and its part fits.
func TestWriterLimit(t *testing.T) {
	h := Header{Kind: KindJoin, Session: testSession}
	w, err := NewWriter(io.Discard, h)
	if err != nil {
		t.Fatal(err)
	}
	rec := make([]byte, JoinDigestSize)
	n := MaxRecords(h)
	for i := range n {
		if err := w.WriteRecord(rec); err != nil {
			t.Fatalf("record %d of %d: %v", i, n, err)
		}
	}
	if err := w.WriteRecord(rec); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("record past MaxRecords: %v, want ErrTooLarge", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Size() != int64(specSize(h, n)) || w.Size() > MaxPartSize {
		t.Fatalf("size %d, want %d <= %d", w.Size(), specSize(h, n), MaxPartSize)
	}
}

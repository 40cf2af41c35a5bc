package wire

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"
	"testing/iotest"
)

// attrsOf returns n distinct attributes: segments 0..n-1.
func attrsOf(n int) []Attr {
	attrs := make([]Attr, n)
	for i := range attrs {
		attrs[i] = Attr{AttrSegment, uint8(i)}
	}
	return attrs
}

// encode writes records with a Writer and checks its bookkeeping.
func encode(t *testing.T, h Header, records [][]byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, h)
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	for i, rec := range records {
		if err := w.WriteRecord(rec); err != nil {
			t.Fatalf("WriteRecord %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if w.Records() != uint64(len(records)) || w.Size() != int64(out.Len()) {
		t.Fatalf("Records %d Size %d, want %d and %d", w.Records(), w.Size(), len(records), out.Len())
	}
	if want := sha256.Sum256(out.Bytes()[:out.Len()-32]); w.Digest() != want {
		t.Fatalf("Digest %x, want %x", w.Digest(), want)
	}
	return out.Bytes()
}

func TestRoundTrip(t *testing.T) {
	type layout struct {
		kind   Kind
		nattrs int
	}
	layouts := []layout{{KindElements, 0}, {KindJoin, 0}}
	for _, n := range []int{0, 1, 8, 9, 64} {
		layouts = append(layouts, layout{KindBlinded, n})
	}
	for _, l := range layouts {
		for _, count := range []int{0, 1, 65536, 65537} {
			t.Run(fmt.Sprintf("%s/attrs=%d/records=%d", l.kind, l.nattrs, count), func(t *testing.T) {
				h := Header{Kind: l.kind, Final: true, Session: testSession, Part: 4, First: 1 << 40, Attrs: attrsOf(l.nattrs)}
				records := testRecords(h, count, uint64(l.nattrs))
				got := encode(t, h, records)
				want := specPart(h, records)
				if !bytes.Equal(got, want) {
					t.Fatalf("Writer output (%d bytes) differs from the SPEC.md encoding (%d bytes)", len(got), len(want))
				}
				if len(got) != specSize(h, count) {
					t.Fatalf("size %d, SPEC.md formula gives %d", len(got), specSize(h, count))
				}
				d := decodeAll(bytes.NewReader(got))
				if d.err != nil {
					t.Fatalf("decode: %v", d.err)
				}
				if !sameHeader(d.header, h) {
					t.Fatalf("header %+v, want %+v", d.header, h)
				}
				if len(d.records) != count {
					t.Fatalf("decoded %d records, want %d", len(d.records), count)
				}
				for i := range records {
					if !bytes.Equal(d.records[i], records[i]) {
						t.Fatalf("record %d differs", i)
					}
				}
				if d.digest != [32]byte(got[len(got)-32:]) {
					t.Fatalf("Reader digest %x is not the trailer checksum", d.digest)
				}
			})
		}
	}
}

// TestIdempotent: the same session, part index and content give the same
// bytes and digest; any change gives another digest (SPEC.md "Resuming").
func TestIdempotent(t *testing.T) {
	h := smallHeader()
	records := testRecords(h, 5, 9)
	a, b := encode(t, h, records), encode(t, h, records)
	if !bytes.Equal(a, b) {
		t.Fatal("two encodings of the same part differ")
	}
	other := h
	other.Session[0] ^= 1
	if bytes.Equal(a[len(a)-32:], encode(t, other, records)[len(a)-32:]) {
		t.Fatal("another session gives the same digest")
	}
}

// TestAwkwardReaders: short reads, data delivered with io.EOF and
// one-byte reads must not shift the stream.
func TestAwkwardReaders(t *testing.T) {
	h := smallHeader()
	part := specPart(h, testRecords(h, 70000, 5)) // two chunks
	want := decodeAll(bytes.NewReader(part))
	if want.err != nil || len(want.records) != 70000 {
		t.Fatalf("reference decode: %d records, %v", len(want.records), want.err)
	}
	readers := map[string]func() decoded{
		"OneByte":     func() decoded { return decodeAll(iotest.OneByteReader(bytes.NewReader(part))) },
		"Half":        func() decoded { return decodeAll(iotest.HalfReader(bytes.NewReader(part))) },
		"DataErr":     func() decoded { return decodeAll(iotest.DataErrReader(bytes.NewReader(part))) },
		"DataErrHalf": func() decoded { return decodeAll(iotest.DataErrReader(iotest.HalfReader(bytes.NewReader(part)))) },
	}
	for name, run := range readers {
		t.Run(name, func(t *testing.T) {
			if got := run(); !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded %d records, err %v; want %d records", len(got.records), got.err, len(want.records))
			}
		})
	}
}

// failingReader delivers n bytes of r, then fails with errBoom.
type failingReader struct {
	r io.Reader
	n int
}

var errBoom = errors.New("test: connection reset")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errBoom
	}
	n, err := f.r.Read(p[:min(len(p), f.n)])
	f.n -= n
	return n, err
}

// TestReaderErrorPropagates: an I/O error at any offset, even after the
// last trailer byte, is reported with that offset and never turns into a
// short but successful part.
func TestReaderErrorPropagates(t *testing.T) {
	part := smallParts()["blinded"]
	for cut := 0; cut <= len(part); cut++ {
		d := decodeAll(&failingReader{r: bytes.NewReader(part), n: cut})
		var we *Error
		if !errors.As(d.err, &we) || we.Err != errBoom || we.Offset != int64(cut) {
			t.Fatalf("cut %d: got %v, want the I/O error at offset %d", cut, d.err, cut)
		}
	}
}

// TestRecordCapacity: a returned record cannot be grown into the next one.
func TestRecordCapacity(t *testing.T) {
	rd, err := NewReader(bytes.NewReader(smallParts()["join"]))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := rd.Next()
	if err != nil || len(rec) != 16 || cap(rec) != 16 {
		t.Fatalf("record len %d cap %d err %v, want 16 16 nil", len(rec), cap(rec), err)
	}
}

package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestNewWriterRejectsInvalidHeaders(t *testing.T) {
	tests := []struct {
		name string
		h    Header
		want error
	}{
		{"kind 0", Header{}, ErrKind},
		{"kind 4", Header{Kind: 4}, ErrKind},
		{"attrs on elements", Header{Kind: KindElements, Attrs: []Attr{{AttrVendors, 0}}}, ErrHeader},
		{"attrs on join", Header{Kind: KindJoin, Attrs: []Attr{{AttrSegment, 0}}}, ErrHeader},
		{"65 attrs", Header{Kind: KindBlinded, Attrs: append(attrsOf(64), Attr{AttrVendors, 0})}, ErrHeader},
		{"duplicate", Header{Kind: KindBlinded, Attrs: []Attr{{AttrPurposeLI, 2}, {AttrPurposeLI, 2}}}, ErrHeader},
		{"unknown attr kind", Header{Kind: KindBlinded, Attrs: []Attr{{0, 1}}}, ErrHeader},
		{"part 0 first 1", Header{Kind: KindJoin, First: 1}, ErrHeader},
		{"first below part", Header{Kind: KindJoin, Part: 2, First: 1}, ErrHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if _, err := NewWriter(&out, tt.h); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if out.Len() != 0 {
				t.Fatal("rejected header was written")
			}
		})
	}
}

// TestWriterRejectsBadRecords: a rejected record leaves the part as if it
// had never been offered.
func TestWriterRejectsBadRecords(t *testing.T) {
	h := smallHeader() // 34-byte records, bits 9..15 are padding
	good := testRecords(h, 2, 3)
	padded := bytes.Clone(good[0])
	padded[33] = 0x02 // attribute bit 9
	bad := map[string][]byte{
		"nil":     nil,
		"short":   good[0][:33],
		"long":    append(bytes.Clone(good[0]), 0),
		"element": good[0][:32],
		"padding": padded,
	}
	var out bytes.Buffer
	w, err := NewWriter(&out, h)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range good {
		for name, b := range bad {
			if err := w.WriteRecord(b); !errors.Is(err, ErrRecord) {
				t.Fatalf("%s record: got %v, want ErrRecord", name, err)
			}
		}
		if err := w.WriteRecord(rec); err != nil {
			t.Fatal(err)
		}
	}
	if out.Len() != 0 {
		t.Fatal("writer wrote before its first chunk was full")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), specPart(h, good)) {
		t.Fatal("rejected records changed the part")
	}
	if err := w.WriteRecord(good[0]); !errors.Is(err, errClosed) {
		t.Fatalf("WriteRecord after Close: %v, want errClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestWriterEmptyNonFinal(t *testing.T) {
	var out bytes.Buffer
	w, err := NewWriter(&out, Header{Kind: KindJoin, Session: testSession})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); !errors.Is(err, ErrChunk) || out.Len() != 0 {
		t.Fatalf("Close of an empty non-final part: %v, %d bytes written", err, out.Len())
	}
}

// brokenWriter accepts n bytes, then fails or (short) reports a short
// write without an error.
type brokenWriter struct {
	n     int
	short bool
}

func (b *brokenWriter) Write(p []byte) (int, error) {
	if len(p) <= b.n {
		b.n -= len(p)
		return len(p), nil
	}
	n := b.n
	b.n = 0
	if b.short {
		return n, nil
	}
	return n, errBoom
}

func TestWriterErrorsAreSticky(t *testing.T) {
	h := Header{Kind: KindJoin, Final: true, Session: testSession}
	rec := make([]byte, 16)
	tests := []struct {
		name    string
		records int
		w       *brokenWriter
		want    error
	}{
		{"fails on first chunk", 65536, &brokenWriter{n: 10}, errBoom},
		{"short write", 65536, &brokenWriter{n: 10, short: true}, io.ErrShortWrite},
		{"fails at Close", 3, &brokenWriter{n: 10}, errBoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewWriter(tt.w, h)
			if err != nil {
				t.Fatal(err)
			}
			var first error
			for range tt.records {
				if err := w.WriteRecord(rec); err != nil && first == nil {
					first = err
				}
			}
			if err := w.Close(); first == nil {
				first = err
			}
			if !errors.Is(first, tt.want) {
				t.Fatalf("first error %v, want %v", first, tt.want)
			}
			if err := w.WriteRecord(rec); !errors.Is(err, tt.want) {
				t.Fatalf("after failure WriteRecord returned %v", err)
			}
			if err := w.Close(); !errors.Is(err, tt.want) {
				t.Fatalf("after failure Close returned %v", err)
			}
			if w.Size() != 10 || w.Digest() != ([32]byte{}) {
				t.Fatalf("Size %d Digest %x after failure, want 10 and zero", w.Size(), w.Digest())
			}
		})
	}
}

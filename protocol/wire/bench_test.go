package wire

import (
	"bytes"
	"io"
	"testing"
)

// benchHeader is the media partner's default layout: 8 attribute bits,
// 33-byte records.
func benchHeader() Header {
	return Header{Kind: KindBlinded, Final: true, Session: testSession, Attrs: attrsOf(8)}
}

// BenchmarkWriter measures one record (b.N records in parts of up to 1M).
func BenchmarkWriter(b *testing.B) {
	h := benchHeader()
	rec := testRecords(h, 1, 1)[0]
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for left := b.N; left > 0; {
		w, err := NewWriter(io.Discard, h)
		if err != nil {
			b.Fatal(err)
		}
		n := min(left, 1<<20)
		for range n {
			if err := w.WriteRecord(rec); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		left -= n
	}
}

// BenchmarkReader measures one record, decoded from a 1M-record part in
// memory (b.N records in all).
func BenchmarkReader(b *testing.B) {
	h := benchHeader()
	part := specPart(h, testRecords(h, 1<<20, 1))
	b.SetBytes(int64(h.RecordSize()))
	b.ReportAllocs()
	b.ResetTimer()
	for left := b.N; left > 0; {
		rd, err := NewReader(bytes.NewReader(part))
		if err != nil {
			b.Fatal(err)
		}
		for n := 0; n < left; n++ {
			if _, err := rd.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
		left -= int(rd.Records())
	}
}

package wire

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"reflect"
	"testing"
	"testing/iotest"
)

// FuzzReader feeds arbitrary bytes to the Reader. Besides never panicking:
// every failure is an *Error inside the input, one-byte reads decode the
// same way as whole reads, and whatever decodes is the one canonical
// encoding of its content (re-encoding gives the input back).
func FuzzReader(f *testing.F) {
	for _, part := range smallParts() {
		f.Add(part)
		f.Add(part[:len(part)-1])
		f.Add(append(bytes.Clone(part), 0))
	}
	h := Header{Kind: KindBlinded, Final: true, Session: testSession, Attrs: attrsOf(64)}
	f.Add(specPart(h, testRecords(h, 5, 1)))
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		got := decodeAll(bytes.NewReader(data))
		if slow := decodeAll(iotest.OneByteReader(bytes.NewReader(data))); !reflect.DeepEqual(slow, got) {
			t.Fatalf("one-byte reads: %v, whole reads: %v", slow.err, got.err)
		}
		if got.err != nil {
			var we *Error
			if !errors.As(got.err, &we) || we.Offset < 0 || we.Offset > int64(len(data)) {
				t.Fatalf("bad error %v", got.err)
			}
			return
		}
		if got.digest != sha256.Sum256(data[:len(data)-32]) {
			t.Fatal("digest is not the SHA-256 of the part")
		}
		var out bytes.Buffer
		w, err := NewWriter(&out, got.header)
		if err != nil {
			t.Fatalf("decoded header rejected by the Writer: %v", err)
		}
		for _, rec := range got.records {
			if err := w.WriteRecord(rec); err != nil {
				t.Fatalf("decoded record rejected by the Writer: %v", err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Fatal("accepted a non-canonical encoding")
		}
	})
}

// FuzzKeyedChunk fuzzes the keyed record layout behind a fixed valid
// header, where random bytes rarely get with FuzzReader: data is the chunk
// framing and records, and the trailer is computed so that only the keyed
// checks can refuse it. Whatever decodes must re-encode to the same bytes.
func FuzzKeyedChunk(f *testing.F) {
	h := keyedHeader(6)
	f.Add(specKeyedPart(h, [][]byte{keyedRecord(6, 5, 0b101, 1), keyedRecord(6, 0, 0b010, 7)})[len(rawHeader(h)):])
	f.Add(specKeyedPart(h, [][]byte{keyedRecord(6, 63, 0b111, 2)})[len(rawHeader(h)):])
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		// A first pass counts the records that decode, so that the trailer
		// of the second pass is right whenever the chunks are.
		first := decodeAll(bytes.NewReader(finishPart(append(rawHeader(h), data...), 0)))
		part := finishPart(append(rawHeader(h), data...), uint64(len(first.records)))
		got := decodeAll(bytes.NewReader(part))
		if got.err != nil {
			var we *Error
			if !errors.As(got.err, &we) || we.Offset < 0 || we.Offset > int64(len(part)) {
				t.Fatalf("bad error %v", got.err)
			}
			if slow := decodeAll(iotest.OneByteReader(bytes.NewReader(part))); !reflect.DeepEqual(slow, got) {
				t.Fatalf("one-byte reads: %v, whole reads: %v", slow.err, got.err)
			}
			return
		}
		if enc := specKeyedPart(h, got.records); !bytes.Equal(finishPart(enc, uint64(len(got.records))), part) {
			t.Fatal("accepted a non-canonical keyed encoding")
		}
	})
}

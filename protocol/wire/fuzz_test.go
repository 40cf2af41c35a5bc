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

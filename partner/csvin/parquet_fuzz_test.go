package csvin_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/blindjoin/blindjoin/partner/csvin"
)

// FuzzParquet reads any bytes named .parquet: no panic, no endless loop;
// errors wrap ErrParquet or ErrCompression (bad magic).
func FuzzParquet(f *testing.F) {
	f.Add([]byte("PAR1PAR1"))
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[parquetRecord](&buf)
	seg := "a;b"
	if _, err := w.Write([]parquetRecord{{Email: "a@x.com", Segments: &seg, Consent: "1;7", Phone: 1}, {Email: "b@x.com"}}); err != nil {
		f.Fatal(err)
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "in.parquet")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := csvin.OpenFile(path, csvin.Columns{ID: "Email", Segments: "segments", Consent: "consent"}, csvin.Options{})
		if err != nil {
			if !errors.Is(err, csvin.ErrParquet) && !errors.Is(err, csvin.ErrCompression) && !errors.Is(err, csvin.ErrMissingColumn) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		defer r.Close()
		for calls := 0; calls <= 1<<20; calls++ {
			if _, err := r.Next(); err == io.EOF {
				return
			} else if err != nil {
				if _, ok := errors.AsType[*csvin.RowError](err); !ok {
					return
				}
			}
		}
		t.Fatal("too many rows")
	})
}

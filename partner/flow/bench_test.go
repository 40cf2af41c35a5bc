package flow

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// BenchmarkReadInput measures the read phase per row: CSV parsing, email
// normalization, SHA-256 and the (cached) consent cell, into the audience.
func BenchmarkReadInput(b *testing.B) {
	const rows = 50_000
	dir := b.TempDir()
	in := filepath.Join(dir, "in.csv")
	f, err := os.Create(in)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprint(w, "email,segments,consent\r\n")
	for i := range rows {
		fmt.Fprintf(w, "User.%d@Example.com,a;b,1;3;4;7;9\r\n", i)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	r := &runner{
		opts: Options{Input: in, OutDir: dir, Progress: noProgress{},
			Columns: csvin.Columns{ID: "email", Segments: "segments", Consent: "consent"}},
		info: testInfo(b, `{}`, api.RoleAdvertiser, []string{"a", "b"}),
	}
	b.ReportAllocs()
	for b.Loop() {
		a, err := r.readInput(b.Context())
		if err != nil || a.len() != rows {
			b.Fatalf("%d rows, %v", a.len(), err)
		}
		a.close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

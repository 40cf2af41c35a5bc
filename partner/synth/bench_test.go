package synth

import (
	"io"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/policy"
)

// BenchmarkDemo writes both default files and computes their truth, as
// `blindjoin demo` does.
func BenchmarkDemo(b *testing.B) {
	d := newDataset(b, DefaultConfig())
	for b.Loop() {
		if err := d.WriteAdvertiserCSV(io.Discard); err != nil {
			b.Fatal(err)
		}
		if err := d.WritePartnerCSV(io.Discard); err != nil {
			b.Fatal(err)
		}
		if _, err := d.Truth(policy.Default()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeTC(b *testing.B) {
	tc := baseTC()
	for b.Loop() {
		if _, err := EncodeTC(tc); err != nil {
			b.Fatal(err)
		}
	}
}

package blind

import (
	"testing"
	"time"

	"filippo.io/edwards25519"
	"github.com/gtank/ristretto255"

	"github.com/blindjoin/blindjoin/protocol"
)

// The command and figures are in doc.go. Each benchmark reports, next to the
// wall-clock ns/op, the process CPU time per unit of work, because the
// machines are shared: wall time alone mixes in other tenants, and for a
// batch it shows the parallel speed-up rather than the cost.

// measure runs op in b.Loop; op does perOp units of work (elements).
func measure(b *testing.B, unit string, perOp int, op func()) {
	b.ReportAllocs()
	c0, ok := cpuTime()
	for b.Loop() {
		op()
	}
	c1, _ := cpuTime()
	units := float64(b.N * perOp)
	if perOp > 1 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/units, "ns/"+unit)
	}
	if ok {
		b.ReportMetric(float64((c1-c0).Nanoseconds())/units, "cpu-ns/"+unit)
	}
}

func backends() []struct {
	name string
	w    backend
} {
	return []struct {
		name string
		w    backend
	}{{"fast", newFast(protocol.DST)}, {"reference", newReference(protocol.DST)}}
}

func BenchmarkHashToElement(b *testing.B) {
	d := randomDigests(1, 20)[0]
	for _, bk := range backends() {
		b.Run(bk.name, func(b *testing.B) {
			var e Element
			measure(b, "op", 1, func() { bk.w.hashToElement(&e, d[:]) })
		})
	}
}

// BenchmarkBlind measures the exported single-element call, which builds a
// backend per call, and each backend's blind alone.
func BenchmarkBlind(b *testing.B) {
	k := testKey(b, 21)
	d := randomDigests(1, 21)[0]
	b.Run("Key.Blind", func(b *testing.B) {
		measure(b, "op", 1, func() { _ = k.Blind(&d) })
	})
	for _, bk := range backends() {
		b.Run(bk.name, func(b *testing.B) {
			var e Element
			measure(b, "op", 1, func() { bk.w.blind(&e, k, d[:]) })
		})
	}
}

func BenchmarkReblind(b *testing.B) {
	k := testKey(b, 22)
	d := randomDigests(1, 22)[0]
	in := k.Blind(&d)
	b.Run("Key.Reblind", func(b *testing.B) {
		measure(b, "op", 1, func() { _, _ = k.Reblind(&in) })
	})
	for _, bk := range backends() {
		b.Run(bk.name, func(b *testing.B) {
			var e Element
			measure(b, "op", 1, func() { bk.w.reblind(&e, k, &in) })
		})
	}
}

const benchBatch = 1024

func BenchmarkBlindBatch(b *testing.B) {
	k := testKey(b, 23)
	ds := randomDigests(benchBatch, 23)
	out := make([]Element, benchBatch)
	measure(b, "element", benchBatch, func() {
		if err := k.BlindBatch(out, ds); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkReblindBatch(b *testing.B) {
	k := testKey(b, 24)
	in := make([]Element, benchBatch)
	if err := k.BlindBatch(in, randomDigests(benchBatch, 24)); err != nil {
		b.Fatal(err)
	}
	out := make([]Element, benchBatch)
	measure(b, "element", benchBatch, func() {
		if err := k.ReblindBatch(out, in); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkReblindJoinBatch(b *testing.B) {
	k := testKey(b, 25)
	in := make([]Element, benchBatch)
	if err := k.BlindBatch(in, randomDigests(benchBatch, 25)); err != nil {
		b.Fatal(err)
	}
	out := make([][JoinDigestSize]byte, benchBatch)
	measure(b, "element", benchBatch, func() {
		if err := k.ReblindJoinBatch(out, in); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkScalarMult is gtank's variable-base scalar multiplication alone:
// the floor under Blind and Reblind, measured in the same run.
func BenchmarkScalarMult(b *testing.B) {
	k := testKey(b, 26)
	var p ristretto255.Element
	p.Base()
	measure(b, "op", 1, func() { p.ScalarMult(&k.s, &p) })
}

// BenchmarkEncode compares gtank's encoding of one point with the batch
// double-and-encode of a full group, per point.
func BenchmarkEncode(b *testing.B) {
	var pts [encodeGroup]edwards25519.Point
	var gs [encodeGroup]ristretto255.Element
	for i, d := range randomDigests(encodeGroup, 27) {
		var u [64]byte
		newXMD(protocol.DST).expand(u[:], d[:])
		_, _ = gs[i].SetUniformBytes(u[:])
		e := Element(gs[i].Bytes())
		decodePoint(&pts[i], &e)
	}
	b.Run("gtank", func(b *testing.B) {
		var out [encodeGroup]Element
		measure(b, "point", encodeGroup, func() {
			for i := range gs {
				gs[i].Encode(out[i][:0])
			}
		})
	})
	b.Run("double-and-encode", func(b *testing.B) {
		var enc doubleEncoder
		var out [encodeGroup]Element
		ext := extPoints(pts[:]...)
		measure(b, "point", encodeGroup, func() { enc.encode(out[:], ext) })
	})
}

// paired runs the two ops alternately in b.Loop, timing each with the
// process CPU clock, and reports the CPU per element of each and their
// ratio: on a shared machine whose speed drifts within seconds, this is the
// comparison to read, since both sides see the same minutes.
func paired(b *testing.B, perOp int, names [2]string, ops [2]func()) {
	var spent [2]time.Duration
	for b.Loop() {
		for i, op := range ops {
			c0, ok := cpuTime()
			op()
			c1, _ := cpuTime()
			if !ok {
				b.Skip("no process CPU clock here")
			}
			spent[i] += c1 - c0
		}
	}
	units := float64(b.N * perOp)
	for i, name := range names {
		b.ReportMetric(float64(spent[i].Nanoseconds())/units, name+"-cpu-ns/element")
	}
	b.ReportMetric(float64(spent[0])/float64(spent[1]), "ratio")
}

// BenchmarkPairedBatchPortable compares, on one goroutine, blinding and
// re-blinding a group of 64 digests with gtank one element at a time (the
// batch path before the batch backends) and with the portable batch path.
func BenchmarkPairedBatchPortable(b *testing.B) {
	k := testKey(b, 29)
	ds := randomDigests(encodeGroup, 29)
	f := newFast(protocol.DST)
	w := &batchWorker{x: newXMD(protocol.DST), arith: newPortableBackend(halfKey(k))}
	var blinded, out [encodeGroup]Element
	paired(b, encodeGroup, [2]string{"gtank", "portable"}, [2]func(){
		func() {
			for i := range ds {
				f.blind(&blinded[i], k, ds[i][:])
				f.reblind(&out[i], k, &blinded[i])
			}
		},
		func() {
			w.blind(blinded[:], ds)
			if _, err := w.reblind(out[:], blinded[:]); err != nil {
				b.Fatal(err)
			}
		},
	})
}

// BenchmarkPairedCheckElements compares the clean room's check of an
// upload before and after CheckElements: DecodeElement one element at a
// time (gtank), and CheckElements on groups of 64 (the batch decoder, with
// the square roots on the machine's backend).
func BenchmarkPairedCheckElements(b *testing.B) {
	k := testKey(b, 31)
	in := make([]Element, encodeGroup)
	if err := k.BlindBatch(in, randomDigests(len(in), 31)); err != nil {
		b.Fatal(err)
	}
	paired(b, encodeGroup, [2]string{"DecodeElement", "CheckElements"}, [2]func(){
		func() {
			for i := range in {
				if _, err := DecodeElement(in[i][:]); err != nil {
					b.Fatal(err)
				}
			}
		},
		func() {
			if err := CheckElements(in); err != nil {
				b.Fatal(err)
			}
		},
	})
}

//go:build amd64 && !purego

package blind

import (
	"unsafe"

	"filippo.io/edwards25519"
)

// BackendName names the group arithmetic of the batch methods on this
// machine: "avx512ifma" when the CPU has AVX-512 IFMA (and the binary was
// built without the purego tag), otherwise "portable".
func BackendName() string {
	if hasIFMA {
		return backendIFMA
	}
	return backendPortable
}

// backendFor returns a constructor of one groupBackend per worker, all
// multiplying by s: eight-lane ones if the CPU allows and portable is
// false. The digits of s are computed once and shared read-only.
func backendFor(s *edwards25519.Scalar, portable bool) func() groupBackend {
	if !hasIFMA || portable {
		return func() groupBackend { return newPortableBackend(s) }
	}
	d := new(digits16)
	d.setScalar(s)
	return func() groupBackend { return &ifmaBackend{digits: d, ifmaScratch: newIFMAScratch()} }
}

// decodeBackend returns a groupBackend for decoding only: its decode runs
// eight lanes at a time if the CPU allows; it has no scalar, so only decode
// may be called.
func decodeBackend() groupBackend {
	if !hasIFMA {
		return newPortableBackend(nil)
	}
	return &ifmaBackend{ifmaScratch: newIFMAScratch()}
}

// ifmaBackend works on eight elements at a time; the last, partial vector
// of a group fills its free lanes with a valid input (the identity, or
// zeros for the map), whose result is not used.
type ifmaBackend struct {
	digits  *digits16
	decoded int // elements of the last decode, their points in group
	*ifmaScratch
}

// ifmaScratch is the memory the eight-lane code of an ifmaBackend reads and
// writes. Every field is a whole number of 64-byte vectors (fe8 is five),
// so all of them are 64-byte aligned when the struct is.
type ifmaScratch struct {
	m      mult8
	group  [encodeGroup / 8]extended8 // a group's points, then products, for enc
	enc    doubleEncoder8
	tmp    [6]fe8
	maps   [2 * encodeGroup / 8]mapper8
	decs   [encodeGroup / 8]decoder8
	pws    [2 * encodeGroup / 8]fe8 // the values to raise, then their powers
	second extended8                // the point of the second map of a vector
	s      [8]fe8
}

// vectorAlign is the alignment of ifmaScratch: the size of a 512-bit
// vector. A load or store that straddles two cache lines is split in two,
// which made the whole scalar multiplication about 1.2 times slower
// (BenchmarkScalarMult8Alignment), and Go aligns nothing beyond 8 bytes.
const vectorAlign = 64

// newIFMAScratch returns a zeroed ifmaScratch at a vectorAlign boundary,
// carved out of a larger byte slice. The struct holds no pointers, so the
// garbage collector need not know its type; the returned pointer keeps
// the whole slice alive.
func newIFMAScratch() *ifmaScratch {
	buf := make([]byte, unsafe.Sizeof(ifmaScratch{})+vectorAlign-1)
	skip := -uintptr(unsafe.Pointer(unsafe.SliceData(buf))) & (vectorAlign - 1)
	return (*ifmaScratch)(unsafe.Pointer(&buf[skip]))
}

// blindGroup maps, adds and multiplies eight elements at a time, in the
// lanes from the uniform bytes to the encoder: maps 2v and 2v+1 take the
// first and second halves of elements 8v to 8v+7, their square roots are
// raised together, and the sum of their points is multiplied in place.
// Free lanes of the last vector map zeros, a valid input whose point is
// multiplied and not encoded, so the work depends only on the group's
// length.
func (b *ifmaBackend) blindGroup(out []Element, uniform [][64]byte) {
	m := (len(uniform) + 7) / 8
	var zero [32]byte
	for v := range m {
		for j := range 8 {
			first, second := zero[:], zero[:]
			if i := 8*v + j; i < len(uniform) {
				first, second = uniform[i][:32], uniform[i][32:]
			}
			b.maps[2*v].t.setLaneBytes(j, first)
			b.maps[2*v+1].t.setLaneBytes(j, second)
		}
		b.maps[2*v].start(&b.pws[2*v], &b.s)
		b.maps[2*v+1].start(&b.pws[2*v+1], &b.s)
		fePow22523_16((*[2]fe8)(b.pws[2*v:]), (*[2]fe8)(b.pws[2*v:]), &b.tmp)
		p := &b.group[v]
		b.maps[2*v].finish(p, &b.pws[2*v], &b.s)
		b.maps[2*v+1].finish(&b.second, &b.pws[2*v+1], &b.s)
		toCached8(&b.m.q, &b.second, &d2x8)
		addCached8(&b.m.acc, p, &b.m.q, &b.m.tmp)
		toExtended8(p, &b.m.acc)
	}
	b.multiplyEncodeGroup(out)
}

// decode decodes eight encodings at a time into the group's vectors, for
// multiplyEncodeDecoded. Free lanes of the last vector decode the identity.
func (b *ifmaBackend) decode(in []Element) uint64 {
	m := (len(in) + 7) / 8
	var canonical uint64
	var e, c [8]Element // the identity in free lanes: it decodes
	for v := range m {
		n := copy(e[:], in[8*v:])
		clear(e[n:])
		for j := range e {
			b.decs[v].s.setLaneBytes(j, e[j][:])
		}
		// Canonical: below p (the lane's canonical bytes are e, which also
		// rejects the top bit) and non-negative, as in decoder.start. The
		// encoding is public, and so is this check.
		b.decs[v].s.encode(c[:])
		for j := range e {
			if c[j] == e[j] && e[j][0]&1 == 0 {
				canonical |= 1 << (8*v + j)
			}
		}
		b.decs[v].start(&b.pws[v], &b.s)
	}
	if m%2 == 1 {
		b.pws[m] = one8 // the other half of the last exponentiation
	}
	for v := 0; v < m; v += 2 {
		fePow22523_16((*[2]fe8)(b.pws[v:]), (*[2]fe8)(b.pws[v:]), &b.tmp)
	}
	var valid uint64
	for v := range m {
		valid |= b.decs[v].finish(&b.group[v], &b.pws[v], &b.s) << (8 * v)
	}
	b.decoded = len(in)
	return valid & canonical & (1<<len(in) - 1)
}

// multiplyEncodeDecoded multiplies and encodes the points of the last
// decode, in the lanes.
func (b *ifmaBackend) multiplyEncodeDecoded(out []Element) {
	b.multiplyEncodeGroup(out[:b.decoded])
}

// multiplyEncodeGroup multiplies the first len(out) points of the group's
// vectors in place and encodes them.
func (b *ifmaBackend) multiplyEncodeGroup(out []Element) {
	m := (len(out) + 7) / 8
	for v := range m {
		b.m.scalarMult(&b.group[v], &b.group[v], b.digits)
	}
	b.enc.encode(out, b.group[:m])
}

//go:build amd64 && !purego

package blind

import "filippo.io/edwards25519"

// BackendName names the group arithmetic of the batch methods on this
// machine: "avx512ifma" when the CPU has AVX-512 IFMA (and the binary was
// built without the purego tag), otherwise "portable".
func BackendName() string {
	if hasIFMA {
		return backendIFMA
	}
	return backendPortable
}

// multiplierFor returns a constructor of one groupMultiplier per worker, all
// multiplying by s: eight-lane ones if the CPU allows. The digits of s are
// computed once and shared read-only.
func multiplierFor(s *edwards25519.Scalar) func() groupMultiplier {
	if !hasIFMA {
		return func() groupMultiplier { return portableMultiplier{s} }
	}
	d := new(digits16)
	d.setScalar(s)
	return func() groupMultiplier { return &ifmaMultiplier{digits: d} }
}

// ifmaMultiplier multiplies eight points at a time; a group's last, partial
// round fills its empty lanes with the identity.
type ifmaMultiplier struct {
	digits  *digits16
	m       mult8
	in, out extended8
}

func (m *ifmaMultiplier) multiply(pts []edwards25519.Point) {
	for lo := 0; lo < len(pts); lo += 8 {
		n := min(8, len(pts)-lo)
		for j := range 8 {
			if j < n {
				m.in.setLane(j, &pts[lo+j])
			} else {
				m.in.copyLane(j, &identity8)
			}
		}
		m.m.scalarMult(&m.out, &m.in, m.digits)
		for j := range n {
			m.out.lane(j, &pts[lo+j])
		}
	}
}

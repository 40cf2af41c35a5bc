//go:build amd64 && !purego

package blind

// batchEncoders are the batched double-and-encode implementations of this
// build: doubleEncoder, and doubleEncoder8 where the CPU has IFMA.
func batchEncoders() []batchEncoder {
	encs := []batchEncoder{{backendPortable, new(doubleEncoder).encode}}
	if hasIFMA {
		encs = append(encs, batchEncoder{backendIFMA, encodeLanes(new(doubleEncoder8))})
	}
	return encs
}

// encodeLanes puts the points into lanes, the free ones of the last vector
// the identity, for doubleEncoder8.
func encodeLanes(d *doubleEncoder8) func(out []Element, pts []extPoint) {
	return func(out []Element, pts []extPoint) {
		vs := make([]extended8, (len(pts)+7)/8)
		for v := range vs {
			for j := range 8 {
				if i := 8*v + j; i < len(pts) {
					vs[v].setLane(j, &pts[i])
				} else {
					vs[v].copyLane(j, &identity8)
				}
			}
		}
		d.encode(out, vs)
	}
}

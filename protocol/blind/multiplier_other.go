//go:build !amd64 || purego

package blind

import "filippo.io/edwards25519"

// BackendName names the group arithmetic of the batch methods on this
// machine: "avx512ifma" or "portable". This build has only the portable
// one.
func BackendName() string { return backendPortable }

// multiplierFor returns a constructor of one groupMultiplier per worker, all
// multiplying by s.
func multiplierFor(s *edwards25519.Scalar) func() groupMultiplier {
	return func() groupMultiplier { return portableMultiplier{s} }
}

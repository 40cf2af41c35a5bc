//go:build !amd64 || purego

package blind

import "filippo.io/edwards25519"

// BackendName names the group arithmetic of the batch methods on this
// machine: "avx512ifma" or "portable". This build has only the portable
// one.
func BackendName() string { return backendPortable }

// backendFor returns a constructor of one groupBackend per worker, all
// multiplying by s; this build has only the portable arithmetic.
func backendFor(s *edwards25519.Scalar, _ bool) func() groupBackend {
	return func() groupBackend { return newPortableBackend(s) }
}

// decodeBackend returns a groupBackend for decoding only: it has no
// scalar, so only decode may be called.
func decodeBackend() groupBackend { return newPortableBackend(nil) }

//go:build !amd64 || purego

package blind

// batchEncoders are the batched double-and-encode implementations of this
// build: doubleEncoder alone.
func batchEncoders() []batchEncoder {
	return []batchEncoder{{backendPortable, new(doubleEncoder).encode}}
}

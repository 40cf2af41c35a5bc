package keyfile

import (
	"os"

	"github.com/blindjoin/blindjoin/internal/atomicfile"
)

// WriteFileAtomic replaces path with data, mode perm, so that readers see
// either the old content or the new one in full, even across a crash
// (internal/atomicfile says how).
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return atomicfile.WriteFile(path, data, perm)
}

package testvectors

import (
	"embed"
	"io/fs"
)

//go:generate go run ./gen

//go:embed *.json
var embedded embed.FS

// Embedded returns the vector files of this package, as built into the
// binary.
func Embedded() fs.FS { return embedded }

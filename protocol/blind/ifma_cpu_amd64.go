//go:build amd64 && !purego

package blind

import "golang.org/x/sys/cpu"

// hasIFMA reports whether the CPU (and the OS, which must save the AVX-512
// state) can run ifma_amd64.s: a read-only fact of the machine, fixed at
// start-up like the CPU feature flags of crypto/internal.
var hasIFMA = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512IFMA

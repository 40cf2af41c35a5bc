package proc

import (
	"fmt"
	"math/bits"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// cpuMask is a Linux CPU affinity mask (cpu_set_t), up to 1024 CPUs.
type cpuMask [16]uint64

// affinity reads or writes the calling thread's CPU mask.
func affinity(call uintptr, m *cpuMask) error {
	_, _, errno := syscall.RawSyscall(call, 0, unsafe.Sizeof(*m), uintptr(unsafe.Pointer(m)))
	if errno != 0 {
		return errno
	}
	return nil
}

// firstCPUs returns the mask of the first n CPUs this thread may
// run on.
func firstCPUs(n int) (cpuMask, error) {
	var have, want cpuMask
	if err := affinity(syscall.SYS_SCHED_GETAFFINITY, &have); err != nil {
		return want, fmt.Errorf("sched_getaffinity: %w", err)
	}
	for i, w := range have {
		for ; w != 0 && n > 0; n-- {
			bit := w & -w
			want[i] |= bit
			w &^= bit
		}
	}
	if n > 0 {
		return want, fmt.Errorf("only %d CPUs available", countCPUs(have))
	}
	return want, nil
}

func countCPUs(m cpuMask) int {
	n := 0
	for _, w := range m {
		n += bits.OnesCount64(w)
	}
	return n
}

// StartPinned starts cmd restricted to the first cpus CPUs (all of
// them if cpus is 0). Linux keeps an affinity mask per thread, and a child
// process inherits the mask of the thread that forked it, which in Go is
// the thread of the goroutine calling Start: so a goroutine locks itself
// to a thread, narrows that thread's mask and starts the child from it.
// The goroutine returns still locked, which makes the runtime discard the
// thread rather than hand its narrowed mask to other goroutines.
func StartPinned(cmd *exec.Cmd, cpus int) error {
	if cpus == 0 {
		return cmd.Start()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		mask, err := firstCPUs(cpus)
		if err == nil {
			err = affinity(syscall.SYS_SCHED_SETAFFINITY, &mask)
		}
		if err != nil {
			errc <- fmt.Errorf("pinning to %d CPUs: %w", cpus, err)
			return
		}
		errc <- cmd.Start()
	}()
	return <-errc
}

// PeakRSS returns this process's peak resident set size in bytes
// (VmHWM), or 0 if unknown. A child's ru_maxrss cannot serve: Go starts
// children with vfork semantics (CLONE_VM), and Linux carries the parent's
// high-water mark into the child at exec, so a small child of a big
// parent would report the parent's peak.
func PeakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

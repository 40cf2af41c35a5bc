package main

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

// benchCPUMask is a Linux CPU affinity mask (cpu_set_t), up to 1024 CPUs.
type benchCPUMask [16]uint64

// benchAffinity reads or writes the calling thread's CPU mask.
func benchAffinity(call uintptr, m *benchCPUMask) error {
	_, _, errno := syscall.RawSyscall(call, 0, unsafe.Sizeof(*m), uintptr(unsafe.Pointer(m)))
	if errno != 0 {
		return errno
	}
	return nil
}

// benchFirstCPUs returns the mask of the first n CPUs this thread may
// run on.
func benchFirstCPUs(n int) (benchCPUMask, error) {
	var have, want benchCPUMask
	if err := benchAffinity(syscall.SYS_SCHED_GETAFFINITY, &have); err != nil {
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
		return want, fmt.Errorf("only %d CPUs available", benchCountCPUs(have))
	}
	return want, nil
}

func benchCountCPUs(m benchCPUMask) int {
	n := 0
	for _, w := range m {
		n += bits.OnesCount64(w)
	}
	return n
}

// benchStartPinned starts cmd restricted to the first cpus CPUs (all of
// them if cpus is 0). Linux keeps an affinity mask per thread, and a child
// process inherits the mask of the thread that forked it, which in Go is
// the thread of the goroutine calling Start: so a goroutine locks itself
// to a thread, narrows that thread's mask and starts the child from it.
// The goroutine returns still locked, which makes the runtime discard the
// thread rather than hand its narrowed mask to other goroutines.
func benchStartPinned(cmd *exec.Cmd, cpus int) error {
	if cpus == 0 {
		return cmd.Start()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		mask, err := benchFirstCPUs(cpus)
		if err == nil {
			err = benchAffinity(syscall.SYS_SCHED_SETAFFINITY, &mask)
		}
		if err != nil {
			errc <- fmt.Errorf("pinning to %d CPUs: %w", cpus, err)
			return
		}
		errc <- cmd.Start()
	}()
	return <-errc
}

// benchPeakRSS returns this process's peak resident set size in bytes
// (VmHWM), or 0 if unknown. A child's ru_maxrss cannot serve: Go starts
// children with vfork semantics (CLONE_VM), and Linux carries the parent's
// high-water mark into the child at exec, so a small child of a big
// parent would report the parent's peak.
func benchPeakRSS() int64 {
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

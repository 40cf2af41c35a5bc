// Package proc measures processes and pins them to CPUs: the CPU time this
// process has used, its peak resident memory, what the kernel accounted to
// an exited child, and starting a child on the first N CPUs only. The
// benchmark (internal/bench) and the demo's report use it; off Linux or
// Unix the figures it cannot read are zero.
package proc

import "time"

// Usage is what the kernel accounted to one process.
type Usage struct {
	User, System time.Duration
	PeakRSS      int64 // bytes
}

// CPU is the user plus system time.
func (u Usage) CPU() time.Duration { return u.User + u.System }

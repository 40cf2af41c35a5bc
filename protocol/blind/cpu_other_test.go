//go:build !unix

package blind

import "time"

// cpuTime is not measured on this platform; the benchmarks then report
// wall time only.
func cpuTime() (time.Duration, bool) { return 0, false }

//go:build !unix

package proc

import "time"

// CPU is not measured off Unix: it is 0.
func CPU() time.Duration { return 0 }

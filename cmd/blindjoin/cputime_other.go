//go:build !unix

package main

import "time"

// processCPU is not measured off Unix: reports show 0.
func processCPU() time.Duration { return 0 }

//go:build race

package blind

// raceEnabled: the race detector makes sync.Pool drop a share of what is
// put back, so a pooled path allocates under it by design.
const raceEnabled = true

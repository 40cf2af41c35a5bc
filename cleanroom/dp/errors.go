package dp

import "errors"

// Errors for parameters the caller got wrong; none depends on the noise.
var (
	ErrSeed        = errors.New("dp: seed shorter than MinSeedSize")
	ErrEpsilon     = errors.New("dp: epsilon out of range")
	ErrSensitivity = errors.New("dp: sensitivity out of range")
	ErrCount       = errors.New("dp: count outside [0, bound]")
)

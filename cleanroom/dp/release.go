package dp

// Noise returns the discrete Laplace noise of the count named label, for
// privacy parameter epsilon and sensitivity (how much one user can change
// the count). The same Source and label always give the same noise for the
// same parameters; distinct labels give independent noise.
func (s *Source) Noise(label string, epsilon float64, sensitivity int) (int64, error) {
	num, den, err := scale(epsilon, sensitivity)
	if err != nil {
		return 0, err
	}
	return s.stream(label).discreteLaplace(num, den), nil
}

// Release returns trueCount plus the noise of label, clamped to [0, bound].
// bound is the size of the recipient's own set: the recipient knows the
// count cannot exceed it, and clamping is post-processing, so it costs no
// privacy while avoiding absurd (negative or impossible) numbers.
func (s *Source) Release(label string, trueCount, bound int64, epsilon float64, sensitivity int) (int64, error) {
	if trueCount < 0 || trueCount > bound {
		return 0, ErrCount
	}
	noise, err := s.Noise(label, epsilon, sensitivity)
	if err != nil {
		return 0, err
	}
	// Compare before adding so that no noise value can overflow.
	switch {
	case noise >= bound-trueCount:
		return bound, nil
	case noise <= -trueCount:
		return 0, nil
	default:
		return trueCount + noise, nil
	}
}

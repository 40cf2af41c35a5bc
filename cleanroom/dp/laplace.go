package dp

import "math/big"

// Limits on the noise parameters. EpsilonQuantum is the grid ε is rounded
// down to; MaxEpsilon is far above any useful value (the policy allows 20)
// and keeps the scale arithmetic in uint64.
const (
	EpsilonQuantum = 1e-9
	MaxEpsilon     = 1000
	MaxSensitivity = 1 << 20
)

// epsilonUnits is 1/EpsilonQuantum as an integer.
const epsilonUnits = 1_000_000_000

// maxRounds bounds the geometric loop of the sampler so that t·v cannot
// overflow (t < 2^50). Reaching it has probability below e^-16000, so the
// bound does not change the distribution in any measurable way.
const maxRounds = 1 << 13

// scale returns the sampler parameters (s, t) for noise of scale t/s = Δ/ε,
// with ε rounded down to a multiple of EpsilonQuantum.
func scale(epsilon float64, sensitivity int) (s, t uint64, err error) {
	if !(epsilon > 0) || epsilon > MaxEpsilon { // also rejects NaN
		return 0, 0, ErrEpsilon
	}
	if sensitivity < 1 || sensitivity > MaxSensitivity {
		return 0, 0, ErrSensitivity
	}
	// Exact product: 53 bits of mantissa times a 30-bit integer fits in 128
	// bits, and Uint64 truncates toward zero.
	f := new(big.Float).SetPrec(128).SetFloat64(epsilon)
	f.Mul(f, new(big.Float).SetPrec(128).SetUint64(epsilonUnits))
	units, _ := f.Uint64()
	if units == 0 {
		return 0, 0, ErrEpsilon
	}
	s, t = units, epsilonUnits*uint64(sensitivity)
	g := gcd(s, t)
	return s / g, t / g, nil
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// discreteLaplace draws X with P(X = x) ∝ exp(-|x|·s/t): algorithm 2 of
// Canonne, Kamath and Steinke (2020).
func (st *stream) discreteLaplace(s, t uint64) int64 {
	for {
		// X = u + t·v is geometric with parameter 1 - exp(-1/t): u is its
		// remainder modulo t (accepted with probability exp(-u/t)), v its
		// quotient (a geometric count of exp(-1) successes).
		u := st.uniform(t)
		if !st.bernoulliExp(u, t) {
			continue
		}
		v := uint64(0)
		for v < maxRounds && st.bernoulliExp(1, 1) {
			v++
		}
		if v == maxRounds {
			continue
		}
		// Y = floor(X/s) is geometric with parameter 1 - exp(-s/t); a random
		// sign makes it two-sided, rejecting "-0" so 0 is not counted twice.
		y := int64((u + t*v) / s)
		negative := st.uniform(2) == 1
		if negative && y == 0 {
			continue
		}
		if negative {
			return -y
		}
		return y
	}
}

// bernoulliExp returns true with probability exp(-num/den) for
// 0 <= num <= den: algorithm 1 of Canonne, Kamath and Steinke. With K the
// first k whose Bernoulli(γ/k) trial fails, P(K odd) = exp(-γ).
func (st *stream) bernoulliExp(num, den uint64) bool {
	k := uint64(1)
	for st.bernoulli(num, den*k) {
		k++
	}
	return k%2 == 1
}

package synth

import (
	"math"
	"math/rand/v2"
)

// The plan of a side: what each row is.
//
// Each row is an event drawn from the side's "events" stream:
//
//	next      the next person of the side, by their personal identifier
//	          (or, for a few, their second one)
//	duplicate an identifier already written a few rows above, typed again
//	persona   the other identifier of a person written a few rows above
//	invalid   an identifier that does not normalize
//
// The events stream holds nothing else, so replaying it alone tells how
// many people a side holds before any row is written; the advertiser's
// count fixes which people the partner shares with it.

type event int

const (
	eventNext event = iota
	eventDuplicate
	eventPersona
	eventInvalid
)

// sideParams are the event rates of a side.
type sideParams struct {
	label     string // stream label prefix: "advertiser" or "partner"
	rows      int
	invalid   float64 // identifier does not normalize (1-2%)
	duplicate float64 // same identifier again
	persona   float64 // the same person's other identifier
	second    float64 // a person known only by their second identifier
}

func advertiserParams(rows int) sideParams {
	return sideParams{label: "advertiser", rows: rows, invalid: 0.015, duplicate: 0.02, persona: 0.015, second: 0.05}
}

func partnerParams(rows int) sideParams {
	return sideParams{label: "partner", rows: rows, invalid: 0.01, duplicate: 0.01, persona: 0.005, second: 0.02}
}

// nextEvent draws a row's event. Duplicates and personas need an earlier
// identifier: before the first one, the row is the next person.
func (p *sideParams) nextEvent(r *rand.Rand, written int) event {
	x := r.Float64()
	switch {
	case x < p.invalid:
		return eventInvalid
	case written == 0:
		return eventNext
	case x < p.invalid+p.duplicate:
		return eventDuplicate
	case x < p.invalid+p.duplicate+p.persona:
		return eventPersona
	}
	return eventNext
}

// people replays the events of a side and returns how many people it
// holds (its eventNext rows).
func (p *sideParams) people(seed uint64) int {
	r := newStream(seed, p.label+"/events")
	written, people := 0, 0
	for range p.rows {
		switch p.nextEvent(r, written) {
		case eventInvalid:
			continue
		case eventNext:
			people++
		}
		written++
	}
	return people
}

// layout places both sides' people on one line of person numbers:
//
//	advertiser  [0 ............................ advPeople)
//	partner                [0 .. shared)  +  [advPeople .. advPeople+partnerPeople-shared)
//
// The shared people are advertiser people 0..shared-1. Each side visits
// its people in the order of an affine permutation, so shared people are
// spread over both files rather than grouped.
type layout struct {
	advPeople, partnerPeople, shared int
}

func newLayout(seed uint64, adv, partner sideParams, overlap float64) layout {
	l := layout{advPeople: adv.people(seed), partnerPeople: partner.people(seed)}
	l.shared = min(int(math.Round(overlap*float64(l.advPeople))), l.partnerPeople)
	return l
}

// maxIdentity bounds the identity numbers of the layout (exclusive).
func (l layout) maxIdentity() int {
	return 2 * (l.advPeople + l.partnerPeople - l.shared)
}

// partnerPerson maps the partner's i-th person (0..partnerPeople-1) to a
// person number; the advertiser's i-th person is person i.
func (l layout) partnerPerson(i int) int {
	if i < l.shared {
		return i
	}
	return l.advPeople + i - l.shared
}

// affine is the permutation k -> (a*k + b) mod n of [0, n), a coprime
// with n. With a near n/phi consecutive rows land far apart.
type affine struct{ a, b, n uint64 }

func newAffine(r *rand.Rand, n int) affine {
	if n <= 1 {
		return affine{a: 1, n: 1}
	}
	un := uint64(n)
	a := uint64(float64(n)*0.6180339887) + r.Uint64N(un/16+1)
	a = max(a%un, 1)
	for gcd(a, un) != 1 {
		a = a%(un-1) + 1 // stays in 1..n-1; a=1 ends the loop
	}
	return affine{a: a, b: r.Uint64N(un), n: un}
}

func (p affine) at(k int) int { return int((p.a*uint64(k) + p.b) % p.n) }

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

package session

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/dp"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// releaseInput is what the policy is applied to.
type releaseInput struct {
	id         string
	pol        policy.Policy
	segments   []string // the session's segment names
	advRows    int64    // advertiser's counting records
	pubRows    int64    // media partner's counting records
	tally      tally
	noise      *dp.Source // nil when the policy has no dp
	computedAt time.Time
}

// release applies the policy to a join and returns what each party may see.
//
//   - With dp, every released count (the overlap and each segment count)
//     gets discrete Laplace noise with epsilon split evenly over them
//     (dp.Split over dp.Queries), labelled "overlap" and "segment:NAME".
//     The overlap is drawn once and clamped to each party's own set size
//     ([0, rows]), so both parties see the same number except where a
//     clamp binds. Noise comes before suppression, so the threshold only
//     ever sees noisy values.
//   - A count below k is null. A party's match rate is its (noisy) overlap
//     over its own counting records, in the policy's granularity; each
//     party sees only its own rate (the other would reveal the other
//     party's set size) and neither when the overlap is suppressed.
//   - Segment counts go to the advertiser only. The media partner instead
//     gets its activation: one row per eligible matched person (join
//     digest) in the segments with at least k such people (exact counts,
//     since rows are released anyway; the threshold keeps single people
//     from being singled out, which is why it counts digests: a set that
//     repeated one person would otherwise pass it alone).
func release(in releaseInput) (adv, pub api.Results, err error) {
	adv = api.Results{SessionID: in.id, Role: api.RoleAdvertiser, Segments: map[string]*int64{}, ComputedAt: in.computedAt}
	pub = api.Results{SessionID: in.id, Role: api.RoleMediaPartner, Segments: map[string]*int64{}, ComputedAt: in.computedAt}
	var epsilon float64
	if in.noise != nil {
		total := in.pol.DP.Epsilon
		adv.DPEpsilon, pub.DPEpsilon = &total, &total
		epsilon = dp.Split(total, dp.Queries(len(in.segments)))
	}
	count := func(label string, exact, bound int64) (int64, error) {
		if in.noise == nil {
			return exact, nil
		}
		return in.noise.Release(label, exact, bound, epsilon, 1)
	}

	advOverlap, err := count("overlap", in.tally.overlap, in.advRows)
	if err != nil {
		return adv, pub, fmt.Errorf("session: noise: %w", err)
	}
	pubOverlap, err := count("overlap", in.tally.overlap, in.pubRows)
	if err != nil {
		return adv, pub, fmt.Errorf("session: noise: %w", err)
	}
	if in.pol.Releasable(advOverlap) {
		adv.Overlap = ptr(advOverlap)
		adv.MatchRate.Advertiser = ptr(in.pol.FormatRate(advOverlap, in.advRows))
	}
	if in.pol.Releasable(pubOverlap) {
		pub.Overlap = ptr(pubOverlap)
		pub.MatchRate.MediaPartner = ptr(in.pol.FormatRate(pubOverlap, in.pubRows))
	}
	for j, name := range in.segments {
		v, err := count("segment:"+name, in.tally.segments[j], in.advRows)
		if err != nil {
			return adv, pub, fmt.Errorf("session: noise: %w", err)
		}
		adv.Segments[name] = nil
		if in.pol.Releasable(v) {
			adv.Segments[name] = ptr(v)
		}
	}
	pub.Activation = activationOf(in)
	return adv, pub, nil
}

// activationOf lists the partner rows released for activation, by record
// index, with indexes into the list of released segments.
func activationOf(in releaseInput) *api.Activation {
	var released uint64
	out := &api.Activation{Segments: []string{}, Records: []api.ActivationRecord{}}
	position := make([]int, len(in.segments))
	for j, name := range in.segments {
		if in.pol.Releasable(in.tally.actCounts[j]) {
			released |= 1 << j
			position[j] = len(out.Segments)
			out.Segments = append(out.Segments, name)
		}
	}
	if released == 0 {
		return out
	}
	acts := in.tally.activations
	slices.SortFunc(acts, func(a, b activation) int { return cmp.Compare(a.record, b.record) })
	// Records released in the same segments share one list: there are
	// few distinct combinations, and a slice per record would be a heap
	// object per matched row.
	lists := map[uint64][]int{}
	out.Records = make([]api.ActivationRecord, 0, len(acts))
	for _, a := range acts {
		mask := a.segments & released
		if mask == 0 {
			continue
		}
		list, ok := lists[mask]
		if !ok {
			list = make([]int, 0, bits.OnesCount64(mask))
			for m := mask; m != 0; m &= m - 1 {
				list = append(list, position[bits.TrailingZeros64(m)])
			}
			lists[mask] = list
		}
		out.Records = append(out.Records, api.ActivationRecord{Record: uint64(a.record), Segments: list})
	}
	return out
}

func ptr[T any](v T) *T { return &v }

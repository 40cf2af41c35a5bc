package demo

import (
	"context"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// runKeyed is Run for a multi-key session: the files have an email, a
// phone and a maid column (synth.KeyedAudiences) and each party names a
// column for every key of the policy.
func runKeyed(ctx context.Context, cfg Config) (*Outcome, error) {
	if !cfg.Policy.Multi() {
		return nil, fmt.Errorf("%w: a keyed demo needs a policy with two or three match_keys", ErrConfig)
	}
	o := &Outcome{
		AdvertiserCSV: filepath.Join(cfg.Advertiser.Dir, "crm.csv"),
		PartnerCSV:    filepath.Join(cfg.MediaPartner.Dir, "audience.csv"),
		AdvertiserOut: filepath.Join(cfg.Advertiser.Dir, outDir),
		PartnerOut:    filepath.Join(cfg.MediaPartner.Dir, outDir),
	}
	start := time.Now()
	adv, partner, err := synth.KeyedAudiences(*cfg.Keyed)
	if err != nil {
		return nil, err
	}
	if err := writeFile(o.AdvertiserCSV, func(w io.Writer) error { return synth.WriteKeyedCSV(w, adv, cfg.Keyed.Consent, true) }); err != nil {
		return nil, err
	}
	if err := writeFile(o.PartnerCSV, func(w io.Writer) error { return synth.WriteKeyedCSV(w, partner, cfg.Keyed.Consent, false) }); err != nil {
		return nil, err
	}
	o.Timings.Generate = time.Since(start)

	start = time.Now()
	keyCols := map[string]string{}
	for _, k := range cfg.Policy.MatchKeys {
		keyCols[k] = k // the files name their columns after the keys
	}
	req := api.CreateSessionRequest{Partner: cfg.Partner, Policy: cfg.Policy.Canonical(), Segments: cfg.Keyed.Segments}
	err = o.match(ctx, cfg, req, cfg.options(cfg.Advertiser, api.RoleAdvertiser, o.AdvertiserCSV, csvin.Columns{Consent: "consent", Segments: "segments"}, keyCols),
		cfg.options(cfg.MediaPartner, api.RoleMediaPartner, o.PartnerCSV, csvin.Columns{Consent: "consent"}, keyCols))
	if err != nil {
		return o, err
	}
	o.Timings.Match = time.Since(start)

	start = time.Now()
	o.KeyedTruth = synth.ComputeKeyedTruth(cfg.Policy.MatchKeys, cfg.Policy.Duplicates, cfg.Policy.Conflicts, cfg.Keyed.Segments, adv, partner)
	o.Timings.Truth = time.Since(start)
	return o, nil
}

// CheckKeyed compares both parties' summaries of a multi-key session with
// its truth under p, when every row counts and may be activated (the
// consent cell of synth.KeyedAudiences' files): rows uploaded, the overlap,
// the pairs of each round (all released or null), each party's match rate,
// the advertiser's segment counts and the number of activation rows.
func CheckKeyed(t *synth.KeyedTruth, p policy.Policy, adv, partner flow.Summary) (*Verification, error) {
	if p.DP != nil {
		return nil, ErrNoisy
	}
	v := &Verification{Mismatches: []string{}}
	overlap := released(p, int64(t.Overlap))
	rounds := make([]api.KeyPairs, len(t.Keys))
	releasable := true
	for i, k := range t.Keys {
		rounds[i] = api.KeyPairs{Key: k, Pairs: int64(t.Rounds[i])}
		releasable = releasable && p.Releasable(int64(t.Rounds[i]))
	}
	if !releasable {
		rounds = nil
	}
	for _, side := range []struct {
		name  string
		s     flow.Summary
		rows  int
		rate  *string
		other *string
	}{
		{"advertiser", adv, t.AdvertiserRows, adv.MatchRate.Advertiser, adv.MatchRate.MediaPartner},
		{"media partner", partner, t.PartnerRows, partner.MatchRate.MediaPartner, partner.MatchRate.Advertiser},
	} {
		s := side.s
		v.check("rows uploaded ("+side.name+")", s.Rows.Uploaded == int64(side.rows), s.Rows.Uploaded, side.rows)
		v.check("overlap ("+side.name+")", equalPtr(s.Overlap, overlap), show(s.Overlap), show(overlap))
		v.check("overlap by key ("+side.name+")", slices.Equal(s.OverlapByKey, rounds), s.OverlapByKey, rounds)
		want := rate(p, overlap, side.rows)
		v.check("match rate ("+side.name+")", equalPtr(side.rate, want) && side.other == nil, show(side.rate), show(want))
	}
	for _, name := range slices.Sorted(maps.Keys(t.SegmentOverlap)) {
		want := released(p, int64(t.SegmentOverlap[name]))
		v.check("segment "+name+" (advertiser)", equalPtr(adv.Segments[name], want), show(adv.Segments[name]), show(want))
	}
	wantAct := t.ActivationRows(p.K)
	v.check("activation rows (summary)", partner.ActivationRows != nil && *partner.ActivationRows == int64(wantAct), show(partner.ActivationRows), wantAct)
	return v, nil
}

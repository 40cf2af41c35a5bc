package session

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"path"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/dp"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// releaseInput is what the policy is applied to.
type releaseInput struct {
	id          string
	pol         policy.Policy
	segments    []string // the session's segment names
	keys        []string // the session's match keys, in round order
	advRows     int64    // advertiser's counting records
	partnerRows int64    // media partner's counting records
	tally       tally
	noise       *dp.Source // nil when the policy has no dp
	computedAt  time.Time
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
//   - overlap_by_key: a one-key session's one round is the overlap itself
//     (no second query). A multi-key session releases each round's pairs
//     as a count of its own ("round:KEY"), and all of them or none: if
//     any is below k the list is null, since one suppressed addend would
//     follow from the overlap and the others.
//   - A count below k is null. A party's match rate is its (noisy) overlap
//     over its own counting records, in the policy's granularity; each
//     party sees only its own rate (the other would reveal the other
//     party's set size) and neither when the overlap is suppressed.
//   - Segment counts go to the advertiser only. The media partner instead
//     gets its activation: one row per eligible matched person (join
//     digest) in the segments with at least k such people (exact counts,
//     since rows are released anyway; the threshold keeps single people
//     from being singled out, which is why it counts digests: a set that
//     repeated one person would otherwise pass it alone). The partner's
//     view names those segments; its records, which can be millions,
//     are not in it: act says which segments they are released in, and
//     the caller reads them from the join's activation spill.
func release(in releaseInput) (adv, partner api.Results, act *activationRelease, err error) {
	adv = api.Results{SessionID: in.id, Role: api.RoleAdvertiser, Segments: map[string]*int64{}, ComputedAt: in.computedAt}
	partner = api.Results{SessionID: in.id, Role: api.RoleMediaPartner, Segments: map[string]*int64{}, ComputedAt: in.computedAt}
	var epsilon float64
	if in.noise != nil {
		total := in.pol.DP.Epsilon
		adv.DPEpsilon, partner.DPEpsilon = &total, &total
		epsilon = dp.Split(total, dp.Queries(len(in.segments))+roundQueries(in.keys))
	}
	count := func(label string, exact, bound int64) (int64, error) {
		if in.noise == nil {
			return exact, nil
		}
		return in.noise.Release(label, exact, bound, epsilon, 1)
	}

	advOverlap, err := count("overlap", in.tally.overlap, in.advRows)
	if err != nil {
		return adv, partner, nil, fmt.Errorf("session: noise: %w", err)
	}
	partnerOverlap, err := count("overlap", in.tally.overlap, in.partnerRows)
	if err != nil {
		return adv, partner, nil, fmt.Errorf("session: noise: %w", err)
	}
	if in.pol.Releasable(advOverlap) {
		adv.Overlap = ptr(advOverlap)
		adv.MatchRate.Advertiser = ptr(in.pol.FormatRate(advOverlap, in.advRows))
	}
	if in.pol.Releasable(partnerOverlap) {
		partner.Overlap = ptr(partnerOverlap)
		partner.MatchRate.MediaPartner = ptr(in.pol.FormatRate(partnerOverlap, in.partnerRows))
	}
	if roundQueries(in.keys) == 0 {
		adv.OverlapByKey = api.Rounds(oneRound(in, adv.Overlap))
		partner.OverlapByKey = api.Rounds(oneRound(in, partner.Overlap))
	} else {
		for _, r := range []*api.Results{&adv, &partner} {
			rows := in.advRows
			if r.Role == api.RoleMediaPartner {
				rows = in.partnerRows
			}
			byKey, err := rounds(in, rows, count)
			if err != nil {
				return adv, partner, nil, err
			}
			r.OverlapByKey = api.Rounds(byKey)
		}
	}
	for j, name := range in.segments {
		v, err := count("segment:"+name, in.tally.segments[j], in.advRows)
		if err != nil {
			return adv, partner, nil, fmt.Errorf("session: noise: %w", err)
		}
		adv.Segments[name] = nil
		if in.pol.Releasable(v) {
			adv.Segments[name] = ptr(v)
		}
	}
	act = activationOf(in)
	partner.Activation = &api.Activation{Segments: act.segments}
	return adv, partner, act, nil
}

// roundQueries is the number of counts the rounds of a session release
// besides the overlap: none for one key, whose round is the overlap.
func roundQueries(keys []string) int {
	if len(keys) < 2 {
		return 0
	}
	return len(keys)
}

// oneRound is the overlap_by_key of a one-key session: its released
// overlap, or null with it.
func oneRound(in releaseInput, overlap *int64) []api.KeyPairs {
	if overlap == nil {
		return nil
	}
	return []api.KeyPairs{{Key: in.keys[0], Pairs: *overlap}}
}

// rounds releases the pairs of every round of a multi-key session to a
// party with rows counting records, or null if any is below k. The noise
// of a round is drawn once for both parties, as the overlap's.
func rounds(in releaseInput, rows int64, count func(string, int64, int64) (int64, error)) ([]api.KeyPairs, error) {
	out := make([]api.KeyPairs, len(in.keys))
	releasable := true
	for i, key := range in.keys {
		v, err := count("round:"+key, in.tally.byKey[i], rows)
		if err != nil {
			return nil, fmt.Errorf("session: noise: %w", err)
		}
		out[i] = api.KeyPairs{Key: key, Pairs: v}
		releasable = releasable && in.pol.Releasable(v)
	}
	if !releasable {
		return nil, nil
	}
	return out, nil
}

// activationOf says which segments the activation is released in: those
// with at least k activated people.
func activationOf(in releaseInput) *activationRelease {
	out := &activationRelease{segments: []string{}, position: make([]int, len(in.segments)), lists: map[uint64][]int{}}
	for j, name := range in.segments {
		if in.pol.Releasable(in.tally.actCounts[j]) {
			out.mask |= 1 << j
			out.position[j] = len(out.segments)
			out.segments = append(out.segments, name)
		}
	}
	return out
}

// ResultsFile is a party's results ready to stream: the JSON of
// api.Results, as stored, Size bytes of it.
type ResultsFile struct {
	Size int64
	Body io.ReadCloser
}

// Results opens what the policy releases to the calling party, the JSON
// of api.Results the join stored. Results are readable once computed and
// stay readable after the session is purged: they hold only released
// aggregates (and, for the media partner, indexes of its own rows), while
// purging deletes the blinded data they came from. A session whose join
// job has not run yet answers ErrNotReady. The bytes are served as
// stored, never decoded: a media partner's can be hundreds of megabytes.
// They are an object of the blob store (storeResults); a store written
// before that holds them in the session's row (store.Result.Inline),
// which is served the same way.
func (s *Service) Results(ctx context.Context, p Principal, id string) (ResultsFile, error) {
	var stored store.Result
	err := s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		sess, role, err := party(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if stored, err = tx.Result(ctx, id, role); err != nil {
			return fmt.Errorf("session: stored results: %w", err)
		}
		if stored.Stored() {
			return nil
		}
		if sess.State == api.StateExchanging {
			sp, err := loadParts(ctx, tx, id)
			if err != nil {
				return err
			}
			if sp.joinReady() {
				return fmt.Errorf("%w: the join of session %s is queued or running", ErrNotReady, id)
			}
		}
		return &StateError{State: sess.State, Want: "results exist once the session is computed"}
	})
	if err != nil {
		return ResultsFile{}, err
	}
	switch {
	case stored.Blob == "":
		return ResultsFile{Size: int64(len(stored.Inline)), Body: io.NopCloser(bytes.NewReader(stored.Inline))}, nil
	case stored.Size < 0:
		return ResultsFile{}, fmt.Errorf("%w: results of session %s recorded as %d bytes", errCorrupt, id, stored.Size)
	}
	f, err := s.blobs.Open(ctx, stored.Blob)
	if err != nil {
		// The row names an object the blob store lost: an internal
		// error, which no retry mends.
		return ResultsFile{}, fmt.Errorf("session: results of session %s: %w", id, err)
	}
	return ResultsFile{Size: stored.Size, Body: f}, nil
}

// resultsDir is the first element of the blob keys of released results:
// results/<session>/<side>-<commitment>.json. Unlike the part files under
// partsDir, they outlive the session's purge.
const resultsDir = "results"

// resultsPrefix is the key prefix of a session's results.
func resultsPrefix(id string) string { return resultsDir + "/" + id + "/" }

// storeResults writes one party's results to the blob store and binds
// them into the transcript without disclosing them: it draws a fresh
// nonce, commits to the results with it (transcript.CommitResult over
// the committed form, api.Results.CommittedJSON) and writes the results,
// nonce included, to an object named after the commitment, returning
// where it is with the commitment to record. The nonce reaches only the
// results' owner, with its results; an unsalted digest would let the
// media partner, who knows every field of the advertiser's results but
// the segment counts, find those counts by enumeration.
//
// records, when not nil, are the partner's activation records, read from
// scratch disk: three times (the commitment needs the length of what it
// hashes first, then the hash, then the object), so that no form of the
// results is ever held whole. The object is garbage until a store row
// names it (the caller's transaction; the blob sweep removes the others).
func (s *Service) storeResults(ctx context.Context, r api.Results, records iter.Seq2[api.ActivationRecord, error]) (store.Result, string, error) {
	nonce := make([]byte, transcript.ResultNonceSize)
	if err := s.readRand(nonce); err != nil {
		return store.Result{}, "", err
	}
	size, err := r.WriteCommittedJSON(io.Discard, records)
	if err != nil {
		return store.Result{}, "", fmt.Errorf("session: encode results: %w", err)
	}
	c, err := transcript.NewResultCommitment(r.SessionID, string(r.Role), nonce, size)
	if err != nil {
		return store.Result{}, "", fmt.Errorf("session: commit results: %w", err)
	}
	if _, err := r.WriteCommittedJSON(c, records); err != nil {
		return store.Result{}, "", fmt.Errorf("session: encode results: %w", err)
	}
	commitment, err := c.Sum()
	if err != nil {
		return store.Result{}, "", fmt.Errorf("session: commit results: %w", err)
	}
	r.ResultNonce = hex.EncodeToString(nonce)
	p, err := s.blobs.Create(ctx, resultsPrefix(r.SessionID))
	if err != nil {
		return store.Result{}, "", fmt.Errorf("session: results file: %w", err)
	}
	defer p.Abort()
	// WriteJSON buffers its writes itself.
	if size, err = r.WriteJSON(p, records); err != nil {
		return store.Result{}, "", fmt.Errorf("session: results file: %w", err)
	}
	key := path.Join(resultsDir, r.SessionID, fmt.Sprintf("%s-%s.json", r.Role, commitment[:16]))
	if err := p.Commit(ctx, key); err != nil {
		return store.Result{}, "", fmt.Errorf("session: results file: %w", err)
	}
	return store.Result{Blob: key, Size: size}, commitment, nil
}

func ptr[T any](v T) *T { return &v }

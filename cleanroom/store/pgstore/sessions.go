package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// sessionColumns selects a session row with its auditors in insertion
// order.
const sessionColumns = `s.id, s.advertiser, s.partner, s.match_key, s.policy, s.policy_hash,
	s.segments, s.state, s.created, s.updated, s.computed_at, s.purge_after, s.relay_seed,
	ARRAY(SELECT auditor FROM session_auditors a WHERE a.session = s.id ORDER BY position)`

func scanSession(r pgx.Row) (store.Session, error) {
	var s store.Session
	var created, updated, computed, purge *int64
	if err := r.Scan(&s.ID, &s.Advertiser, &s.Partner, &s.MatchKey, &s.Policy, &s.PolicyHash,
		&s.Segments, &s.State, &created, &updated, &computed, &purge,
		&s.RelaySeed, &s.Auditors); err != nil {
		return store.Session{}, err
	}
	s.Created = timeCol(created)
	s.Updated = timeCol(updated)
	s.ComputedAt = timeCol(computed)
	s.PurgeAfter = timeCol(purge)
	return s, nil
}

func (t *tx) AddSession(ctx context.Context, s store.Session) error {
	segments := s.Segments
	if segments == nil {
		segments = []string{}
	}
	if err := t.insert(ctx, "add session", `INSERT INTO sessions (id, advertiser, partner, match_key, policy,
		policy_hash, segments, state, created, updated, computed_at, purge_after, relay_seed)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		s.ID, s.Advertiser, s.Partner, s.MatchKey, s.Policy, s.PolicyHash, segments, string(s.State),
		timeArg(s.Created), timeArg(s.Updated), timeArg(s.ComputedAt), timeArg(s.PurgeAfter),
		s.RelaySeed); err != nil {
		return err
	}
	for i, a := range s.Auditors {
		if err := t.insert(ctx, "add session auditor", `INSERT INTO session_auditors (session, auditor, position)
			VALUES ($1, $2, $3)`, s.ID, a, i); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) Session(ctx context.Context, id string) (store.Session, error) {
	s, err := scanSession(t.tx.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE s.id = $1`, id))
	return s, t.wrap("session", err)
}

// UpdateSession rewrites the mutable fields; the parties, policy, segments,
// auditors and relay seed of a session never change after creation, and
// its results only through SetResults.
func (t *tx) UpdateSession(ctx context.Context, s store.Session) error {
	return t.update(ctx, "update session", `UPDATE sessions SET state = $1, updated = $2, computed_at = $3,
		purge_after = $4 WHERE id = $5`,
		string(s.State), timeArg(s.Updated), timeArg(s.ComputedAt), timeArg(s.PurgeAfter), s.ID)
}

func (t *tx) SetResults(ctx context.Context, id string, advertiser, partner store.Result) error {
	a, p := resultArgs(advertiser), resultArgs(partner)
	return t.update(ctx, "set results", `UPDATE sessions SET
		advertiser_result = $1, advertiser_result_blob = $2, advertiser_result_size = $3,
		partner_result = $4, partner_result_blob = $5, partner_result_size = $6
		WHERE id = $7`,
		a.inline, a.blob, a.size, p.inline, p.blob, p.size, id)
}

// resultRow is a Result as columns: inline JSON, blob key, size, each
// NULL when the Result does not use it.
type resultRow struct {
	inline []byte
	blob   *string
	size   *int64
}

func resultArgs(r store.Result) resultRow {
	row := resultRow{inline: r.Inline}
	if r.Blob != "" {
		row.blob, row.size = &r.Blob, &r.Size
	}
	return row
}

// resultColumns maps a side (a role) to the columns of its results, as
// resultRow orders them.
var resultColumns = map[api.Role]string{
	api.RoleAdvertiser:   "advertiser_result, advertiser_result_blob, advertiser_result_size",
	api.RoleMediaPartner: "partner_result, partner_result_blob, partner_result_size",
}

func (t *tx) Result(ctx context.Context, id string, side api.Role) (store.Result, error) {
	cols, ok := resultColumns[side]
	if !ok {
		return store.Result{}, fmt.Errorf("pgstore: result: unknown side %q", side)
	}
	var row resultRow
	if err := t.tx.QueryRow(ctx, `SELECT `+cols+` FROM sessions WHERE id = $1`, id).Scan(&row.inline, &row.blob, &row.size); err != nil {
		return store.Result{}, t.wrap("result", err)
	}
	out := store.Result{Inline: row.inline}
	if row.blob != nil && row.size != nil {
		out.Blob, out.Size = *row.blob, *row.size
	}
	return out, nil
}

func (t *tx) ResultBlobs(ctx context.Context) ([]string, error) {
	return list(ctx, t, "result blobs", func(r pgx.Row) (string, error) {
		var key string
		return key, r.Scan(&key)
	}, `SELECT advertiser_result_blob FROM sessions WHERE advertiser_result_blob IS NOT NULL
		UNION SELECT partner_result_blob FROM sessions WHERE partner_result_blob IS NOT NULL ORDER BY 1`)
}

func (t *tx) Sessions(ctx context.Context, party string) ([]store.Session, error) {
	return list(ctx, t, "sessions", scanSession, `SELECT `+sessionColumns+` FROM sessions s
		WHERE $1 = '' OR s.advertiser = $1 OR s.partner = $1
			OR EXISTS (SELECT 1 FROM session_auditors a WHERE a.session = s.id AND a.auditor = $1)
		ORDER BY s.created, s.id`, party)
}

func (t *tx) StateCounts(ctx context.Context) (map[api.State]int, error) {
	type count struct {
		state api.State
		n     int
	}
	counts, err := list(ctx, t, "state counts", func(r pgx.Row) (count, error) {
		var c count
		return c, r.Scan(&c.state, &c.n)
	}, `SELECT state, COUNT(*) FROM sessions GROUP BY state`)
	if err != nil {
		return nil, err
	}
	out := make(map[api.State]int, len(counts))
	for _, c := range counts {
		out[c.state] = c.n
	}
	return out, nil
}

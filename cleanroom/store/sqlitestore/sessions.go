package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// sessionColumns selects a session row with its auditors, in insertion
// order, folded into one JSON array.
const sessionColumns = `s.id, s.advertiser, s.partner, s.match_key, s.policy, s.policy_hash,
	s.segments, s.state, s.created, s.updated, s.computed_at, s.purge_after,
	s.relay_seed,
	(SELECT json_group_array(auditor) FROM
		(SELECT auditor FROM session_auditors a WHERE a.session = s.id ORDER BY position))`

func scanSession(sc scanner) (store.Session, error) {
	var s store.Session
	var segments, auditors string
	var created, updated, computed, purge sql.NullInt64
	if err := sc.Scan(&s.ID, &s.Advertiser, &s.Partner, &s.MatchKey, &s.Policy, &s.PolicyHash,
		&segments, &s.State, &created, &updated, &computed, &purge,
		&s.RelaySeed, &auditors); err != nil {
		return store.Session{}, err
	}
	if err := json.Unmarshal([]byte(segments), &s.Segments); err != nil {
		return store.Session{}, err
	}
	if err := json.Unmarshal([]byte(auditors), &s.Auditors); err != nil {
		return store.Session{}, err
	}
	s.Created = timeCol(created)
	s.Updated = timeCol(updated)
	s.ComputedAt = timeCol(computed)
	s.PurgeAfter = timeCol(purge)
	return s, nil
}

func (t *tx) AddSession(ctx context.Context, s store.Session) error {
	segments, err := json.Marshal(nonNil(s.Segments))
	if err != nil {
		return wrap("add session", err)
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO sessions (id, advertiser, partner, match_key, policy,
		policy_hash, segments, state, created, updated, computed_at, purge_after, relay_seed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.Advertiser, s.Partner, s.MatchKey, s.Policy, s.PolicyHash, string(segments), string(s.State),
		timeArg(s.Created), timeArg(s.Updated), timeArg(s.ComputedAt), timeArg(s.PurgeAfter),
		s.RelaySeed)
	if err != nil {
		return wrap("add session", err)
	}
	for i, a := range s.Auditors {
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO session_auditors (session, auditor, position) VALUES (?, ?, ?)`,
			s.ID, a, i); err != nil {
			return wrap("add session auditor", err)
		}
	}
	return nil
}

func (t *tx) Session(ctx context.Context, id string) (store.Session, error) {
	s, err := scanSession(t.tx.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE s.id = ?`, id))
	return s, wrap("session", err)
}

// UpdateSession rewrites the mutable fields; the parties, policy, segments,
// auditors and relay seed of a session never change after creation, and
// its results only through SetResults.
func (t *tx) UpdateSession(ctx context.Context, s store.Session) error {
	res, err := t.tx.ExecContext(ctx, `UPDATE sessions SET state = ?, updated = ?, computed_at = ?,
		purge_after = ? WHERE id = ?`,
		string(s.State), timeArg(s.Updated), timeArg(s.ComputedAt), timeArg(s.PurgeAfter), s.ID)
	return mustAffect("update session", res, err)
}

func (t *tx) SetResults(ctx context.Context, id string, advertiser, partner store.Result) error {
	a, p := resultArgs(advertiser), resultArgs(partner)
	res, err := t.tx.ExecContext(ctx, `UPDATE sessions SET
		advertiser_result = ?, advertiser_result_blob = ?, advertiser_result_size = ?,
		partner_result = ?, partner_result_blob = ?, partner_result_size = ?
		WHERE id = ?`,
		a[0], a[1], a[2], p[0], p[1], p[2], id)
	return mustAffect("set results", res, err)
}

// resultArgs are the column values of a Result: inline JSON, blob key,
// size, each NULL when the Result does not use it.
func resultArgs(r store.Result) [3]any {
	var out [3]any
	if r.Inline != nil {
		out[0] = r.Inline
	}
	if r.Blob != "" {
		out[1], out[2] = r.Blob, r.Size
	}
	return out
}

// resultColumns maps a side (a role) to the columns of its results:
// inline JSON, blob key, size.
var resultColumns = map[api.Role]string{
	api.RoleAdvertiser:   "advertiser_result, advertiser_result_blob, advertiser_result_size",
	api.RoleMediaPartner: "partner_result, partner_result_blob, partner_result_size",
}

func (t *tx) Result(ctx context.Context, id string, side api.Role) (store.Result, error) {
	cols, ok := resultColumns[side]
	if !ok {
		return store.Result{}, fmt.Errorf("sqlitestore: result: unknown side %q", side)
	}
	var out store.Result
	var blob sql.NullString
	var size sql.NullInt64
	err := t.tx.QueryRowContext(ctx, `SELECT `+cols+` FROM sessions WHERE id = ?`, id).Scan(&out.Inline, &blob, &size)
	out.Blob, out.Size = blob.String, size.Int64
	return out, wrap("result", err)
}

func (t *tx) ResultBlobs(ctx context.Context) ([]string, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT advertiser_result_blob FROM sessions WHERE advertiser_result_blob IS NOT NULL
		UNION SELECT partner_result_blob FROM sessions WHERE partner_result_blob IS NOT NULL ORDER BY 1`)
	if err != nil {
		return nil, wrap("result blobs", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			return nil, wrap("result blobs", err)
		}
		out = append(out, key)
	}
	return out, wrap("result blobs", rows.Err())
}

func (t *tx) Sessions(ctx context.Context, party string) ([]store.Session, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE ?1 = '' OR s.advertiser = ?1 OR s.partner = ?1
			OR EXISTS (SELECT 1 FROM session_auditors a WHERE a.session = s.id AND a.auditor = ?1)
		ORDER BY s.created, s.id`, party)
	if err != nil {
		return nil, wrap("sessions", err)
	}
	defer rows.Close()
	var out []store.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, wrap("sessions", err)
		}
		out = append(out, s)
	}
	return out, wrap("sessions", rows.Err())
}

func (t *tx) StateCounts(ctx context.Context) (map[api.State]int, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT state, COUNT(*) FROM sessions GROUP BY state`)
	if err != nil {
		return nil, wrap("state counts", err)
	}
	defer rows.Close()
	out := make(map[api.State]int)
	for rows.Next() {
		var state api.State
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, wrap("state counts", err)
		}
		out[state] = n
	}
	return out, wrap("state counts", rows.Err())
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

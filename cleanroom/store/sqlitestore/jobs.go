package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/store"
)

const jobColumns = `id, kind, session, arg, due, attempts, owner, lease_until, last_error, created`

func scanJob(sc scanner) (store.Job, error) {
	var j store.Job
	var due, lease, created sql.NullInt64
	if err := sc.Scan(&j.ID, &j.Kind, &j.Session, &j.Arg, &due, &j.Attempts, &j.Owner, &lease,
		&j.LastError, &created); err != nil {
		return store.Job{}, err
	}
	j.Due, j.LeaseUntil, j.Created = timeCol(due), timeCol(lease), timeCol(created)
	return j, nil
}

func (t *tx) EnqueueJob(ctx context.Context, j store.Job) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `INSERT INTO jobs (kind, session, arg, due, created)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, session, arg) DO NOTHING`,
		string(j.Kind), j.Session, j.Arg, timeArg(j.Due), timeArg(j.Created))
	if err != nil {
		return false, wrap("enqueue job", err)
	}
	n, err := res.RowsAffected()
	return n > 0, wrap("enqueue job", err)
}

// ClaimJob selects then updates: the writer connection holds the database's
// write lock from BEGIN (IMMEDIATE), so no other claim runs in between.
func (t *tx) ClaimJob(ctx context.Context, owner string, now time.Time, lease time.Duration) (store.Job, bool, error) {
	if owner == "" || lease <= 0 {
		return store.Job{}, false, errors.New("sqlitestore: claim job: needs an owner and a positive lease")
	}
	j, err := scanJob(t.tx.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs
		WHERE due <= ?1 AND (owner = '' OR lease_until < ?1) ORDER BY due, id LIMIT 1`, now.UnixNano()))
	if err != nil {
		return store.Job{}, false, wrap("claim job", err)
	}
	expired := j.Owner != ""
	j.Owner, j.LeaseUntil, j.Attempts = owner, now.Add(lease).UTC(), j.Attempts+1
	res, err := t.tx.ExecContext(ctx, `UPDATE jobs SET owner = ?, lease_until = ?, attempts = ? WHERE id = ?`,
		j.Owner, timeArg(j.LeaseUntil), j.Attempts, j.ID)
	if err := mustAffect("claim job", res, err); err != nil {
		return store.Job{}, false, err
	}
	return j, expired, nil
}

// The owner = ? AND owner <> '' conditions below make an empty owner hold
// nothing: it must not match the unclaimed jobs.

func (t *tx) ExtendLease(ctx context.Context, id int64, owner string, until time.Time) error {
	res, err := t.tx.ExecContext(ctx, `UPDATE jobs SET lease_until = ? WHERE id = ? AND owner = ? AND owner <> ''`,
		timeArg(until), id, owner)
	return mustAffect("extend lease", res, err)
}

func (t *tx) FinishJob(ctx context.Context, id int64, owner string) error {
	res, err := t.tx.ExecContext(ctx, `DELETE FROM jobs WHERE id = ? AND owner = ? AND owner <> ''`, id, owner)
	return mustAffect("finish job", res, err)
}

func (t *tx) ReleaseJob(ctx context.Context, id int64, owner string, due time.Time, lastError string) error {
	res, err := t.tx.ExecContext(ctx, `UPDATE jobs SET owner = '', lease_until = NULL, due = ?, last_error = ?
		WHERE id = ? AND owner = ? AND owner <> ''`, timeArg(due), lastError, id, owner)
	return mustAffect("release job", res, err)
}

func (t *tx) Jobs(ctx context.Context) ([]store.Job, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs ORDER BY due, id`)
	if err != nil {
		return nil, wrap("jobs", err)
	}
	defer rows.Close()
	var out []store.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, wrap("jobs", err)
		}
		out = append(out, j)
	}
	return out, wrap("jobs", rows.Err())
}

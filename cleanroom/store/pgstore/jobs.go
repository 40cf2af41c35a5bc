package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/blindjoin/blindjoin/cleanroom/store"
)

const jobColumns = `id, kind, session, arg, due, attempts, owner, lease_until, last_error, created`

func scanJob(r pgx.Row) (store.Job, error) {
	var j store.Job
	var due, lease, created *int64
	if err := r.Scan(&j.ID, &j.Kind, &j.Session, &j.Arg, &due, &j.Attempts, &j.Owner, &lease,
		&j.LastError, &created); err != nil {
		return store.Job{}, err
	}
	j.Due, j.LeaseUntil, j.Created = timeCol(due), timeCol(lease), timeCol(created)
	return j, nil
}

func (t *tx) EnqueueJob(ctx context.Context, j store.Job) (bool, error) {
	tag, err := t.exec(ctx, "enqueue job", `INSERT INTO jobs (kind, session, arg, due, created)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, session, arg) DO NOTHING`,
		string(j.Kind), j.Session, j.Arg, timeArg(j.Due), timeArg(j.Created))
	return err == nil && tag.RowsAffected() > 0, err
}

// ClaimJob locks the first claimable job, skipping rows other claims hold
// locked (see the package doc), then updates it.
func (t *tx) ClaimJob(ctx context.Context, owner string, now time.Time, lease time.Duration) (store.Job, bool, error) {
	if owner == "" || lease <= 0 {
		return store.Job{}, false, errors.New("pgstore: claim job: needs an owner and a positive lease")
	}
	j, err := scanJob(t.tx.QueryRow(ctx, `SELECT `+jobColumns+` FROM jobs
		WHERE due <= $1 AND (owner = '' OR lease_until < $1) ORDER BY due, id LIMIT 1
		FOR UPDATE SKIP LOCKED`, now.UnixNano()))
	if err != nil {
		return store.Job{}, false, t.wrap("claim job", err)
	}
	expired := j.Owner != ""
	j.Owner, j.LeaseUntil, j.Attempts = owner, now.Add(lease).UTC(), j.Attempts+1
	if err := t.update(ctx, "claim job", `UPDATE jobs SET owner = $1, lease_until = $2, attempts = $3 WHERE id = $4`,
		j.Owner, timeArg(j.LeaseUntil), j.Attempts, j.ID); err != nil {
		return store.Job{}, false, err
	}
	return j, expired, nil
}

// The owner = $n AND owner <> '' conditions below make an empty owner hold
// nothing: it must not match the unclaimed jobs.

func (t *tx) ExtendLease(ctx context.Context, id int64, owner string, until time.Time) error {
	return t.update(ctx, "extend lease", `UPDATE jobs SET lease_until = $1 WHERE id = $2 AND owner = $3 AND owner <> ''`,
		timeArg(until), id, owner)
}

func (t *tx) FinishJob(ctx context.Context, id int64, owner string) error {
	return t.update(ctx, "finish job", `DELETE FROM jobs WHERE id = $1 AND owner = $2 AND owner <> ''`, id, owner)
}

func (t *tx) ReleaseJob(ctx context.Context, id int64, owner string, due time.Time, lastError string) error {
	return t.update(ctx, "release job", `UPDATE jobs SET owner = '', lease_until = NULL, due = $1, last_error = $2
		WHERE id = $3 AND owner = $4 AND owner <> ''`, timeArg(due), lastError, id, owner)
}

func (t *tx) Jobs(ctx context.Context) ([]store.Job, error) {
	return list(ctx, t, "jobs", scanJob, `SELECT `+jobColumns+` FROM jobs ORDER BY due, id`)
}

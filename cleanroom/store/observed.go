package store

import (
	"context"
	"time"
)

// Observed returns st with the duration of every transaction (retries
// included) reported to observe, by kind: "read_write" or "read_only".
// The metrics of store latency are fed this way, without the store
// packages knowing about them.
func Observed(st Store, observe func(kind string, d time.Duration)) Store {
	return observed{Store: st, observe: observe}
}

type observed struct {
	Store
	observe func(kind string, d time.Duration)
}

func (o observed) ReadWrite(ctx context.Context, f func(ctx context.Context, tx Tx) error) error {
	defer o.since("read_write", time.Now())
	return o.Store.ReadWrite(ctx, f)
}

func (o observed) ReadOnly(ctx context.Context, f func(ctx context.Context, tx Tx) error) error {
	defer o.since("read_only", time.Now())
	return o.Store.ReadOnly(ctx, f)
}

func (o observed) since(kind string, start time.Time) { o.observe(kind, time.Since(start)) }

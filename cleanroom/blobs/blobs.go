// Package blobs keeps the clean room's part files: write-once objects of up
// to a few tens of megabytes, named by slash-separated keys such as
// "parts/<session>/<leg>-<side>-<index>-<digest>.part". The session service
// streams a part into a Pending object while it verifies it, commits it
// under its final key once the trailer checked out, and only then records
// the key in the store: the store row is the commit point. An object no
// row names (a crash between commit and record, a rejected upload) is
// garbage, which the session service's sweep finds with List and removes
// with Delete.
//
// Two implementations: Dir, files under a directory with fsync and rename
// (the embedded default, what blindjoind has always done), and
// s3blobs.Store, any S3-compatible object store (cluster mode, where every
// replica must read every part).
package blobs

import (
	"context"
	"errors"
	"io"

	"github.com/blindjoin/blindjoin/internal/atomicfile"
)

// Sentinel errors of every implementation.
var (
	// ErrNotFound reports a key with no committed object.
	ErrNotFound = errors.New("blobs: not found")
	// ErrBadKey reports a key that is empty, absolute, climbs out of the
	// store with "..", or a directory that does not end in "/".
	ErrBadKey = errors.New("blobs: invalid key")
)

// TempMarker starts the last element of a temporary object's key (for Dir,
// the atomicfile temporary-file prefix).
const TempMarker = atomicfile.TempPrefix

// Store holds blobs.
type Store interface {
	// Create starts a new object in dir, a key prefix ending in "/" under
	// which Commit's key should lie. Until Commit it is a temporary object
	// whose key's last element starts with TempMarker; one that a crash
	// left behind shows in List and goes with Delete, like any garbage the
	// sweep finds. (On S3 an upload cut off half-way leaves no object, only
	// an incomplete multipart upload, which the bucket's lifecycle rule
	// removes; see docs/OPERATIONS.md.)
	Create(ctx context.Context, dir string) (Pending, error)
	// Open reads a committed object; ErrNotFound if there is none.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes an object, committed or temporary; no error if it is
	// absent.
	Delete(ctx context.Context, key string) error
	// List returns the keys of every object (committed or temporary) that
	// starts with prefix, in lexical order.
	List(ctx context.Context, prefix string) ([]string, error)
	// Ping reports whether the store is reachable, for readiness checks.
	Ping(ctx context.Context) error
}

// Pending is an object being written. Write to it, then Commit it or Abort
// it; Abort after Commit does nothing, so `defer p.Abort()` cleans up every
// early return.
type Pending interface {
	io.Writer
	// Commit makes the written bytes durable and readable under key,
	// replacing any object there (keys are chosen so that one key always
	// holds the same bytes).
	Commit(ctx context.Context, key string) error
	// Abort discards the object.
	Abort()
}

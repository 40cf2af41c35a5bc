// Package blobs keeps the clean room's part files and released results:
// write-once objects named by slash-separated keys such as
// "parts/<session>/<leg>-<side>-<index>-<digest>.part" (a few tens of
// megabytes each) and "results/<session>/<side>-<commitment>.json" (up to
// hundreds of megabytes for a media partner's activation). The session
// service streams a part into a Pending object while it verifies it, or
// results while it encodes them, commits it under its final key, and only
// then records the key in the store: the store row is the commit point.
// An object no row names (a crash between commit and record, a rejected
// upload, a join that lost its transaction) is garbage, which the session
// service's sweep finds with List and removes with Delete; List tells
// each object's age, so that a sweep shared by several replicas can spare
// another replica's work in flight.
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
	"time"

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
	// List returns every object (committed or temporary) whose key starts
	// with prefix, in lexical order of Key. An upload still streaming is
	// not always an object yet: see Object.Modified.
	List(ctx context.Context, prefix string) ([]Object, error)
	// Ping reports whether the store is reachable, for readiness checks.
	Ping(ctx context.Context) error
}

// Object is one entry of List.
type Object struct {
	Key string
	// Modified is when the object was last written, in UTC, by the
	// store's clock: for a committed object, its Commit (Dir: the last
	// Write before it, which the rename keeps; S3: the server-side copy
	// that Commit makes). It is what a sweep compares with a grace period
	// before it deletes an object no store row names, so mind its limits:
	//
	//   - Precision: Dir has the file system's (nanoseconds on ext4 and
	//     xfs), S3 servers often whole seconds, truncated (versitygw 1.8,
	//     measured; AWS S3 lists ".000Z" milliseconds), so Modified may be
	//     up to a second before the true time.
	//   - Clock: on S3 it is the server's clock, not this process's, so
	//     an age computed from time.Now is off by the skew between them;
	//     a grace period must be far larger than any plausible skew.
	//   - Temporary objects: on Dir a temporary object is a file from
	//     Create on, and every Write moves its Modified, so an upload in
	//     flight looks as old as the pause since its last Write; a grace
	//     period must exceed the longest pause an upload may make. On S3
	//     an upload in flight is an incomplete multipart upload, which
	//     List does not show at all; the temporary object appears only
	//     when the upload completes, inside Commit, and lasts until Commit
	//     has copied it to its key (or for good, if the process dies in
	//     between). Its Modified does not move, and it need not be recent:
	//     versitygw 1.8 stamps the upload's completion (measured), but AWS
	//     S3 is reported to stamp the multipart upload's initiation, which
	//     is Create. So there a temporary object can appear as old as its
	//     upload took, and a sweep that deletes it makes that Commit fail:
	//     the grace period for temporary objects must exceed the longest
	//     upload.
	Modified time.Time
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

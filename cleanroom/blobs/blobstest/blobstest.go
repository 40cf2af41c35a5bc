// Package blobstest is the contract of cleanroom/blobs as one test suite,
// run by every implementation against a fresh, empty store per case. Only
// tests import it.
package blobstest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/blobs"
)

// Open returns a fresh, empty store for one test case.
type Open func(t *testing.T) blobs.Store

// Run runs every case of the contract against stores from open.
func Run(t *testing.T, open Open) {
	for _, c := range []struct {
		name string
		run  func(*testing.T, blobs.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Large", testLarge},
		{"AbortLeavesNothing", testAbort},
		{"CommitReplaces", testCommitReplaces},
		{"DeleteAndList", testDeleteAndList},
		{"Modified", testModified},
		{"BadKeys", testBadKeys},
		{"Ping", func(t *testing.T, s blobs.Store) {
			if err := s.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

// Put writes data under key through Create and Commit.
func Put(t *testing.T, s blobs.Store, dir, key string, data []byte) {
	t.Helper()
	ctx := context.Background()
	p, err := s.Create(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Abort()
	// Several writes, as a streaming caller makes them.
	for chunk := range slicesChunk(data, 64<<10) {
		if _, err := p.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Commit(ctx, key); err != nil {
		t.Fatal(err)
	}
}

func slicesChunk(b []byte, n int) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(b) > 0 {
			k := min(n, len(b))
			if !yield(b[:k]) {
				return
			}
			b = b[k:]
		}
	}
}

// Get reads a committed object whole.
func Get(t *testing.T, s blobs.Store, key string) []byte {
	t.Helper()
	r, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// list returns the keys List returns.
func list(t *testing.T, s blobs.Store, prefix string) []string {
	t.Helper()
	var keys []string
	for _, o := range listObjects(t, s, prefix) {
		keys = append(keys, o.Key)
	}
	return keys
}

func listObjects(t *testing.T, s blobs.Store, prefix string) []blobs.Object {
	t.Helper()
	objects, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return objects
}

// pattern is n bytes that differ from one offset to the next, so that a
// lost, repeated or reordered chunk shows.
func pattern(n int, seed byte) []byte {
	out := make([]byte, 0, n+sha256.Size)
	block := sha256.Sum256([]byte{seed})
	for len(out) < n {
		out = append(out, block[:]...)
		block = sha256.Sum256(block[:])
	}
	return out[:n]
}

func testRoundTrip(t *testing.T, s blobs.Store) {
	data := pattern(300<<10, 1)
	Put(t, s, "parts/s1/", "parts/s1/a.part", data)
	Put(t, s, "parts/s1/", "parts/s1/empty.part", nil)
	if got := Get(t, s, "parts/s1/a.part"); !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes back, not the %d written", len(got), len(data))
	}
	if got := Get(t, s, "parts/s1/empty.part"); len(got) != 0 {
		t.Fatalf("empty object reads as %d bytes", len(got))
	}
	if _, err := s.Open(context.Background(), "parts/s1/missing.part"); !errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("Open(missing) = %v, want ErrNotFound", err)
	}
	if keys := list(t, s, "parts/"); !reflect.DeepEqual(keys, []string{"parts/s1/a.part", "parts/s1/empty.part"}) {
		t.Fatalf("List = %q: the temporary objects should be gone", keys)
	}
}

// testLarge writes more than one multipart buffer of the S3 store.
func testLarge(t *testing.T, s blobs.Store) {
	if testing.Short() {
		t.Skip("-short: 17 MiB object")
	}
	data := pattern(17<<20+5, 2)
	Put(t, s, "big/", "big/x", data)
	if got := Get(t, s, "big/x"); !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes back, not the %d written", len(got), len(data))
	}
}

func testAbort(t *testing.T, s blobs.Store) {
	ctx := context.Background()
	p, err := s.Create(ctx, "parts/s2/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write(pattern(1000, 3)); err != nil {
		t.Fatal(err)
	}
	p.Abort()
	p.Abort()
	if err := p.Commit(ctx, "parts/s2/x"); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	if keys := list(t, s, ""); len(keys) != 0 {
		t.Fatalf("after Abort: %q", keys)
	}
}

func testCommitReplaces(t *testing.T, s blobs.Store) {
	Put(t, s, "d/", "d/k", []byte("first"))
	Put(t, s, "d/", "d/k", []byte("second"))
	if got := Get(t, s, "d/k"); string(got) != "second" {
		t.Fatalf("got %q", got)
	}
}

func testDeleteAndList(t *testing.T, s blobs.Store) {
	ctx := context.Background()
	for _, k := range []string{"parts/b/2", "parts/a/1", "parts/b/1", "other/x"} {
		Put(t, s, k[:len(k)-1], k, []byte(k))
	}
	if keys := list(t, s, "parts/"); !reflect.DeepEqual(keys, []string{"parts/a/1", "parts/b/1", "parts/b/2"}) {
		t.Fatalf("List(parts/) = %q", keys)
	}
	if keys := list(t, s, "parts/b/"); !reflect.DeepEqual(keys, []string{"parts/b/1", "parts/b/2"}) {
		t.Fatalf("List(parts/b/) = %q", keys)
	}
	// A prefix is a prefix of keys, not of directories.
	for prefix, want := range map[string][]string{
		"pa":         {"parts/a/1", "parts/b/1", "parts/b/2"},
		"parts/b/1":  {"parts/b/1"},
		"parts/c/":   nil,
		"parts/c/d/": nil,
	} {
		if keys := list(t, s, prefix); !reflect.DeepEqual(keys, want) {
			t.Fatalf("List(%s) = %q, want %q", prefix, keys, want)
		}
	}
	for _, k := range []string{"parts/b/1", "parts/b/2", "parts/b/2", "never/was"} {
		if err := s.Delete(ctx, k); err != nil {
			t.Fatalf("Delete(%s) = %v", k, err)
		}
	}
	if keys := list(t, s, ""); !reflect.DeepEqual(keys, []string{"other/x", "parts/a/1"}) {
		t.Fatalf("after delete: %q", keys)
	}
	if _, err := s.Open(ctx, "parts/b/1"); !errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("Open(deleted) = %v", err)
	}
}

func testBadKeys(t *testing.T, s blobs.Store) {
	ctx := context.Background()
	for _, k := range []string{"", "/abs", "../up", "a/../../up", "a/./b"} {
		if _, err := s.Open(ctx, k); !errors.Is(err, blobs.ErrBadKey) {
			t.Errorf("Open(%q) = %v, want ErrBadKey", k, err)
		}
		if err := s.Delete(ctx, k); !errors.Is(err, blobs.ErrBadKey) {
			t.Errorf("Delete(%q) = %v, want ErrBadKey", k, err)
		}
		p, err := s.Create(ctx, "ok/")
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Commit(ctx, k); !errors.Is(err, blobs.ErrBadKey) {
			t.Errorf("Commit(%q) = %v, want ErrBadKey", k, err)
		}
	}
	if _, err := s.Create(ctx, "no-slash"); !errors.Is(err, blobs.ErrBadKey) {
		t.Errorf("Create(no-slash) = %v, want ErrBadKey", err)
	}
	if keys := list(t, s, ""); len(keys) != 0 {
		t.Fatalf("refused commits left %q", keys)
	}
}

// precision is the coarsest Modified the contract allows: S3 servers that
// truncate to whole seconds. skew is how far the store's clock may be from
// the test's: the test servers run on this machine, and a file system
// stamps times from the kernel's coarse clock, a tick behind time.Now.
const (
	precision = time.Second
	skew      = 250 * time.Millisecond
)

// testModified checks that Modified is the time of the last write or the
// commit, not of Create: a sweep that spares objects younger than a grace
// period must see a part just committed as young even when its upload was
// slow. It waits out precision and skew once, between two writes, so that
// a Modified taken at Create would fall outside the window.
func testModified(t *testing.T, s blobs.Store) {
	ctx := context.Background()
	p, err := s.Create(ctx, "m/")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Abort()
	if _, err := p.Write([]byte("first half,")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(precision + 2*skew)
	lastWrite := time.Now().UTC()
	if _, err := p.Write([]byte(" second half")); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(ctx, "m/early"); err != nil {
		t.Fatal(err)
	}
	Put(t, s, "m/", "m/late", []byte("later"))
	done := time.Now().UTC()

	objects := listObjects(t, s, "m/")
	if len(objects) != 2 || objects[0].Key != "m/early" || objects[1].Key != "m/late" {
		t.Fatalf("List = %+v", objects)
	}
	early, late := objects[0].Modified, objects[1].Modified
	for _, o := range objects {
		if o.Modified.Location() != time.UTC {
			t.Errorf("%s: Modified %v is not in UTC", o.Key, o.Modified)
		}
		if o.Modified.Before(lastWrite.Add(-precision-skew)) || o.Modified.After(done.Add(skew)) {
			t.Errorf("%s: Modified %v, want between the last write %v and the end %v (give or take %v, %v)",
				o.Key, o.Modified, lastWrite, done, precision, skew)
		}
	}
	if late.Before(early.Add(-precision)) {
		t.Errorf("m/late, committed after m/early, is older by more than %v: %v < %v", precision, late, early)
	}
}

package blobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/blindjoin/blindjoin/internal/atomicfile"
)

// Dir keeps blobs as files (mode 0600) under a directory (mode 0700); a
// key's slashes are sub-directories. A temporary object is an atomicfile
// temporary file in its prefix's directory, so its rename stays within one
// file system.
type Dir struct {
	root string
}

var _ Store = (*Dir)(nil)

// NewDir keeps blobs under root, creating it if needed.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("blobs: directory: %w", err)
	}
	return &Dir{root: root}, nil
}

// ValidKey reports whether key names an object in every store: a
// slash-separated relative path with no empty, "." or ".." element
// (fs.ValidPath), so that it cannot leave the store's root and means the
// same on files and on S3.
func ValidKey(key string) bool { return key != "" && key != "." && fs.ValidPath(key) }

// path maps a key to its file, refusing keys that would leave the root.
func (d *Dir) path(key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

func (d *Dir) Create(_ context.Context, dir string) (Pending, error) {
	if !strings.HasSuffix(dir, "/") {
		return nil, fmt.Errorf("%w: directory %q does not end in /", ErrBadKey, dir)
	}
	file, err := d.path(strings.TrimSuffix(dir, "/"))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(file, 0o700); err != nil {
		return nil, fmt.Errorf("blobs: directory: %w", err)
	}
	p, err := atomicfile.Create(file, 0o600)
	if err != nil {
		return nil, fmt.Errorf("blobs: create: %w", err)
	}
	return &dirPending{d: d, p: p}, nil
}

type dirPending struct {
	d *Dir
	p *atomicfile.Pending
}

func (p *dirPending) Write(b []byte) (int, error) { return p.p.Write(b) }

func (p *dirPending) Commit(_ context.Context, key string) error {
	file, err := p.d.path(key)
	if err != nil {
		p.p.Abort()
		return err
	}
	if err := p.p.Commit(file); err != nil {
		return fmt.Errorf("blobs: commit: %w", err)
	}
	return nil
}

func (p *dirPending) Abort() { p.p.Abort() }

func (d *Dir) Open(_ context.Context, key string) (io.ReadCloser, error) {
	file, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("blobs: open: %w", err)
	}
	return f, nil
}

// Delete removes the file, then its directories up to the root as long as
// they are empty, so a session's directory goes with its last part.
func (d *Dir) Delete(_ context.Context, key string) error {
	file, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blobs: delete: %w", err)
	}
	for dir := filepath.Dir(file); dir != d.root && strings.HasPrefix(dir, d.root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil { // not empty (or already gone): stop
			break
		}
	}
	return nil
}

// List walks the whole tree. An object that goes while it walks (a
// temporary file committed or aborted, a directory whose last file was
// deleted) is left out rather than failing the walk: the sweep runs while
// uploads and deletions go on.
//
// It walks only the directory that holds every key with prefix (the
// prefix up to its last "/"): a join's jobs list their session's files
// after every shard, and a walk of the whole store would cost them time
// in proportion to every session's parts.
func (d *Dir) List(_ context.Context, prefix string) ([]Object, error) {
	start := d.root
	if dir, _, found := cutLast(prefix, "/"); found && dir != "" {
		var err error
		if start, err = d.path(dir); err != nil {
			return nil, err
		}
	}
	var objects []Object
	err := filepath.WalkDir(start, func(file string, e fs.DirEntry, err error) error {
		if err != nil {
			if file != d.root && errors.Is(err, fs.ErrNotExist) {
				return nil // gone while walked, or a prefix of nothing yet
			}
			return err
		}
		if e.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(d.root, file)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		objects = append(objects, Object{Key: key, Modified: info.ModTime().UTC()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("blobs: list: %w", err)
	}
	slices.SortFunc(objects, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return objects, nil
}

// cutLast slices s around the last instance of sep.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// Ping checks that the directory is still there.
func (d *Dir) Ping(context.Context) error {
	if _, err := os.Stat(d.root); err != nil {
		return fmt.Errorf("blobs: %w", err)
	}
	return nil
}

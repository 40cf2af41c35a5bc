package operator

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/auth"
	"github.com/blindjoin/blindjoin/cleanroom/blobs"
	"github.com/blindjoin/blindjoin/cleanroom/blobs/s3blobs"
	"github.com/blindjoin/blindjoin/cleanroom/session"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/cleanroom/store/pgstore"
)

// Location says where a clean room keeps its state. The zero values of
// Store, Blobs and Keys put everything in DataDir, as blindjoind always
// has; set, they move the store to PostgreSQL, the part files to an
// S3-compatible bucket and the secrets to a directory of their own (see
// docs/OPERATIONS.md).
type Location struct {
	DataDir string
	// Store is a postgres://USER@HOST:PORT/DB?sslmode=... URL; empty: the
	// SQLite file in DataDir.
	Store string
	// Blobs is an s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT URL
	// (credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
	// AWS_REGION); empty: files under DataDir.
	Blobs string
	// Keys is the directory holding the token-signing keyring, the server
	// secret and the transcript signing key, created by InitKeys; empty:
	// DataDir, where they are created on first use.
	Keys string
}

// Errors of a Location.
var (
	// ErrStoreURL reports a --store value that is not a postgres:// URL.
	ErrStoreURL = errors.New("operator: --store must be a postgres:// URL")
	// ErrBlobsURL reports a --blobs value that is not an s3:// URL.
	ErrBlobsURL = errors.New("operator: --blobs must be an s3:// URL")
	// ErrNoKeysDir reports a --keys directory that was never initialized.
	ErrNoKeysDir = errors.New("operator: keys directory not initialized (run blindjoind keys init --keys DIR)")
)

// usesDataDir reports whether anything lives in the data directory.
func (l Location) usesDataDir() bool {
	return l.Store == "" || l.Blobs == "" || l.Keys == ""
}

// keysDir is the directory of the secrets.
func (l Location) keysDir() string {
	if l.Keys != "" {
		return l.Keys
	}
	return l.DataDir
}

// openStore opens the location's store. For serving SQLite, lock makes
// the caller the data directory's only server (see lockDataDir); release
// closes the store and unlocks. PostgreSQL takes no lock: any number of
// replicas serve one database, and the jobs table shares their work.
func (l Location) openStore(ctx context.Context, lock bool) (st store.Store, release func() error, err error) {
	switch {
	case l.Store == "":
		if err := createDataDir(l.DataDir); err != nil {
			return nil, nil, err
		}
		unlock := func() error { return nil }
		if lock {
			if unlock, err = lockDataDir(l.DataDir); err != nil {
				return nil, nil, err
			}
		}
		sq, err := openStore(l.DataDir)
		if err != nil {
			unlock()
			return nil, nil, err
		}
		return sq, func() error { return errors.Join(sq.Close(), unlock()) }, nil
	case strings.HasPrefix(l.Store, "postgres://") || strings.HasPrefix(l.Store, "postgresql://"):
		pg, err := pgstore.Open(ctx, l.Store)
		if err != nil {
			return nil, nil, err
		}
		return pg, pg.Close, nil
	default:
		return nil, nil, ErrStoreURL
	}
}

// openBlobs opens the location's blob store and checks that it answers.
func (l Location) openBlobs(ctx context.Context) (blobs.Store, error) {
	var b blobs.Store
	var err error
	switch {
	case l.Blobs == "":
		b, err = blobs.NewDir(l.DataDir)
	case strings.HasPrefix(l.Blobs, "s3://"):
		b, err = s3blobs.Open(l.Blobs)
	default:
		return nil, ErrBlobsURL
	}
	if err != nil {
		return nil, err
	}
	if err := b.Ping(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// checkKeys makes sure a --keys directory exists; the data directory's
// secrets are created on first use as they always were.
func (l Location) checkKeys() error {
	if l.Keys == "" {
		return nil
	}
	fi, err := os.Stat(l.Keys)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNoKeysDir, l.Keys)
	}
	if err != nil {
		return fmt.Errorf("operator: keys directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("operator: %s is not a directory", l.Keys)
	}
	return nil
}

// InitKeys creates the keys directory dir (mode 0700) with the
// token-signing keyring, the server secret and the transcript signing key,
// keeping those that exist, and returns the transcript public key. Every
// replica of a cluster then mounts dir read-write (rotation writes the
// keyring) and is started with --keys dir.
func InitKeys(dir string) (transcriptKey []byte, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("operator: keys directory: %w", err)
	}
	if _, err := auth.OpenKeyring(dir, time.Now, rand.Reader); err != nil {
		return nil, err
	}
	if err := session.InitKeys(dir, rand.Reader); err != nil {
		return nil, err
	}
	return session.LoadTranscriptPublicKey(dir, rand.Reader)
}

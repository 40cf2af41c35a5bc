package auth

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/keyfile"
	"github.com/blindjoin/blindjoin/internal/atomicfile"
)

const (
	// MaxTokenLifetime caps the ttl of access tokens.
	MaxTokenLifetime = 15 * time.Minute
	// Leeway is the clock skew tolerated on exp and iat.
	Leeway = 30 * time.Second

	// reloadInterval is how often, at most, lookups stat the keyring file
	// to notice a rotation made by another process.
	reloadInterval = time.Second
	// keyRetention is how long a retired key stays valid for verification.
	// A key retired at R signs tokens until R (plus up to reloadInterval in
	// a server that has not yet noticed a rotation made by the CLI); those
	// expire within MaxTokenLifetime and are accepted Leeway past that.
	keyRetention = MaxTokenLifetime + Leeway + reloadInterval
)

const (
	keyringDir  = "keys"
	keyringFile = "token-signing.json"
	keyringLock = "token-signing.lock"
)

// Keyring holds the Ed25519 keys that sign access tokens: one current key,
// which signs, and recently retired keys, which still verify tokens issued
// before a rotation.
//
// The keyring lives in DIR/keys/token-signing.json. Writers (OpenKeyring,
// Rotate) hold an exclusive lock on DIR/keys/token-signing.lock around each
// read-modify-write, so the server and `blindjoind keys rotate` running at
// the same time never lose each other's updates, and replace the file
// atomically, so readers never see half of it.
//
// A running server notices a rotation made by another process by itself:
// every lookup stats the file, at most once per reloadInterval (1 s, by the
// injected clock), and reloads it if it changed. Reload forces this (for
// example on SIGHUP). If the file changed and cannot be loaded (deleted,
// corrupt, loose permissions), the keyring fails closed: no signing, no
// verification, an empty JWKS, until the file is readable again.
//
// A Keyring is safe for concurrent use.
type Keyring struct {
	path, lockPath string
	now            func() time.Time
	rand           io.Reader

	// lastCheck is now().UnixNano() of the last stat, so that concurrent
	// lookups do not all stat the file.
	lastCheck atomic.Int64
	// update serializes Reload and Rotate within the process, so that an
	// older file is never applied over a newer one.
	update sync.Mutex

	mu      sync.RWMutex
	keys    []ringKey   // as on disk: oldest first, current last
	file    os.FileInfo // the file keys were read from
	loadErr error       // non-nil while the file cannot be loaded
}

// OpenKeyring opens the keyring under dir, creating dir/keys (mode 0700)
// and the first signing key on first start, and prunes retired keys past
// their retention. now and rand are the clock and the randomness used for
// key creation, retirement and expiry.
func OpenKeyring(dir string, now func() time.Time, rand io.Reader) (*Keyring, error) {
	if now == nil || rand == nil {
		return nil, errors.New("auth: OpenKeyring: nil clock or rand")
	}
	keysDir := filepath.Join(dir, keyringDir)
	if err := os.MkdirAll(keysDir, 0o700); err != nil {
		return nil, fmt.Errorf("auth: keyring directory: %w", err)
	}
	k := &Keyring{
		path:     filepath.Join(keysDir, keyringFile),
		lockPath: filepath.Join(keysDir, keyringLock),
		now:      now,
		rand:     rand,
	}
	err := k.modify(func(keys []ringKey) ([]ringKey, bool, error) {
		if keys != nil {
			return keys, false, nil
		}
		first, err := k.generate()
		return []ringKey{first}, true, err
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// Rotate makes a new key current and retires the previous one, which keeps
// verifying the tokens it signed until they have expired. It returns the
// new key's kid.
func (k *Keyring) Rotate() (kid string, err error) {
	err = k.modify(func(keys []ringKey) ([]ringKey, bool, error) {
		if keys == nil {
			return nil, false, fmt.Errorf("auth: keyring %s: %w", k.path, fs.ErrNotExist)
		}
		next, err := k.generate()
		if err != nil {
			return nil, false, err
		}
		for _, old := range keys {
			if old.kid == next.kid {
				return nil, false, errors.New("auth: rotate: new key collides with an existing one")
			}
		}
		keys[len(keys)-1].retired = next.created
		kid = next.kid
		return append(keys, next), true, nil
	})
	return kid, err
}

// Reload re-reads the keyring file.
func (k *Keyring) Reload() error {
	k.update.Lock()
	defer k.update.Unlock()
	// Stat before reading: if the file is replaced in between, the stored
	// FileInfo is the older one and the next check reloads again, instead
	// of the reverse, which would miss the newer file.
	fi, err := os.Stat(k.path)
	var keys []ringKey
	if err == nil {
		keys, err = k.read()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err != nil {
		k.file = fi
		k.loadErr = err
		return err
	}
	k.keys, k.file, k.loadErr = keys, fi, nil
	return nil
}

// modify runs change on the keys stored on disk (nil if there is no file
// yet) under the writers' lock, prunes expired keys, and writes the result
// back if change or pruning altered it.
func (k *Keyring) modify(change func([]ringKey) (keys []ringKey, changed bool, err error)) error {
	k.update.Lock()
	defer k.update.Unlock()
	unlock, err := keyfile.Lock(k.lockPath)
	if err != nil {
		return err
	}
	defer unlock()

	keys, err := k.read()
	if errors.Is(err, fs.ErrNotExist) {
		keys, err = nil, nil
	}
	if err != nil {
		return err
	}
	keys, changed, err := change(keys)
	if err != nil {
		return err
	}
	if pruned := prune(keys, k.now()); len(pruned) != len(keys) {
		keys, changed = pruned, true
	}
	if len(keys) > maxRingKeys {
		return fmt.Errorf("auth: keyring would hold more than %d keys; rotating too often", maxRingKeys)
	}
	if changed {
		data, err := encodeRing(keys)
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(k.path, data, 0o600); err != nil {
			return err
		}
	}
	fi, err := os.Stat(k.path)
	if err != nil {
		return fmt.Errorf("auth: keyring: %w", err)
	}
	k.mu.Lock()
	k.keys, k.file, k.loadErr = keys, fi, nil
	k.mu.Unlock()
	return nil
}

func (k *Keyring) read() ([]ringKey, error) {
	data, err := keyfile.ReadFile(k.path)
	if err != nil {
		return nil, err
	}
	keys, err := decodeRing(data)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, k.path)
	}
	return keys, nil
}

func (k *Keyring) generate() (ringKey, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(k.rand, seed); err != nil {
		return ringKey{}, fmt.Errorf("auth: generate signing key: %w", err)
	}
	return newRingKey(seed, k.now().UTC()), nil
}

// prune drops retired keys whose retention has ended.
func prune(keys []ringKey, now time.Time) []ringKey {
	kept := keys[:0:0]
	for _, key := range keys {
		if key.verifiesAt(now) {
			kept = append(kept, key)
		}
	}
	return kept
}

func (key ringKey) verifiesAt(now time.Time) bool {
	return key.retired.IsZero() || now.Before(key.retired.Add(keyRetention))
}

// refresh reloads the file if it changed, checking at most once per
// reloadInterval. Errors are kept in loadErr, where lookups see them.
func (k *Keyring) refresh() {
	now := k.now().UnixNano()
	last := k.lastCheck.Load()
	if now >= last && now-last < int64(reloadInterval) {
		return
	}
	if !k.lastCheck.CompareAndSwap(last, now) {
		return // another goroutine is checking
	}
	fi, err := os.Stat(k.path)
	k.mu.RLock()
	same := err == nil && k.loadErr == nil && sameFile(k.file, fi)
	k.mu.RUnlock()
	if !same {
		_ = k.Reload() // the error stays in loadErr, where lookups see it
	}
}

// sameFile reports whether b is still the file a was. Rotation renames a
// new file into place, which changes the inode even when the modification
// time has a coarse granularity; size and time catch in-place edits.
func sameFile(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) &&
		a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}

// signingKey returns the current key.
func (k *Keyring) signingKey() (ringKey, error) {
	k.refresh()
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.loadErr != nil {
		return ringKey{}, fmt.Errorf("auth: keyring unavailable: %w", k.loadErr)
	}
	return k.keys[len(k.keys)-1], nil
}

// verificationKey returns the public key named kid if it may verify tokens
// now.
func (k *Keyring) verificationKey(kid string) (ed25519.PublicKey, error) {
	k.refresh()
	now := k.now()
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.loadErr != nil {
		return nil, deny(ReasonKeyring)
	}
	for _, key := range k.keys {
		if key.kid == kid && key.verifiesAt(now) {
			return key.pub, nil
		}
	}
	return nil, deny(ReasonUnknownKey)
}

// verificationKeys returns the keys that may verify tokens now, oldest
// first, or none while the file cannot be loaded.
func (k *Keyring) verificationKeys() []ringKey {
	k.refresh()
	now := k.now()
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.loadErr != nil {
		return nil
	}
	return prune(k.keys, now)
}

package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/auth"
	"github.com/blindjoin/blindjoin/cleanroom/session"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// Errors of the registry's operator-facing methods.
var (
	ErrInvalidName = errors.New("registry: invalid party name")
	ErrExists      = errors.New("registry: party already exists")
	ErrNotFound    = errors.New("registry: no such party")
)

// namePattern is the form of a party name.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// ValidName reports whether name is a well-formed party name.
func ValidName(name string) bool { return namePattern.MatchString(name) }

// Party is what the registry tells about a party (never its key hash).
type Party struct {
	Name      string
	Role      api.Role
	Created   time.Time
	RevokedAt time.Time // zero while active
}

// Config holds the registry's dependencies.
type Config struct {
	Store store.Store
	Rand  io.Reader        // source of API keys (crypto/rand.Reader in production)
	Now   func() time.Time // clock (time.Now in production)
}

// Registry is the party registry. It is safe for concurrent use.
type Registry struct {
	store store.Store
	rand  io.Reader
	now   func() time.Time
}

// New returns a registry over cfg.Store.
func New(cfg Config) (*Registry, error) {
	if cfg.Store == nil || cfg.Rand == nil || cfg.Now == nil {
		return nil, errors.New("registry: Store, Rand and Now are required")
	}
	return &Registry{store: cfg.Store, rand: cfg.Rand, now: cfg.Now}, nil
}

// Add registers a party and returns its new API key, the only time the key
// is available. role is one of the api.Role* constants.
func (r *Registry) Add(ctx context.Context, name string, role api.Role) (string, error) {
	if !ValidName(name) {
		return "", ErrInvalidName
	}
	parsed, err := auth.ParseRole(string(role))
	if err != nil {
		return "", fmt.Errorf("registry: role %q: %w", role, err)
	}
	key, err := auth.GenerateAPIKey(r.rand)
	if err != nil {
		return "", err
	}
	hash := auth.HashAPIKey(key)
	p := store.Party{Name: name, Role: parsed, APIKeyHash: hash[:], Created: r.now().UTC()}
	err = r.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.AddParty(ctx, p)
	})
	if errors.Is(err, store.ErrExists) {
		// The name is taken: a key-hash collision of two random 256-bit
		// keys is not a case worth telling apart.
		return "", fmt.Errorf("%w: %s", ErrExists, name)
	}
	if err != nil {
		return "", fmt.Errorf("registry: add %s: %w", name, err)
	}
	return key.Reveal(), nil
}

// List returns every party, revoked ones included, by name.
func (r *Registry) List(ctx context.Context) ([]Party, error) {
	var out []Party
	err := r.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		ps, err := tx.Parties(ctx)
		if err != nil {
			return err
		}
		out = make([]Party, len(ps))
		for i, p := range ps {
			out[i] = Party{Name: p.Name, Role: p.Role, Created: p.Created, RevokedAt: p.RevokedAt}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("registry: list: %w", err)
	}
	return out, nil
}

// Revoke disables a party's API key and every access token issued to it.
// Revoking a revoked party changes nothing (the first revocation time
// stays).
func (r *Registry) Revoke(ctx context.Context, name string) error {
	err := r.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		p, err := tx.Party(ctx, name)
		if err != nil {
			return err
		}
		if !p.RevokedAt.IsZero() {
			return nil
		}
		p.RevokedAt = r.now().UTC()
		return tx.UpdateParty(ctx, p)
	})
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err != nil {
		return fmt.Errorf("registry: revoke %s: %w", name, err)
	}
	return nil
}

// Authenticate returns the active party owning apiKey. A malformed, unknown
// or revoked key gives an error wrapping auth.ErrUnauthenticated; the
// three cases are not told apart.
func (r *Registry) Authenticate(ctx context.Context, apiKey string) (session.Principal, error) {
	key, err := auth.ParseAPIKey(apiKey)
	if err != nil {
		return session.Principal{}, err
	}
	hash := auth.HashAPIKey(key)
	var p store.Party
	err = r.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		p, err = tx.PartyByKeyHash(ctx, hash[:])
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return session.Principal{}, fmt.Errorf("registry: unknown api key: %w", auth.ErrUnauthenticated)
	case err != nil:
		return session.Principal{}, fmt.Errorf("registry: authenticate: %w", err)
	case !p.RevokedAt.IsZero():
		return session.Principal{}, fmt.Errorf("registry: revoked party: %w", auth.ErrUnauthenticated)
	}
	return session.Principal{Party: p.Name, Role: p.Role}, nil
}

// Active reports whether the party exists and is not revoked.
func (r *Registry) Active(ctx context.Context, name string) (bool, error) {
	var active bool
	err := r.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		p, err := tx.Party(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		active = p.RevokedAt.IsZero()
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("registry: active: %w", err)
	}
	return active, nil
}

package operator

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/console"
	"github.com/blindjoin/blindjoin/cleanroom/registry"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// withRegistry runs f on the registry of the store at loc. With the SQLite
// store, create says whether a missing data directory is made (party add)
// or an error (the others: a typo in --data must not look like an empty
// registry).
func withRegistry(ctx context.Context, loc Location, create bool, f func(*registry.Registry) error) error {
	if loc.Store == "" && !create {
		if err := existingDataDir(loc.DataDir); err != nil {
			return err
		}
	}
	st, release, err := loc.openStore(ctx, false)
	if err != nil {
		return err
	}
	defer release()
	reg, err := registry.New(registry.Config{Store: st, Rand: rand.Reader, Now: time.Now})
	if err != nil {
		return err
	}
	return f(reg)
}

// AddParty registers a party in the data directory dir (created if need
// be) and returns its API key; AddPartyIn is the same at any Location.
func AddParty(ctx context.Context, dir, name string, role api.Role) (apiKey string, err error) {
	return AddPartyIn(ctx, Location{DataDir: dir}, name, role)
}

// AddPartyIn registers a party in the store at loc and returns its API
// key. The registry keeps only the key's hash: the caller shows it once, to
// be handed to the party over a secure channel.
func AddPartyIn(ctx context.Context, loc Location, name string, role api.Role) (apiKey string, err error) {
	err = withRegistry(ctx, loc, true, func(reg *registry.Registry) error {
		apiKey, err = reg.Add(ctx, name, role)
		return err
	})
	return apiKey, err
}

// ListParties returns every party of the data directory dir, revoked ones
// included; ListPartiesIn is the same at any Location.
func ListParties(ctx context.Context, dir string) (parties []registry.Party, err error) {
	return ListPartiesIn(ctx, Location{DataDir: dir})
}

// ListPartiesIn returns every party of the store at loc, revoked ones
// included.
func ListPartiesIn(ctx context.Context, loc Location) (parties []registry.Party, err error) {
	err = withRegistry(ctx, loc, false, func(reg *registry.Registry) error {
		parties, err = reg.List(ctx)
		return err
	})
	return parties, err
}

// RevokeParty disables a party's API key and its access tokens at once;
// RevokePartyIn is the same at any Location.
func RevokeParty(ctx context.Context, dir, name string) error {
	return RevokePartyIn(ctx, Location{DataDir: dir}, name)
}

// RevokePartyIn disables a party's API key and its access tokens at once,
// on every replica that shares the store.
func RevokePartyIn(ctx context.Context, loc Location, name string) error {
	return withRegistry(ctx, loc, false, func(reg *registry.Registry) error {
		return reg.Revoke(ctx, name)
	})
}

// AddOperator creates an operator credential for the web console in the
// data directory dir (created if need be) and returns it, the only time it
// is available: only its hash is stored (cleanroom/console). It is not a
// party key and opens no API route.
func AddOperator(dir, name string) (credential string, err error) {
	if err := createDataDir(dir); err != nil {
		return "", err
	}
	return console.AddOperator(dir, name)
}

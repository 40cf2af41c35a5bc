package operator

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/console"
	"github.com/blindjoin/blindjoin/cleanroom/registry"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// withRegistry runs f on the registry of the data directory dir.
func withRegistry(dir string, f func(*registry.Registry) error) error {
	st, err := openStore(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	reg, err := registry.New(registry.Config{Store: st, Rand: rand.Reader, Now: time.Now})
	if err != nil {
		return err
	}
	return f(reg)
}

// AddParty registers a party in the data directory dir (created if need
// be) and returns its API key. The registry keeps only the key's hash: the
// caller shows it once, to be handed to the party over a secure channel.
func AddParty(ctx context.Context, dir, name string, role api.Role) (apiKey string, err error) {
	if err := createDataDir(dir); err != nil {
		return "", err
	}
	err = withRegistry(dir, func(reg *registry.Registry) error {
		apiKey, err = reg.Add(ctx, name, role)
		return err
	})
	return apiKey, err
}

// ListParties returns every party of the data directory dir, revoked ones
// included.
func ListParties(ctx context.Context, dir string) (parties []registry.Party, err error) {
	if err := existingDataDir(dir); err != nil {
		return nil, err
	}
	err = withRegistry(dir, func(reg *registry.Registry) error {
		parties, err = reg.List(ctx)
		return err
	})
	return parties, err
}

// RevokeParty disables a party's API key and its access tokens at once.
func RevokeParty(ctx context.Context, dir, name string) error {
	if err := existingDataDir(dir); err != nil {
		return err
	}
	return withRegistry(dir, func(reg *registry.Registry) error {
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

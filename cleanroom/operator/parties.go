package operator

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/registry"
)

// partyJSON is one party in the --json output of party commands.
type partyJSON struct {
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	APIKey    string     `json:"api_key,omitempty"`
	Created   *time.Time `json:"created,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

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

// AddParty registers a party and writes its API key to w, the only time the
// key is shown: as text, or as {"name","role","api_key"} with asJSON.
func AddParty(ctx context.Context, dir, name, role string, asJSON bool, w io.Writer) error {
	if err := createDataDir(dir); err != nil {
		return err
	}
	return withRegistry(dir, func(reg *registry.Registry) error {
		key, err := reg.Add(ctx, name, role)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(w, partyJSON{Name: name, Role: role, APIKey: key})
		}
		_, err = fmt.Fprintf(w, "registered %s (%s)\napi key: %s\nThe key is shown only this once; hand it to the party over a secure channel.\n", name, role, key)
		return err
	})
}

// ListParties writes every party, revoked ones included, as a table or as
// {"parties": [...]}.
func ListParties(ctx context.Context, dir string, asJSON bool, w io.Writer) error {
	if err := existingDataDir(dir); err != nil {
		return err
	}
	return withRegistry(dir, func(reg *registry.Registry) error {
		parties, err := reg.List(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			out := struct {
				Parties []partyJSON `json:"parties"`
			}{Parties: make([]partyJSON, len(parties))}
			for i, p := range parties {
				out.Parties[i] = partyJSON{Name: p.Name, Role: p.Role, Created: &parties[i].Created}
				if !p.RevokedAt.IsZero() {
					out.Parties[i].RevokedAt = &parties[i].RevokedAt
				}
			}
			return writeJSON(w, out)
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tSTATUS")
		for _, p := range parties {
			status := "active"
			if !p.RevokedAt.IsZero() {
				status = "revoked " + p.RevokedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, p.Role, p.Created.UTC().Format(time.RFC3339), status)
		}
		return tw.Flush()
	})
}

// RevokeParty disables a party's API key and its access tokens at once.
func RevokeParty(ctx context.Context, dir, name string, w io.Writer) error {
	if err := existingDataDir(dir); err != nil {
		return err
	}
	return withRegistry(dir, func(reg *registry.Registry) error {
		if err := reg.Revoke(ctx, name); err != nil {
			return err
		}
		_, err := fmt.Fprintf(w, "revoked %s: its API key and access tokens no longer work\n", name)
		return err
	})
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

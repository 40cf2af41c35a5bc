package main

import (
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

// writeAddedParty shows a new party's API key, the only time it is shown:
// as text, or as {"name","role","api_key"}.
func writeAddedParty(w io.Writer, name, role, apiKey string, asJSON bool) error {
	if asJSON {
		return writeJSON(w, partyJSON{Name: name, Role: role, APIKey: apiKey})
	}
	_, err := fmt.Fprintf(w, "registered %s (%s)\napi key: %s\nThe key is shown only this once; hand it to the party over a secure channel.\n", name, role, apiKey)
	return err
}

// writeParties lists parties as a table, or as {"parties": [...]}.
func writeParties(w io.Writer, parties []registry.Party, asJSON bool) error {
	if asJSON {
		out := struct {
			Parties []partyJSON `json:"parties"`
		}{Parties: make([]partyJSON, len(parties))}
		for i, p := range parties {
			out.Parties[i] = partyJSON{Name: p.Name, Role: string(p.Role), Created: &parties[i].Created}
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
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

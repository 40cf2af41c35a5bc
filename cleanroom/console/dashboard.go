package console

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/dp"
	"github.com/blindjoin/blindjoin/cleanroom/registry"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// dashboard is the operator's page.
type dashboard struct {
	Health   health
	Parties  []partyRow
	Roles    []api.Role
	Sessions []sessionRow
	Budgets  []budgetRow
	NewKey   *newKey // set right after a registration: shown once
}

type health struct {
	Ready    string // "ready" or why not
	OK       bool
	Elements string
	States   []stateCount
}

type stateCount struct {
	State api.State
	Count int
}

type partyRow struct {
	Name             string
	Role             api.Role
	Created, Revoked string
	Active           bool
}

type sessionRow struct {
	ID, Advertiser, Partner, MatchKey string
	State                             api.State
	Created, Updated, Took            string
	AdvertiserRecords, PartnerRecords string
	Ended                             string // why an ended session ended
}

type budgetRow struct {
	Advertiser, Partner, Spent, Budget string
	Percent                            int
}

type newKey struct {
	Name, Key string
	Role      api.Role
}

func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	l, ok := c.current(r)
	if !ok {
		c.render(w, "login.html", http.StatusOK, page{Title: "Operator login"})
		return
	}
	c.renderDashboard(w, r, l, http.StatusOK, "", nil)
}

func (c *Console) renderDashboard(w http.ResponseWriter, r *http.Request, l login, status int, msg string, key *newKey) {
	d, err := c.dashboard(r.Context())
	if err != nil {
		c.cfg.Logger.Error("console: dashboard", "error", err)
		msg = "The store could not be read; see the server log."
		status = http.StatusInternalServerError
	}
	d.NewKey = key
	c.render(w, "dashboard.html", status, page{Title: "Clean room", Operator: l.operator, CSRF: l.csrf, Error: msg, Data: d})
}

func (c *Console) dashboard(ctx context.Context) (dashboard, error) {
	d := dashboard{Roles: []api.Role{api.RoleAdvertiser, api.RoleMediaPartner, api.RoleAuditor}}
	d.Health.OK = true
	d.Health.Ready = "ready: the store answers"
	if err := c.cfg.Ready(ctx); err != nil {
		d.Health.OK, d.Health.Ready = false, "not ready: the store does not answer"
	}
	d.Health.Elements = thousands(int64(c.cfg.Elements()))
	parties, err := c.cfg.Parties.List(ctx)
	if err != nil {
		return d, err
	}
	for _, p := range parties {
		row := partyRow{Name: p.Name, Role: p.Role, Created: day(p.Created), Active: p.RevokedAt.IsZero()}
		if !row.Active {
			row.Revoked = day(p.RevokedAt)
		}
		d.Parties = append(d.Parties, row)
	}
	now := c.cfg.Now()
	err = c.cfg.Store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		counts, err := tx.StateCounts(ctx)
		if err != nil {
			return err
		}
		for _, st := range []api.State{api.StateCreated, api.StateJoined, api.StateUploading, api.StateExchanging, api.StateComputed, api.StatePurged, api.StateExpired} {
			d.Health.States = append(d.Health.States, stateCount{st, counts[st]})
		}
		sessions, err := tx.Sessions(ctx, "")
		if err != nil {
			return err
		}
		pairs := map[[2]string]bool{}
		for i := len(sessions) - 1; i >= 0; i-- {
			row, err := sessionOf(ctx, tx, sessions[i])
			if err != nil {
				return err
			}
			d.Sessions = append(d.Sessions, row)
			pairs[[2]string{sessions[i].Advertiser, sessions[i].Partner}] = true
		}
		for _, pair := range slices.SortedFunc(maps.Keys(pairs), func(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) }) {
			spends, err := tx.Spends(ctx, pair[0], pair[1], now.Add(-dp.Window))
			if err != nil {
				return err
			}
			ledger := make([]dp.Spend, len(spends))
			for i, sp := range spends {
				ledger[i] = dp.Spend{Time: sp.Time, Epsilon: sp.Epsilon}
			}
			spent := dp.Spent(ledger, now)
			row := budgetRow{Advertiser: pair[0], Partner: pair[1], Spent: strconv.FormatFloat(spent, 'g', 4, 64), Budget: strconv.FormatFloat(c.cfg.DPBudget, 'g', 4, 64)}
			if c.cfg.DPBudget > 0 {
				row.Percent = int(min(100, spent/c.cfg.DPBudget*100))
			}
			d.Budgets = append(d.Budgets, row)
		}
		return nil
	})
	return d, err
}

// sessionOf is a session as the operator sees it: states, sizes, timings,
// and why it ended; never a digest or an element.
func sessionOf(ctx context.Context, tx store.Tx, s store.Session) (sessionRow, error) {
	row := sessionRow{ID: s.ID, Advertiser: s.Advertiser, Partner: s.Partner, State: s.State, MatchKey: s.MatchKey,
		Created: s.Created.Local().Format(time.DateTime), Updated: s.Updated.Local().Format(time.DateTime)}
	if !s.ComputedAt.IsZero() {
		row.Took = s.ComputedAt.Sub(s.Created).Round(time.Second).String()
	}
	for side, dst := range map[api.Role]*string{api.RoleAdvertiser: &row.AdvertiserRecords, api.RoleMediaPartner: &row.PartnerRecords} {
		parts, err := tx.Parts(ctx, s.ID, side, store.LegBlinded)
		if err != nil {
			return row, err
		}
		var n uint64
		for _, p := range parts {
			n += p.Records
		}
		*dst = thousands(int64(n))
	}
	if s.State == api.StateExpired || s.State == api.StatePurged {
		e, err := tx.LastEvent(ctx, s.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return row, err
		}
		var data map[string]string
		if err == nil && json.Unmarshal(e.Data, &data) == nil {
			row.Ended = data["reason"]
		}
	}
	return row, nil
}

func (c *Console) addParty(w http.ResponseWriter, r *http.Request, l login) {
	name, role := r.PostFormValue("name"), api.Role(r.PostFormValue("role"))
	key, err := c.cfg.Parties.Add(r.Context(), name, role)
	if err != nil {
		msg := "The party could not be registered."
		switch {
		case errors.Is(err, registry.ErrInvalidName):
			msg = "A party name is 1 to 64 of a-z, 0-9, '_', '.', '-', starting with a letter or digit."
		case errors.Is(err, registry.ErrExists):
			msg = "A party of that name exists."
		default:
			c.cfg.Logger.Error("console: adding a party", "error", err)
		}
		c.renderDashboard(w, r, l, http.StatusBadRequest, msg, nil)
		return
	}
	c.cfg.Logger.Info("console: party registered", "operator", l.operator, "party", name, "role", role)
	c.renderDashboard(w, r, l, http.StatusOK, "", &newKey{Name: name, Role: role, Key: key})
}

func (c *Console) revokeParty(w http.ResponseWriter, r *http.Request, l login) {
	name := r.PostFormValue("name")
	if err := c.cfg.Parties.Revoke(r.Context(), name); err != nil {
		msg := "The party could not be revoked."
		if errors.Is(err, registry.ErrNotFound) {
			msg = "No such party."
		} else {
			c.cfg.Logger.Error("console: revoking a party", "error", err)
		}
		c.renderDashboard(w, r, l, http.StatusBadRequest, msg, nil)
		return
	}
	c.cfg.Logger.Info("console: party revoked", "operator", l.operator, "party", name)
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

func day(t time.Time) string { return t.Local().Format(time.DateOnly) }

// thousands writes n with comma separators.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

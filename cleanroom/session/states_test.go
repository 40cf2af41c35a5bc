package session

import (
	"bytes"
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// allStates is every state of protocol/api, in lifecycle order.
var allStates = []api.State{
	api.StateCreated, api.StateJoined, api.StateUploading, api.StateExchanging,
	api.StateComputed, api.StatePurged, api.StateExpired,
}

// TestTransitionTable walks the table: it names every state, moveTo allows
// exactly the moves it lists and refuses every other one without touching
// the session, the final states have no exits, and every state lies on a
// path from created to a final state.
func TestTransitionTable(t *testing.T) {
	if len(transitions) != len(allStates) {
		t.Fatalf("the table has %d states, protocol/api %d", len(transitions), len(allStates))
	}
	for _, from := range allStates {
		if _, ok := transitions[from]; !ok {
			t.Errorf("the table does not name %s", from)
		}
		for _, to := range append(slices.Clone(allStates), "", "bogus") {
			sess := store.Session{ID: "s", State: from}
			err := moveTo(&sess, to)
			if slices.Contains(transitions[from], to) {
				if err != nil || sess.State != to {
					t.Errorf("%s to %s: %v, state %s; the table allows it", from, to, err, sess.State)
				}
				continue
			}
			if !errors.Is(err, errIllegalMove) || sess.State != from {
				t.Errorf("%s to %s: %v, state %s; want errIllegalMove and the state left at %s", from, to, err, sess.State, from)
			}
		}
	}
	// An unknown state (a damaged row) goes nowhere.
	sess := store.Session{State: "bogus"}
	if err := moveTo(&sess, api.StatePurged); !errors.Is(err, errIllegalMove) {
		t.Errorf("bogus to purged: %v", err)
	}
	for _, s := range allStates {
		if got, want := final(s), s == api.StatePurged || s == api.StateExpired; got != want {
			t.Errorf("final(%s) = %v, want %v", s, got, want)
		}
	}
	reached := map[api.State]bool{api.StateCreated: true}
	for queue := []api.State{api.StateCreated}; len(queue) > 0; queue = queue[1:] {
		for _, to := range transitions[queue[0]] {
			if !reached[to] {
				reached[to] = true
				queue = append(queue, to)
			}
		}
	}
	for _, s := range allStates {
		if !reached[s] {
			t.Errorf("%s cannot be reached from created", s)
		}
		if !final(s) && !slices.ContainsFunc(transitions[s], final) {
			t.Errorf("%s has no move to a final state: a session could never be deleted or expire", s)
		}
	}
}

// TestTransitionsThroughService makes every move of the table happen
// through the Service's public calls, so that the table holds no move the
// service never makes, and the service makes every move the table names.
func TestTransitionsThroughService(t *testing.T) {
	ctx := context.Background()
	forward := map[[2]api.State]func(h *harness, s *small){
		{api.StateCreated, api.StateJoined}: func(h *harness, s *small) {
			if _, err := h.svc.Join(ctx, partner, s.id, api.JoinRequest{PolicyHash: s.hash}); err != nil {
				t.Fatal(err)
			}
		},
		{api.StateJoined, api.StateUploading}: func(h *harness, s *small) {
			if _, err := h.svc.PutBlinded(ctx, partner, s.id, bytes.NewReader(s.blindB[0])); err != nil {
				t.Fatal(err)
			}
		},
		{api.StateUploading, api.StateExchanging}: func(h *harness, s *small) {
			for _, p := range s.blindB {
				if _, err := h.svc.PutBlinded(ctx, partner, s.id, bytes.NewReader(p)); err != nil {
					t.Fatal(err)
				}
			}
		},
		{api.StateExchanging, api.StateComputed}: func(h *harness, s *small) {
			h.uploadReblinded(s.id, adv, s.joinA)
			h.uploadReblinded(s.id, partner, wiretest.Reblind(t, s.b.key, h.download(s.id, partner)))
		},
		{api.StateComputed, api.StatePurged}: func(h *harness, s *small) { // retention
			sess, err := h.svc.Get(ctx, adv, s.id)
			if err != nil || sess.PurgeAfter == nil {
				t.Fatalf("computed session: %v, purge_after %v", err, sess.PurgeAfter)
			}
			h.clock.Advance(sess.PurgeAfter.Sub(h.clock.Now()))
			if err := h.svc.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
		},
	}
	// Any session still going can be deleted, or expire if left alone.
	toFinal := map[api.State]func(h *harness, s *small){
		api.StatePurged: func(h *harness, s *small) {
			if _, err := h.svc.Delete(ctx, adv, s.id); err != nil {
				t.Fatal(err)
			}
		},
		api.StateExpired: func(h *harness, s *small) {
			h.clock.Advance(DefaultExpireAfter)
			if err := h.svc.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
		},
	}
	for _, from := range allStates {
		for _, to := range transitions[from] {
			move := forward[[2]api.State{from, to}]
			if move == nil && from != api.StateComputed {
				move = toFinal[to]
			}
			if move == nil {
				t.Errorf("no call of the Service is known to move a session from %s to %s", from, to)
				continue
			}
			t.Run(string(from)+"_to_"+string(to), func(t *testing.T) {
				h := newHarness(t)
				s := h.smallAt(from)
				if got := h.state(s.id); got != from {
					t.Fatalf("set up in %s, want %s", got, from)
				}
				move(h, s)
				if got := h.state(s.id); got != to {
					t.Errorf("after the move: %s, want %s", got, to)
				}
			})
		}
	}
}

// state is a session's state as its advertiser sees it.
func (h *harness) state(id string) api.State {
	h.t.Helper()
	sess, err := h.svc.Get(context.Background(), adv, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return sess.State
}

// TestStatesChangeOnlyThroughMoveTo reads this package's source: no file
// but states.go assigns a session's State field, so the table is the one
// place that decides which moves are allowed. A part receipt's State
// (rcpt) reports the session's state and changes nothing.
func TestStatesChangeOnlyThroughMoveTo(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "states.go" {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok {
				return true
			}
			for _, lhs := range as.Lhs {
				sel, ok := lhs.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "State" {
					continue
				}
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "rcpt" {
					continue
				}
				t.Errorf("%s: assigns a State field; change a session's state with moveTo", fset.Position(as.Pos()))
			}
			return true
		})
	}
}

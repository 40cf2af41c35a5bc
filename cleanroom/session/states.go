package session

import (
	"errors"
	"fmt"
	"slices"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// transitions is the session state machine: for each state, the states a
// session may move to from it. Every state change goes through moveTo,
// which refuses any move this table does not list.
//
//	created ──Join──> joined ──first blinded part──> uploading
//	                                                    │ both blinded sets complete
//	                                                    v
//	                  computed <──join and release── exchanging
//	                     │
//	                     └──Delete, retention──> purged
//
//	created, joined, uploading, exchanging ──Delete──> purged
//	created, joined, uploading, exchanging ──no progress (Sweep)──> expired
//
// purged and expired are final: no move leaves them. A computed session
// never expires: its results exist, and retention purges it at
// purge_after.
var transitions = map[api.State][]api.State{
	api.StateCreated:    {api.StateJoined, api.StatePurged, api.StateExpired},
	api.StateJoined:     {api.StateUploading, api.StatePurged, api.StateExpired},
	api.StateUploading:  {api.StateExchanging, api.StatePurged, api.StateExpired},
	api.StateExchanging: {api.StateComputed, api.StatePurged, api.StateExpired},
	api.StateComputed:   {api.StatePurged},
	api.StatePurged:     nil,
	api.StateExpired:    nil,
}

// errIllegalMove reports a state change the table does not allow: a bug
// in this package, never a caller's mistake, so it is not one of the
// errors the HTTP API maps to a client status (it becomes a 500 and is
// logged there).
var errIllegalMove = errors.New("session: illegal state change")

// moveTo changes sess's state to to if the table allows it, and fails
// closed otherwise, leaving sess as it was.
func moveTo(sess *store.Session, to api.State) error {
	if !slices.Contains(transitions[sess.State], to) {
		return fmt.Errorf("%w: %s to %s", errIllegalMove, sess.State, to)
	}
	sess.State = to
	return nil
}

// final reports whether no move leaves state (purged, expired).
func final(state api.State) bool { return len(transitions[state]) == 0 }

// stateIn reports whether state is one of states.
func stateIn(state api.State, states ...api.State) bool { return slices.Contains(states, state) }

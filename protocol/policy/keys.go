package policy

import (
	"slices"
	"strconv"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// Match keys a session may name in match_keys, the API's names; a
// session's own list is its priority order.
const (
	KeyEmail = api.MatchKeyEmail
	KeyPhone = api.MatchKeyPhone
	KeyMAID  = api.MatchKeyMAID
)

// MaxMatchKeys is the largest number of match keys of a session.
const MaxMatchKeys = 3

// keyCodes maps a match key to its AttrKey value on the wire.
var keyCodes = map[string]uint8{KeyEmail: wire.KeyEmail, KeyPhone: wire.KeyPhone, KeyMAID: wire.KeyMAID}

// Duplicates says what a party's tool does with a normalized value that
// several of its rows hold for one key (protocol/SPEC.md, "Multi-key
// matching", rule 2).
type Duplicates string

const (
	// DuplicatesFirst keeps the value on its first row (the default).
	DuplicatesFirst Duplicates = "first"
	// DuplicatesDrop removes the value from every row that holds it: a
	// phone shared by a household links nobody.
	DuplicatesDrop Duplicates = "drop"
)

// Conflicts says whether identifiers of an earlier key that both rows hold
// block a link on a later key (rule 4, persona safety).
type Conflicts string

const (
	// ConflictsBlock refuses the link (the default).
	ConflictsBlock Conflicts = "block"
	// ConflictsIgnore is the plain waterfall.
	ConflictsIgnore Conflicts = "ignore"
)

// Keys returns the session's match keys in priority order: MatchKeys, or
// the one key sessionKey of a session whose policy names none.
func (p Policy) Keys(sessionKey string) []string {
	if len(p.MatchKeys) > 0 {
		return slices.Clone(p.MatchKeys)
	}
	return []string{sessionKey}
}

// Multi reports whether the policy matches on several keys, in which case
// uploads use the keyed record layout (protocol/SPEC.md section 3.2).
func (p Policy) Multi() bool { return len(p.MatchKeys) > 1 }

// keyAttrs is the presence bits of a multi-key policy, one per match key in
// its order, or nothing for one key (the v1 layout).
func (p Policy) keyAttrs() []wire.Attr {
	if !p.Multi() {
		return nil
	}
	attrs := make([]wire.Attr, len(p.MatchKeys))
	for i, k := range p.MatchKeys {
		attrs[i] = wire.Attr{Kind: wire.AttrKey, Value: keyCodes[k]}
	}
	return attrs
}

// KeyName is the match key of an AttrKey value, or "" for none.
func KeyName(code uint8) string {
	for name, c := range keyCodes {
		if c == code {
			return name
		}
	}
	return ""
}

func validateKeys(keys []string) error {
	if len(keys) > MaxMatchKeys {
		return &Error{"match_keys", "at most 3 keys: email, phone, maid"}
	}
	for i, k := range keys {
		f := "match_keys[" + strconv.Itoa(i) + "]"
		if _, ok := keyCodes[k]; !ok {
			return &Error{f, `must be "email", "phone" or "maid"`}
		}
		if slices.Contains(keys[:i], k) {
			return &Error{f, "is a duplicate"}
		}
	}
	return nil
}

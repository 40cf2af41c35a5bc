package attacks

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/blindjoin/blindjoin/cleanroom/internal/testkit"
)

// secretPrefix is how many leading bytes of a secret the log scan indexes;
// every recorded secret is at least this long.
const secretPrefix = 12

// secretSet records every secret value the suite sent to a server or
// derived from what it sent, under the encodings in which a careless log
// line would carry it.
type secretSet struct {
	mu    sync.Mutex
	index map[[secretPrefix]byte][]secret
	count int
}

type secret struct{ kind, value string }

// secrets is the suite-wide record, scanned against the servers' logs by
// TestMain.
var secrets = &secretSet{index: map[[secretPrefix]byte][]secret{}}

// add records a secret given as text.
func (s *secretSet) add(kind, value string) {
	if len(value) < secretPrefix {
		panic(fmt.Sprintf("attacks: a %s shorter than %d bytes cannot be scanned for", kind, secretPrefix))
	}
	key := [secretPrefix]byte([]byte(value[:secretPrefix]))
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.ContainsFunc(s.index[key], func(x secret) bool { return x.value == value }) {
		return
	}
	s.index[key] = append(s.index[key], secret{kind, value})
	s.count++
}

// addBytes records a binary secret as lowercase hex and as unpadded
// standard and URL base64 (the padded forms start with the unpadded ones).
func (s *secretSet) addBytes(kind string, b []byte) {
	s.add(kind+" (hex)", hex.EncodeToString(b))
	s.add(kind+" (base64)", base64.RawStdEncoding.EncodeToString(b))
	s.add(kind+" (base64url)", base64.RawURLEncoding.EncodeToString(b))
}

// size is the number of distinct secret strings recorded.
func (s *secretSet) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// find returns the kinds of the recorded secrets that occur in log, with
// how often, never the values: one pass over the log with a map lookup per
// byte, so a million secrets cost no more than a hundred.
func (s *secretSet) find(log []byte) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	found := map[string]int{}
	for i := 0; i+secretPrefix <= len(log); i++ {
		for _, sec := range s.index[[secretPrefix]byte(log[i:i+secretPrefix])] {
			if bytes.HasPrefix(log[i:], []byte(sec.value)) {
				found[sec.kind]++
			}
		}
	}
	return found
}

// serverLog is where every in-process server of the suite logs, at debug
// level.
var serverLog = &testkit.SyncBuffer{}

// TestSecretScanFindsWhatItShould checks the scanner TestMain relies on:
// a planted secret is found under each recorded encoding, anywhere in the
// log, and nothing else is.
func TestSecretScanFindsWhatItShould(t *testing.T) {
	set := &secretSet{index: map[[secretPrefix]byte][]secret{}}
	set.add("identifier", "someone@attack.example")
	set.addBytes("element", bytes.Repeat([]byte{0xab, 0x3f}, 16))
	for _, tc := range []struct {
		log  string
		want string
	}{
		{`{"msg":"x","email":"someone@attack.example"}`, "identifier"},
		{`someone@attack.example`, "identifier"},
		{`..."` + hex.EncodeToString(bytes.Repeat([]byte{0xab, 0x3f}, 16)) + `"`, "element (hex)"},
		{base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{0xab, 0x3f}, 16)) + "==", "element (base64)"},
		{`someone@attack.exampl`, ""},
		{`{"msg":"request","status":200}`, ""},
	} {
		found := set.find([]byte(tc.log))
		if (tc.want == "") != (len(found) == 0) || (tc.want != "" && found[tc.want] != 1) {
			t.Errorf("find(%.40q) = %v, want %q", tc.log, found, tc.want)
		}
	}
}

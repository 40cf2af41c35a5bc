package auth

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/internal/testkit"
	"github.com/blindjoin/blindjoin/cleanroom/keyfile"
	"github.com/blindjoin/blindjoin/internal/atomicfile"
)

func ringPath(dir string) string { return filepath.Join(dir, "keys", "token-signing.json") }

// storedKIDs reads the keyring file independently of decodeRing.
func storedKIDs(t *testing.T, dir string) (kids []string, retired []bool) {
	t.Helper()
	data, err := os.ReadFile(ringPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Keys []struct {
			KID     string  `json:"kid"`
			Retired *string `json:"retired"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	for _, k := range f.Keys {
		kids = append(kids, k.KID)
		retired = append(retired, k.Retired != nil)
	}
	return kids, retired
}

func TestOpenKeyringCreatesOnce(t *testing.T) {
	f := newFixture(t)
	fi, err := os.Stat(ringPath(f.dir))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("keyring mode %04o, want 0600", fi.Mode().Perm())
	}
	if di, _ := os.Stat(filepath.Join(f.dir, "keys")); di.Mode().Perm() != 0o700 {
		t.Errorf("keys directory mode %04o, want 0700", di.Mode().Perm())
	}
	kids, retired := storedKIDs(t, f.dir)
	if len(kids) != 1 || retired[0] || kids[0] != f.currentKey(t).kid {
		t.Fatalf("file holds %v (retired %v), want the one current key", kids, retired)
	}
	before, _ := os.ReadFile(ringPath(f.dir))

	again, err := OpenKeyring(f.dir, f.clock.Now, testRand(9))
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := again.signingKey(); k.kid != kids[0] {
		t.Fatal("reopening changed the current key")
	}
	after, _ := os.ReadFile(ringPath(f.dir))
	fi2, _ := os.Stat(ringPath(f.dir))
	if !bytes.Equal(before, after) || !os.SameFile(fi, fi2) {
		t.Fatal("reopening rewrote an up-to-date keyring")
	}
}

func TestOpenKeyringRefusesBadFiles(t *testing.T) {
	f := newFixture(t)
	path := ringPath(f.dir)
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenKeyring(f.dir, f.clock.Now, testRand(3)); !errors.Is(err, keyfile.ErrInsecurePermissions) {
		t.Fatalf("0640 keyring: err = %v", err)
	}
	os.Chmod(path, 0o600)
	if err := atomicfile.WriteFile(path, []byte(`{"version":1,"keys":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenKeyring(f.dir, f.clock.Now, testRand(3)); !errors.Is(err, errRingFormat) {
		t.Fatalf("corrupt keyring: err = %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != `{"version":1,"keys":[]}` {
		t.Fatal("a corrupt keyring was overwritten")
	}
}

func TestRotateRetiresAndPrunes(t *testing.T) {
	f := newFixture(t)
	first := f.currentKey(t).kid
	kid, err := f.kr.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if kid == first || f.currentKey(t).kid != kid {
		t.Fatalf("Rotate returned %s; current is %s; first was %s", kid, f.currentKey(t).kid, first)
	}
	kids, retired := storedKIDs(t, f.dir)
	if !slices.Equal(kids, []string{first, kid}) || !slices.Equal(retired, []bool{true, false}) {
		t.Fatalf("file holds %v retired %v", kids, retired)
	}

	f.clock.Advance(keyRetention - time.Nanosecond)
	if got := jwksKIDs(t, f.kr.JWKS()); !slices.Equal(got, []string{first, kid}) {
		t.Fatalf("just before the retention ends, JWKS has %v", got)
	}
	f.clock.Advance(time.Nanosecond)
	if got := jwksKIDs(t, f.kr.JWKS()); !slices.Equal(got, []string{kid}) {
		t.Fatalf("after the retention, JWKS has %v", got)
	}
	if _, err := f.kr.verificationKey(first); err == nil {
		t.Fatal("an expired key still verifies")
	}
	// Pruning from the file happens on the next open or rotation.
	if kids, _ := storedKIDs(t, f.dir); len(kids) != 2 {
		t.Fatalf("file pruned early: %v", kids)
	}
	if _, err := OpenKeyring(f.dir, f.clock.Now, testRand(3)); err != nil {
		t.Fatal(err)
	}
	if kids, _ := storedKIDs(t, f.dir); !slices.Equal(kids, []string{kid}) {
		t.Fatalf("open did not prune: %v", kids)
	}
}

func TestRotateLimit(t *testing.T) {
	f := newFixture(t)
	for i := 1; i < maxRingKeys; i++ {
		if _, err := f.kr.Rotate(); err != nil {
			t.Fatalf("rotation %d: %v", i, err)
		}
	}
	if _, err := f.kr.Rotate(); err == nil {
		t.Fatalf("rotation %d within the retention succeeded", maxRingKeys)
	}
	if kids, _ := storedKIDs(t, f.dir); len(kids) != maxRingKeys {
		t.Fatalf("file holds %d keys", len(kids))
	}
}

func TestKeyringNoticesRotationByAnotherProcess(t *testing.T) {
	f := newFixture(t)
	first := f.currentKey(t).kid // stats the file: the next check is due in 1 s
	cli, err := OpenKeyring(f.dir, f.clock.Now, testRand(5))
	if err != nil {
		t.Fatal(err)
	}
	second, err := cli.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(reloadInterval - time.Millisecond)
	if got := f.currentKey(t).kid; got != first {
		t.Fatalf("checked the file again within %v", reloadInterval)
	}
	f.clock.Advance(time.Millisecond)
	if got := f.currentKey(t).kid; got != second {
		t.Fatalf("current key %s after %v, want the rotated %s", got, reloadInterval, second)
	}

	third, err := cli.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.kr.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := f.currentKey(t).kid; got != third {
		t.Fatalf("Reload did not pick up the rotation")
	}
}

func TestKeyringFailsClosed(t *testing.T) {
	f := newFixture(t)
	tok := f.issue(t, "acme", RoleAdvertiser)
	path := ringPath(f.dir)
	good, _ := os.ReadFile(path)

	if err := atomicfile.WriteFile(path, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(reloadInterval)
	if _, _, err := f.auth.Issue("acme", RoleAdvertiser); err == nil {
		t.Error("issued a token from a corrupt keyring")
	}
	_, err := f.auth.Verify(tok)
	wantDenied(t, "corrupt keyring", tok, err, ReasonKeyring)
	if got := string(f.kr.JWKS()); got != `{"keys":[]}` {
		t.Errorf("JWKS of a corrupt keyring: %s", got)
	}
	if err := f.kr.Reload(); err == nil {
		t.Error("Reload of a corrupt file succeeded")
	}

	os.Remove(path)
	f.clock.Advance(reloadInterval)
	_, err = f.auth.Verify(tok)
	wantDenied(t, "deleted keyring", tok, err, ReasonKeyring)

	if err := atomicfile.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(reloadInterval)
	if _, err := f.auth.Verify(tok); err != nil {
		t.Fatalf("did not recover once the file was restored: %v", err)
	}
	if _, err := f.kr.Rotate(); err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	if _, err := f.kr.Rotate(); err == nil {
		t.Fatal("Rotate recreated a deleted keyring, dropping its keys")
	}
}

func TestOpenKeyringConcurrent(t *testing.T) {
	dir := t.TempDir()
	clock := testkit.NewClock(t0)
	const n = 8
	kids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			kr, err := OpenKeyring(dir, clock.Now, rand.Reader)
			if err != nil {
				t.Error(err)
				return
			}
			k, _ := kr.signingKey()
			kids[i] = k.kid
		})
	}
	wg.Wait()
	stored, _ := storedKIDs(t, dir)
	if len(stored) != 1 {
		t.Fatalf("file holds %d keys, want 1", len(stored))
	}
	for i, kid := range kids {
		if kid != stored[0] {
			t.Fatalf("opener %d uses key %s, the file holds %s", i, kid, stored[0])
		}
	}
}

func TestRotateConcurrentNoLostUpdate(t *testing.T) {
	dir := t.TempDir()
	clock := testkit.NewClock(t0)
	// Two keyrings on one directory stand for the server and the CLI.
	a, err := OpenKeyring(dir, clock.Now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenKeyring(dir, clock.Now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const each = 5
	var mu sync.Mutex
	var rotated []string
	var wg sync.WaitGroup
	for _, kr := range []*Keyring{a, b} {
		wg.Go(func() {
			for range each {
				kid, err := kr.Rotate()
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				rotated = append(rotated, kid)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	stored, retired := storedKIDs(t, dir)
	if len(stored) != 2*each+1 {
		t.Fatalf("file holds %d keys, want %d: an update was lost", len(stored), 2*each+1)
	}
	for _, kid := range rotated {
		if !slices.Contains(stored, kid) {
			t.Fatalf("rotated key %s is missing from the file", kid)
		}
	}
	if slices.Contains(retired[:len(retired)-1], false) || retired[len(retired)-1] {
		t.Fatalf("retired flags %v, want only the last key current", retired)
	}
}

func TestDecodeRingRejects(t *testing.T) {
	f := newFixture(t)
	if _, err := f.kr.Rotate(); err != nil {
		t.Fatal(err)
	}
	valid, _ := os.ReadFile(ringPath(f.dir))
	if _, err := decodeRing(valid); err != nil {
		t.Fatalf("valid file rejected: %v", err)
	}
	// edit returns the valid file with change applied to its JSON form.
	edit := func(change func(m map[string]any, keys []any)) []byte {
		var m map[string]any
		json.Unmarshal(valid, &m)
		keys := m["keys"].([]any)
		change(m, keys)
		out, _ := json.Marshal(m)
		return out
	}
	key := func(keys []any, i int) map[string]any { return keys[i].(map[string]any) }
	oldSeed := key(mustJSON(valid)["keys"].([]any), 0)["seed"].(string)

	cases := map[string][]byte{
		"empty":            nil,
		"not JSON":         []byte("keys"),
		"null":             []byte("null"),
		"array":            []byte("[]"),
		"trailing data":    append(bytes.Clone(valid), "{}"...),
		"trailing garbage": append(bytes.Clone(valid), 'x'),
		"unknown field":    edit(func(m map[string]any, _ []any) { m["extra"] = 1 }),
		"unknown key field": edit(func(_ map[string]any, k []any) {
			key(k, 0)["d"] = "x"
		}),
		"version 0":     edit(func(m map[string]any, _ []any) { delete(m, "version") }),
		"version 2":     edit(func(m map[string]any, _ []any) { m["version"] = 2 }),
		"no keys":       edit(func(m map[string]any, _ []any) { m["keys"] = []any{} }),
		"keys null":     edit(func(m map[string]any, _ []any) { m["keys"] = nil }),
		"short seed":    edit(func(_ map[string]any, k []any) { key(k, 0)["seed"] = oldSeed[:42] }),
		"padded seed":   edit(func(_ map[string]any, k []any) { key(k, 0)["seed"] = oldSeed + "=" }),
		"seed not text": edit(func(_ map[string]any, k []any) { key(k, 0)["seed"] = 5 }),
		"kid mismatch":  edit(func(_ map[string]any, k []any) { key(k, 0)["kid"] = key(k, 1)["kid"] }),
		"no kid":        edit(func(_ map[string]any, k []any) { delete(key(k, 0), "kid") }),
		"duplicate key": edit(func(m map[string]any, k []any) {
			dup := maps.Clone(key(k, 0))
			m["keys"] = []any{key(k, 0), dup, key(k, 1)}
		}),
		"no created":  edit(func(_ map[string]any, k []any) { delete(key(k, 0), "created") }),
		"bad created": edit(func(_ map[string]any, k []any) { key(k, 0)["created"] = "yesterday" }),
		"current retired": edit(func(_ map[string]any, k []any) {
			key(k, 1)["retired"] = key(k, 0)["retired"]
		}),
		"two current": edit(func(_ map[string]any, k []any) { delete(key(k, 0), "retired") }),
		"current first": edit(func(m map[string]any, k []any) {
			m["keys"] = []any{k[1], k[0]}
		}),
		"retired before created": edit(func(_ map[string]any, k []any) {
			key(k, 0)["retired"] = "2000-01-01T00:00:00Z"
		}),
		"too many keys": edit(func(m map[string]any, k []any) {
			m["keys"] = slices.Repeat([]any{k[0]}, maxRingKeys+1)
		}),
	}
	for name, data := range cases {
		if _, err := decodeRing(data); !errors.Is(err, errRingFormat) {
			t.Errorf("%s: err = %v, want errRingFormat", name, err)
		} else if bytes.Contains([]byte(err.Error()), []byte(oldSeed[:8])) {
			t.Errorf("%s: error quotes a seed", name)
		}
	}
}

func mustJSON(data []byte) map[string]any {
	var m map[string]any
	json.Unmarshal(data, &m)
	return m
}

func FuzzDecodeRing(f *testing.F) {
	fx := newFixture(f)
	one, _ := os.ReadFile(ringPath(fx.dir))
	f.Add(one)
	if _, err := fx.kr.Rotate(); err != nil {
		f.Fatal(err)
	}
	two, _ := os.ReadFile(ringPath(fx.dir))
	f.Add(two)
	f.Add([]byte(`{"version":1,"keys":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := decodeRing(data)
		if err != nil {
			if !errors.Is(err, errRingFormat) {
				t.Fatalf("error %v does not wrap errRingFormat", err)
			}
			return
		}
		// Whatever is accepted has exactly one current key, last, and
		// survives a write and a re-read unchanged.
		for i, k := range keys {
			if k.retired.IsZero() != (i == len(keys)-1) {
				t.Fatalf("key %d: retired=%v", i, k.retired)
			}
		}
		data2, err := encodeRing(keys)
		if err != nil {
			t.Fatal(err)
		}
		keys2, err := decodeRing(data2)
		if err != nil || len(keys2) != len(keys) {
			t.Fatalf("re-read: %v", err)
		}
		for i := range keys {
			a, b := keys[i], keys2[i]
			if a.kid != b.kid || !a.priv.Equal(b.priv) || !a.created.Equal(b.created) || !a.retired.Equal(b.retired) {
				t.Fatalf("key %d changed across a write", i)
			}
		}
	})
}

package registry

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/auth"
	"github.com/blindjoin/blindjoin/cleanroom/store/sqlitestore"
	"github.com/blindjoin/blindjoin/protocol/api"
)

func newRegistry(t *testing.T) *Registry {
	t.Helper()
	st, err := sqlitestore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r, err := New(Config{Store: st, Rand: rand.Reader, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNames(t *testing.T) {
	good := []string{"a", "acme", "0day", "acme-fr.paris_2", strings.Repeat("x", 64)}
	bad := []string{"", "-a", ".a", "_a", "Acme", "a b", "a/b", "é", strings.Repeat("x", 65), "a\n", "a:b"}
	for _, n := range good {
		if !ValidName(n) {
			t.Errorf("ValidName(%q) = false", n)
		}
	}
	r := newRegistry(t)
	for _, n := range bad {
		if ValidName(n) {
			t.Errorf("ValidName(%q) = true", n)
		}
		if _, err := r.Add(context.Background(), n, api.RoleAdvertiser); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Add(%q) = %v", n, err)
		}
	}
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t)
	key, err := r.Add(ctx, "acme", api.RoleAdvertiser)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, auth.APIKeyPrefix) {
		t.Fatalf("key does not have the API key form")
	}
	if _, err := r.Add(ctx, "acme", api.RoleAuditor); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate Add = %v", err)
	}
	for _, role := range []api.Role{"", "admin", "Advertiser", "operator"} {
		if _, err := r.Add(ctx, "other", role); !errors.Is(err, auth.ErrUnknownRole) {
			t.Errorf("Add role %q = %v", role, err)
		}
	}
	pubKey, err := r.Add(ctx, "pub", api.RoleMediaPartner)
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Authenticate(ctx, key)
	if err != nil || p.Party != "acme" || p.Role != api.RoleAdvertiser {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	if p, err := r.Authenticate(ctx, pubKey); err != nil || p.Party != "pub" {
		t.Fatalf("Authenticate(pub) = %+v, %v", p, err)
	}
	if ok, err := r.Active(ctx, "acme"); !ok || err != nil {
		t.Errorf("Active = %v, %v", ok, err)
	}
	if ok, err := r.Active(ctx, "nobody"); ok || err != nil {
		t.Errorf("Active(unknown) = %v, %v", ok, err)
	}

	if err := r.Revoke(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if err := r.Revoke(ctx, "acme"); err != nil {
		t.Fatalf("second Revoke = %v", err)
	}
	if err := r.Revoke(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Revoke(unknown) = %v", err)
	}
	if _, err := r.Authenticate(ctx, key); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("Authenticate(revoked) = %v", err)
	}
	if ok, _ := r.Active(ctx, "acme"); ok {
		t.Error("revoked party still active")
	}
	if _, err := r.Add(ctx, "acme", api.RoleAdvertiser); !errors.Is(err, ErrExists) {
		t.Errorf("name reuse after revocation = %v", err)
	}
	list, err := r.List(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "acme" || list[0].RevokedAt.IsZero() || !list[1].RevokedAt.IsZero() {
		t.Errorf("List = %+v, %v", list, err)
	}
}

func TestAuthenticateRejects(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t)
	key, err := r.Add(ctx, "acme", api.RoleAdvertiser)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := auth.GenerateAPIKey(rand.Reader)
	flipped := []byte(key)
	flipped[10] ^= 0x01
	for name, k := range map[string]string{
		"empty":        "",
		"unknown":      other.Reveal(),
		"flipped":      string(flipped),
		"no prefix":    strings.TrimPrefix(key, auth.APIKeyPrefix),
		"trailing":     key + "=",
		"space":        " " + key,
		"uppercase":    strings.ToUpper(key),
		"hash as key":  strings.Repeat("a", 64),
		"truncated":    key[:len(key)-1],
		"sql-ish":      "' OR 1=1 --",
		"prefix only":  auth.APIKeyPrefix,
		"long garbage": auth.APIKeyPrefix + strings.Repeat("A", 1000),
	} {
		p, err := r.Authenticate(ctx, k)
		if !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("%s: Authenticate = %+v, %v", name, p, err)
		}
		if err != nil && strings.Contains(err.Error(), k) && k != "" {
			t.Errorf("%s: error echoes the key", name)
		}
	}
}

func TestAddFailsOnBrokenRandom(t *testing.T) {
	r := newRegistry(t)
	r.rand = bytes.NewReader(nil)
	if _, err := r.Add(context.Background(), "acme", api.RoleAdvertiser); err == nil {
		t.Fatal("Add succeeded without randomness")
	}
	if ok, _ := r.Active(context.Background(), "acme"); ok {
		t.Fatal("party stored although key generation failed")
	}
}

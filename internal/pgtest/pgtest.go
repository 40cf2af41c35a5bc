// Package pgtest gives a test its own empty schema of the PostgreSQL
// server that BLINDJOIN_TEST_POSTGRES names (.ci/run starts one), so that
// tests running at once never see each other's rows. Only tests import
// it; it is the one place besides cleanroom/store/pgstore that talks to
// PostgreSQL directly, to create and drop the schemas.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Var is the environment variable naming the test server's database.
const Var = "BLINDJOIN_TEST_POSTGRES"

// Schema creates a schema named prefix plus a random suffix, drops it when
// the test ends, and returns a connection URL whose connections use it
// (search_path), with the schema's name. It skips the test when Var is
// unset, naming what is missing.
func Schema(t testing.TB, prefix string) (dsn, schema string) {
	t.Helper()
	base := os.Getenv(Var)
	if base == "" {
		t.Skip(Var + " is not set: no PostgreSQL to test against (.ci/run starts one)")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connecting to %s: %v", Var, err)
	}
	defer admin.Close(ctx)
	var b [8]byte
	rand.Read(b[:])
	schema = prefix + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Error(err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", Var, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}

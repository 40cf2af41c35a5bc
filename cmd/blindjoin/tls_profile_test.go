package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/internal/roomtest"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key,
// PEM, into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "blindjoin test clean room"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certFile, keyFile
}

// TestTLSAndProfiles serves the API over HTTPS with a self-signed
// certificate, logs in with the certificate as the trusted authority, and
// runs commands through the saved profile; flags and variables still win.
func TestTLSAndProfiles(t *testing.T) {
	certFile, keyFile := selfSigned(t, t.TempDir())
	if _, err := operator.Start(context.Background(), operator.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", TLSCertFile: certFile, Logger: slog.New(slog.DiscardHandler)}); !errors.Is(err, operator.ErrTLSFiles) {
		t.Fatalf("a certificate without its key: %v, want ErrTLSFiles", err)
	}
	room := roomtest.Start(t, roomtest.Options{TLSCertFile: certFile, TLSKeyFile: keyFile})
	if !strings.HasPrefix(room.URL, "https://") {
		t.Fatalf("URL %s, want https", room.URL)
	}
	key := room.AddParty(t, "acme", api.RoleAdvertiser)

	config := t.TempDir()
	env := map[string]string{"XDG_CONFIG_HOME": config}
	// The system's authorities do not trust the certificate.
	if _, errOut, code := runWithEnv(map[string]string{"BLINDJOIN_API_KEY": key}, "session", "list", "--server", room.URL); code != exitFail || !strings.Contains(errOut, "certificate") {
		t.Fatalf("untrusted certificate: exit %d, stderr %q", code, errOut)
	}
	// login reads the key on stdin, checks it, and saves the profile 0600.
	var out, errOut strings.Builder
	code := run([]string{"login", "--server", room.URL, "--ca-file", certFile}, stdio{in: strings.NewReader(key + "\n"), out: &out, err: &errOut, ctx: context.Background(), env: func(n string) (string, bool) { v, ok := env[n]; return v, ok }})
	if code != exitOK || !strings.Contains(out.String(), `profile "default": acme (advertiser) at `+room.URL) || strings.Contains(out.String()+errOut.String(), key) {
		t.Fatalf("login: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	path := filepath.Join(config, "blindjoin", "profiles.json")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("profile file: %v, mode %v; want 0600", err, fi)
	}
	// Every command uses the profile: no flag, no variable.
	if out, errOut, code := runWithEnv(env, "session", "list"); code != exitOK || !strings.Contains(out, "no sessions") {
		t.Fatalf("session list through the profile: exit %d\n%s%s", code, out, errOut)
	}
	// A named profile that does not exist is an error that says how to make it.
	if _, errOut, code := runWithEnv(env, "session", "list", "--profile", "staging"); code != exitUsage || !strings.Contains(errOut, `no profile "staging"`) || !strings.Contains(errOut, "blindjoin login --profile staging") {
		t.Fatalf("missing profile: exit %d, stderr %q", code, errOut)
	}
	// The environment wins over the profile: a wrong key is refused.
	env["BLINDJOIN_API_KEY"] = "bjk_not-a-key"
	if _, errOut, code := runWithEnv(env, "session", "list"); code != exitFail || strings.Contains(errOut, key) {
		t.Fatalf("the variable did not win over the profile: exit %d, stderr %q", code, errOut)
	}
	// login refuses a key the clean room does not accept, and saves nothing.
	if _, errOut, code := runWithEnv(env, "login", "--profile", "bad", "--server", room.URL, "--ca-file", certFile); code != exitFail || !strings.Contains(errOut, "the clean room did not accept the key") {
		t.Fatalf("login with a wrong key: exit %d, stderr %q", code, errOut)
	}
}

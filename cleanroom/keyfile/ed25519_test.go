package keyfile

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// seedReader returns a reader yielding one 32-byte Ed25519 seed filled
// with b, so each test key is known in advance.
func seedReader(b byte) *bytes.Reader {
	return bytes.NewReader(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func TestLoadOrCreateCreatesThenLoads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server.key")

	key, created, err := LoadOrCreateEd25519(path, seedReader(7))
	if err != nil || !created {
		t.Fatalf("first call: created=%v err=%v", created, err)
	}
	want := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	if !key.Equal(want) {
		t.Fatal("created key does not come from the supplied randomness")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %04o, want 0600", fi.Mode().Perm())
	}

	// The file must be standard PKCS #8 PEM, readable without this package.
	data, _ := os.ReadFile(path)
	block, _ := pem.Decode(data)
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil || !want.Equal(parsed) {
		t.Fatalf("file is not the key as PKCS #8: %v", err)
	}

	again, created, err := LoadOrCreateEd25519(path, seedReader(8))
	if err != nil || created {
		t.Fatalf("second call: created=%v err=%v", created, err)
	}
	if !again.Equal(want) {
		t.Fatal("second call did not load the stored key")
	}
}

func TestLoadOrCreateRefusesLoosePermissions(t *testing.T) {
	for _, perm := range []fs.FileMode{0o644, 0o640, 0o604, 0o660, 0o666, 0o601, 0o610} {
		path := filepath.Join(t.TempDir(), "server.key")
		if _, _, err := LoadOrCreateEd25519(path, seedReader(1)); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		if err := os.Chmod(path, perm); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadOrCreateEd25519(path, seedReader(2))
		var pe *PermissionError
		if !errors.As(err, &pe) || !errors.Is(err, ErrInsecurePermissions) {
			t.Fatalf("mode %04o: err = %v, want *PermissionError", perm, err)
		}
		if pe.Path != path || pe.Perm != perm || !strings.Contains(err.Error(), path) {
			t.Errorf("mode %04o: error %q does not name the path and mode", perm, err)
		}
		body := strings.Split(string(data), "\n")[1]
		if strings.Contains(err.Error(), body) {
			t.Errorf("mode %04o: error leaks the key", perm)
		}
		if now, _ := os.ReadFile(path); !bytes.Equal(now, data) {
			t.Errorf("mode %04o: the refused file was modified", perm)
		}
	}
	// Stricter than 0600 is fine.
	path := filepath.Join(t.TempDir(), "server.key")
	if _, _, err := LoadOrCreateEd25519(path, seedReader(1)); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o400)
	if _, _, err := LoadOrCreateEd25519(path, seedReader(2)); err != nil {
		t.Fatalf("mode 0400: %v", err)
	}
}

func TestLoadOrCreateNeverOverwritesACorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server.key")
	corrupt := []byte("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2Vw\n")
	if err := os.WriteFile(path, corrupt, 0o600); err != nil {
		t.Fatal(err)
	}
	_, created, err := LoadOrCreateEd25519(path, seedReader(1))
	if !errors.Is(err, ErrMalformed) || created {
		t.Fatalf("err = %v created = %v, want ErrMalformed", err, created)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the path", err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, corrupt) {
		t.Fatal("corrupt file was replaced")
	}
}

func TestLoadOrCreateMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent", "server.key")
	if _, _, err := LoadOrCreateEd25519(path, seedReader(1)); err == nil {
		t.Fatal("created a key in a directory that does not exist")
	}
}

func TestLoadOrCreateConcurrent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "server.key")
	const n = 16
	keys := make([]ed25519.PrivateKey, n)
	created := make([]bool, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			keys[i], created[i], errs[i] = LoadOrCreateEd25519(path, seedReader(byte(i+1)))
		})
	}
	close(start)
	wg.Wait()

	creators := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if created[i] {
			creators++
		}
		if !keys[i].Equal(keys[0]) {
			t.Fatalf("caller %d got a different key", i)
		}
	}
	if creators != 1 {
		t.Fatalf("%d callers report creating the file, want 1", creators)
	}
	stored, err := loadEd25519(path)
	if err != nil || !stored.Equal(keys[0]) {
		t.Fatalf("stored key differs from the returned one: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %d entries", len(entries))
	}
}

func TestParseOpenSSLKey(t *testing.T) {
	// Written by `openssl genpkey -algorithm ed25519`; the public key is the
	// one `openssl pkey -text` printed for it.
	data, err := os.ReadFile("testdata/openssl-ed25519.pem")
	if err != nil {
		t.Fatal(err)
	}
	key, err := parseEd25519(data)
	if err != nil {
		t.Fatal(err)
	}
	const pub = "13bc59da4b12d26b418c84b4b9ba68d0439601cc074213aedc971f3bf7682f70"
	if got := hex.EncodeToString(key.Public().(ed25519.PublicKey)); got != pub {
		t.Fatalf("public key %s, want %s", got, pub)
	}
}

func TestParseEd25519RejectsHostileFiles(t *testing.T) {
	good, err := encodeEd25519(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(good)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	pubDER, _ := x509.MarshalPKIXPublicKey(ed25519.NewKeyFromSeed(make([]byte, 32)).Public())
	enc := func(typ string, der []byte, headers map[string]string) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: typ, Headers: headers, Bytes: der})
	}
	s := string(good)
	cases := map[string][]byte{
		"empty":               nil,
		"garbage":             []byte("not a key"),
		"raw seed hex":        []byte(strings.Repeat("00", 32)),
		"raw DER":             block.Bytes,
		"truncated":           good[:len(good)/2],
		"no final newline":    good[:len(good)-1],
		"extra final newline": append(bytes.Clone(good), '\n'),
		"CRLF":                []byte(strings.ReplaceAll(s, "\n", "\r\n")),
		"leading text":        append([]byte("key:\n"), good...),
		"trailing text":       append(bytes.Clone(good), "junk\n"...),
		"two blocks":          append(bytes.Clone(good), good...),
		"PEM headers":         enc(pemType, block.Bytes, map[string]string{"Proc-Type": "4,ENCRYPTED"}),
		"wrong PEM type":      enc("ED25519 PRIVATE KEY", block.Bytes, nil),
		"public key":          enc("PUBLIC KEY", pubDER, nil),
		"ECDSA key":           enc(pemType, ecDER, nil),
		"DER trailing byte":   enc(pemType, append(bytes.Clone(block.Bytes), 0), nil),
		"DER short seed":      enc(pemType, block.Bytes[:len(block.Bytes)-1], nil),
		"bad base64":          []byte(strings.Replace(s, "MC4C", "MC!C", 1)),
		"rewrapped base64":    []byte(strings.Replace(s, "MC4C", "MC4C\n", 1)),
	}
	for name, data := range cases {
		if _, err := parseEd25519(data); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func FuzzParseEd25519(f *testing.F) {
	good, _ := encodeEd25519(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	openssl, _ := os.ReadFile("testdata/openssl-ed25519.pem")
	f.Add(good)
	f.Add(openssl)
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"))
	f.Add(bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n")))
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := parseEd25519(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		// The only accepted form is the canonical encoding of the key.
		canonical, err := encodeEd25519(key)
		if err != nil || !bytes.Equal(canonical, data) {
			t.Fatalf("accepted a non-canonical file")
		}
	})
}

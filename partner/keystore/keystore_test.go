package keystore

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func skipOnWindows(t *testing.T) {
	if !checkPerms {
		t.Skip("mode bits are not checked on Windows")
	}
}

func TestLoadOrCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sessions", "cleanroom.example")
	k1, created, err := LoadOrCreate(dir, "0123abcd", rand.Reader)
	if err != nil || !created {
		t.Fatalf("first: created %v, err %v", created, err)
	}
	k2, created, err := LoadOrCreate(dir, "0123abcd", rand.Reader)
	if err != nil || created {
		t.Fatalf("second: created %v, err %v", created, err)
	}
	if !bytes.Equal(k1.Bytes(), k2.Bytes()) {
		t.Fatal("the key changed between runs")
	}
	k3, err := Load(dir, "0123abcd")
	if err != nil || !bytes.Equal(k1.Bytes(), k3.Bytes()) {
		t.Fatalf("Load: %v", err)
	}
	other, _, err := LoadOrCreate(dir, "ffff", rand.Reader)
	if err != nil || bytes.Equal(other.Bytes(), k1.Bytes()) {
		t.Fatalf("another session must get another key (err %v)", err)
	}
	if checkPerms {
		assertMode(t, dir, dirMode)
		assertMode(t, filepath.Join(dir, "0123abcd.key"), fileMode)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func assertMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}

func TestConcurrentCreateAgrees(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	keys := make([][]byte, n)
	created := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k, c, err := LoadOrCreate(dir, "race", rand.Reader)
			if err != nil {
				t.Error(err)
				return
			}
			keys[i], created[i] = k.Bytes(), c
		})
	}
	wg.Wait()
	creators := 0
	for i := range n {
		if created[i] {
			creators++
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("process %d got another key", i)
		}
	}
	if creators != 1 {
		t.Fatalf("%d creators, want 1", creators)
	}
}

func TestLoadMissing(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir, "nope"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("err = %v", err)
	}
	if _, err := Load(filepath.Join(dir, "absent"), "nope"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("missing dir: err = %v", err)
	}
}

func TestRefusesLooseFile(t *testing.T) {
	skipOnWindows(t)
	dir := t.TempDir()
	if _, _, err := LoadOrCreate(dir, "s", rand.Reader); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.key")
	for _, mode := range []fs.FileMode{0o640, 0o604, 0o660, 0o644} {
		os.Chmod(path, mode)
		_, _, err := LoadOrCreate(dir, "s", rand.Reader)
		var pe *PermissionError
		if !errors.As(err, &pe) || !errors.Is(err, ErrInsecure) || pe.Mode.Perm() != mode {
			t.Errorf("mode %v: err = %v", mode, err)
		}
	}
}

func TestRefusesWritableDir(t *testing.T) {
	skipOnWindows(t)
	dir := filepath.Join(t.TempDir(), "d")
	if _, _, err := LoadOrCreate(dir, "s", rand.Reader); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o770)
	if _, err := Load(dir, "s"); !errors.Is(err, ErrInsecure) {
		t.Fatalf("err = %v", err)
	}
	os.Chmod(dir, 0o755) // readable by others is the user's choice
	if _, err := Load(dir, "s"); err != nil {
		t.Fatalf("0755: %v", err)
	}
}

func TestRefusesSymlinkAndDirectory(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "elsewhere.key")
	k, _, _ := LoadOrCreate(t.TempDir(), "x", rand.Reader)
	os.WriteFile(target, k.Bytes(), 0o600)
	if err := os.Symlink(target, filepath.Join(dir, "link.key")); err != nil {
		t.Skip("no symlinks here")
	}
	if _, err := Load(dir, "link"); !errors.Is(err, ErrInsecure) {
		t.Errorf("symlink: err = %v", err)
	}
	os.Mkdir(filepath.Join(dir, "sub.key"), 0o700)
	if _, err := Load(dir, "sub"); !errors.Is(err, ErrInsecure) {
		t.Errorf("directory: err = %v", err)
	}
}

func TestCorruptKey(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"empty": {}, "short": make([]byte, 31), "zero": make([]byte, 32), "long": make([]byte, 33),
		"above order": bytes.Repeat([]byte{0xff}, 32), "huge": make([]byte, 100),
	} {
		path := filepath.Join(dir, "c.key")
		os.Remove(path)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadOrCreate(dir, "c", rand.Reader)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt (and never a new key over it)", name, err)
		}
	}
}

func TestStateAndDelete(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadState(dir, "s"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("no state: err = %v", err)
	}
	for _, data := range []string{`{"v":1}`, `{"v":2,"longer":true}`, `{}`} {
		if err := WriteState(dir, "s", []byte(data)); err != nil {
			t.Fatal(err)
		}
		got, err := ReadState(dir, "s")
		if err != nil || string(got) != data {
			t.Fatalf("state = %q, %v; want %q", got, err, data)
		}
	}
	if checkPerms {
		assertMode(t, filepath.Join(dir, "s.state"), fileMode)
	}
	if err := WriteState(dir, "s", make([]byte, maxState+1)); err == nil {
		t.Fatal("oversized state accepted")
	}
	if _, _, err := LoadOrCreate(dir, "s", rand.Reader); err != nil {
		t.Fatal(err)
	}
	for range 2 { // deleting twice is fine
		if err := Delete(dir, "s"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Load(dir, "s"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("after Delete: %v", err)
	}
	if _, err := ReadState(dir, "s"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after Delete: %v", err)
	}
}

func TestSessionIDs(t *testing.T) {
	dir := t.TempDir()
	for _, id := range []string{"", ".", "..", "../x", "a/b", `a\b`, "a.key", "a b", "é", strings.Repeat("a", 129), "a\x00"} {
		if _, _, err := LoadOrCreate(dir, id, rand.Reader); !errors.Is(err, ErrSessionID) {
			t.Errorf("LoadOrCreate(%q) err = %v", id, err)
		}
		if err := Delete(dir, id); !errors.Is(err, ErrSessionID) {
			t.Errorf("Delete(%q) err = %v", id, err)
		}
	}
	if _, _, err := LoadOrCreate(dir, "9f86d081884c7d659a2feaa0c55ad015", rand.Reader); err != nil {
		t.Errorf("a server id: %v", err)
	}
}

func TestDir(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/cfg")
	t.Setenv("HOME", "/home/u")
	for host, want := range map[string]string{
		"cleanroom.example":      "cleanroom.example",
		"cleanroom.example:8443": "cleanroom.example_8443",
		"[::1]:8080":             "___1__8080",
		"../../etc":              ".._.._etc",
	} {
		got, err := Dir(host)
		if err != nil || filepath.Base(got) != want || !strings.Contains(got, filepath.Join("blindjoin", "sessions")) {
			t.Errorf("Dir(%q) = %q, %v", host, got, err)
		}
	}
	for _, host := range []string{"", "..", "."} {
		if _, err := Dir(host); err == nil {
			t.Errorf("Dir(%q) accepted", host)
		}
	}
}

func TestRandomFailure(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := LoadOrCreate(dir, "s", bytes.NewReader(nil)); err == nil {
		t.Fatal("a failing random source gave a key")
	}
	if _, err := Load(dir, "s"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("a failed creation left a key: %v", err)
	}
}

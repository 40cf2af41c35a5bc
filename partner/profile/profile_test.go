package profile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestSaveIsPrivateAndKeepsOthers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blindjoin", fileName)
	if err := Save(path, "a", Profile{Server: "https://a", APIKey: "ka"}); err != nil {
		t.Fatal(err)
	}
	if err := Save(path, "b", Profile{Server: "https://b", APIKey: "kb"}); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("profile file mode: %v %v, want 0600", info.Mode(), err)
	}
	pf, err := Read(path)
	if err != nil || len(pf.Profiles) != 2 || pf.Profiles["a"].APIKey != "ka" {
		t.Fatalf("Read = %+v, %v", pf, err)
	}
}

func TestReadDoesNotQuoteABrokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), fileName)
	os.WriteFile(path, []byte(`{"profiles":{"x":{"api_key":"bjk_secret"`), 0o600)
	if _, err := Read(path); err == nil || strings.Contains(err.Error(), "bjk_secret") {
		t.Fatalf("Read of a broken file = %v", err)
	}
}

// The order is flag, then environment, then profile; each setting on its own.
func TestResolveOrder(t *testing.T) {
	cfg := t.TempDir()
	path, _ := Path(envOf(map[string]string{"XDG_CONFIG_HOME": cfg}))
	if err := Save(path, Default, Profile{Server: "https://profile", APIKey: "kprofile", CAFile: "profile.pem"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"XDG_CONFIG_HOME": cfg, EnvAPIKey: "kenv"}
	got, err := Resolve(Profile{Server: "https://flag"}, "", envOf(env))
	want := Profile{Server: "https://flag", APIKey: "kenv", CAFile: "profile.pem"}
	if err != nil || got != want {
		t.Fatalf("Resolve = %+v, %v; want %+v", got, err, want)
	}
	if _, err := Resolve(Profile{}, "missing", envOf(env)); err == nil || !strings.Contains(err.Error(), `no profile "missing"`) {
		t.Fatalf("a named profile that does not exist: %v", err)
	}
	env[EnvName] = "missing"
	if _, err := Resolve(Profile{}, "", envOf(env)); err == nil {
		t.Fatal("a profile named by the environment that does not exist is not an error")
	}
	empty := map[string]string{"XDG_CONFIG_HOME": t.TempDir()}
	if _, err := Resolve(Profile{Server: "https://flag"}, "", envOf(empty)); err == nil || !strings.Contains(err.Error(), "API key are needed") {
		t.Fatalf("no key anywhere: %v", err)
	}
}

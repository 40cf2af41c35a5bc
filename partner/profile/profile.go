// Package profile stores and finds a party's connection settings: a clean
// room's address, this party's API key there and the authorities to
// trust, saved by `blindjoin login` under a name, so that other commands
// need neither flag nor variable.
//
// The file holds API keys: it is 0600 in a 0700 directory, written
// atomically, and its content is never quoted in an error.
package profile

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/blindjoin/blindjoin/internal/atomicfile"
)

// Profile is one clean room's address and this party's key there.
type Profile struct {
	Server string `json:"server"`
	APIKey string `json:"api_key"`
	CAFile string `json:"ca_file,omitempty"`
}

// File is the profile file's content: profiles by name.
type File struct {
	Profiles map[string]Profile `json:"profiles"`
}

// Names and environment variables of the resolution order.
const (
	Default   = "default"           // the profile used when none is named
	EnvName   = "BLINDJOIN_PROFILE" // names the profile when --profile does not
	EnvServer = "BLINDJOIN_SERVER"
	EnvAPIKey = "BLINDJOIN_API_KEY"
	EnvCAFile = "BLINDJOIN_CA_FILE"
	fileName  = "profiles.json"
)

// Path is the profile file: blindjoin/profiles.json in the user's
// configuration directory ($XDG_CONFIG_HOME, else os.UserConfigDir).
// getenv is os.Getenv, or a test's environment.
func Path(getenv func(string) string) (string, error) {
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		var err error
		if dir, err = os.UserConfigDir(); err != nil {
			return "", fmt.Errorf("profiles: %w", err)
		}
	}
	return filepath.Join(dir, "blindjoin", fileName), nil
}

// Read reads the profile file at path; a missing file is no profiles.
func Read(path string) (File, error) {
	pf := File{Profiles: map[string]Profile{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return pf, nil
	}
	if err != nil {
		return pf, fmt.Errorf("profiles: %w", err)
	}
	if err := json.Unmarshal(data, &pf); err != nil {
		// The file holds keys: the JSON error, which may quote it, is not
		// repeated.
		return pf, fmt.Errorf("profiles: %s is not a valid profile file", path)
	}
	if pf.Profiles == nil {
		pf.Profiles = map[string]Profile{}
	}
	return pf, nil
}

// Save stores p as profile name in the file at path, keeping the others.
func Save(path, name string, p Profile) error {
	pf, err := Read(path)
	if err != nil {
		return err
	}
	pf.Profiles[name] = p
	data, err := json.MarshalIndent(pf, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(data, '\n'), 0o600)
}

// Lookup returns the profile name (else $BLINDJOIN_PROFILE, else
// "default"); ok is false when it does not exist. Naming a profile that
// does not exist is an error; the default one may be absent.
func Lookup(getenv func(string) string, name string) (Profile, bool, error) {
	explicitName := name != ""
	if name == "" {
		name = getenv(EnvName)
		explicitName = name != ""
	}
	if name == "" {
		name = Default
	}
	path, err := Path(getenv)
	if err != nil {
		return Profile{}, false, err
	}
	pf, err := Read(path)
	if err != nil {
		return Profile{}, false, err
	}
	p, ok := pf.Profiles[name]
	if !ok && explicitName {
		return p, false, fmt.Errorf("no profile %q in %s: run `blindjoin login --profile %s --server URL`", name, path, name)
	}
	return p, ok, nil
}

// Resolve completes the settings given as flags: each one from its flag,
// else its environment variable, else the profile name (see Lookup). The
// address and the key are required.
func Resolve(flags Profile, name string, getenv func(string) string) (Profile, error) {
	p := flags
	for _, v := range []struct {
		field *string
		env   string
	}{{&p.Server, EnvServer}, {&p.APIKey, EnvAPIKey}, {&p.CAFile, EnvCAFile}} {
		if *v.field == "" {
			*v.field = getenv(v.env)
		}
	}
	saved, found, err := Lookup(getenv, name)
	if err != nil {
		return Profile{}, err
	}
	if found {
		p.Server, p.APIKey, p.CAFile = cmp.Or(p.Server, saved.Server), cmp.Or(p.APIKey, saved.APIKey), cmp.Or(p.CAFile, saved.CAFile)
	}
	if p.Server == "" || p.APIKey == "" {
		return Profile{}, fmt.Errorf("the clean room's address and this party's API key are needed: --server and --api-key, %s and %s, or a profile saved by `blindjoin login`", EnvServer, EnvAPIKey)
	}
	return p, nil
}

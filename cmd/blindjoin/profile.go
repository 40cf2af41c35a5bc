package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/blindjoin/blindjoin/internal/atomicfile"
	"github.com/blindjoin/blindjoin/partner/client"
)

// A profile is a clean room's address and this party's API key there,
// stored by `blindjoin login` so that other commands need neither flag
// nor variable. The file holds API keys: it is 0600 in a 0700 directory,
// and its content is never printed or logged.
type profile struct {
	Server string `json:"server"`
	APIKey string `json:"api_key"`
	CAFile string `json:"ca_file,omitempty"`
}

type profileFile struct {
	Profiles map[string]profile `json:"profiles"`
}

const (
	defaultProfile = "default"
	envProfile     = "BLINDJOIN_PROFILE"
	profilesName   = "profiles.json"
)

// profilesPath is the profile file: blindjoin/profiles.json in the user's
// configuration directory ($XDG_CONFIG_HOME, else os.UserConfigDir).
func profilesPath(std stdio) (string, error) {
	dir := std.getenv("XDG_CONFIG_HOME")
	if dir == "" {
		var err error
		if dir, err = os.UserConfigDir(); err != nil {
			return "", fmt.Errorf("profiles: %w", err)
		}
	}
	return filepath.Join(dir, "blindjoin", profilesName), nil
}

// readProfiles reads the profile file; a missing file is no profiles.
func readProfiles(path string) (profileFile, error) {
	pf := profileFile{Profiles: map[string]profile{}}
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
		pf.Profiles = map[string]profile{}
	}
	return pf, nil
}

// lookupProfile returns the profile name (--profile, $BLINDJOIN_PROFILE,
// or "default"); ok is false when it does not exist. Naming a profile
// that does not exist is an error; the default one may be absent.
func lookupProfile(std stdio, name string) (profile, bool, error) {
	explicitName := name != ""
	if name == "" {
		name = std.getenv(envProfile)
		explicitName = name != ""
	}
	if name == "" {
		name = defaultProfile
	}
	path, err := profilesPath(std)
	if err != nil {
		return profile{}, false, err
	}
	pf, err := readProfiles(path)
	if err != nil {
		return profile{}, false, err
	}
	p, ok := pf.Profiles[name]
	if !ok && explicitName {
		return p, false, fmt.Errorf("no profile %q in %s: run `blindjoin login --profile %s --server URL`", name, path, name)
	}
	return p, ok, nil
}

func runLogin(args []string, std stdio) int {
	fs := newFlags("login", std)
	name := fs.String("profile", defaultProfile, "profile `name`")
	server := fs.String("server", "", "clean room `URL` (required)")
	caFile := fs.String("ca-file", "", "PEM `file` of the certificate authorities to trust for this server (default: the system's)")
	pos, code, ok := parseOrUsage(fs, args)
	if !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(std.err, "blindjoin login: "+format+"\n", a...)
		return code
	}
	if len(pos) != 0 || *server == "" || *name == "" {
		return fail(exitUsage, "usage: blindjoin login [--profile NAME] --server URL [--ca-file FILE], the API key on stdin or in $%s", envAPIKey)
	}
	key := std.getenv(envAPIKey)
	if key == "" {
		line, err := bufio.NewReader(std.in).ReadString('\n')
		if err != nil && line == "" {
			return fail(exitUsage, "no API key: give it on stdin (one line) or in $%s", envAPIKey)
		}
		key = strings.TrimSpace(line)
	}
	p := profile{Server: *server, APIKey: key, CAFile: *caFile}
	c, err := newClient(std, p)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	ctx, stop := std.interruptible()
	defer stop()
	// Check the key before storing it: a typo found now is cheaper.
	id, err := c.Identity(ctx)
	if err != nil && !errors.Is(err, client.ErrNoIdentity) {
		return fail(exitFail, "the clean room did not accept the key: %v", err)
	}
	path, err := profilesPath(std)
	if err != nil {
		return fail(exitFail, "%v", err)
	}
	pf, err := readProfiles(path)
	if err != nil {
		return fail(exitFail, "%v", err)
	}
	pf.Profiles[*name] = p
	data, err := json.MarshalIndent(pf, "", "  ")
	if err == nil {
		if err = os.MkdirAll(filepath.Dir(path), 0o700); err == nil {
			err = atomicfile.WriteFile(path, append(data, '\n'), 0o600)
		}
	}
	if err != nil {
		return fail(exitFail, "saving the profile: %v", err)
	}
	who := "this party"
	if id.Party != "" {
		who = fmt.Sprintf("%s (%s)", id.Party, id.Role)
	}
	fmt.Fprintf(std.out, "profile %q: %s at %s, saved in %s\n", *name, who, *server, path)
	return exitOK
}

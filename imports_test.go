// Package blindjoin's root holds no code, only this test, which enforces the
// import rules of DESIGN.md section 6 on the whole module.
package blindjoin

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/blindjoin/blindjoin"

type listedPackage struct {
	ImportPath string
	Imports    []string // direct imports of non-test files
	Deps       []string // transitive imports of non-test files
	Standard   bool
}

func listPackages(t *testing.T) []listedPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-e", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages; is the test running at the module root?", len(pkgs))
	}
	return pkgs
}

func under(path, dir string) bool {
	full := module + "/" + dir
	return path == full || strings.HasPrefix(path, full+"/")
}

func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// protocolAllowed lists the only third-party modules protocol may import.
var protocolAllowed = []string{
	"golang.org/x/crypto",
	"github.com/cloudflare/circl",
	"github.com/gtank/ristretto255",
	"filippo.io/edwards25519",
	"github.com/nyaruka/phonenumbers", // phone normalization (protocol/identifier)
	// Unicode NFC of e-mail addresses before hashing (protocol/identifier):
	// composed and decomposed spellings of one address must give one
	// digest. Only this table package: pure functions, no I/O. (phonenumbers
	// already depends on golang.org/x/text.)
	"golang.org/x/text/unicode/norm",
}

// protocolAllowedIn lists third-party packages that one protocol package
// alone may import, beyond protocolAllowed.
var protocolAllowedIn = map[string]string{
	// CPU feature detection for the AVX-512 IFMA backend: read-only facts
	// of the machine, no I/O.
	"golang.org/x/sys/cpu": "protocol/blind",
}

// protocolNoIO lists standard packages that would give protocol I/O, logging
// or network access. log/slog is absent on purpose: types holding secrets
// implement slog.LogValuer to redact themselves, which needs the import but
// logs nothing.
var protocolNoIO = []string{"os", "os/exec", "net", "net/http", "log", "io/fs", "io/ioutil", "syscall"}

// sharedLeaves lists the packages under internal/ that both cleanroom and
// partner may import: mechanisms that are not protocol (they do I/O) but
// that neither side should copy. They import only std, so the layers stay
// apart.
var sharedLeaves = []string{"internal/atomicfile", "internal/radix", "internal/spill", "internal/websec"}

func sharedLeaf(path string) bool {
	for _, leaf := range sharedLeaves {
		if path == module+"/"+leaf {
			return true
		}
	}
	return false
}

// exclusive maps a third-party import to the only packages allowed to
// import it directly.
var exclusive = map[string][]string{
	"github.com/gin-gonic/gin":            {"cleanroom/httpapi"},
	"github.com/prometheus/client_golang": {"cleanroom/httpapi"},
	"github.com/golang-jwt/jwt/v5":        {"cleanroom/auth"},
	"modernc.org/sqlite":                  {"cleanroom/store/sqlitestore"},
	// internal/pgtest makes the tests' fresh schemas; only tests import it.
	"github.com/jackc/pgx/v5":      {"cleanroom/store/pgstore", "internal/pgtest"},
	"github.com/minio/minio-go/v7": {"cleanroom/blobs/s3blobs"},
}

func TestImportRules(t *testing.T) {
	for _, p := range listPackages(t) {
		switch {
		case under(p.ImportPath, "protocol"):
			for _, imp := range p.Imports {
				if under(imp, "protocol") || isStd(imp) && !slices.Contains(protocolNoIO, imp) {
					continue
				}
				if isStd(imp) {
					t.Errorf("%s imports %s: protocol does no I/O or logging", p.ImportPath, imp)
					continue
				}
				if owner, ok := protocolAllowedIn[imp]; ok && p.ImportPath == module+"/"+owner {
					continue
				}
				if !hasPrefixIn(imp, protocolAllowed) {
					t.Errorf("%s imports %s: protocol may import only std and the modules of protocolAllowed", p.ImportPath, imp)
				}
			}
			for _, dep := range p.Deps {
				if under(dep, "cleanroom") || under(dep, "partner") || under(dep, "cmd") || under(dep, "internal") {
					t.Errorf("%s depends on %s: protocol is the bottom layer", p.ImportPath, dep)
				}
			}
		case under(p.ImportPath, "partner"):
			for _, dep := range p.Deps {
				if under(dep, "cleanroom") || under(dep, "cmd") || under(dep, "internal") && !sharedLeaf(dep) {
					t.Errorf("%s depends on %s: partner builds only on protocol and %v", p.ImportPath, dep, sharedLeaves)
				}
			}
		case under(p.ImportPath, "cleanroom"):
			for _, dep := range p.Deps {
				if under(dep, "partner") || under(dep, "cmd") || under(dep, "internal") && !sharedLeaf(dep) {
					t.Errorf("%s depends on %s: cleanroom builds only on protocol and %v", p.ImportPath, dep, sharedLeaves)
				}
			}
		case sharedLeaf(p.ImportPath):
			for _, imp := range p.Imports {
				if !isStd(imp) {
					t.Errorf("%s imports %s: a leaf that cleanroom and partner share imports only std", p.ImportPath, imp)
				}
			}
		}
		for _, imp := range p.Imports {
			for lib, owners := range exclusive {
				if (imp == lib || strings.HasPrefix(imp, lib+"/")) && !slices.Contains(owners, strings.TrimPrefix(p.ImportPath, module+"/")) {
					t.Errorf("%s imports %s: only %v may", p.ImportPath, imp, owners)
				}
			}
			if under(imp, "cmd") {
				t.Errorf("%s imports %s: binaries are never imported", p.ImportPath, imp)
			}
		}
	}
}

func hasPrefixIn(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

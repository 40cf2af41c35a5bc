package attacks

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// The crash tests run the real binary, built once per test run into a
// temporary directory: "go build" from the module root that "go env GOMOD"
// names.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// buildBinary builds cmd/blindjoind; safe to call from several goroutines.
func buildBinary() (string, error) {
	binOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			binErr = err
			return
		}
		root := filepath.Dir(strings.TrimSpace(string(out)))
		if binDir, binErr = os.MkdirTemp("", "blindjoind-bin-*"); binErr != nil {
			return
		}
		path := filepath.Join(binDir, "blindjoind")
		cmd := exec.Command("go", "build", "-o", path, "./cmd/blindjoind")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = &buildError{err: err, out: string(out)}
			return
		}
		binPath = path
	})
	return binPath, binErr
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string {
	return "go build ./cmd/blindjoind: " + e.err.Error() + "\n" + e.out
}

// removeBinary deletes the built binary, if any.
func removeBinary() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}

// crashTestsWanted reports whether this run will get to the crash tests,
// so that TestMain builds the binary early only when it is needed.
func crashTestsWanted() bool {
	if testing.Short() {
		return false
	}
	f := flag.Lookup("test.run")
	if f == nil || f.Value.String() == "" {
		return true
	}
	top, _, _ := strings.Cut(f.Value.String(), "/")
	re, err := regexp.Compile(top)
	return err == nil && re.MatchString("TestAttackCrash")
}

//go:build unix && !aix && !solaris

package flow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/blindjoin/blindjoin/internal/childtest"
	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// scratchProcessEnv names the output directory (empty: none, as for
// check) in which the test binary, started again by killOneOfTwo, makes
// its scratch directory.
const scratchProcessEnv = "BLINDJOIN_SCRATCH_TEST_PARENT"

// scratchContent stands for the digests a run's scratch file holds.
var scratchContent = []byte("sixteen bytes of a digest, and more")

// TestScratchProcess is not a test: it is the body of the process that
// killOneOfTwo starts. It makes a run's scratch directory as a run does
// (newScratch) and a file in it, holds them (childtest.Hold) until the
// test lets it finish, then exits 0 only if the file reads back as it
// was written.
func TestScratchProcess(t *testing.T) {
	parent, ok := os.LookupEnv(scratchProcessEnv)
	if !ok {
		t.Skip("the body of the process killOneOfTwo starts")
	}
	s, err := newScratch(parent)
	if err != nil {
		childtest.Fail(err)
	}
	f, err := s.create("rows")
	if err == nil {
		_, err = f.Write(scratchContent)
	}
	if err != nil {
		childtest.Fail(err)
	}
	childtest.Hold(s.Path(), func() error {
		if got, err := os.ReadFile(f.Name()); err != nil || !bytes.Equal(got, scratchContent) {
			return fmt.Errorf("the scratch file did not read back (%v)", err)
		}
		return s.Remove()
	})
}

// killOneOfTwo starts the test binary again twice as TestScratchProcess,
// each with a scratch directory in outDir (the system's temporary
// directory if empty), and kills one with SIGKILL, which leaves its
// directory behind. A child's Made is its directory.
func killOneOfTwo(t *testing.T, outDir string) (dead, live *childtest.Child) {
	t.Helper()
	dead = childtest.Start(t, "TestScratchProcess", scratchProcessEnv+"="+outDir)
	live = childtest.Start(t, "TestScratchProcess", scratchProcessEnv+"="+outDir)
	dead.Kill(t)
	if _, err := os.Stat(filepath.Join(dead.Made, "rows")); err != nil {
		t.Fatalf("the killed run's scratch directory is not there to remove: %v", err)
	}
	return dead, live
}

// checkSwept asserts that the dead process's scratch directory is gone
// and the live one's whole (the live process reads its file back).
func checkSwept(t *testing.T, dead, live *childtest.Child) {
	t.Helper()
	if _, err := os.Stat(dead.Made); !os.IsNotExist(err) {
		t.Errorf("the killed run's scratch directory is still there (%v)", err)
	}
	if _, err := os.Stat(live.Made); err != nil {
		t.Fatalf("the live run's scratch directory is gone: %v", err)
	}
	live.Finish(t)
}

// TestRunRemovesScratchOfKilledRun: two runs' scratch directories in one
// output directory (a plan's workers share it), one run killed with
// SIGKILL; the next match run there (here refused once it has read its
// input, which needs a scratch directory) removes the dead run's
// directory, with its identifier digests, and leaves the live one's.
func TestRunRemovesScratchOfKilledRun(t *testing.T) {
	e := newEnv(t, `{"min_rows": 100000, "k": 5}`, 0)
	dead, live := killOneOfTwo(t, e.advDir)
	if _, err := Run(context.Background(), e.options(t, api.RoleAdvertiser)); !errors.Is(err, ErrTooFewRows) {
		t.Fatalf("err = %v, want ErrTooFewRows", err)
	}
	checkSwept(t, dead, live)
}

// TestPreflightRemovesScratchOfKilledCheck: check (Preflight) has no
// output directory and makes its scratch directory in the system's
// temporary directory, where the next check removes a killed one's.
func TestPreflightRemovesScratchOfKilledCheck(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	dead, live := killOneOfTwo(t, "")
	if filepath.Dir(dead.Made) != filepath.Clean(os.TempDir()) {
		t.Fatalf("check's scratch directory %s is not in the temporary directory %s", dead.Made, os.TempDir())
	}
	in := writeCSV(t, genAudience(0, 50, true), true)
	o := Options{Input: in, Columns: csvin.Columns{ID: "email", Segments: "segments", Consent: "tcf"}}
	if _, _, err := Preflight(context.Background(), o, Plan{}); err != nil {
		t.Fatal(err)
	}
	checkSwept(t, dead, live)
}

//go:build unix && !aix && !solaris

package spill

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/blindjoin/blindjoin/internal/childtest"
)

// spillProcessEnv names the parent directory in which the test binary,
// started again by startSpillProcess, makes its spill.
const spillProcessEnv = "BLINDJOIN_SPILL_TEST_PARENT"

// TestSpillProcess is not a test: it is the body of the process that
// startSpillProcess starts. It makes and finishes a spill, holds it
// (childtest.Hold) until the test lets it finish, then exits 0 only if
// every bucket reads back as it was written.
func TestSpillProcess(t *testing.T) {
	parent := os.Getenv(spillProcessEnv)
	if parent == "" {
		t.Skip("the body of the process startSpillProcess starts")
	}
	const buckets, size = 4, 8
	w, err := Create(parent, buckets, size, 1<<10)
	if err != nil {
		childtest.Fail(err)
	}
	for i := range 100 {
		w.Add(i%buckets, bytes.Repeat([]byte{byte(i % buckets)}, size))
	}
	b, err := w.Finish()
	if err != nil {
		childtest.Fail(err)
	}
	childtest.Hold(b.dir, func() error {
		for k := range buckets {
			got, err := b.Read(k, nil)
			if err != nil || !bytes.Equal(got, bytes.Repeat([]byte{byte(k)}, 25*size)) {
				return fmt.Errorf("bucket %d did not read back (%v)", k, err)
			}
		}
		return b.Remove()
	})
}

// startSpillProcess starts the test binary again as TestSpillProcess,
// with its spill under parent, and waits for the spill to be made: the
// child's Made is the spill's directory.
func startSpillProcess(t *testing.T, parent string) *childtest.Child {
	t.Helper()
	return childtest.Start(t, "TestSpillProcess", spillProcessEnv+"="+parent)
}

// TestCreateRemovesSpillOfKilledProcess: two processes spill into one
// scratch directory, one is killed with SIGKILL; the next Create there
// removes the dead one's directory and leaves the live one's whole (it
// reads every bucket back afterwards).
func TestCreateRemovesSpillOfKilledProcess(t *testing.T) {
	parent := t.TempDir()
	dead := startSpillProcess(t, parent)
	live := startSpillProcess(t, parent)
	dead.Kill(t)
	if _, err := os.Stat(dead.Made); err != nil {
		t.Fatalf("the killed process's spill is not there to remove: %v", err)
	}

	w, err := Create(parent, 2, 8, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abandon()
	if _, err := os.Stat(dead.Made); !os.IsNotExist(err) {
		t.Fatalf("the killed process's spill is still there after Create (%v)", err)
	}
	if _, err := os.Stat(live.Made); err != nil {
		t.Fatalf("the live process's spill is gone: %v", err)
	}
	live.Finish(t)
}

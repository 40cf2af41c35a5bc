//go:build unix && !aix && !solaris

package spill

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestSweepRemovesKilledProcessSpillOnly: Sweep called directly says how
// many it removed, and removes nothing while the process lives.
func TestSweepRemovesKilledProcessSpillOnly(t *testing.T) {
	parent := t.TempDir()
	p := startSpillProcess(t, parent)
	if n, err := Sweep(parent); n != 0 || err != nil {
		t.Fatalf("Sweep with the owner alive: %d removed (%v), want 0", n, err)
	}
	p.Kill(t)
	if n, err := Sweep(parent); n != 1 || err != nil {
		t.Fatalf("Sweep after the owner's SIGKILL: %d removed (%v), want 1", n, err)
	}
	if _, err := os.Stat(p.Made); !os.IsNotExist(err) {
		t.Fatalf("the killed process's spill is still there (%v)", err)
	}
}

// TestSweepLeavesThisProcessSpills: a lock is the open file's, not the
// process's, so this process's own sweep cannot take its live spills,
// writing or finished.
func TestSweepLeavesThisProcessSpills(t *testing.T) {
	parent := t.TempDir()
	w, err := Create(parent, 2, 8, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abandon()
	f, err := Create(parent, 2, 8, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	f.Add(1, []byte("12345678"))
	b, err := f.Finish()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Remove()
	if n, err := Sweep(parent); n != 0 || err != nil {
		t.Fatalf("Sweep: %d removed (%v), want 0", n, err)
	}
	if got, err := b.Read(1, nil); err != nil || string(got) != "12345678" {
		t.Fatalf("the finished spill after a sweep: %q (%v)", got, err)
	}
	if err := w.Add(0, []byte("abcdefgh")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Finish(); err != nil {
		t.Fatalf("the spill being written after a sweep: %v", err)
	}
}

// TestSweepUnlockedDirectoriesByAge: a spill directory without a lock
// file (an older version's) is removed once untouched for unlockedAge,
// and not before: its process may be alive.
func TestSweepUnlockedDirectoriesByAge(t *testing.T) {
	parent := t.TempDir()
	young := mkdirWithFile(t, parent, "blindjoin-spill-young")
	old := mkdirWithFile(t, parent, "blindjoin-spill-old")
	past := time.Now().Add(-unlockedAge - time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	if n, err := Sweep(parent); n != 1 || err != nil {
		t.Fatalf("Sweep: %d removed (%v), want 1", n, err)
	}
	if _, err := os.Stat(filepath.Join(young, "0")); err != nil {
		t.Fatalf("a young directory without a lock was touched: %v", err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Fatalf("an old directory without a lock is still there (%v)", err)
	}
}

// TestSweepStaysInParent: entries named like a spill that are a file, a
// symbolic link to a directory (with an unlocked lock file) elsewhere, or
// an old link to an old unlocked directory, and directories of another
// name, are left alone, and so is whatever the links point to.
func TestSweepStaysInParent(t *testing.T) {
	parent, elsewhere := t.TempDir(), t.TempDir()
	target := mkdirWithFile(t, elsewhere, "blindjoin-spill-target")
	if err := os.WriteFile(filepath.Join(target, lockName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	oldTarget := mkdirWithFile(t, elsewhere, "old")
	other := mkdirWithFile(t, parent, "other-spill")
	if err := os.WriteFile(filepath.Join(other, lockName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-unlockedAge - time.Hour)
	for _, p := range []string{oldTarget, other} {
		if err := os.Chtimes(p, past, past); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{"blindjoin-spill-link": target, "blindjoin-spill-oldlink": oldTarget}
	for name, to := range links {
		if err := os.Symlink(to, filepath.Join(parent, name)); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(parent, "blindjoin-spill-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := Sweep(parent); n != 0 || err != nil {
		t.Fatalf("Sweep: %d removed (%v), want 0", n, err)
	}
	for _, p := range []string{filepath.Join(target, "0"), filepath.Join(target, lockName), filepath.Join(oldTarget, "0"), filepath.Join(other, "0"), file} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for name := range links {
		if _, err := os.Lstat(filepath.Join(parent, name)); err != nil {
			t.Errorf("link %s: %v", name, err)
		}
	}
}

// mkdirWithFile makes parent/name with one file, 0, in it.
func mkdirWithFile(t *testing.T, parent, name string) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "0"), []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestConcurrentCreatesAndSweeps: spills made, filled, read back and
// removed in many goroutines while others sweep the same directory: no
// sweep removes or fails on any of them (whatever the moment it looks:
// while a directory is made, locked, written or removed), and nothing
// is left. Run it with -race.
func TestConcurrentCreatesAndSweeps(t *testing.T) {
	parent := t.TempDir()
	const spillers, sweepers, rounds = 8, 4, 25
	done := make(chan struct{})
	var sweeps sync.WaitGroup
	for range sweepers {
		sweeps.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if n, err := Sweep(parent); n != 0 || err != nil {
					t.Errorf("Sweep among live spills: %d removed (%v)", n, err)
					return
				}
			}
		})
	}
	var spills sync.WaitGroup
	for g := range spillers {
		spills.Go(func() {
			for r := range rounds {
				rec := bytes.Repeat([]byte{byte(g), byte(r)}, 4)
				w, err := Create(parent, 3, len(rec), 1<<10)
				if err != nil {
					t.Error(err)
					return
				}
				for k := range 3 {
					w.Add(k, rec)
				}
				b, err := w.Finish()
				if err != nil {
					t.Error(err)
					return
				}
				for k := range 3 {
					if got, err := b.Read(k, nil); err != nil || !bytes.Equal(got, rec) {
						t.Errorf("spill %d.%d bucket %d: %x (%v)", g, r, k, got, err)
					}
				}
				if err := b.Remove(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	spills.Wait()
	close(done)
	sweeps.Wait()
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Fatalf("%d entries left", len(left))
	}
}

// TestSweepPrefixKeepsToItsPrefix: MakeDir sweeps the directories of its
// prefix, not the spills beside them, and a live MakeDir directory
// survives the sweep of its own prefix.
func TestSweepPrefixKeepsToItsPrefix(t *testing.T) {
	parent := t.TempDir()
	const other = ".other-scratch-"
	past := time.Now().Add(-unlockedAge - time.Hour)
	oldSpill := mkdirWithFile(t, parent, dirPrefix+"old")
	oldOther := mkdirWithFile(t, parent, other+"old")
	for _, p := range []string{oldSpill, oldOther} {
		if err := os.Chtimes(p, past, past); err != nil {
			t.Fatal(err)
		}
	}
	live, err := MakeDir(parent, other)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Remove()
	if fi, err := os.Stat(live.Path()); err != nil || fi.Mode().Perm() != 0o700 || filepath.Dir(live.Path()) != parent {
		t.Fatalf("MakeDir made %s (%v, %v), want a 0700 directory of %s", live.Path(), fi, err, parent)
	}

	if _, err := os.Stat(oldOther); !os.IsNotExist(err) {
		t.Errorf("MakeDir left the old directory of its prefix (%v)", err)
	}
	if n, err := SweepPrefix(parent, other); n != 0 || err != nil {
		t.Fatalf("SweepPrefix beside a live directory: %d removed (%v), want 0", n, err)
	}
	if _, err := os.Stat(filepath.Join(oldSpill, "0")); err != nil {
		t.Errorf("a spill was swept with another prefix's directories: %v", err)
	}
	if _, err := os.Stat(filepath.Join(live.Path(), lockName)); err != nil {
		t.Errorf("the live directory lost its lock file: %v", err)
	}
	if n, err := Sweep(parent); n != 1 || err != nil {
		t.Fatalf("Sweep: %d removed (%v), want the old spill", n, err)
	}
	if err := live.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(live.Path()); !os.IsNotExist(err) {
		t.Errorf("Remove left %s (%v)", live.Path(), err)
	}
}

// TestPrefixMustBeAName: a prefix that is empty (it would judge every
// directory of parent), a path or a pattern is refused, and nothing is
// swept or made.
func TestPrefixMustBeAName(t *testing.T) {
	parent := t.TempDir()
	old := mkdirWithFile(t, parent, "unrelated")
	past := time.Now().Add(-unlockedAge - time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"", "sub/x-", "x-*", "*"} {
		if n, err := SweepPrefix(parent, prefix); n != 0 || !errors.Is(err, ErrPrefix) {
			t.Errorf("SweepPrefix(%q): %d removed (%v), want ErrPrefix", prefix, n, err)
		}
		if d, err := MakeDir(parent, prefix); !errors.Is(err, ErrPrefix) {
			t.Errorf("MakeDir(%q): %v (%v), want ErrPrefix", prefix, d, err)
		}
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Errorf("%d entries in parent, want the unrelated directory alone", len(entries))
	}
}

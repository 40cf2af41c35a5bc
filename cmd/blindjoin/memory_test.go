//go:build unix

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestReadMemoryPerRow runs the built binary's `blindjoin check`, which
// reads a file as match does, on 2,000 and on 400,000 rows, and bounds
// what the extra rows cost in peak memory (the process's maximum resident
// set): the digests, attribute bits and duplicate search are spilled to a
// private scratch directory, so a row costs its row number in memory, not
// its 32-byte digest, its bits and a map entry (more than 80 bytes). The
// scratch directory, made in TMPDIR when there is no output directory, is
// gone afterwards.
func TestReadMemoryPerRow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and reads 400,000 rows")
	}
	bin := filepath.Join(t.TempDir(), "blindjoin")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	peak := func(rows int) int64 {
		dir := t.TempDir()
		in := filepath.Join(dir, "in.csv")
		f, err := os.Create(in)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		w.WriteString("email,consent\n")
		for i := range rows {
			fmt.Fprintf(w, "user.%d@example.com,1;3;4;7;9\n", i)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		tmp := filepath.Join(dir, "tmp")
		os.Mkdir(tmp, 0o700)
		cmd := exec.Command(bin, "check", in, "--id-column", "email")
		cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("check: %v\n%s", err, out)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("check left %d entries in TMPDIR", len(left))
		}
		return cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
	}
	small, large := peak(2000), peak(400_000)
	perRow := float64(large-small) / (400_000 - 2000)
	t.Logf("peak RSS %.1f MB at 2,000 rows, %.1f MB at 400,000: %.1f bytes per row", float64(small)/1e6, float64(large)/1e6, perRow)
	if perRow > 24 {
		t.Errorf("reading costs %.1f bytes of peak memory per row, want at most 24", perRow)
	}
}

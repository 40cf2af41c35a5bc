//go:build unix

package keyfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// Lock takes an exclusive advisory lock (flock) on path, creating the file
// with mode 0600 if needed, and blocks until it gets it. Processes that
// read-modify-write a shared secret file (such as the token-signing keyring
// rotated by the CLI while the server runs) hold it around the whole update
// so that no update is lost. The lock goes away with the process, so a
// crash cannot leave it stale.
func Lock(path string) (unlock func() error, err error) {
	f, err := openLockFile(path)
	if err != nil {
		return nil, err
	}
	if err := flock(f, syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("keyfile: lock %s: %w", path, err)
	}
	// Closing the descriptor releases the flock.
	return f.Close, nil
}

// LockOwned takes the exclusive lock on path without waiting, for a
// process that must be the only one of its kind (one server per data
// directory). It writes the process's PID into the file, so that a second
// process that finds the lock held can name the holder: the error is then a
// *LockedError. Like Lock's, the lock goes away with the process; the PID
// left in the file after a crash is only ever read by a process that got
// no lock, that is while a live process holds it and has rewritten it.
func LockOwned(path string) (unlock func() error, err error) {
	f, err := openLockFile(path)
	if err != nil {
		return nil, err
	}
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Path: path, PID: readPID(path)}
		}
		return nil, fmt.Errorf("keyfile: lock %s: %w", path, err)
	}
	if err := writePID(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("keyfile: lock %s: writing the PID: %w", path, err)
	}
	return f.Close, nil
}

func openLockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("keyfile: lock: %w", err)
	}
	return f, nil
}

// flock retries the system call when a signal interrupts it.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}

func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// maxPIDFile bounds what readPID reads of a lock file.
const maxPIDFile = 32

// readPID returns the PID a holder wrote into the lock file, or 0 if there
// is none (the holder has not written it yet, or is an older version).
func readPID(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	buf := make([]byte, maxPIDFile)
	n, _ := f.Read(buf)
	pid, err := strconv.Atoi(string(bytes.TrimSpace(buf[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

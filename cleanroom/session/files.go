package session

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// tempPrefix starts the name of every file being written; New deletes
// leftovers after a crash.
const tempPrefix = ".tmp-"

// createPart writes a part file durably: fill writes the part to a
// temporary file in the session's directory and returns the part's index
// and digest; the data is then synced and the file renamed to its final
// name, which holds the leg, the side, the index and the start of the
// digest. An identical part thus always lands on the same name and a
// different one on another, so a conflicting upload never overwrites a
// recorded file. It returns the path relative to the data directory.
func (s *Service) createPart(id string, leg store.Leg, side api.Role, fill func(w io.Writer) (uint32, [32]byte, error)) (string, error) {
	dir := s.sessionDir(id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("session: part directory: %w", err)
	}
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return "", fmt.Errorf("session: part file: %w", err)
	}
	tmp := f.Name()
	rel, err := func() (string, error) {
		bw := bufio.NewWriterSize(f, 256<<10)
		index, digest, err := fill(bw)
		if err != nil {
			return "", err
		}
		if err := bw.Flush(); err != nil {
			return "", fmt.Errorf("session: part file: %w", err)
		}
		if err := f.Sync(); err != nil {
			return "", fmt.Errorf("session: part file: %w", err)
		}
		return filepath.Join(partsDir, id, fmt.Sprintf("%s-%s-%06d-%s.part", leg, side, index, hex.EncodeToString(digest[:8]))), nil
	}()
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("session: part file: %w", cerr)
	}
	if err == nil {
		if rerr := os.Rename(tmp, filepath.Join(s.dataDir, rel)); rerr != nil {
			err = fmt.Errorf("session: part file: %w", rerr)
		}
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return rel, syncDir(dir)
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("session: sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("session: sync directory: %w", err)
	}
	return nil
}

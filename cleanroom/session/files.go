package session

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/internal/atomicfile"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// createPart writes a part file durably: fill writes the part to a
// temporary file in the session's directory and returns the part's index
// and digest; the data is then synced and the file renamed to its final
// name, which holds the leg, the side, the index and the start of the
// digest. An identical part thus always lands on the same name and a
// different one on another, so a conflicting upload never overwrites a
// recorded file. It returns the path relative to the data directory. A
// temporary file left by a crash is unrecorded, so New deletes it.
func (s *Service) createPart(id string, leg store.Leg, side api.Role, fill func(w io.Writer) (uint32, [32]byte, error)) (string, error) {
	dir := s.sessionDir(id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("session: part directory: %w", err)
	}
	p, err := atomicfile.Create(dir, 0o600)
	if err != nil {
		return "", fmt.Errorf("session: part file: %w", err)
	}
	defer p.Abort()
	bw := bufio.NewWriterSize(p, 256<<10)
	index, digest, err := fill(bw)
	if err != nil {
		return "", err
	}
	if err := bw.Flush(); err != nil {
		return "", fmt.Errorf("session: part file: %w", err)
	}
	rel := filepath.Join(partsDir, id, fmt.Sprintf("%s-%s-%06d-%s.part", leg, side, index, hex.EncodeToString(digest[:8])))
	if err := p.Commit(filepath.Join(s.dataDir, rel)); err != nil {
		return "", fmt.Errorf("session: part file: %w", err)
	}
	return rel, nil
}

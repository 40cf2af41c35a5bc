package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/blindjoin/blindjoin/internal/atomicfile"
)

// Session labels are names this party gives its sessions ("Spring
// campaign × daily-news"), kept on its machine in WorkDir/labels.json: the
// clean room's API has no session name, and a name typed by one party is
// not the other's business. Labels are data: pages escape them like
// everything else.

const labelsFile = "labels.json"

// maxLabel bounds a label, in runes.
const maxLabel = 120

// cleanLabel trims a label and refuses control characters.
func cleanLabel(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len([]rune(s)) > maxLabel {
		return "", fmt.Errorf("a session name has at most %d characters", maxLabel)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", errors.New("a session name cannot hold control characters")
	}
	return s, nil
}

// labels reads the labels by session id; a missing file means none.
func (s *Server) labels() map[string]string {
	out := map[string]string{}
	data, err := os.ReadFile(filepath.Join(s.cfg.WorkDir, labelsFile))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.cfg.Logger.Warn("reading the session labels", "error", err)
		}
		return out
	}
	if err := json.Unmarshal(data, &out); err != nil {
		s.cfg.Logger.Warn("the session labels file is not JSON; labels are not shown", "file", labelsFile)
		return map[string]string{}
	}
	return out
}

// setLabel records a session's label (atomically, 0600).
func (s *Server) setLabel(id, label string) error {
	if label == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.labels()
	all[id] = label
	data, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.cfg.WorkDir, 0o700); err != nil {
		return fmt.Errorf("console: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(s.cfg.WorkDir, labelsFile), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("console: saving the session name: %w", err)
	}
	return nil
}

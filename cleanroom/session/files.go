package session

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/blindjoin/blindjoin/cleanroom/blobs"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// createPart writes a part durably to the blob store: fill writes the part
// to a temporary object in the session's directory and returns the part's
// index and digest; the object is then committed under its final key,
// which holds the leg, the side, the index and the start of the digest. An
// identical part thus always lands on the same key and a different one on
// another, so a conflicting upload never overwrites a recorded part. It
// returns the key (for Dir, the path relative to the data directory). A
// temporary or committed object that no store row names is garbage that
// the blob sweep (SweepBlobs) and the end of the session (removeFiles)
// delete.
func (s *Service) createPart(ctx context.Context, id string, leg store.Leg, side api.Role, fill func(w io.Writer) (uint32, [32]byte, error)) (string, error) {
	p, err := s.blobs.Create(ctx, sessionPrefix(id))
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
	key := path.Join(partsDir, id, fmt.Sprintf("%s-%s-%06d-%s.part", leg, side, index, hex.EncodeToString(digest[:8])))
	if err := p.Commit(ctx, key); err != nil {
		return "", fmt.Errorf("session: part file: %w", err)
	}
	return key, nil
}

// openPart opens a recorded part file.
func (s *Service) openPart(ctx context.Context, p store.Part) (io.ReadCloser, error) {
	f, err := s.blobs.Open(ctx, p.File)
	if err != nil {
		return nil, fmt.Errorf("session: open part file: %w", err)
	}
	return f, nil
}

// sessionPrefix is the key prefix of a session's part files.
func sessionPrefix(id string) string { return partsDir + "/" + id + "/" }

// removeFiles deletes every part file of an ended session, recorded or
// not.
func (s *Service) removeFiles(ctx context.Context, id string) error {
	objects, err := s.blobs.List(ctx, sessionPrefix(id))
	if err != nil {
		return fmt.Errorf("session: delete part files: %w", err)
	}
	var errs []error
	for _, o := range objects {
		errs = append(errs, s.blobs.Delete(ctx, o.Key))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("session: delete part files: %w", err)
	}
	return nil
}

// newDirBlobs is the blob store of a Config without Blobs: part files under
// the data directory, where they have always been.
func newDirBlobs(dataDir string) (blobs.Store, error) {
	return blobs.NewDir(dataDir)
}

package session

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"

	"github.com/blindjoin/blindjoin/cleanroom/internal/spill"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// routing names one routing of a session's join: the files its jobs pass
// to one another in the blob store and the arguments of those jobs. A
// routing is never resumed by another: the router's key lives only in the
// process that routed, so a join routed again (its route job taken over
// from a dead runner) gets a fresh generation, and files of two routings
// never meet.
type routing struct {
	gen    string // hex of genSize random bytes
	shards int    // a power of two, at most maxJoinShards
}

const (
	genSize       = 8
	maxJoinShards = 1 << 20
)

// newRouting draws a routing of shards shards.
func (s *Service) newRouting(shards int) (routing, error) {
	gen := make([]byte, genSize)
	if err := s.readRand(gen); err != nil {
		return routing{}, err
	}
	return routing{gen: hex.EncodeToString(gen), shards: shards}, nil
}

// The arguments of the join's jobs: "GEN/SHARDS" for the combine job,
// "GEN/SHARDS/K" for the job of shard K.
func (r routing) combineArg() string    { return r.gen + "/" + strconv.Itoa(r.shards) }
func (r routing) shardArg(k int) string { return r.combineArg() + "/" + strconv.Itoa(k) }

// parseRouting reads a combine job's argument.
func parseRouting(arg string) (routing, error) {
	gen, shards, ok := strings.Cut(arg, "/")
	n, err := canonicalInt(shards)
	if b, _ := hex.DecodeString(gen); !ok || len(b) != genSize || hex.EncodeToString(b) != gen ||
		err != nil || n < 1 || n > maxJoinShards || bits.OnesCount(uint(n)) != 1 {
		return routing{}, fmt.Errorf("session: join job argument %q: want GEN/SHARDS", arg)
	}
	return routing{gen: gen, shards: n}, nil
}

// parseShardArg reads a shard job's argument.
func parseShardArg(arg string) (routing, int, error) {
	i := strings.LastIndexByte(arg, '/')
	if i < 0 {
		return routing{}, 0, fmt.Errorf("session: join shard job argument %q: want GEN/SHARDS/K", arg)
	}
	r, err := parseRouting(arg[:i])
	if err != nil {
		return routing{}, 0, err
	}
	k, err := canonicalInt(arg[i+1:])
	if err != nil || k >= r.shards {
		return routing{}, 0, fmt.Errorf("session: join shard job argument %q: want GEN/SHARDS/K with K below SHARDS", arg)
	}
	return r, k, nil
}

// canonicalInt parses a non-negative decimal written without sign or
// leading zeros, so that one job has one argument.
func canonicalInt(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || strconv.Itoa(n) != s {
		return 0, fmt.Errorf("%q is not a plain number", s)
	}
	return n, nil
}

// The routing's files lie in the session's part directory, so that the
// end of the session deletes them with its parts (removeFiles) and the
// blob sweep sees them (SweepBlobs spares them while a job of the join is
// queued).
func (r routing) dir(id string) string { return sessionPrefix(id) + joinFilesPrefix + r.gen + "/" }

// shardKey is side's entries of shard k; candidatesKey the candidate
// pairs of round that shard k found; doneKey the marker shard k writes
// once all its candidates are.
func (r routing) shardKey(id string, side api.Role, k int) string {
	return r.dir(id) + fmt.Sprintf("%s-%07d.entries", side, k)
}

func (r routing) candidatesKey(id string, k, round int) string {
	return r.dir(id) + fmt.Sprintf("candidates-%07d-%d.pairs", k, round)
}

func (r routing) doneKey(id string, k int) string { return r.dir(id) + fmt.Sprintf("done-%07d", k) }

// joinFilesPrefix starts the name of a routing's directory.
const joinFilesPrefix = "join-"

// isJoinFile reports whether key is a file of some routing of a session.
func isJoinFile(key string) bool {
	rest, ok := strings.CutPrefix(key, partsDir+"/")
	if !ok {
		return false
	}
	_, name, _ := strings.Cut(rest, "/")
	return strings.HasPrefix(name, joinFilesPrefix) && strings.Contains(name, "/")
}

// A join file is the record count, 8 bytes big-endian, then that many
// records of one size: the count lets its reader allocate once and tell a
// file cut short from a complete one.

// uploadSpill writes each bucket of b to the blob store as a join file
// under key(k), one bucket at a time: a pending object holds a multipart
// buffer (s3blobs), so one at a time is what the memory budget allows.
func (s *Service) uploadSpill(ctx context.Context, dir string, b *spill.Buckets, key func(k int) string) error {
	for k := range b.Count() {
		err := s.putJoinFile(ctx, dir, key(k), b.Len(k), func(w io.Writer) error {
			return b.Each(k, func(rec []byte) error {
				_, err := w.Write(rec)
				return err
			})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// putJoinFile commits a join file of n records that fill writes.
func (s *Service) putJoinFile(ctx context.Context, dir, key string, n uint64, fill func(w io.Writer) error) error {
	p, err := s.blobs.Create(ctx, dir)
	if err != nil {
		return fmt.Errorf("session: join file: %w", err)
	}
	defer p.Abort()
	bw := bufio.NewWriterSize(p, 256<<10)
	bw.Write(binary.BigEndian.AppendUint64(nil, n))
	if err := fill(bw); err != nil {
		return fmt.Errorf("session: join file: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("session: join file: %w", err)
	}
	if err := p.Commit(ctx, key); err != nil {
		return fmt.Errorf("session: join file: %w", err)
	}
	return nil
}

// readJoinFile streams the records of a join file to fn, after passing its
// count to start. A file that is missing, cut short or longer than its
// count is corrupt: only this package writes them.
func (s *Service) readJoinFile(ctx context.Context, key string, size int, start func(n uint64), fn func(rec []byte)) error {
	f, err := s.blobs.Open(ctx, key)
	if err != nil {
		return fmt.Errorf("session: join file: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 256<<10)
	var head [8]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return fmt.Errorf("%w: join file %s: no record count: %v", errCorrupt, key, err)
	}
	n := binary.BigEndian.Uint64(head[:])
	start(n)
	rec := make([]byte, size)
	for i := range n {
		if _, err := io.ReadFull(br, rec); err != nil {
			return fmt.Errorf("%w: join file %s: record %d of %d: %v", errCorrupt, key, i, n, err)
		}
		fn(rec)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: join file %s: data after its %d records", errCorrupt, key, n)
	}
	return nil
}

// shardsDone reports whether every shard of the routing wrote its done
// marker.
func (s *Service) shardsDone(ctx context.Context, id string, r routing) (bool, error) {
	objects, err := s.blobs.List(ctx, r.dir(id)+"done-")
	if err != nil {
		return false, fmt.Errorf("session: join files: %w", err)
	}
	listed := make(map[string]bool, len(objects))
	for _, o := range objects {
		listed[o.Key] = true
	}
	for k := range r.shards {
		if !listed[r.doneKey(id, k)] {
			return false, nil
		}
	}
	return true, nil
}

// removeRouting deletes a routing's files, once its results are committed
// or its session has ended. A failure leaves them to the blob sweep.
func (s *Service) removeRouting(ctx context.Context, id string, r routing) {
	objects, err := s.blobs.List(ctx, r.dir(id))
	if err == nil {
		var errs []error
		for _, o := range objects {
			errs = append(errs, s.blobs.Delete(ctx, o.Key))
		}
		err = errors.Join(errs...)
	}
	if err != nil {
		s.log.WarnContext(ctx, "join files left to the blob sweep", "session", id, "error", err)
	}
}

package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/blindjoin/blindjoin/partner/audit"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// resultsFile is a session's results as the clean room released them, in
// the session's directory: what a run writes (partner/flow), and what the
// console writes the same way (flow.StoreResults) for a computed session
// it shows that no run of it wrote.
const resultsFile = flow.ResultsFile

// figures is what the results page and the comparison show of a
// session's results: the small figures, never the activation records (a
// media partner's may number hundreds of millions).
type figures struct {
	Role         api.Role
	Overlap      *int64
	OverlapByKey api.OverlapRounds
	MatchRate    *string // the caller's own
	Segments     map[string]*int64
	DPEpsilon    *float64
	ComputedAt   time.Time
}

func figuresFrom(res api.Results) figures {
	rate := res.MatchRate.Advertiser
	if res.Role == api.RoleMediaPartner {
		rate = res.MatchRate.MediaPartner
	}
	return figures{Role: res.Role, Overlap: res.Overlap, OverlapByKey: res.OverlapByKey, MatchRate: rate,
		Segments: res.Segments, DPEpsilon: res.DPEpsilon, ComputedAt: res.ComputedAt}
}

// resultsFigures returns the figures of session id's results. A computed
// session's results never change (the transcript commits to them), so
// they cross the network once: into the session's results.json, which
// stays, and whose figures stay in memory (s.results) for the next views
// and comparisons. uploaded is the records this party uploaded to the
// session, which bounds the download.
func (s *Server) resultsFigures(ctx context.Context, id string, uploaded int64) (figures, error) {
	path := filepath.Join(s.sessionDir(id), resultsFile)
	if _, err := os.Stat(path); err != nil {
		// Gone since it was read, or never there: the figures in memory
		// no longer stand beside a file the transcript check can read.
		s.results.forget(id)
	}
	// Other views may be waiting on this load: one that goes away must not
	// fail theirs. The client's own timeouts bound it.
	loadCtx := context.WithoutCancel(ctx)
	return s.results.get(ctx, id, func() (figures, error) {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return s.storeResults(loadCtx, id, uploaded, path)
		}
		fig, err := readFigures(path)
		if err == nil {
			err = s.checkStoredResults(loadCtx, id, path)
		}
		if err == nil {
			return fig, nil
		}
		// A results.json that does not read, or not as the results the
		// transcript commits to (edited, another session's), does not
		// give the page its figures: the transcript check says what is
		// wrong with it, and the figures come from the clean room, read
		// as they arrive, as they did before the console kept them.
		s.cfg.Logger.Warn("results.json does not read or does not open the transcript's commitment; the page shows the clean room's results", "session", id, "error", err)
		res, _, err := s.cfg.Client.Results(loadCtx, id)
		if err != nil {
			return figures{}, err
		}
		return figuresFrom(res), nil
	})
}

// checkStoredResults checks the results.json at path against the
// commitment of session id's transcript, as the page's transcript check
// does, before its figures are kept.
func (s *Server) checkStoredResults(ctx context.Context, id, path string) error {
	raw, err := s.cfg.Client.Transcript(ctx, id)
	if err != nil {
		return err
	}
	t, err := transcript.ParseTranscript(raw)
	if err != nil {
		return err
	}
	_, err = audit.ResultsFile(path, t)
	return err
}

// storeResults downloads session id's results, no larger than what this
// party's upload allows (api.ResultsSizeLimit), to a scratch file beside
// path, reads their figures, and only then puts them at path as a run
// writes them (flow.StoreResults): results that do not read are not kept.
func (s *Server) storeResults(ctx context.Context, id string, uploaded int64, path string) (figures, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return figures{}, fmt.Errorf("console: session directory: %w", err)
	}
	scratch, err := os.CreateTemp(dir, ".results-*")
	if err != nil {
		return figures{}, fmt.Errorf("console: results: %w", err)
	}
	defer os.Remove(scratch.Name())
	defer scratch.Close()
	if _, err := s.cfg.Client.DownloadResults(ctx, id, scratch, api.ResultsSizeLimit(uploaded)); err != nil {
		return figures{}, err
	}
	fig, err := readFiguresFrom(scratch)
	if err != nil {
		return figures{}, err
	}
	if _, err := scratch.Seek(0, io.SeekStart); err != nil {
		return figures{}, fmt.Errorf("console: results: %w", err)
	}
	if err := flow.StoreResults(dir, scratch); err != nil {
		return figures{}, err
	}
	return fig, nil
}

// readFigures reads the figures of the results in path.
func readFigures(path string) (figures, error) {
	f, err := os.Open(path)
	if err != nil {
		return figures{}, err
	}
	defer f.Close()
	return readFiguresFrom(f)
}

// readFiguresFrom reads the figures of the results in f from its start,
// one activation record at a time, keeping none.
func readFiguresFrom(f io.ReadSeeker) (figures, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return figures{}, fmt.Errorf("console: results: %w", err)
	}
	res, err := api.ReadResults(bufio.NewReaderSize(f, 64<<10), func(api.ActivationRecord) error { return nil })
	if err != nil {
		return figures{}, fmt.Errorf("console: results: %w", err)
	}
	return figuresFrom(res), nil
}

// maxFigures bounds the sessions whose figures stay in memory. A page
// shows at most maxCompared+1 sessions; 64 keeps the pages of a few pairs
// without growing with the number of sessions the console has shown.
// One evicted is read again from its results.json, not downloaded.
const maxFigures = 64

// figuresCache holds the figures of the sessions last shown, least
// recently used out first, and shares a load under way, so that two
// views of one session at once read its results once.
type figuresCache struct {
	shown   *lru.Cache[string, figures]
	loading singleflight.Group
}

func newFiguresCache() *figuresCache {
	shown, err := lru.New[string, figures](maxFigures)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &figuresCache{shown: shown}
}

// get returns id's figures, from memory, or by load unless another
// request is loading them, whose outcome it then shares. A failed load
// is not remembered: the next view tries again.
func (c *figuresCache) get(ctx context.Context, id string, load func() (figures, error)) (figures, error) {
	if fig, ok := c.shown.Get(id); ok {
		return fig, nil
	}
	done := c.loading.DoChan(id, func() (any, error) {
		fig, err := load()
		if err == nil {
			c.shown.Add(id, fig)
		}
		return fig, err
	})
	select {
	case r := <-done:
		return r.Val.(figures), r.Err
	case <-ctx.Done():
		return figures{}, ctx.Err()
	}
}

func (c *figuresCache) forget(id string) { c.shown.Remove(id) }

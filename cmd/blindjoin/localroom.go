package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/partner/client"
)

// localRoom is a real clean room (cleanroom/operator.Serve, the code
// `blindjoind serve` runs) listening on a loopback port of this process,
// for `blindjoin demo` and the end-to-end tests. The parties still reach
// it only over HTTP, with their own API keys.
type localRoom struct {
	dir  string // its data directory
	url  string // http://127.0.0.1:PORT
	key  string // transcript public key, hex, as blindjoind logs it at start
	stop context.CancelFunc
	done chan error
}

// startLocalRoom serves a clean room on 127.0.0.1 with data directory
// dir. Its error records go to errLog; the rest of its log is dropped.
func startLocalRoom(ctx context.Context, dir string, errLog io.Writer) (*localRoom, error) {
	ctx, stop := context.WithCancel(ctx)
	r := &localRoom{dir: dir, stop: stop, done: make(chan error, 1)}
	catcher := &keyCatcher{next: slog.NewTextHandler(errLog, &slog.HandlerOptions{Level: slog.LevelError})}
	started := make(chan string, 1)
	go func() {
		r.done <- operator.Serve(ctx, operator.ServeConfig{
			DataDir: dir,
			Addr:    "127.0.0.1:0",
			Logger:  slog.New(catcher),
			Started: func(addr string) { started <- addr },
		})
	}()
	select {
	case addr := <-started:
		r.url = "http://" + addr
	case err := <-r.done:
		stop()
		return nil, fmt.Errorf("starting the clean room: %w", err)
	}
	r.key = catcher.value()
	if r.key == "" {
		r.close()
		return nil, errors.New("the clean room did not log its transcript key")
	}
	return r, nil
}

// addParty registers a party in the data directory dir, as `blindjoind
// party add` does, and returns its API key.
func addParty(ctx context.Context, dir, name, role string) (string, error) {
	var out bytes.Buffer
	if err := operator.AddParty(ctx, dir, name, role, true, &out); err != nil {
		return "", err
	}
	var added struct {
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal(out.Bytes(), &added); err != nil || added.APIKey == "" {
		return "", fmt.Errorf("registering %s: party add printed no API key (%v)", name, err)
	}
	return added.APIKey, nil
}

// client returns a party's own API client.
func (r *localRoom) client(apiKey string) (*client.Client, error) {
	return client.New(client.Config{BaseURL: r.url, APIKey: client.Secret(apiKey), UserAgent: "blindjoin-demo"})
}

// close shuts the clean room down and waits until it has stopped: the
// demo leaves nothing running.
func (r *localRoom) close() error {
	r.stop()
	return <-r.done
}

// keyCatcher is a log handler that remembers the transcript key blindjoind
// logs once at start ("blindjoind serving") and passes on only the records
// next is enabled for.
type keyCatcher struct {
	next slog.Handler
	mu   sync.Mutex
	key  string
}

// transcriptKeyAttr is the attribute of blindjoind's start record that
// holds the transcript public key (cleanroom/operator).
const transcriptKeyAttr = "transcript_public_key"

func (h *keyCatcher) value() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.key
}

func (h *keyCatcher) Enabled(context.Context, slog.Level) bool { return true }

func (h *keyCatcher) Handle(ctx context.Context, rec slog.Record) error {
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == transcriptKeyAttr {
			h.mu.Lock()
			h.key = a.Value.String()
			h.mu.Unlock()
			return false
		}
		return true
	})
	if !h.next.Enabled(ctx, rec.Level) {
		return nil
	}
	return h.next.Handle(ctx, rec)
}

// The start record carries the key itself, not through With: derived
// loggers only need to keep passing records on.
func (h *keyCatcher) WithAttrs(attrs []slog.Attr) slog.Handler { return h.next.WithAttrs(attrs) }
func (h *keyCatcher) WithGroup(name string) slog.Handler       { return h.next.WithGroup(name) }

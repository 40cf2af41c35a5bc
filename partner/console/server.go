package console

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	"github.com/blindjoin/blindjoin/internal/websec"
	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/partner/keystore"
)

//go:embed assets
var assets embed.FS

// Errors of New and Listen.
var (
	ErrConfig       = errors.New("console: invalid config")
	ErrNotLoopback  = errors.New("console: the address is not a loopback address")
	ErrNoCredential = errors.New("console: the clean room's address and this party's API key are needed")
)

// Config configures a console. Client and WorkDir are required.
type Config struct {
	// Client talks to the clean room with this party's credentials.
	Client *client.Client
	// WorkDir receives each session's outputs (WorkDir/<session id>/:
	// summary.json, rejects.csv, results.json, activation.csv) and the
	// labels this party gives its sessions. A computed session shown or
	// compared that no run from here wrote results.json for gets its
	// results.json there too, downloaded once.
	WorkDir string
	// InputDir is the directory whose CSV files the pickers offer; only
	// those can be read. Default: the working directory.
	InputDir string
	// KeyDir holds the session keys. Default: keystore.Dir(Client.Host()).
	KeyDir string
	// ServerKey, if set, is the clean room's published transcript key:
	// the results page then verifies the transcript's signature.
	ServerKey ed25519.PublicKey
	// PollInterval is the flows' wait between two looks at the session,
	// first and longest (zero: the flow's defaults).
	PollInterval time.Duration
	Logger       *slog.Logger // default: discard
	Rand         io.Reader    // the console token; default crypto/rand
}

// Server is one console: its token, its runs and its pages.
type Server struct {
	cfg   Config
	token string // base64url of 32 random bytes
	csrf  string // hex HMAC-SHA256(token, "csrf")
	pages *template.Template

	mu    sync.Mutex
	hosts map[string]bool // Host headers this console answers to
	runs  map[string]*run // by session id
	ctx   context.Context // the runs' context: they stop with Serve

	// results holds the figures of the computed sessions last shown,
	// whose results are read once (resultsFigures).
	results *figuresCache
}

// cookieName holds the console token in the browser.
const cookieName = "blindjoin_console"

// New returns a console with a fresh token.
func New(cfg Config) (*Server, error) {
	if cfg.Client == nil || cfg.WorkDir == "" {
		return nil, fmt.Errorf("%w: a client and a work directory are required", ErrConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.InputDir == "" {
		cfg.InputDir = "."
	}
	if cfg.KeyDir == "" {
		dir, err := keystore.Dir(cfg.Client.Host())
		if err != nil {
			return nil, err
		}
		cfg.KeyDir = dir
	}
	var b [32]byte
	if _, err := io.ReadFull(cfg.Rand, b[:]); err != nil {
		return nil, fmt.Errorf("console: token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	mac := hmac.New(sha256.New, []byte(tok))
	mac.Write([]byte("csrf"))
	pages, err := template.New("").Funcs(funcs).ParseFS(assets, "assets/templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	return &Server{cfg: cfg, token: tok, csrf: hex.EncodeToString(mac.Sum(nil)), pages: pages,
		hosts: map[string]bool{}, runs: map[string]*run{}, ctx: context.Background(), results: newFiguresCache()}, nil
}

// Listen listens on addr, which must be a loopback address (127.0.0.0/8,
// ::1 or localhost) unless allowRemote is set: the console acts with the
// party's credentials for whoever holds its token.
func Listen(addr string, allowRemote bool) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("console: address %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if !allowRemote && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("%w: %s (the console acts with this party's credentials; listen on 127.0.0.1, or allow it explicitly)", ErrNotLoopback, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("console: listen: %w", err)
	}
	return ln, nil
}

// URL returns the address to open in a browser, token included, for a
// console listening at addr; the console then answers to that host.
func (s *Server) URL(addr net.Addr) string {
	host := addr.String()
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		host = net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
	}
	s.allowHost(host)
	return "http://" + host + "/?token=" + url.QueryEscape(s.token)
}

// allowHost lets requests name host (host:port), and localhost on the
// same port.
func (s *Server) allowHost(host string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hosts[host] = true
	if _, port, err := net.SplitHostPort(host); err == nil {
		s.hosts[net.JoinHostPort("localhost", port)] = true
	}
}

// Serve answers on ln until ctx is done, then stops the runs it started
// (they resume on the next start, as `blindjoin match` does).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.URL(ln.Addr())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	s.ctx = ctx
	s.mu.Unlock()
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shut, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	err := srv.Shutdown(shut)
	cancel()
	s.waitRuns()
	return err
}

// Handler returns the console's routes behind its security checks.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets/static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", s.sessionsPage)
	mux.HandleFunc("GET /new", s.newPage)
	mux.HandleFunc("POST /new", s.create)
	mux.HandleFunc("GET /sessions/{id}", s.withSession(s.sessionPage))
	mux.HandleFunc("POST /sessions/{id}/join", s.withSession(s.join))
	mux.HandleFunc("POST /sessions/{id}/run", s.withSession(s.startRun))
	mux.HandleFunc("GET /sessions/{id}/progress", s.withSession(s.progress))
	mux.HandleFunc("GET /sessions/{id}/activation.csv", s.withSession(s.activation))
	return s.secure(mux)
}

// secure wraps every route: headers, host, token, CSRF.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		websec.SetHeaders(w.Header())
		if !s.knownHost(r.Host) {
			http.Error(w, "unknown host: open the URL that blindjoin console printed", http.StatusMisdirectedRequest)
			return
		}
		if t := r.URL.Query().Get("token"); t != "" {
			s.acceptToken(w, r, t)
			return
		}
		c, err := r.Cookie(cookieName)
		if err != nil || !equal(c.Value, s.token) {
			http.Error(w, "forbidden: open the URL, token included, that blindjoin console printed", http.StatusForbidden)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !s.sameOriginForm(r) {
			http.Error(w, "forbidden: this form did not come from this console's page (CSRF check); reload the page and try again", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) knownHost(host string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hosts[host]
}

// acceptToken turns a valid token in the URL into the cookie and
// redirects to the same page without it.
func (s *Server) acceptToken(w http.ResponseWriter, r *http.Request, t string) {
	if !equal(t, s.token) {
		http.Error(w, "forbidden: this is not the token of the running console; open the URL it printed last", http.StatusForbidden)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: s.token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	clean := *r.URL
	q := clean.Query()
	q.Del("token")
	clean.RawQuery = q.Encode()
	http.Redirect(w, r, clean.RequestURI(), http.StatusSeeOther)
}

// sameOriginForm checks a state-changing request: the CSRF field, and the
// Origin and Sec-Fetch-Site headers when the browser sends them.
func (s *Server) sameOriginForm(r *http.Request) bool {
	if !websec.SameOrigin(r) {
		return false
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
	return equal(r.PostFormValue("csrf"), s.csrf)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// sessionDir is where a session's outputs go; id is checked by
// withSession (32 hex digits) before it reaches a path.
func (s *Server) sessionDir(id string) string { return filepath.Join(s.cfg.WorkDir, id) }

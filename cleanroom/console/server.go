package console

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/registry"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/internal/websec"
)

//go:embed assets
var assets embed.FS

// Prefix is where the console is mounted on the API server.
const Prefix = "/console/"

// Config holds the console's dependencies. Every field without a stated
// default is required.
type Config struct {
	// DataDir holds the operator credentials (OperatorsFile).
	DataDir string
	Store   store.Store
	Parties *registry.Registry
	// TranscriptKey is the key this server signs transcripts with: the
	// auditor page pre-fills it.
	TranscriptKey ed25519.PublicKey
	// DPBudget is the epsilon a pair may spend per dp.Window.
	DPBudget float64
	// Ready reports whether the service can serve (as GET /readyz).
	Ready func(ctx context.Context) error
	// Elements counts the group elements processed since start.
	Elements func() uint64
	Logger   *slog.Logger     // default: discard
	Now      func() time.Time // default: time.Now
}

// loginTTL bounds an operator login.
const loginTTL = 8 * time.Hour

// cookieName holds an operator's login.
const cookieName = "blindjoind_console"

// Console serves the operator and auditor pages.
type Console struct {
	cfg   Config
	pages *template.Template

	mu     sync.Mutex
	logins map[string]login // by cookie value
}

// login is one logged-in operator.
type login struct {
	operator string
	csrf     string
	expires  time.Time
}

// New returns the console.
func New(cfg Config) (*Console, error) {
	if cfg.DataDir == "" || cfg.Store == nil || cfg.Parties == nil || cfg.Ready == nil || cfg.Elements == nil || len(cfg.TranscriptKey) != ed25519.PublicKeySize {
		return nil, errors.New("console: DataDir, Store, Parties, TranscriptKey, Ready and Elements are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	pages, err := template.ParseFS(assets, "assets/templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	return &Console{cfg: cfg, pages: pages, logins: map[string]login{}}, nil
}

// Handler serves everything under Prefix.
func (c *Console) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets/static")
	mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /console/{$}", c.home)
	mux.HandleFunc("POST /console/login", c.login)
	mux.HandleFunc("POST /console/logout", c.operator(c.logout))
	mux.HandleFunc("POST /console/parties", c.operator(c.addParty))
	mux.HandleFunc("POST /console/parties/revoke", c.operator(c.revokeParty))
	mux.HandleFunc("GET /console/audit", c.audit)
	return secure(mux)
}

// secure sets the consoles' security headers on every answer and refuses a
// form post that did not come from the console's own page (websec).
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		websec.SetHeaders(w.Header())
		if r.Method == http.MethodPost && !websec.SameOrigin(r) {
			http.Error(w, "forbidden: this form did not come from this console (Origin check)", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// current returns the request's login, if any and not expired.
func (c *Console) current(r *http.Request) (login, bool) {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return login{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.logins[ck.Value]
	if !ok || c.cfg.Now().After(l.expires) {
		delete(c.logins, ck.Value)
		return login{}, false
	}
	return l, true
}

// operator guards a state change: a login and its CSRF token.
func (c *Console) operator(h func(http.ResponseWriter, *http.Request, login)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l, ok := c.current(r)
		if !ok {
			http.Redirect(w, r, Prefix, http.StatusSeeOther)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(l.csrf)) != 1 {
			http.Error(w, "forbidden: this form did not come from your console page (CSRF check); reload it and try again", http.StatusForbidden)
			return
		}
		h(w, r, l)
	}
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	name, cred := r.PostFormValue("name"), r.PostFormValue("credential")
	if err := checkOperator(c.cfg.DataDir, name, cred); err != nil {
		c.cfg.Logger.Warn("console login refused", "remote", r.RemoteAddr)
		c.render(w, "login.html", http.StatusUnauthorized, page{Title: "Operator login", Error: "Unknown operator or wrong credential."})
		return
	}
	l := login{operator: name, csrf: randomToken(), expires: c.cfg.Now().Add(loginTTL)}
	id := randomToken()
	c.mu.Lock()
	c.logins[id] = l
	c.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: Prefix, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: int(loginTTL / time.Second)})
	c.cfg.Logger.Info("console login", "operator", name)
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, _ login) {
	if ck, err := r.Cookie(cookieName); err == nil {
		c.mu.Lock()
		delete(c.logins, ck.Value)
		c.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

// randomToken is a fresh 128-bit secret (crypto/rand.Text).
func randomToken() string { return rand.Text() }

// page is what every template receives.
type page struct {
	Title    string
	Script   string // the page's script in static/, if it has one
	Operator string
	CSRF     string
	Error    string
	Data     any
}

func (c *Console) render(w http.ResponseWriter, name string, status int, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.pages.ExecuteTemplate(w, name, p); err != nil {
		c.cfg.Logger.Error("console: rendering a page", "page", name, "error", err)
	}
}

func (c *Console) audit(w http.ResponseWriter, r *http.Request) {
	c.render(w, "audit.html", http.StatusOK, page{Title: "Verify a transcript", Script: "audit.js", Data: map[string]any{
		"Key": hex.EncodeToString(c.cfg.TranscriptKey),
	}})
}

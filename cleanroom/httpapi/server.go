package httpapi

import (
	"log/slog"
	"net/http"
	"time"
)

// Timeouts bound how long a connection may hold the server's resources.
type Timeouts struct {
	// ReadHeader bounds reading the request line and headers (stops
	// slowloris clients).
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included. It must allow a
	// 64 MiB part on a slow link: 10 minutes is about 0.9 Mbit/s. JSON
	// bodies get the handler's much shorter Config.JSONReadTimeout.
	Read time.Duration
	// Write bounds writing a response, measured from the end of the request
	// headers; it too must allow a 64 MiB download.
	Write time.Duration
	// Idle bounds a keep-alive connection between requests.
	Idle time.Duration
}

// DefaultTimeouts suit parts of up to wire.MaxPartSize on links of about
// 1 Mbit/s or faster. A slower party should split its set into smaller
// parts.
var DefaultTimeouts = Timeouts{
	ReadHeader: 10 * time.Second,
	Read:       10 * time.Minute,
	Write:      10 * time.Minute,
	Idle:       2 * time.Minute,
}

// MaxHeaderBytes bounds request headers. The largest legitimate header is
// an access token (under 1 KiB, at most auth.MaxTokenSize).
const MaxHeaderBytes = 32 << 10

// NewServer returns an http.Server for h on addr with the given timeouts
// (zero fields take DefaultTimeouts) and the server's own errors (TLS
// handshakes, broken connections) logged to log.
func NewServer(addr string, h http.Handler, t Timeouts, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: orDefault(t.ReadHeader, DefaultTimeouts.ReadHeader),
		ReadTimeout:       orDefault(t.Read, DefaultTimeouts.Read),
		WriteTimeout:      orDefault(t.Write, DefaultTimeouts.Write),
		IdleTimeout:       orDefault(t.Idle, DefaultTimeouts.Idle),
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

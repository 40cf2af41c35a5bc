package operator

import (
	"fmt"
	"io"
	"log/slog"
)

// NewLogger returns a logger writing to w in format "json" (for log
// collectors, the default) or "text" (for people), at level "debug",
// "info", "warn" or "error".
func NewLogger(format, level string, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("operator: log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("operator: log format %q: want json or text", format)
}

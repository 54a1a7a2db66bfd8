package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/rdvlibre/rdv/internal/requestid"
)

// logLevels are the values of log_level.
var logLevels = map[string]slog.Level{"": slog.LevelInfo, "debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}

// checkLog checks log_format and log_level.
func (c *Config) checkLog() error {
	switch c.LogFormat {
	case "", "text", "json":
	default:
		return fmt.Errorf("config: log_format %q: want text or json", c.LogFormat)
	}
	if _, ok := logLevels[c.LogLevel]; !ok {
		return fmt.Errorf("config: log_level %q: want debug, info, warn or error", c.LogLevel)
	}
	return nil
}

// newLogger returns the logger c asks for, writing to w: slog's text
// (logfmt) or JSON lines, from log_level up, each line logged with a
// request's context carrying its request_id.
func (c *Config) newLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: logLevels[c.LogLevel]}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if c.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(requestid.NewHandler(h))
}

// Package requestid carries the id of an HTTP request in its context, and
// adds it to every log line written with that context (a slog.Handler), in
// whichever package the line is written.
package requestid

import (
	"context"
	"crypto/rand"
	"log/slog"
)

type key struct{}

// MaxLen is the longest request id accepted from a client.
const MaxLen = 64

// NewContext returns a copy of ctx that carries id.
func NewContext(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// FromContext returns the request id of ctx, "" if none.
func FromContext(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	id, _ := ctx.Value(key{}).(string)
	return id
}

// Valid reports whether id, sent by a client (X-Request-Id), may be kept:
// 1 to MaxLen characters of [A-Za-z0-9._-], nothing that could forge a
// log line or carry much data.
func Valid(id string) bool {
	if id == "" || len(id) > MaxLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// New returns a new random request id: 26 characters of base32.
func New() string { return rand.Text() }

// Handler is a slog.Handler that adds the attribute request_id to the
// records logged with a context that carries one (InfoContext…).
type Handler struct{ slog.Handler }

// NewHandler returns h wrapped in a Handler, or h itself if it is one.
func NewHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(Handler); ok {
		return h
	}
	return Handler{h}
}

// Handle adds the request id of ctx, if any, to r.
func (h Handler) Handle(ctx context.Context, r slog.Record) error {
	if id := FromContext(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs returns a Handler over h's WithAttrs.
func (h Handler) WithAttrs(as []slog.Attr) slog.Handler { return Handler{h.Handler.WithAttrs(as)} }

// WithGroup returns a Handler over h's WithGroup.
func (h Handler) WithGroup(name string) slog.Handler { return Handler{h.Handler.WithGroup(name)} }

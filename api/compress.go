package api

import (
	"compress/gzip"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// Compression of the responses (RFC 9110, section 8.4 and 12.5.3): brotli
// or gzip, as the request's Accept-Encoding allows, for text types whose
// body is at least minCompressSize bytes.

// minCompressSize is the smallest body that is compressed: below it, the
// saving does not pay for the encoder's framing.
const minCompressSize = 1024

// Levels of on-the-fly compression: fast enough for every response, most of
// the gain of the best levels.
const (
	brotliLevel = 5
	gzipLevel   = 6
)

const (
	encBrotli = "br"
	encGzip   = "gzip"
)

var (
	brotliPool = sync.Pool{New: func() any { return brotli.NewWriterLevel(nil, brotliLevel) }}
	gzipPool   = sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(nil, gzipLevel) // the level is valid
		return w
	}}
)

// encoder is a pooled brotli.Writer or gzip.Writer.
type encoder interface {
	io.WriteCloser
	Flush() error
	Reset(io.Writer)
}

func getEncoder(enc string, dst io.Writer) encoder {
	var e encoder
	if enc == encBrotli {
		e = brotliPool.Get().(*brotli.Writer)
	} else {
		e = gzipPool.Get().(*gzip.Writer)
	}
	e.Reset(dst)
	return e
}

func putEncoder(enc string, e encoder) {
	e.Reset(io.Discard) // drop the reference to the response
	if enc == encBrotli {
		brotliPool.Put(e)
	} else {
		gzipPool.Put(e)
	}
}

// negotiateEncoding returns the content coding to answer with, given the
// Accept-Encoding header of a request: "br", "gzip", or "" for none. Of the
// two, the one with the higher q-value wins, br on a tie; "*" stands for
// codings not named; none is used when identity is preferred to it.
func negotiateEncoding(accept string) string {
	if strings.TrimSpace(accept) == "" {
		return ""
	}
	q := map[string]float64{}
	for part := range strings.SplitSeq(accept, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		v := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, val, ok := strings.Cut(p, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
				if err != nil || f < 0 || f > 1 {
					f = 0
				}
				v = f
			}
		}
		if name == "x-gzip" {
			name = encGzip
		}
		q[name] = v
	}
	value := func(name string) float64 {
		if v, ok := q[name]; ok {
			return v
		}
		if v, ok := q["*"]; ok {
			return v
		}
		return 0
	}
	best, bestQ := "", 0.0
	if v := value(encBrotli); v > 0 {
		best, bestQ = encBrotli, v
	}
	if v := value(encGzip); v > bestQ {
		best, bestQ = encGzip, v
	}
	if v, ok := q["identity"]; ok && v > bestQ {
		return ""
	}
	return best
}

// compressible reports whether a body of this Content-Type is worth
// compressing: text, JSON, JavaScript, YAML, XML and SVG.
func compressible(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"), strings.HasSuffix(mt, "+yaml"):
		return true
	}
	switch mt {
	case "application/json", "application/javascript", "application/yaml", "application/x-yaml",
		"application/xml", "application/x-ndjson":
		return true
	}
	return false
}

// addVary adds token to the Vary header of h unless it is there.
func addVary(h http.Header, token string) {
	for _, v := range h.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f == "*" || strings.EqualFold(f, token) {
				return
			}
		}
	}
	h.Add("Vary", token)
}

// compressWriter compresses a response, when the request allows it and
// its Content-Type is compressible. It holds back the first
// minCompressSize bytes of a body of unknown length, to answer a short one
// as it is.
type compressWriter struct {
	http.ResponseWriter
	enc  string // what the request accepts: "br", "gzip" or ""
	head bool

	status  int  // the status of the response, 0 before WriteHeader
	decided bool // the headers went out: the response is compressed or not
	off     bool // skipCompression was called
	buf     []byte
	e       encoder // nil unless compressing
}

func newCompressWriter(w http.ResponseWriter, r *http.Request) *compressWriter {
	return &compressWriter{ResponseWriter: w, enc: negotiateEncoding(r.Header.Get("Accept-Encoding")), head: r.Method == http.MethodHead}
}

// skipCompression makes the compressWriter under w, if any, pass the
// response through as it is: for bodies already compressed.
func skipCompression(w http.ResponseWriter) {
	for w != nil {
		if cw, ok := w.(*compressWriter); ok {
			cw.off = true
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

func (w *compressWriter) WriteHeader(code int) {
	if code < 200 {
		w.ResponseWriter.WriteHeader(code) // informational: the headers so far
		return
	}
	if w.status != 0 {
		// A second call is ignored; once the headers are out, net/http
		// logs it.
		if w.decided {
			w.ResponseWriter.WriteHeader(code)
		}
		return
	}
	w.status = code
	h := w.Header()
	if w.off || h.Get("Content-Encoding") != "" || code == http.StatusNoContent || code == http.StatusNotModified ||
		code == http.StatusPartialContent || h.Get("Content-Range") != "" || !compressible(h.Get("Content-Type")) {
		w.pass()
		return
	}
	addVary(h, "Accept-Encoding")
	if w.enc == "" || w.head {
		w.pass()
		return
	}
	if cl := h.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n < minCompressSize {
			w.pass()
			return
		}
		w.compress()
	}
	// Otherwise wait for the body.
}

func (w *compressWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		if w.Header().Get("Content-Type") == "" {
			// Let net/http sniff the type: the body goes as it is.
			w.off = true
		}
		w.WriteHeader(http.StatusOK)
	}
	switch {
	case w.e != nil:
		return w.e.Write(b)
	case w.decided:
		return w.ResponseWriter.Write(b)
	}
	if len(w.buf)+len(b) < minCompressSize {
		w.buf = append(w.buf, b...)
		return len(b), nil
	}
	w.compress()
	if _, err := w.flushBuf(); err != nil {
		return 0, err
	}
	return w.e.Write(b)
}

// pass sends the headers of an uncompressed response.
func (w *compressWriter) pass() {
	w.decided = true
	w.ResponseWriter.WriteHeader(w.status)
}

// compress sends the headers of a compressed response and starts the
// encoder.
func (w *compressWriter) compress() {
	h := w.Header()
	h.Set("Content-Encoding", w.enc)
	h.Del("Content-Length")
	h.Del("Accept-Ranges")
	if et := h.Get("ETag"); et != "" && !strings.HasPrefix(et, "W/") {
		h.Set("ETag", "W/"+et)
	}
	w.decided = true
	w.ResponseWriter.WriteHeader(w.status)
	w.e = getEncoder(w.enc, w.ResponseWriter)
}

// flushBuf writes out what was held back.
func (w *compressWriter) flushBuf() (int, error) {
	b := w.buf
	w.buf = nil
	if len(b) == 0 {
		return 0, nil
	}
	if w.e != nil {
		return w.e.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// close ends the response: it sends a short body as it is, or ends the
// compressed stream.
func (w *compressWriter) close() error {
	if w.status != 0 && !w.decided {
		w.pass()
	}
	if _, err := w.flushBuf(); err != nil {
		return err
	}
	if w.e == nil {
		return nil
	}
	err := w.e.Close()
	putEncoder(w.enc, w.e)
	w.e = nil
	return err
}

// FlushError sends what was written so far, compressing it if the response
// is compressible however short it is yet.
func (w *compressWriter) FlushError() error {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.decided {
		w.compress()
	}
	if _, err := w.flushBuf(); err != nil {
		return err
	}
	if w.e != nil {
		if err := w.e.Flush(); err != nil {
			return err
		}
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Flush is FlushError for http.Flusher.
func (w *compressWriter) Flush() { _ = w.FlushError() }

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *compressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

package api

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/andybalholm/brotli"
)

// decodeBody returns the body of w decoded as its Content-Encoding says,
// nil if it can't (and t fails). It may be called from any goroutine.
func decodeBody(t testing.TB, w *httptest.ResponseRecorder) []byte {
	t.Helper()
	var r io.Reader = bytes.NewReader(w.Body.Bytes())
	switch enc := w.Header().Get("Content-Encoding"); enc {
	case "":
		return w.Body.Bytes()
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Errorf("gzip body: %v", err)
			return nil
		}
		r = zr
	case "br":
		r = brotli.NewReader(r)
	default:
		t.Errorf("Content-Encoding %q", enc)
		return nil
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Errorf("%s body: %v", w.Header().Get("Content-Encoding"), err)
		return nil
	}
	return b
}

func TestNegotiateEncoding(t *testing.T) {
	for _, c := range []struct{ accept, want string }{
		{"", ""},
		{"gzip", "gzip"},
		{"br", "br"},
		{"gzip, deflate, br, zstd", "br"},
		{"br;q=0.5, gzip", "gzip"},
		{"br;q=0.8, gzip;q=0.8", "br"},
		{"br;q=0, gzip", "gzip"},
		{"gzip;q=0, br;q=0", ""},
		{"GZIP;Q=0.5", "gzip"},
		{"x-gzip", "gzip"},
		{"*", "br"},
		{"*;q=0", ""},
		{"*, br;q=0", "gzip"},
		{"gzip;q=0.3, *;q=0.5", "br"},
		{"identity", ""},
		{"deflate", ""},
		{"gzip;q=0.5, identity", ""},
		{"gzip, identity;q=0.5", "gzip"},
		{"br;q=bad, gzip;q=2", ""},
		{" , ;q=1, gzip ; q=1", "gzip"},
	} {
		t.Run(c.accept, func(t *testing.T) {
			if got := negotiateEncoding(c.accept); got != c.want {
				t.Errorf("negotiateEncoding(%q) = %q, want %q", c.accept, got, c.want)
			}
		})
	}
}

func TestCompressible(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/html; charset=utf-8":      true,
		"text/css; charset=utf-8":       true,
		"text/javascript":               true,
		"text/plain; version=0.0.4":     true,
		"application/json":              true,
		"application/problem+json":      true,
		"application/yaml":              true,
		"application/openapi+yaml":      true,
		"image/svg+xml":                 true,
		"image/png":                     false,
		"image/x-icon":                  false,
		"application/octet-stream":      false,
		"":                              false,
		"not a type;;":                  false,
		"application/vnd.api+json; x=y": true,
	} {
		if got := compressible(ct); got != want {
			t.Errorf("compressible(%q) = %v, want %v", ct, got, want)
		}
	}
}

// serveCompressed runs h behind a compressWriter, as ServeHTTP does.
func serveCompressed(h http.HandlerFunc, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	cw := newCompressWriter(w, r)
	h(cw, r)
	_ = cw.close()
	return w
}

// formNonce matches what changes from one rendering of the booking form to
// the next.
var formNonce = regexp.MustCompile(`name="key" value="[^"]*"|website-[^"]*`)

func TestCompressServer(t *testing.T) {
	e := newEnv(t)
	for _, target := range []string{"/", "/p/demo/consultation", bookPath, "/docs", "/openapi.json", "/openapi.yaml", "/nowhere"} {
		t.Run(target, func(t *testing.T) {
			plain := e.do(http.MethodGet, target, nil)
			if plain.Header().Get("Content-Encoding") != "" {
				t.Fatal("compressed without Accept-Encoding")
			}
			if !strings.Contains(strings.Join(plain.Header().Values("Vary"), ", "), "Accept-Encoding") {
				t.Errorf("Vary = %q", strings.Join(plain.Header().Values("Vary"), ", "))
			}
			small := plain.Body.Len() < minCompressSize
			for _, c := range []struct{ accept, want string }{
				{"gzip, deflate, br", "br"},
				{"gzip", "gzip"},
				{"br;q=0, gzip", "gzip"},
				{"br;q=0, gzip;q=0", ""},
				{"*;q=0", ""},
				{"identity", ""},
			} {
				w := e.do(http.MethodGet, target, nil, "Accept-Encoding", c.accept)
				if small {
					c.want = ""
				}
				if got := w.Header().Get("Content-Encoding"); got != c.want {
					t.Errorf("Accept-Encoding %q: Content-Encoding = %q, want %q", c.accept, got, c.want)
				}
				if w.Code != plain.Code || w.Header().Get("Content-Type") != plain.Header().Get("Content-Type") {
					t.Errorf("Accept-Encoding %q: %d %q, want %d %q", c.accept, w.Code, w.Header().Get("Content-Type"), plain.Code, plain.Header().Get("Content-Type"))
				}
				if c.want != "" && w.Header().Get("Content-Length") != "" {
					t.Error("a compressed response has a Content-Length")
				}
				if !strings.Contains(strings.Join(w.Header().Values("Vary"), ", "), "Accept-Encoding") {
					t.Errorf("Vary = %q", strings.Join(w.Header().Values("Vary"), ", "))
				}
				if got := decodeBody(t, w); !bytes.Equal(formNonce.ReplaceAll(got, nil), formNonce.ReplaceAll(plain.Body.Bytes(), nil)) {
					t.Errorf("Accept-Encoding %q: the decoded body differs", c.accept)
				}
				if c.want != "" && w.Body.Len() >= plain.Body.Len() {
					t.Errorf("%s: %d bytes for %d", c.want, w.Body.Len(), plain.Body.Len())
				}
			}
		})
	}
	// Small bodies go as they are.
	w := e.do(http.MethodGet, "/healthz", nil, "Accept-Encoding", "br")
	if w.Code != http.StatusOK || w.Header().Get("Content-Encoding") != "" || strings.Join(w.Header().Values("Vary"), ", ") != "Accept-Encoding" {
		t.Errorf("/healthz: %d, Content-Encoding %q, Vary %q", w.Code, w.Header().Get("Content-Encoding"), strings.Join(w.Header().Values("Vary"), ", "))
	}
	// HEAD is never compressed.
	if w := e.do(http.MethodHead, "/p/demo/consultation", nil, "Accept-Encoding", "br"); w.Code != http.StatusOK || w.Header().Get("Content-Encoding") != "" {
		t.Errorf("HEAD /: %d, Content-Encoding %q", w.Code, w.Header().Get("Content-Encoding"))
	}
}

func TestCompressProblem(t *testing.T) {
	detail := strings.Repeat("the request is wrong in many ways; ", 60)
	h := func(w http.ResponseWriter, _ *http.Request) { writeProblem(w, http.StatusUnprocessableEntity, detail) }
	r := httptest.NewRequest(http.MethodPost, "/v1/bookings", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	w := serveCompressed(h, r)
	if w.Code != http.StatusUnprocessableEntity || w.Header().Get("Content-Type") != "application/problem+json" || w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("%d %q %q", w.Code, w.Header().Get("Content-Type"), w.Header().Get("Content-Encoding"))
	}
	if !bytes.Contains(decodeBody(t, w), []byte(detail)) {
		t.Error("the decoded problem lacks its detail")
	}
}

func TestCompressWriter(t *testing.T) {
	big := []byte(strings.Repeat("<p>Bonjour.</p>\n", 200))
	for _, c := range []struct {
		name    string
		method  string
		handler http.HandlerFunc
		enc     string // the Content-Encoding wanted
		etag    string // the ETag wanted, if any
	}{
		{"large html", http.MethodGet, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("ETag", `"v1"`)
			_, _ = w.Write(big)
		}, "br", `W/"v1"`},
		{"byte by byte", http.MethodGet, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			for i := range big {
				_, _ = w.Write(big[i : i+1])
			}
		}, "br", ""},
		{"announced length", http.MethodGet, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Content-Length", "3200")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(big)
		}, "br", ""},
		{"small", http.MethodGet, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("ETag", `"v1"`)
			_, _ = w.Write(big[:minCompressSize-1])
		}, "", `"v1"`},
		{"image", http.MethodGet, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(big)
		}, "", ""},
		{"no type", http.MethodGet, func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(big)
		}, "", ""},
		{"already encoded", http.MethodGet, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(big)
		}, "gzip", ""},
		{"skipped", http.MethodGet, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			skipCompression(&statusWriter{ResponseWriter: w})
			_, _ = w.Write(big)
		}, "", ""},
		{"head", http.MethodHead, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write(big)
		}, "", ""},
		{"204", http.MethodGet, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNoContent)
		}, "", ""},
		{"304", http.MethodGet, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("ETag", `"v1"`)
			w.WriteHeader(http.StatusNotModified)
		}, "", `"v1"`},
		{"no body", http.MethodGet, func(http.ResponseWriter, *http.Request) {}, "", ""},
		{"second status ignored", http.MethodGet, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusOK)
			w.WriteHeader(http.StatusTeapot)
			_, _ = w.Write(big)
		}, "br", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, "/", nil)
			r.Header.Set("Accept-Encoding", "gzip, br")
			w := serveCompressed(c.handler, r)
			if w.Code == http.StatusTeapot {
				t.Error("a second WriteHeader changed the status")
			}
			if got := w.Header().Get("Content-Encoding"); got != c.enc {
				t.Fatalf("Content-Encoding = %q, want %q", got, c.enc)
			}
			if c.enc == "br" {
				if w.Header().Get("Content-Length") != "" {
					t.Error("Content-Length kept")
				}
				if got := decodeBody(t, w); !bytes.Equal(got, big) {
					t.Error("the decoded body differs")
				}
			}
			if got := w.Header().Get("ETag"); got != c.etag {
				t.Errorf("ETag = %q, want %q", got, c.etag)
			}
		})
	}
}

func TestCompressFlush(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	w := httptest.NewRecorder()
	cw := newCompressWriter(w, r)
	sw := &statusWriter{ResponseWriter: cw}
	sw.Header().Set("Content-Type", "text/plain")
	_, _ = sw.Write([]byte("first line\n"))
	if err := http.NewResponseController(sw).Flush(); err != nil {
		t.Fatal(err)
	}
	if !w.Flushed || w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("flushed %v, Content-Encoding %q", w.Flushed, w.Header().Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	line := make([]byte, len("first line\n"))
	if _, err := io.ReadFull(zr, line); err != nil || string(line) != "first line\n" {
		t.Fatalf("after the flush: %q, %v", line, err)
	}
	_, _ = sw.Write([]byte("second line\n"))
	if err := cw.close(); err != nil {
		t.Fatal(err)
	}
	if got := decodeBody(t, w); string(got) != "first line\nsecond line\n" {
		t.Errorf("body %q", got)
	}
}

// The pooled encoders are shared by concurrent responses.
func TestCompressConcurrent(t *testing.T) {
	e := newEnv(t)
	want := e.do(http.MethodGet, "/docs", nil).Body.Bytes()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 5 {
				r := httptest.NewRequest(http.MethodGet, "/docs", nil)
				r.Header.Set("Accept-Encoding", []string{"br", "gzip"}[i%2])
				w := httptest.NewRecorder()
				e.srv.ServeHTTP(w, r)
				if got := decodeBody(t, w); !bytes.Equal(got, want) {
					t.Error("a concurrent response differs")
					return
				}
			}
		})
	}
	wg.Wait()
}

package api

import (
	"bytes"
	"encoding/binary"
	"image/png"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// staticPath returns the path of the hashed name of a file of static/.
func staticPath(t testing.TB, name string) string {
	t.Helper()
	set, err := assets()
	if err != nil {
		t.Fatal(err)
	}
	a, ok := set.byName[name]
	if !ok {
		t.Fatalf("no static file %s", name)
	}
	return "/static/" + a.hashed
}

func TestStaticHashedNames(t *testing.T) {
	e := newEnvConfig(t, func(c *Config) { c.Challenge = ChallengeConfig{Enabled: true, Key: bytes.Repeat([]byte("k"), 32)} })
	hashed := regexp.MustCompile(`^/static/(style|challenge|favicon)\.[0-9a-f]{10}\.(css|js|svg)$`)
	for _, name := range []string{"style.css", "challenge.js", "favicon.svg"} {
		t.Run(name, func(t *testing.T) {
			p := staticPath(t, name)
			if !hashed.MatchString(p) {
				t.Fatalf("hashed path %q", p)
			}
			want, err := staticFS.ReadFile("static/" + name)
			if err != nil {
				t.Fatal(err)
			}
			for _, ae := range []string{"", "gzip", "br", "gzip, br", "identity", "br;q=0, gzip;q=0"} {
				w := e.do(http.MethodGet, p, nil, "Accept-Encoding", ae)
				if w.Code != http.StatusOK {
					t.Fatalf("GET %s (%q) = %d", p, ae, w.Code)
				}
				if got := w.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
					t.Errorf("Cache-Control = %q", got)
				}
				if got := w.Header().Get("Vary"); got != "Accept-Encoding" {
					t.Errorf("Vary = %q", got)
				}
				enc := w.Header().Get("Content-Encoding")
				if wantEnc := negotiateEncoding(ae); enc != wantEnc && len(want) > minCompressSize {
					t.Errorf("Accept-Encoding %q: Content-Encoding = %q, want %q", ae, enc, wantEnc)
				}
				if got := decodeBody(t, w); !bytes.Equal(got, want) {
					t.Errorf("Accept-Encoding %q: body differs from static/%s", ae, name)
				}
			}
		})
	}
	// Precompressed once: the middleware does not compress again, and the
	// stored form is the best one (smaller than on the fly).
	w := e.do(http.MethodGet, staticPath(t, "style.css"), nil, "Accept-Encoding", "br")
	if enc := w.Header().Get("Content-Encoding"); enc != "br" {
		t.Fatalf("Content-Encoding = %q", enc)
	}
	set, _ := assets()
	if !bytes.Equal(w.Body.Bytes(), set.byName["style.css"].bodies["br"]) {
		t.Error("the body is not the precompressed file")
	}
}

func TestStaticOldPaths(t *testing.T) {
	e := newEnv(t)
	w := e.do(http.MethodGet, "/static/style.css", nil, "Accept-Encoding", "gzip")
	if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET /static/style.css = %d, Cache-Control %q", w.Code, w.Header().Get("Cache-Control"))
	}
	etag := w.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	w = e.do(http.MethodGet, "/static/style.css", nil, "Accept-Encoding", "gzip", "If-None-Match", etag)
	if w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Errorf("revalidation = %d with %d bytes, want 304", w.Code, w.Body.Len())
	}
	// Another coding has another ETag.
	if w := e.do(http.MethodGet, "/static/style.css", nil, "If-None-Match", etag); w.Code != http.StatusOK {
		t.Errorf("identity revalidated with the gzip ETag: %d", w.Code)
	}
	// A name with a hash of a former version: the file, to revalidate.
	w = e.do(http.MethodGet, "/static/style.0123456789.css", nil)
	if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-cache" || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
		t.Errorf("stale hash = %d %q", w.Code, w.Header().Get("Cache-Control"))
	}
	for _, p := range []string{staticPath(t, "challenge.js"), "/static/challenge.js", "/static/nothing.css", "/static/style.012345678.css", "/static/style.css/x", "/static/"} {
		if w := e.do(http.MethodGet, p, nil); w.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, w.Code)
		}
	}
}

func TestAssetFunc(t *testing.T) {
	e := newEnv(t)
	body := wantPage(t, e.do(http.MethodGet, "/p/demo", nil), http.StatusOK,
		`<link rel="stylesheet" href="`+staticPath(t, "style.css")+`">`,
		`<link rel="icon" href="`+staticPath(t, "favicon.svg")+`" type="image/svg+xml">`)
	if strings.Contains(body, `"/static/style.css"`) {
		t.Error("the page links the unhashed style sheet")
	}
	srv, err := New(Config{Service: e.svc, BaseURL: "https://example.org/rdv", Logger: e.srv.log, Now: e.srv.now})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := srv.assetPath("style.css"); err != nil || p != "/rdv"+staticPath(t, "style.css") {
		t.Errorf(`asset "style.css" = %q, %v`, p, err)
	}
	if _, err := srv.assetPath("nothing.css"); err == nil {
		t.Error("asset of a missing file")
	}
}

func TestLoadAssets(t *testing.T) {
	fsys := fstest.MapFS{
		"s/a.css":   {Data: []byte(strings.Repeat("a { color: red; }\n", 200))},
		"s/tiny.js": {Data: []byte("1")},
	}
	set, err := loadAssets(fsys, "s")
	if err != nil {
		t.Fatal(err)
	}
	if a := set.byName["a.css"]; a.bodies["br"] == nil || a.bodies["gzip"] == nil {
		t.Error("a.css not precompressed")
	}
	if a := set.byName["tiny.js"]; len(a.bodies) != 1 {
		t.Error("a compressed form larger than the file is kept")
	}
	fsys["s/x.exe"] = &fstest.MapFile{Data: []byte("MZ")}
	if _, err := loadAssets(fsys, "s"); err == nil {
		t.Error("a file of unknown type is accepted")
	}
}

func TestFavicon(t *testing.T) {
	e := newEnv(t)
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		w := e.do(method, "/favicon.ico", nil, "Accept-Encoding", "gzip, br")
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/x-icon" {
			t.Fatalf("%s /favicon.ico = %d %q", method, w.Code, w.Header().Get("Content-Type"))
		}
		if w.Header().Get("Content-Encoding") != "" {
			t.Error("the ICO file is compressed")
		}
		if cc := w.Header().Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
			t.Errorf("Cache-Control = %q", cc)
		}
		if method == http.MethodHead {
			continue
		}
		b := w.Body.Bytes()
		var dir struct {
			Reserved, Type, Count            uint16
			Width, Height, Colors, Reserved2 uint8
			Planes, Bits                     uint16
			Size, Offset                     uint32
		}
		if err := binary.Read(bytes.NewReader(b), binary.LittleEndian, &dir); err != nil {
			t.Fatal(err)
		}
		if dir.Type != 1 || dir.Count != 1 || dir.Width != 32 || dir.Height != 32 || int(dir.Offset) != 22 || int(dir.Offset+dir.Size) != len(b) {
			t.Fatalf("ICO header %+v for %d bytes", dir, len(b))
		}
		img, err := png.Decode(bytes.NewReader(b[dir.Offset:]))
		if err != nil {
			t.Fatal(err)
		}
		if r := img.Bounds(); r.Dx() != 32 || r.Dy() != 32 {
			t.Errorf("image %v", r)
		}
		if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
			t.Error("the corner is not transparent")
		}
		if w := e.do(method, "/favicon.ico", nil, "If-None-Match", w.Header().Get("ETag")); w.Code != http.StatusNotModified {
			t.Errorf("revalidation = %d", w.Code)
		}
	}
}

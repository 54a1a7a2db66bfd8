package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math/bits"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
)

// The files of static/, served at /static/NAME.HASH.EXT (HASH: the first
// hashLen hex digits of the SHA-256 of the file) to be cached for good, and
// at /static/NAME.EXT for the pages that still name them so (pages kept
// from before, in mails or caches), to be revalidated. Each is compressed
// once, with brotli and gzip at their best levels, when first needed.

//go:embed static
var staticFS embed.FS

const hashLen = 10

const (
	immutableCache = "public, max-age=31536000, immutable"
	revalidate     = "no-cache"
)

// assetTypes are the Content-Types of the files of static/, by extension.
var assetTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}

// asset is one file of static/.
type asset struct {
	name        string // "style.css"
	hashed      string // "style.3f2a9c0b1d.css"
	hash        string
	contentType string
	// bodies holds the file by content coding: "" (as it is), and "br" and
	// "gzip" when they are smaller.
	bodies map[string][]byte
}

// assetSet is every file of static/, by name and by hashed name.
type assetSet struct {
	byName   map[string]*asset
	byHashed map[string]*asset
}

// assets loads static/ once per process.
var assets = sync.OnceValues(func() (*assetSet, error) { return loadAssets(staticFS, "static") })

func loadAssets(fsys fs.FS, dir string) (*assetSet, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("api: static files: %w", err)
	}
	set := &assetSet{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		ext := path.Ext(name)
		ct, ok := assetTypes[ext]
		if !ok {
			return nil, fmt.Errorf("api: static file %s: no Content-Type for %q", name, ext)
		}
		b, err := fs.ReadFile(fsys, dir+"/"+name)
		if err != nil {
			return nil, fmt.Errorf("api: static file %s: %w", name, err)
		}
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])[:hashLen]
		a := &asset{
			name:        name,
			hashed:      strings.TrimSuffix(name, ext) + "." + h + ext,
			hash:        h,
			contentType: ct,
			bodies:      map[string][]byte{"": b},
		}
		if compressible(ct) {
			for enc, z := range map[string][]byte{encBrotli: brotliBest(b), encGzip: gzipBest(b)} {
				if len(z) < len(b) {
					a.bodies[enc] = z
				}
			}
		}
		set.byName[name] = a
		set.byHashed[a.hashed] = a
	}
	return set, nil
}

func brotliBest(b []byte) []byte {
	var buf bytes.Buffer
	// A window just large enough for b: the default (4 MiB) made the
	// encoder allocate 32 MB for each of these few-kilobyte files at
	// start, for the same output.
	w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: brotli.BestCompression, LGWin: min(max(bits.Len(uint(len(b))), 10), 24)})
	_, _ = w.Write(b) // a bytes.Buffer does not fail
	_ = w.Close()
	return buf.Bytes()
}

func gzipBest(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

// assetPath returns the path of the hashed name of the static file name,
// under the server's base path: the "asset" function of the templates.
func (s *Server) assetPath(name string) (string, error) {
	a, ok := s.assets.byName[name]
	if !ok {
		return "", fmt.Errorf("api: no static file %q", name)
	}
	return s.basePath + "/static/" + a.hashed, nil
}

// lookup returns the file served at /static/file, and whether it may be
// cached for good. A name with a hash that is not the file's (a page
// rendered before the file changed) gets the file, to be revalidated.
func (set *assetSet) lookup(file string) (a *asset, immutable bool) {
	if a, ok := set.byHashed[file]; ok {
		return a, true
	}
	if a, ok := set.byName[file]; ok {
		return a, false
	}
	ext := path.Ext(file)
	stem := strings.TrimSuffix(file, ext)
	i := strings.LastIndexByte(stem, '.')
	if i < 0 || len(stem)-i-1 != hashLen || !isHex(stem[i+1:]) {
		return nil, false
	}
	return set.byName[stem[:i]+ext], false
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// serveStatic answers GET /static/{file}: the file as the request's
// Accept-Encoding allows, with its ETag, and conditional and range requests
// as http.ServeContent answers them.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	a, immutable := s.assets.lookup(r.PathValue("file"))
	if a == nil || (a.name == "challenge.js" && s.pow == nil) {
		s.errorPage(w, r, http.StatusNotFound, nil)
		return
	}
	enc := negotiateEncoding(r.Header.Get("Accept-Encoding"))
	body, ok := a.bodies[enc]
	if !ok {
		enc, body = "", a.bodies[""]
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	addVary(h, "Accept-Encoding")
	if enc != "" {
		h.Set("Content-Encoding", enc)
	}
	etag := a.hash
	if enc != "" {
		etag += "-" + enc
	}
	h.Set("ETag", `"`+etag+`"`)
	if immutable {
		h.Set("Cache-Control", immutableCache)
	} else {
		h.Set("Cache-Control", revalidate)
	}
	skipCompression(w)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

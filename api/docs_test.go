package api

import (
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// attrRE finds the attributes of a page that name a URL.
var attrRE = regexp.MustCompile(`(?i)\s(src|href|action|srcset|poster|data|formaction)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`)

func TestDocs(t *testing.T) {
	e := newEnvConfig(t, func(c *Config) { c.AdminToken = strings.Repeat("t", MinAdminTokenLen) })
	w := e.do(http.MethodGet, "/docs", nil)
	page := wantDocs(t, w,
		`href="/openapi.json"`, `href="/openapi.yaml"`,
		`<link rel="stylesheet" href="`+staticPath(t, "style.css")+`">`,
		// The request body of a booking, nested fields written out.
		`<code>patient.email</code>`, `href="#schema-Patient"`,
		"Needs the admin token")
	n := 0
	for path, item := range e.srv.api.OpenAPI().Paths {
		for _, m := range docsMethods {
			op := operation(item, m)
			if op == nil {
				continue
			}
			n++
			if !strings.Contains(page, `<span class="method `+m+`">`+m+`</span> <code>`+html.EscapeString(path)+`</code>`) {
				t.Errorf("the page lacks %s %s", m, path)
			}
			if !strings.Contains(page, html.EscapeString(op.Summary)) {
				t.Errorf("the page lacks the summary of %s %s: %q", m, path, op.Summary)
			}
			if !strings.Contains(page, `id="op-`+op.OperationID+`"`) {
				t.Errorf("no anchor for %s", op.OperationID)
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d operations", n)
	}
	// Nothing from elsewhere, no script, no inline style, and every link
	// within the page leads somewhere.
	for _, m := range attrRE.FindAllStringSubmatch(page, -1) {
		v := strings.Trim(m[2], `"'`)
		if strings.HasPrefix(v, "//") || (strings.Contains(v, ":") && !strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "#")) {
			t.Errorf("%s=%q refers to another origin", m[1], v)
		}
		if id, ok := strings.CutPrefix(v, "#"); ok && !strings.Contains(page, `id="`+id+`"`) {
			t.Errorf("link to #%s, which the page lacks", id)
		}
	}
	// Revalidation, compressed or not.
	for _, ae := range []string{"", "br"} {
		w := e.do(http.MethodGet, "/docs", nil, "Accept-Encoding", ae)
		if w := e.do(http.MethodGet, "/docs", nil, "Accept-Encoding", ae, "If-None-Match", w.Header().Get("ETag")); w.Code != http.StatusNotModified {
			t.Errorf("Accept-Encoding %q: revalidation = %d", ae, w.Code)
		}
	}
	low := strings.ToLower(page)
	for _, banned := range []string{"<script", "<style", " style=", "http://", "https://", "<iframe"} {
		if strings.Contains(low, banned) {
			t.Errorf("the page has %q", banned)
		}
	}
}

// wantDocs checks that w is the reference page, in English, with the
// headers of the pages, and containing each of contains.
func wantDocs(t *testing.T, w *httptest.ResponseRecorder, contains ...string) string {
	t.Helper()
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /docs = %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	for k, want := range map[string]string{
		"Content-Security-Policy": pageCSP + "; frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	page := w.Body.String()
	if !strings.Contains(page, `<html lang="en">`) {
		t.Error(`the page is not <html lang="en">`)
	}
	for _, c := range contains {
		if !strings.Contains(page, c) {
			t.Errorf("the page lacks %q", c)
		}
	}
	return page
}

func TestDocsBasePath(t *testing.T) {
	e := newEnv(t)
	srv, err := New(Config{Service: e.svc, BaseURL: "https://example.org/rdv/", Logger: e.srv.log, Now: e.srv.now})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	wantDocs(t, e.do(http.MethodGet, "/docs", nil),
		`href="/rdv/openapi.json"`, `<code>/rdv/v1/bookings</code>`, `href="/rdv`+staticPath(t, "style.css")+`"`)
}

func TestTypeOf(t *testing.T) {
	e := newEnv(t)
	doc := e.srv.api.OpenAPI()
	props := doc.Components.Schemas.Map()["Booking"].Properties
	for field, want := range map[string]docsType{
		"start": {Text: "string (date-time)"},
		"id":    {Text: "string (uuid)"},
	} {
		if got := typeOf(props[field]); got != want {
			t.Errorf("Booking.%s: %+v, want %+v", field, got, want)
		}
	}
	if got := paragraphs("a\nb\n\n\nc  d\n"); strings.Join(got, "|") != "a b|c d" {
		t.Errorf("paragraphs = %q", got)
	}
}

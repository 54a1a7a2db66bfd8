package api

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageNames are the pages, each templates/NAME.html on templates/layout.html
// (with templates/parts.html: the honeypot field, the booking summary and
// the day and time step).
var pageNames = []string{"practice", "practitioner", "days", "book", "manage", "cancel", "move", "moveconfirm", "error", "waitlist", "waitnotice"}

// parsePages parses the pages with funcs, the functions bound to a Server
// (templateFuncs), and dict.
func parsePages(funcs template.FuncMap) (map[string]*template.Template, error) {
	funcs["dict"] = dict
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return nil, fmt.Errorf("api: layout template: %w", err)
	}
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("api: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// templateFuncs are the functions of the templates: asset ("style.css") is
// the path of a static file by its hashed name.
func (s *Server) templateFuncs() template.FuncMap {
	return template.FuncMap{"asset": s.assetPath}
}

// dict makes a map of its arguments, taken in pairs (key, value): a
// template passes several values to another with it.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// page is one page to render.
type page struct {
	Name   string // the template
	Title  string // the step, before the practice's name
	Lang   string // "" for the request's (langOf)
	Crumbs []crumb
	Error  bool // the page shows an error: the title says so
	View   any
}

// crumb is a step of the breadcrumb back.
type crumb struct{ Href, Label string }

// pageData is what every page's template gets.
type pageData struct {
	Title    string
	Base     string
	Lang     string
	T        *text
	Practice *practiceView
	Switch   string // the page in the other language
	Crumbs   []crumb
	// Embedded is set in an iframe of a site Practice.FrameAncestors
	// allows: the pages drop their header and footer chrome.
	Embedded bool
	View     any
}

// Content-Security-Policy of the pages: nothing but the site's own style
// sheets, images and forms posting to the site itself; framing as
// Practice.FrameAncestors allows.
const pageCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'"

// setPageHeaders sets the security headers of an HTML page or redirect.
func (s *Server) setPageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", pageCSP+"; "+s.practice.frameCSP)
	if !s.practice.frameAllow {
		h.Set("X-Frame-Options", "DENY")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Add("Vary", "Accept-Language")
	h.Add("Vary", "Cookie")
	if s.practice.frameAllow {
		h.Add("Vary", "Sec-Fetch-Dest")
	}
}

// text returns the text of r's page language.
func (s *Server) text(r *http.Request) *text { return textOf(s.langOf(r, "")) }

// render writes p with status. The page is rendered in full before anything
// is sent, so that a template error gives a clean 500.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, p page) {
	lang := p.Lang
	if lang == "" {
		lang = s.langOf(r, "")
	}
	t := textOf(lang)
	title := p.Title
	if p.Error {
		title = t.ErrorPrefix + title
	}
	site := s.practice.view.Name
	if site == "" {
		site = t.Brand
	}
	title += " · " + site
	var buf bytes.Buffer
	pv := s.practice.view
	err := s.pages[p.Name].ExecuteTemplate(&buf, "layout", pageData{
		Title: title, Base: s.basePath, Lang: lang, T: t, Practice: &pv,
		Switch: s.switchHref(r, t.OtherLang), Crumbs: p.Crumbs, View: p.View,
		Embedded: s.practice.frameAllow && r.Header.Get("Sec-Fetch-Dest") == "iframe",
	})
	s.setPageHeaders(w.Header())
	s.rememberLang(w, r)
	if f, ok := p.View.(*waitFormView); ok && f.Challenge != "" {
		w.Header().Set("Content-Security-Policy", pageCSP+challengeCSP+"; "+s.practice.frameCSP)
	}
	if f, ok := p.View.(*formView); ok && f.Challenge != "" {
		w.Header().Set("Content-Security-Policy", pageCSP+challengeCSP+"; "+s.practice.frameCSP)
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "api: page not rendered", "page", p.Name, "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(t.Internal + "\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", lang)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

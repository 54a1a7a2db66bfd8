package api

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageNames are the pages, each templates/NAME.html on templates/layout.html
// (with templates/honeypot.html, the honeypot field of the forms).
var pageNames = []string{"home", "book", "manage", "error"}

// parsePages parses the pages with funcs, the functions bound to a Server
// (templateFuncs).
func parsePages(funcs template.FuncMap) (map[string]*template.Template, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/honeypot.html")
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

// pageData is what every page gets: the title, the path prefix of links, and
// the page's own view.
type pageData struct {
	Title string
	Base  string
	View  any
}

// Content-Security-Policy of the pages: nothing but the site's own style
// sheet and forms posting to the site itself.
const pageCSP = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// setPageHeaders sets the security headers of an HTML page or redirect.
func setPageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// render writes the page called name with status. The page is rendered in
// full before anything is sent, so that a template error gives a clean 500.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, view any) {
	var buf bytes.Buffer
	err := s.pages[name].ExecuteTemplate(&buf, "layout", pageData{Title: title, Base: s.basePath, View: view})
	setPageHeaders(w.Header())
	if f, ok := view.(*formView); ok && f.Challenge != "" {
		w.Header().Set("Content-Security-Policy", pageCSP+challengeCSP)
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "api: page not rendered", "page", name, "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("Erreur interne.\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var (
	frenchWeekdays = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frenchMonths   = [...]string{"", "janvier", "février", "mars", "avril", "mai", "juin",
		"juillet", "août", "septembre", "octobre", "novembre", "décembre"}
)

// frenchDate writes the local date of t in French: "mardi 1er décembre 2026".
func frenchDate(t time.Time) string {
	day := fmt.Sprint(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return fmt.Sprintf("%s %s %s %d", frenchWeekdays[t.Weekday()], day, frenchMonths[t.Month()], t.Year())
}

// frenchTime writes the local time of day of t: "09:00".
func frenchTime(t time.Time) string { return t.Format("15:04") }

var frenchStatus = map[string]string{
	"pending":   "en attente de votre confirmation",
	"confirmed": "confirmé",
	"cancelled": "annulé",
	"expired":   "expiré (non confirmé à temps)",
}

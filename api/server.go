package api

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/pow"
	"github.com/rdvlibre/rdv/internal/requestid"
)

// DefaultMaxBodyBytes is the largest request body accepted when
// Config.MaxBodyBytes is not set.
const DefaultMaxBodyBytes = 64 << 10

// Config holds what a Server depends on.
type Config struct {
	// Service is the booking service the server exposes. Required.
	Service *booking.Service
	// BaseURL is the public URL at which the handler is reachable, such as
	// "https://rdv.example.org" or, when cmd mounts it under a prefix,
	// "https://example.org/rdv" (the prefix must then be stripped before the
	// request reaches the handler). Manage links are BaseURL + "/manage/" +
	// token, and the links of the web pages start with its path. Required.
	BaseURL string
	// Logger receives request logs and the errors that are not the client's
	// fault. Defaults to slog.Default().
	Logger *slog.Logger
	// Ready reports whether the service can take requests (store and calendars
	// reachable); GET /readyz calls it. Nil means always ready.
	Ready func(ctx context.Context) error
	// MaxBodyBytes caps the size of request bodies (JSON and forms).
	// Defaults to DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Version is shown in the OpenAPI document. Defaults to "dev".
	Version string
	// Now is the clock used to find "today" for slot windows; it should be the
	// clock of Service. Defaults to time.Now.
	Now func() time.Time
	// AdminToken is the bearer token of the admin API under /v1/admin/ (the
	// practitioners' agenda with the patients' contact, cancelling, closures):
	// at least MinAdminTokenLen characters, random. Empty disables the admin
	// API, which then answers 404.
	AdminToken string
	// RateLimits are the per-client limits of the public endpoints; the
	// zero value takes the defaults (see RateLimits). NoRateLimits turns
	// them off.
	RateLimits RateLimits
	// NoRateLimits turns the per-client rate limits off, for a server
	// only trusted clients reach, or load tests.
	NoRateLimits bool
	// CORSOrigins are the origins ("https://www.cabinet-martin.fr") whose
	// pages may call the public JSON API from a browser (CORS). None by
	// default: only rdv's own pages and clients that are not browsers.
	CORSOrigins []string
	// PublicMetrics serves GET /metrics to anyone. By default it needs the
	// admin token as a bearer token, and is not served without one; a host
	// can also serve MetricsHandler on a listener of its own.
	PublicMetrics bool
	// Challenge asks for a proof of work before a booking (ALTCHA's
	// protocol); off by default.
	Challenge ChallengeConfig
	// Practice is how the pages present the practice (name, logo, colour,
	// contact, legal pages) and which sites may frame them.
	Practice Practice
	// Waitlist is the waiting list the server exposes (POST /v1/waitlist,
	// the forms under /p/{practitioner}/{type}/waitlist and
	// /s/{shared}/waitlist, the links under
	// /waitlist/); nil: those answer 404.
	Waitlist *booking.Waitlist
	// Desk configures the practice's desk pages under /desk/ (docs/desk.md),
	// served when AdminToken is set.
	Desk DeskConfig
	// Registry is where the server registers its metrics, which /metrics
	// and MetricsHandler serve: a host registers its own collectors on it
	// too (rdv.App adds the calendars', the sync's and the bookings').
	// Default: a registry of the server's own, with the Go runtime and
	// process collectors; never prometheus.DefaultRegisterer, so that
	// several Servers in one process don't collide.
	Registry *prometheus.Registry
}

// Server is the HTTP face of rdv: the JSON API, its OpenAPI document and
// docs, the health endpoints and the patient web pages. It is an
// http.Handler, safe for concurrent use.
//
// It owns these paths: "/" (the practice page), "/p/" (practitioners,
// motives, days and times), "/s/" (a shared motive's days and times),
// "/book", "/manage/", "/waitlist/" (the waiting list's links), "/favicon.ico",
// "/desk/" (the practice's desk, with an admin token: docs/desk.md),
// "/static/", "/v1/" (the admin API under "/v1/admin/" and, when
// Config.Challenge is on, "/v1/challenge" included),
// "/openapi.json" (and "/openapi.yaml",
// "/openapi-3.0.json", "/openapi-3.0.yaml"), "/docs", "/healthz",
// "/readyz" and "/metrics" (Prometheus: request counts and durations by
// route pattern and status, and whatever else is on Config.Registry;
// nothing about patients: docs/operations.md). To serve other handlers beside it (the embedded CalDAV server at
// "/dav/", metrics), register them and this handler on a ServeMux of your
// own:
//
//	mux := http.NewServeMux()
//	mux.Handle("/dav/", davHandler)
//	mux.Handle("/", apiServer)
type Server struct {
	svc      *booking.Service
	waitlist *booking.Waitlist // nil when off
	baseURL  string            // without a trailing slash
	basePath string            // path of baseURL without a trailing slash, "" at the root
	log      *slog.Logger
	ready    func(context.Context) error
	maxBody  int64
	now      func() time.Time
	mux      *http.ServeMux
	api      huma.API
	pages    map[string]*template.Template
	assets   *assetSet
	docsPage []byte // the HTML of GET /docs
	docsETag string
	metrics  *metrics
	// metricsHandler serves the registry of metrics (metrics.go).
	metricsHandler http.Handler
	limiter        *limiter // nil when the rate limits are off
	origins        []string
	cop            *http.CrossOriginProtection
	publicMetrics  bool
	authLog        logThrottle
	pow            *pow.Verifier // nil when Config.Challenge is off
	practice       *practiceAssets
	// adminTokenHash is the SHA-256 of Config.AdminToken, nil when the
	// admin API is disabled.
	adminTokenHash []byte
	// desk is the state of the desk pages (desk.go), nil without them.
	desk      *desk
	deskPages map[string]*template.Template
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Service == nil {
		return nil, errors.New("api: Config.Service is required")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("api: Config.BaseURL must be an absolute http or https URL without query, such as https://rdv.example.org")
	}
	s := &Server{
		svc:      cfg.Service,
		waitlist: cfg.Waitlist,
		baseURL:  strings.TrimSuffix(cfg.BaseURL, "/"),
		basePath: strings.TrimSuffix(u.EscapedPath(), "/"),
		log:      cfg.Logger,
		ready:    cfg.Ready,
		maxBody:  cfg.MaxBodyBytes,
		now:      cfg.Now,
		mux:      http.NewServeMux(),
	}
	if !cfg.NoRateLimits {
		s.limiter = newLimiter(cfg.RateLimits)
	}
	for _, o := range cfg.CORSOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			return nil, fmt.Errorf("api: CORS origin %q must be a scheme and a host, such as https://www.example.org", o)
		}
		s.origins = append(s.origins, o)
	}
	s.cop = s.newCrossOriginProtection()
	s.publicMetrics = cfg.PublicMetrics
	s.authLog.every = time.Minute
	if s.log == nil {
		s.log = slog.Default()
	}
	// Every line of a request carries its id (requestid.Handler).
	s.log = slog.New(requestid.NewHandler(s.log.Handler()))
	if s.metrics, err = newMetrics(cfg.Registry, s.svc, s.log, time.Now()); err != nil {
		return nil, fmt.Errorf("api: metrics: %w", err)
	}
	s.metricsHandler = newMetricsHandler(s.metrics, s.log)
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.now == nil {
		s.now = time.Now
	}
	version := cfg.Version
	if version == "" {
		version = "dev"
	}
	if s.pow, err = newVerifier(cfg.Challenge, s.now); err != nil {
		return nil, err
	}
	if s.assets, err = assets(); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(s.templateFuncs()); err != nil {
		return nil, err
	}
	if s.practice, err = newPracticeAssets(cfg.Practice, s.basePath); err != nil {
		return nil, err
	}
	if cfg.AdminToken != "" {
		if len(cfg.AdminToken) < MinAdminTokenLen || strings.TrimSpace(cfg.AdminToken) != cfg.AdminToken {
			return nil, fmt.Errorf("api: Config.AdminToken must have at least %d characters and no surrounding spaces", MinAdminTokenLen)
		}
		sum := sha256.Sum256([]byte(cfg.AdminToken))
		s.adminTokenHash = sum[:]
	}

	s.api = humago.New(s.mux, s.humaConfig(version))
	s.registerHealth()
	s.registerPractitioners()
	s.registerBookings()
	s.registerShared()
	s.registerWaitlist()
	s.registerChallenge()
	s.registerAdmin()
	if err := s.registerDesk(cfg); err != nil {
		return nil, err
	}
	s.registerPages()
	s.mux.HandleFunc("/v1/", s.apiNoRoute)
	s.mux.HandleFunc("GET /metrics", s.serveMetrics)
	s.mux.HandleFunc("GET /docs", s.docs)
	declareRequestID(s.api.OpenAPI())
	if err := s.renderDocs(); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler returns s as an http.Handler.
func (s *Server) Handler() http.Handler { return s }

// ServeHTTP routes the request, logs it (method, route pattern, status and
// duration; never the path, which may hold a manage token, nor any patient
// data), turns a panic into a 500 and compresses the response (compress.go).
//
// Each request has an id: the client's X-Request-Id when it is short and
// safe (requestid.Valid), else a new random one. It is sent back in the
// X-Request-Id header and the request_id member of problem+json errors,
// carried by the request's context (RequestID) and added to every line
// logged with that context, whichever package logs it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get("X-Request-Id")
	if !requestid.Valid(id) {
		id = requestid.New()
	}
	r = r.WithContext(requestid.NewContext(r.Context(), id))
	cw := newCompressWriter(w, r)
	sw := &statusWriter{ResponseWriter: cw}
	sw.Header().Set("X-Content-Type-Options", "nosniff")
	sw.Header().Set("X-Request-Id", id)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "api: panic", "route", route(r), "panic", v)
			if !sw.wrote {
				s.writeFallbackError(sw, r, http.StatusInternalServerError)
			}
		}
		if err := cw.close(); err != nil {
			s.log.DebugContext(r.Context(), "api: response not ended", "route", route(r), "err", err)
		}
		d := time.Since(start)
		s.metrics.observe(r.Method, route(r), sw.status, d)
		s.log.InfoContext(r.Context(), "http request",
			"method", r.Method, "route", route(r), "status", sw.status,
			"duration", d)
	}()
	if s.guard(sw, r) {
		return
	}
	if p := r.URL.Path; p != "" && cleanPath(p) != p {
		// The mux would redirect to the clean path without the base
		// path, out of rdv when a proxy or a host mounts it under one.
		u := *r.URL
		u.Path, u.RawPath = s.basePath+cleanPath(p), ""
		http.Redirect(sw, r, u.RequestURI(), http.StatusTemporaryRedirect)
		return
	}
	// The mux sets r.Pattern on r itself, which the log above reads.
	s.mux.ServeHTTP(sw, r)
}

// cleanPath is p as the mux wants it: rooted, without "." or ".."
// elements nor doubled slashes, its trailing slash kept.
func cleanPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// RequestID returns the id of the request whose context is ctx (see
// Server.ServeHTTP), "" outside a request.
func RequestID(ctx context.Context) string { return requestid.FromContext(ctx) }

// route returns the pattern that matched r, without its method.
func route(r *http.Request) string {
	p := r.Pattern
	if _, path, ok := strings.Cut(p, " "); ok {
		p = path
	}
	if p == "" {
		return "-"
	}
	return p
}

// writeFallbackError answers with an error outside a handler: problem+json
// under /v1/, an HTML page elsewhere.
func (s *Server) writeFallbackError(w http.ResponseWriter, r *http.Request, status int) {
	if isAPIPath(r.URL.Path) {
		writeProblem(w, status, "")
		return
	}
	s.errorPage(w, r, status, nil)
}

func isAPIPath(p string) bool { return p == "/v1" || strings.HasPrefix(p, "/v1/") }

// allowedMethods returns the methods other than r.Method for which r's path
// has a route, for a 405 answer and its Allow header.
func (s *Server) allowedMethods(r *http.Request, catchAll string) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, p := s.mux.Handler(r2); p != "" && p != catchAll {
			allow = append(allow, m)
		}
	}
	return allow
}

// apiNoRoute answers requests under /v1/ that match no operation.
func (s *Server) apiNoRoute(w http.ResponseWriter, r *http.Request) {
	if allow := s.allowedMethods(r, "/v1/"); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeProblem(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed here; allowed: "+strings.Join(allow, ", "))
		return
	}
	writeProblem(w, http.StatusNotFound, "no such API route; see /openapi.json")
}

// statusWriter records the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

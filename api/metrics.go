package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rdvlibre/rdv/booking"
)

// metrics are the server's Prometheus metrics, on the registry of
// Config.Registry: requests by method, route pattern and status, with
// their durations; refusals by the rate limits and the checks against
// robots; the time to compute slots; the outbox (outboxCollector). Labels
// are route patterns, practitioner ids and words of this package, never
// paths: a path may hold a manage token, and no label ever holds patient
// data. docs/operations.md lists them.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	limits   *prometheus.CounterVec
	refusals *prometheus.CounterVec
	slots    *prometheus.HistogramVec
}

// durationBuckets are the upper bounds, in seconds, of the request duration histogram.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// newMetrics registers the server's metrics on reg, or on a registry of
// its own, with the Go runtime and process collectors, when reg is nil.
func newMetrics(reg *prometheus.Registry, svc *booking.Service, log *slog.Logger, now time.Time) (*metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
		if err := registerRuntime(reg); err != nil {
			return nil, err
		}
	}
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rdv_http_requests_total", Help: "HTTP requests by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rdv_http_request_duration_seconds", Help: "Time to answer HTTP requests.", Buckets: durationBuckets,
		}, []string{"method", "route", "status"}),
		limits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rdv_http_rate_limited_total", Help: "Requests refused by the per-client rate limits, by kind of request.",
		}, []string{"class"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rdv_bot_refused_total", Help: "Requests refused as a robot's, by check (honeypot, challenge) and reason.",
		}, []string{"check", "reason"}),
		slots: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rdv_slot_computation_seconds",
			Help:    "Time to compute the free slots (query=slots) or days (query=days) of a request, calendar reads included, by practitioner; for a shared motive (query=shared, shared-days) its id is the practitioner label.",
			Buckets: durationBuckets,
		}, []string{"practitioner", "query"}),
	}
	start := prometheus.NewGauge(prometheus.GaugeOpts{Name: "rdv_start_time_seconds", Help: "Start time of the process since the Unix epoch."})
	start.Set(float64(now.Unix()))
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.limits, m.refusals, m.slots, start, &outboxCollector{svc: svc, log: log}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// registerRuntime registers the Go runtime and process collectors on reg.
func registerRuntime(reg *prometheus.Registry) error {
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return err
	}
	return reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

// limited counts a request of class refused by the rate limits.
func (m *metrics) limited(class string) { m.limits.WithLabelValues(class).Inc() }

// refused counts a request refused by a check against robots.
func (m *metrics) refused(check, reason string) { m.refusals.WithLabelValues(check, reason).Inc() }

// observe records one request.
func (m *metrics) observe(method, route string, status int, d time.Duration) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
	default:
		method = "OTHER" // keep the number of series bounded whatever clients send
	}
	if status == 0 {
		status = http.StatusOK
	}
	s := strconv.Itoa(status)
	m.requests.WithLabelValues(method, route, s).Inc()
	m.duration.WithLabelValues(method, route, s).Observe(d.Seconds())
}

// timeSlots records the time since start of a slot query of practitioner.
func (m *metrics) timeSlots(practitioner, query string, start time.Time) {
	m.slots.WithLabelValues(practitioner, query).Observe(time.Since(start).Seconds())
}

// outboxCollector reads the outbox at each scrape: the deliveries of this
// process by outcome, and what waits (one count query to the store).
type outboxCollector struct {
	svc *booking.Service
	log *slog.Logger
}

var (
	outboxMessagesDesc = prometheus.NewDesc("rdv_outbox_messages_total",
		"Notifications handled by this process, by outcome: sent, retried (to try again), given_up, dropped (superseded by a later change).",
		[]string{"outcome"}, nil)
	outboxWaitingDesc = prometheus.NewDesc("rdv_outbox_waiting",
		"Notifications waiting in the outbox (all replicas), reminders not yet due included.", nil, nil)
)

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxMessagesDesc
	ch <- outboxWaitingDesc
}

// scrapeTimeout bounds the store queries of a scrape.
const scrapeTimeout = 5 * time.Second

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	st, err := c.svc.DeliveryStats(ctx)
	for _, o := range []struct {
		outcome string
		n       uint64
	}{{"dropped", st.Dropped}, {"given_up", st.GivenUp}, {"retried", st.Retried}, {"sent", st.Sent}} {
		ch <- prometheus.MustNewConstMetric(outboxMessagesDesc, prometheus.CounterValue, float64(o.n), o.outcome)
	}
	if err != nil {
		c.log.WarnContext(ctx, "api: outbox not counted for the metrics", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(outboxWaitingDesc, prometheus.GaugeValue, float64(st.Waiting))
}

// serveMetrics answers GET /metrics: to anyone with Config.PublicMetrics,
// otherwise only with the admin token (404 when there is none), so that
// booking volumes and probing traffic are not public.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if !s.publicMetrics {
		if s.adminTokenHash == nil {
			s.errorPage(w, r, http.StatusNotFound, nil)
			return
		}
		token, ok := bearerToken(r.Header.Get("Authorization"))
		sum := sha256.Sum256([]byte(token))
		if !ok || subtle.ConstantTimeCompare(sum[:], s.adminTokenHash) != 1 {
			if ok {
				s.authLog.warn(r.Context(), s.log, time.Now(), "api: admin token refused", "route", "/metrics")
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="rdv admin"`)
			http.Error(w, "metrics need the admin token: Authorization: Bearer TOKEN", http.StatusUnauthorized)
			return
		}
	}
	s.metricsHandler.ServeHTTP(w, r)
}

// MetricsHandler returns a handler that serves the metrics to anyone who
// reaches it, for a listener of the host's own that the public can't
// reach (rdv -metrics-addr).
func (s *Server) MetricsHandler() http.Handler { return s.metricsHandler }

// newMetricsHandler serves the registry of m in the Prometheus text format
// (or OpenMetrics, as the scraper asks); the server compresses responses
// itself (compress.go).
func newMetricsHandler(m *metrics, log *slog.Logger) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:           slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling:      promhttp.ContinueOnError,
		DisableCompression: true,
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// metrics counts HTTP requests by method, route pattern and status, and their
// durations, for GET /metrics in the Prometheus text format (version 0.0.4).
// Labels are route patterns, never paths: a path may hold a manage token, and
// no label ever holds patient data.
type metrics struct {
	mu      sync.Mutex
	started time.Time
	series  map[seriesKey]*seriesValue
	limits  map[string]uint64 // requests refused by the rate limits, by class
	refusal map[refusalKey]uint64
}

// refusalKey is a request refused as a robot's: the check that failed
// ("honeypot", "challenge") and why (a word of this package, never what
// the client sent).
type refusalKey struct{ check, reason string }

type seriesKey struct {
	method, route string
	status        int
}

type seriesValue struct {
	count   uint64
	sum     float64  // seconds
	buckets []uint64 // cumulative counts per durationBuckets upper bound
}

// durationBuckets are the upper bounds, in seconds, of the request duration histogram.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

func newMetrics(now time.Time) *metrics {
	return &metrics{started: now, series: map[seriesKey]*seriesValue{}, limits: map[string]uint64{}, refusal: map[refusalKey]uint64{}}
}

// limited counts a request of class refused by the rate limits.
func (m *metrics) limited(class string) {
	m.mu.Lock()
	m.limits[class]++
	m.mu.Unlock()
}

// refused counts a request refused by a check against robots.
func (m *metrics) refused(check, reason string) {
	m.mu.Lock()
	m.refusal[refusalKey{check, reason}]++
	m.mu.Unlock()
}

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
	k := seriesKey{method, route, status}
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.series[k]
	if v == nil {
		v = &seriesValue{buckets: make([]uint64, len(durationBuckets))}
		m.series[k] = v
	}
	sec := d.Seconds()
	v.count++
	v.sum += sec
	for i, le := range durationBuckets {
		if sec <= le {
			v.buckets[i]++
		}
	}
}

// write writes the metrics in the Prometheus text format.
func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	keys := make([]seriesKey, 0, len(m.series))
	for k := range m.series {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b seriesKey) int {
		if c := strings.Compare(a.route, b.route); c != 0 {
			return c
		}
		if c := strings.Compare(a.method, b.method); c != 0 {
			return c
		}
		return a.status - b.status
	})
	vals := make([]seriesValue, len(keys))
	for i, k := range keys {
		v := m.series[k]
		vals[i] = seriesValue{count: v.count, sum: v.sum, buckets: slices.Clone(v.buckets)}
	}
	started := m.started
	limits := make(map[string]uint64, len(m.limits))
	for k, v := range m.limits {
		limits[k] = v
	}
	refusals := make([]refusalKey, 0, len(m.refusal))
	for k := range m.refusal {
		refusals = append(refusals, k)
	}
	slices.SortFunc(refusals, func(a, b refusalKey) int {
		return strings.Compare(a.check+" "+a.reason, b.check+" "+b.reason)
	})
	refusalCounts := make([]uint64, len(refusals))
	for i, k := range refusals {
		refusalCounts[i] = m.refusal[k]
	}
	m.mu.Unlock()

	fmt.Fprintf(w, "# HELP rdv_start_time_seconds Start time of the process since the Unix epoch.\n# TYPE rdv_start_time_seconds gauge\nrdv_start_time_seconds %d\n", started.Unix())
	fmt.Fprint(w, "# HELP rdv_http_requests_total HTTP requests by method, route pattern and status.\n# TYPE rdv_http_requests_total counter\n")
	for i, k := range keys {
		fmt.Fprintf(w, "rdv_http_requests_total{%s} %d\n", k.labels(), vals[i].count)
	}
	fmt.Fprint(w, "# HELP rdv_http_request_duration_seconds Time to answer HTTP requests.\n# TYPE rdv_http_request_duration_seconds histogram\n")
	for i, k := range keys {
		l := k.labels()
		for j, le := range durationBuckets {
			fmt.Fprintf(w, "rdv_http_request_duration_seconds_bucket{%s,le=\"%g\"} %d\n", l, le, vals[i].buckets[j])
		}
		fmt.Fprintf(w, "rdv_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", l, vals[i].count)
		fmt.Fprintf(w, "rdv_http_request_duration_seconds_sum{%s} %g\n", l, vals[i].sum)
		fmt.Fprintf(w, "rdv_http_request_duration_seconds_count{%s} %d\n", l, vals[i].count)
	}
	fmt.Fprint(w, "# HELP rdv_http_rate_limited_total Requests refused by the per-client rate limits, by kind of request.\n# TYPE rdv_http_rate_limited_total counter\n")
	for _, c := range slices.Sorted(maps.Keys(limits)) {
		fmt.Fprintf(w, "rdv_http_rate_limited_total{class=%q} %d\n", c, limits[c])
	}
	fmt.Fprint(w, "# HELP rdv_bot_refused_total Requests refused as a robot's, by check (honeypot, challenge) and reason.\n# TYPE rdv_bot_refused_total counter\n")
	for i, k := range refusals {
		fmt.Fprintf(w, "rdv_bot_refused_total{check=%q,reason=%q} %d\n", k.check, k.reason, refusalCounts[i])
	}
}

func (k seriesKey) labels() string {
	return fmt.Sprintf("method=%q,route=%q,status=\"%d\"", k.method, k.route, k.status)
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
	s.writeMetrics(w, r)
}

// MetricsHandler returns a handler that serves the metrics to anyone who
// reaches it, for a listener of the host's own that the public can't
// reach (rdv -metrics-addr).
func (s *Server) MetricsHandler() http.Handler {
	return http.HandlerFunc(s.writeMetrics)
}

func (s *Server) writeMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	s.metrics.write(w)
	st, err := s.svc.DeliveryStats(r.Context())
	fmt.Fprint(w, "# HELP rdv_outbox_messages_total Notifications handled by this process, by outcome: sent, retried (to try again), given_up, dropped (superseded by a later change).\n# TYPE rdv_outbox_messages_total counter\n")
	for _, c := range []struct {
		outcome string
		n       uint64
	}{{"dropped", st.Dropped}, {"given_up", st.GivenUp}, {"retried", st.Retried}, {"sent", st.Sent}} {
		fmt.Fprintf(w, "rdv_outbox_messages_total{outcome=%q} %d\n", c.outcome, c.n)
	}
	if err != nil {
		s.log.WarnContext(r.Context(), "api: outbox not counted for the metrics", "err", err)
		return
	}
	fmt.Fprintf(w, "# HELP rdv_outbox_waiting Notifications waiting in the outbox (all replicas), reminders not yet due included.\n# TYPE rdv_outbox_waiting gauge\nrdv_outbox_waiting %d\n", st.Waiting)
}

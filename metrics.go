package rdv

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/caldav"
)

// The metrics of the App beside the HTTP server's (api): the calendars,
// the sync, the bookings, the alerts, and the Go runtime and process. All
// on one registry of the App's own, which /metrics serves. Labels are
// practitioner ids (from the configuration), HTTP methods and statuses of
// rdv's own requests and words of this package: never a URL, never patient
// data. docs/operations.md lists every metric.

// bookingsCacheFor is how long the bookings by status are kept between
// scrapes: one query per practitioner at most this often.
const bookingsCacheFor = 30 * time.Second

// appMetrics are the App's metrics that code records as it goes; the
// others are read at scrape time (appCollector).
type appMetrics struct {
	reg          *prometheus.Registry
	caldavReqs   *prometheus.CounterVec
	caldavErrs   *prometheus.CounterVec
	caldavTime   *prometheus.HistogramVec
	alerts       *prometheus.CounterVec
	alertsFailed *prometheus.CounterVec
}

// caldavBuckets are the upper bounds, in seconds, of the CalDAV request
// duration histogram.
var caldavBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

func newAppMetrics() (*appMetrics, error) {
	m := &appMetrics{
		reg: prometheus.NewRegistry(),
		caldavReqs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rdv_caldav_requests_total",
			Help: "Requests to the practitioners' CalDAV servers, by practitioner, method and status (\"none\" when no answer came).",
		}, []string{"practitioner", "method", "status"}),
		caldavErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rdv_caldav_request_errors_total",
			Help: "CalDAV requests that failed: no answer, or a status of 400 or more other than 404 and 412 (which the protocol uses), by practitioner and method.",
		}, []string{"practitioner", "method"}),
		caldavTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rdv_caldav_request_duration_seconds", Help: "Time to the answer's headers of CalDAV requests, by practitioner and method.",
			Buckets: caldavBuckets,
		}, []string{"practitioner", "method"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rdv_alerts_total",
			Help: "Alerts sent to the practice and the host by this process, by condition (calendar_unreadable, sync_held) and state (raised, recovered).",
		}, []string{"condition", "state"}),
		alertsFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rdv_alerts_failed_total",
			Help: "Alerts this process could not send, by channel (email, webhook).",
		}, []string{"channel"}),
	}
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.caldavReqs, m.caldavErrs, m.caldavTime, m.alerts, m.alertsFailed,
	} {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observeCalDAV returns the caldav.RequestObserver of practitioner id.
func (m *appMetrics) observeCalDAV(id string) caldav.RequestObserver {
	return func(method string, status int, d time.Duration) {
		s := "none"
		if status != 0 {
			s = strconv.Itoa(status)
		}
		m.caldavReqs.WithLabelValues(id, method, s).Inc()
		m.caldavTime.WithLabelValues(id, method).Observe(d.Seconds())
		if status == 0 || (status >= 400 && status != 404 && status != 412) {
			m.caldavErrs.WithLabelValues(id, method).Inc()
		}
	}
}

// appCollector reads, at scrape time, what the App's parts count
// themselves: the calendars' caches and health, the sync, and the
// bookings by status (from the store, kept bookingsCacheFor).
type appCollector struct {
	a *App

	mu     sync.Mutex
	at     time.Time         // when counts were read
	counts map[[2]string]int // by practitioner and status
}

var (
	validationsDesc = prometheus.NewDesc("rdv_caldav_validations_total",
		"Validations of the calendar caches, by practitioner and result: unchanged (the cache answered alone: a hit), changed (changes fetched), failed.",
		[]string{"practitioner", "result"}, nil)
	failuresDesc = prometheus.NewDesc("rdv_calendar_failures",
		"Failed validations in a row of the practitioner's least readable busy calendar; 0 when every calendar was read at its last validation.",
		[]string{"practitioner"}, nil)
	brokenDesc = prometheus.NewDesc("rdv_calendar_broken_objects",
		"Calendar objects that could not be read and were skipped, since the start.",
		[]string{"practitioner"}, nil)
	syncPassesDesc = prometheus.NewDesc("rdv_sync_passes_total",
		"Passes of the calendar sync in this process, one per practitioner, by outcome: ok, held (by the guard against mass cancellation), failed.",
		[]string{"outcome"}, nil)
	waitlistDesc = prometheus.NewDesc("rdv_waitlist_messages_total",
		"The waiting list's messages in this process, by outcome: alerted (an alert recorded), sent, dropped (its entry ended), given_up.",
		[]string{"outcome"}, nil)
	syncHeldDesc = prometheus.NewDesc("rdv_sync_held",
		"1 while the practitioner's calendar sync is held by the guard against mass cancellation, else 0.",
		[]string{"practitioner"}, nil)
	bookingsDesc = prometheus.NewDesc("rdv_bookings",
		"Bookings to come (start from now to the longest horizon), by practitioner and status; read from the store at most every 30 s.",
		[]string{"practitioner", "status"}, nil)
)

func (c *appCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{validationsDesc, failuresDesc, brokenDesc, syncPassesDesc, syncHeldDesc, bookingsDesc, waitlistDesc} {
		ch <- d
	}
}

func (c *appCollector) Collect(ch chan<- prometheus.Metric) {
	a := c.a
	held := map[string]bool{}
	for _, h := range a.svc.SyncHolds() {
		held[h.PractitionerID] = true
	}
	for _, p := range a.svc.Practitioners() {
		v := 0.0
		if held[p.ID] {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(syncHeldDesc, prometheus.GaugeValue, v, p.ID)
		cal := a.calendars[p.ID]
		if cal == nil {
			continue
		}
		st := cal.CacheStats()
		ch <- prometheus.MustNewConstMetric(validationsDesc, prometheus.CounterValue, float64(st.Unchanged), p.ID, "unchanged")
		ch <- prometheus.MustNewConstMetric(validationsDesc, prometheus.CounterValue, float64(st.Changed), p.ID, "changed")
		ch <- prometheus.MustNewConstMetric(validationsDesc, prometheus.CounterValue, float64(st.Failed), p.ID, "failed")
		ch <- prometheus.MustNewConstMetric(failuresDesc, prometheus.GaugeValue, float64(cal.Health().Failures), p.ID)
		ch <- prometheus.MustNewConstMetric(brokenDesc, prometheus.GaugeValue, float64(cal.BrokenObjects()), p.ID)
	}
	ss := a.svc.SyncStats()
	ch <- prometheus.MustNewConstMetric(syncPassesDesc, prometheus.CounterValue, float64(ss.OK), "ok")
	ch <- prometheus.MustNewConstMetric(syncPassesDesc, prometheus.CounterValue, float64(ss.Held), "held")
	ch <- prometheus.MustNewConstMetric(syncPassesDesc, prometheus.CounterValue, float64(ss.Failed), "failed")

	if a.waitlist != nil {
		ws := a.waitlist.Stats()
		for _, o := range []struct {
			name string
			n    int64
		}{{"alerted", ws.Alerts}, {"sent", ws.Sent}, {"dropped", ws.Dropped}, {"given_up", ws.Failed}} {
			ch <- prometheus.MustNewConstMetric(waitlistDesc, prometheus.CounterValue, float64(o.n), o.name)
		}
	}
	counts, err := c.bookings()
	if err != nil {
		a.logger.Warn("bookings not counted for the metrics", "err", err)
		return
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(bookingsDesc, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
}

// bookingStatuses are the statuses rdv_bookings reports, 0 included.
var bookingStatuses = []booking.Status{booking.StatusPending, booking.StatusConfirmed, booking.StatusCancelled, booking.StatusExpired}

// bookings returns the bookings to come by practitioner and status, read
// again when older than bookingsCacheFor.
func (c *appCollector) bookings() (map[[2]string]int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.a.now()
	if c.counts != nil && now.Sub(c.at) < bookingsCacheFor && now.After(c.at) {
		return c.counts, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts := map[[2]string]int{}
	for _, p := range c.a.svc.Practitioners() {
		for _, s := range bookingStatuses {
			counts[[2]string{p.ID, string(s)}] = 0
		}
		bs, err := c.a.store.BookingsBetween(ctx, p.ID, now, now.Add(booking.MaxHorizon))
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			counts[[2]string{p.ID, string(b.Status)}]++
		}
	}
	c.counts, c.at = counts, now
	return counts, nil
}

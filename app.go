package rdv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rdvlibre/rdv/api"
	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/caldav"
	"github.com/rdvlibre/rdv/internal/requestid"
	"github.com/rdvlibre/rdv/notify"
	"github.com/rdvlibre/rdv/store"
)

// App is rdv wired: the booking service on its store, calendars and mailer,
// its HTTP handler, and the jobs Run runs. Its methods are safe for
// concurrent use.
type App struct {
	svc       *booking.Service
	waitlist  *booking.Waitlist // nil when off
	nudge     chan struct{}     // wakes runNudged; nil when the waiting list is off
	waitMu    sync.Mutex        // one runWaitlist at a time in this process, so that its messages leave in order
	store     store.DB
	calendars map[string]*caldav.Calendar
	handler   http.Handler
	metrics   http.Handler // the metrics, for a listener of the host's own
	m         *appMetrics
	alerts    *alerter
	logger    *slog.Logger
	jobs      time.Duration // Options.JobsInterval
	sync      time.Duration // Options.SyncInterval
	outbox    string        // directory of .eml files, "" if none
	webhooks  *notify.Webhooks
	mail      *notify.Mailer
	digests   map[string]booking.Clock // Options.DailyDigest
	retention booking.Retention        // Options.Retention
	retained  time.Time                // when runJobs last ran retain
	now       func() time.Time
	dav       embeddedDAV

	reconciled chan struct{} // closed when Run's reconciliation ended
	mu         sync.Mutex
	closed     bool
	stop       context.CancelFunc // of the running Run, nil if none
	done       chan struct{}      // closed when Run returned
}

// New wires rdv as opts says: it opens the store, connects to each
// practitioner's calendar (starting the embedded CalDAV server for those
// without a URL), and builds the booking service and the HTTP handler. It
// does not reconcile nor start any job: Run does. Close releases what it
// holds.
func New(ctx context.Context, opts Options) (*App, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	// The lines logged with a request's context carry its id, in every package.
	logger = slog.New(requestid.NewHandler(logger.Handler()))
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("rdv: data dir: %w", err)
	}
	key := opts.Secret
	if key == nil {
		var err error
		if key, err = loadSecret(filepath.Join(opts.DataDir, "secret.key")); err != nil {
			return nil, err
		}
	}
	a := &App{
		calendars:  map[string]*caldav.Calendar{},
		logger:     logger,
		jobs:       opts.JobsInterval,
		sync:       opts.SyncInterval,
		reconciled: make(chan struct{}),
		digests:    opts.DailyDigest,
		retention:  opts.Retention,
		now:        opts.Now,
		alerts:     newAlerter(opts.Alerts),
	}
	if a.now == nil {
		a.now = time.Now
	}
	var err error
	if a.m, err = newAppMetrics(); err != nil {
		return nil, err
	}

	addr := opts.Store
	if addr == "" {
		addr = filepath.Join(opts.DataDir, "rdv.db")
	}
	st, err := store.Open(ctx, addr)
	if err != nil {
		return nil, err
	}
	a.store = st
	ok := false
	defer func() {
		if !ok {
			st.Close()
		}
	}()

	notifier, err := a.notifier(opts)
	if err != nil {
		return nil, err
	}
	if opts.Waitlist != nil {
		// A slot freed (a cancellation, an expiry, a move) wakes the
		// waiting list's job (waitlist.go).
		a.nudge = make(chan struct{}, 1)
		notifier = &nudgeNotifier{Notifier: notifier, nudge: a.nudge}
	}
	a.svc, err = booking.NewService(booking.ServiceConfig{
		Store: st, Notifier: notifier, Logger: logger, Now: opts.Now,
		Webhooks:        a.webhooks != nil,
		Locker:          store.NewLocker(st), // a PostgreSQL advisory lock when several replicas share the store
		Secret:          key,
		ConfirmWithin:   opts.ConfirmWithin,
		DeleteCancelled: opts.DeleteCancelled,
		CrashTestHook:   opts.CrashTestHook,
		// The guard against mass cancellation by the calendar sync.
		SyncMaxCancel:        opts.SyncMaxCancel,
		SyncMaxCancelPercent: opts.SyncMaxCancelPercent,
		IntentGrace:          opts.IntentGrace,
		Limits:               opts.Limits,
		Retention:            opts.Retention,
	})
	if err != nil {
		return nil, err
	}

	for _, p := range opts.Practitioners {
		cal, err := a.calendar(ctx, opts, p, logger)
		if err != nil {
			return nil, fmt.Errorf("practitioner %s: %w", p.ID, err)
		}
		a.calendars[p.ID] = cal
		if err := a.svc.AddPractitioner(p, cal); err != nil {
			return nil, err
		}
	}
	for _, st := range opts.SharedTypes {
		if err := a.svc.AddSharedType(st); err != nil {
			return nil, err
		}
	}

	if opts.Waitlist != nil {
		a.waitlist = booking.NewWaitlist(a.svc, st, a.mail, *opts.Waitlist)
	}
	web, err := api.New(api.Config{
		Service:    a.svc,
		Waitlist:   a.waitlist,
		BaseURL:    opts.BaseURL,
		Logger:     logger,
		Ready:      a.Ready,
		Now:        opts.Now,
		AdminToken: opts.AdminToken,
		Desk:       api.DeskConfig{Sessions: deskSessions(st), Idle: opts.Desk.Idle, Max: opts.Desk.Max, Users: opts.Desk.Users},
		// What the public may do.
		RateLimits:    opts.RateLimits,
		NoRateLimits:  opts.NoRateLimits,
		CORSOrigins:   opts.CORSOrigins,
		PublicMetrics: opts.PublicMetrics,
		Registry:      a.m.reg,
		Practice:      opts.Practice,
		Challenge: api.ChallengeConfig{
			Enabled: opts.Challenge.Enabled, Key: challengeKey(key),
			MaxNumber: opts.Challenge.MaxNumber, Expires: opts.Challenge.Expires,
		},
	})
	if err != nil {
		return nil, err
	}
	if err := a.m.reg.Register(&appCollector{a: a}); err != nil {
		return nil, err
	}
	a.metrics = web.MetricsHandler()
	mux := http.NewServeMux()
	mux.Handle("/", web)
	if a.dav.handler != nil {
		mux.Handle(davPrefix, a.dav.handler)
		mux.Handle("/.well-known/caldav", http.RedirectHandler(davPrefix, http.StatusMovedPermanently))
	}
	a.handler = mux
	ok = true
	return a, nil
}

// check checks what New can check before touching anything.
func (o *Options) check() error {
	if o.DataDir == "" {
		return errors.New("rdv: Options.DataDir is required")
	}
	if o.BaseURL == "" {
		return errors.New("rdv: Options.BaseURL is required")
	}
	if len(o.Practitioners) == 0 {
		return errors.New("rdv: Options.Practitioners is empty")
	}
	if o.Secret != nil && len(o.Secret) < booking.MinSecretLen {
		return fmt.Errorf("rdv: Options.Secret holds fewer than %d bytes", booking.MinSecretLen)
	}
	if err := o.Retention.Check(); err != nil {
		return fmt.Errorf("rdv: Options.Retention: %w", err)
	}
	ids := map[string]bool{}
	for _, p := range o.Practitioners {
		ids[p.ID] = true
		if _, ok := o.DailyDigest[p.ID]; ok && p.Email == "" {
			return fmt.Errorf("rdv: practitioner %s: a daily digest needs the practitioner's email", p.ID)
		}
	}
	for id, at := range o.DailyDigest {
		if !ids[id] {
			return fmt.Errorf("rdv: Options.DailyDigest: no practitioner %q", id)
		}
		if at < 0 || at >= 24*60 {
			return fmt.Errorf("rdv: practitioner %s: daily digest at %s: want 00:00 to 23:59", id, at)
		}
	}
	for id, c := range o.Calendars {
		if !ids[id] {
			return fmt.Errorf("rdv: Options.Calendars: no practitioner %q", id)
		}
		if c.URL == "" && (c.Availability.WorkingHours || c.Availability.WorkingHoursURL != "") {
			return fmt.Errorf("rdv: practitioner %s: working hours need a calendar URL: the embedded calendar server keeps none", id)
		}
	}
	return nil
}

// notifier returns the notifier of opts: the mailer, and the webhooks
// behind a notify.Router when there are any.
func (a *App) notifier(opts Options) (booking.Notifier, error) {
	mailer, err := a.mailer(opts)
	if err != nil {
		return nil, err
	}
	a.mail = mailer
	if len(opts.Webhooks) == 0 {
		return mailer, nil
	}
	if a.webhooks, err = notify.NewWebhooks(notify.WebhooksConfig{Endpoints: opts.Webhooks, Now: opts.Now}); err != nil {
		return nil, err
	}
	return &notify.Router{Mail: mailer, Webhooks: a.webhooks}, nil
}

// mailer returns the notifier of opts.Mail: its Sender, else SMTP, else
// .eml files in DATA/outbox.
func (a *App) mailer(opts Options) (*notify.Mailer, error) {
	sender := opts.Mail.Sender
	switch {
	case sender != nil:
	case opts.Mail.SMTP.Addr != "":
		s, err := notify.NewSMTPSender(opts.Mail.SMTP)
		if err != nil {
			return nil, err
		}
		sender = s
	default:
		a.outbox = filepath.Join(opts.DataDir, "outbox")
		sender = notify.DirSender{Dir: a.outbox}
	}
	from := opts.Mail.From
	if from == "" {
		from = "rdv <rdv@localhost.localdomain>"
	}
	return notify.NewMailer(notify.MailerConfig{From: from, BaseURL: opts.BaseURL, Lang: opts.Mail.Lang, TemplatesDir: opts.Mail.TemplatesDir, Sender: sender, Alarm: opts.Mail.Alarm})
}

// calendar connects to the calendar of practitioner p: the one of
// opts.Calendars, or one in the embedded server.
func (a *App) calendar(ctx context.Context, opts Options, p booking.Practitioner, logger *slog.Logger) (*caldav.Calendar, error) {
	c := opts.Calendars[p.ID]
	cc := caldav.Config{Location: p.Location, Timeout: 10 * time.Second, BusyTimeout: 4 * time.Second, Logger: logger, Event: c.Event, Observe: a.m.observeCalDAV(p.ID)}
	if cc.Event == nil {
		cc.Event = opts.CalendarEvent
	}
	if p.Email != "" {
		cc.Self = []string{p.Email}
	}
	if c.URL != "" {
		cc.URL, cc.Username, cc.Password = c.URL, c.Username, c.Password
		cc.BookingsCalendar, cc.BusyCalendars = c.Bookings, c.Busy
		cc.Availability = c.Availability
		return caldav.New(ctx, cc)
	}
	if a.dav.handler == nil {
		if err := a.dav.open(opts.DataDir); err != nil {
			return nil, err
		}
	}
	if err := a.dav.ensureCalendar(p, c); err != nil {
		return nil, err
	}
	cc.URL = "http://rdv.embedded" + davPrefix + "calendars/" + davUser + "/" + p.ID + "/"
	cc.Username, cc.Password = davUser, a.dav.password
	cc.BookingsCalendar = p.ID
	cc.HTTPClient = a.dav.client
	var err error
	if cc.Availability.Calendar, err = a.dav.ensureAvailability(p, c); err != nil {
		return nil, err
	}
	return caldav.New(ctx, cc)
}

// Handler returns rdv's HTTP handler: the JSON API, the patient pages,
// /healthz, /readyz, /metrics and, when a practitioner uses the embedded
// CalDAV server, /dav/ and /.well-known/caldav. Mount it at the root of a
// host's mux, or strip a prefix and set Options.BaseURL to match.
func (a *App) Handler() http.Handler { return a.handler }

// MetricsHandler serves the metrics (Prometheus text format) to anyone who
// reaches it: for a listener of the host's own, not the public one.
func (a *App) MetricsHandler() http.Handler { return a.metrics }

// Service returns the booking service, for a host that books or reads
// bookings from Go.
func (a *App) Service() *booking.Service { return a.svc }

// Calendar returns the calendar of practitioner id, nil if there is none.
func (a *App) Calendar(id string) *caldav.Calendar { return a.calendars[id] }

// EmbeddedDAV returns where the embedded CalDAV server is served (path
// "/dav/"), its user and the file holding its password; path is "" when no
// practitioner uses it.
func (a *App) EmbeddedDAV() (path, user, passwordFile string) {
	if a.dav.handler == nil {
		return "", "", ""
	}
	return davPrefix, davUser, a.dav.passwordFile
}

// Webhooks returns the host of each webhook endpoint, in order; none
// without webhooks.
func (a *App) Webhooks() []string {
	if a.webhooks == nil {
		return nil
	}
	return a.webhooks.Hosts()
}

// Outbox returns the directory the emails are written to as .eml files,
// "" when they are sent.
func (a *App) Outbox() string { return a.outbox }

// Ready reports whether the store and every calendar answer, as /readyz
// does: nil, or errors of code booking.EUnavailable.
func (a *App) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := a.store.Ping(ctx); err != nil {
		return booking.WrapError(booking.EUnavailable, err, "the booking store is unavailable")
	}
	// Check the calendars in parallel, so a slow one does not hide the others.
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for id, c := range a.calendars {
		wg.Go(func() {
			if err := c.Check(ctx); err != nil {
				mu.Lock()
				errs = append(errs, booking.WrapError(booking.EUnavailable, err, "the calendar of "+id+" is unreachable"))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Close stops Run if it is running, waits for it to return, and closes the
// store.
func (a *App) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	stop, done := a.stop, a.done
	a.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	// Deliveries started in the background by the last requests end (sent,
	// or left in the outbox) before the store closes.
	a.svc.Flush()
	return a.store.Close()
}

// deskSessions returns where the desk keeps its sessions: the store, which
// every replica shares (store.SQLite and store.Postgres keep them).
func deskSessions(db store.DB) booking.DeskSessions {
	if ds, ok := db.(booking.DeskSessions); ok {
		return ds
	}
	return nil
}

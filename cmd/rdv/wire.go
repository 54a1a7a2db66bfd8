package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rdvlibre/rdv/api"
	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/caldav"
	"github.com/rdvlibre/rdv/davserver"
	"github.com/rdvlibre/rdv/notify"
	"github.com/rdvlibre/rdv/store"
)

// App is the wired service.
type App struct {
	Handler http.Handler
	Service *booking.Service
	Store   store.DB

	DAV             string // path of the embedded CalDAV server, "" if none
	DAVUser         string
	DAVPasswordFile string
	Outbox          string // directory of .eml files, "" when sending by SMTP
	Admin           bool   // the admin API is enabled

	calendars   map[string]*caldav.Calendar
	davBackend  *davserver.FileBackend
	davPassword string
	now         func() time.Time // nil: time.Now
}

// Close releases what the app holds.
func (a *App) Close() error { return a.Store.Close() }

const (
	davPrefix = "/dav/"
	davUser   = "demo"
)

// build wires the service from cfg. cfg.BaseURL must be set.
func build(ctx context.Context, cfg *Config, logger *slog.Logger) (*App, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	practitioners := cfg.Practitioners
	if len(practitioners) == 0 {
		practitioners = []PractitionerConfig{demoPractitioner()}
	}
	app := &App{calendars: map[string]*caldav.Calendar{}, now: cfg.now}

	addr := cfg.Store
	if addr == "" {
		addr = filepath.Join(cfg.DataDir, "rdv.db")
	}
	st, err := store.Open(ctx, addr)
	if err != nil {
		return nil, err
	}
	app.Store = st
	ok := false
	defer func() {
		if !ok {
			st.Close()
		}
	}()

	// Email: SMTP when configured, else .eml files in DATA/outbox.
	var sender notify.Sender
	if cfg.Mail.SMTP.Addr != "" {
		pw, err := secret(cfg.Mail.SMTP.Password, cfg.Mail.SMTP.PasswordFile)
		if err != nil {
			return nil, err
		}
		s, err := notify.NewSMTPSender(notify.SMTPConfig{
			Addr: cfg.Mail.SMTP.Addr, Username: cfg.Mail.SMTP.Username, Password: pw, TLS: cfg.Mail.SMTP.TLS,
		})
		if err != nil {
			return nil, err
		}
		sender = s
	} else {
		app.Outbox = filepath.Join(cfg.DataDir, "outbox")
		sender = notify.DirSender{Dir: app.Outbox}
	}
	from := cfg.Mail.From
	if from == "" {
		from = "rdv <rdv@localhost.localdomain>"
	}
	mailer, err := notify.NewMailer(notify.MailerConfig{From: from, BaseURL: cfg.BaseURL, Lang: cfg.Mail.Lang, Sender: sender})
	if err != nil {
		return nil, err
	}

	key, err := loadSecret(cfg)
	if err != nil {
		return nil, err
	}
	svc := booking.NewService(booking.ServiceConfig{
		Store: st, Notifier: mailer, Logger: logger, Now: app.now,
		Locker:          store.NewLocker(st), // a PostgreSQL advisory lock when several replicas share the store
		Secret:          key,
		ConfirmWithin:   cfg.Booking.ConfirmWithin.Duration,
		DeleteCancelled: cfg.Booking.DeleteCancelled,
		StepHook:        stepHook, // nil but in the crash tests' build (fault.go)
		// The guard against mass cancellation by the calendar sync.
		SyncMaxCancel:        cfg.Booking.SyncMaxCancel,
		SyncMaxCancelPercent: cfg.Booking.SyncMaxCancelPercent,
		IntentGrace:          cfg.Booking.IntentGrace.Duration,
	})
	app.Service = svc

	// The embedded CalDAV server, for practitioners without a calendar URL.
	var dav http.Handler
	var davClient *http.Client
	for i := range practitioners {
		pc := &practitioners[i]
		p, err := pc.Practitioner()
		if err != nil {
			return nil, err
		}
		cc := caldav.Config{Location: p.Location, Timeout: 10 * time.Second, BusyTimeout: 4 * time.Second, Logger: logger}
		if p.Email != "" {
			cc.Self = []string{p.Email}
		}
		if pc.Calendar.URL == "" {
			if dav == nil {
				dav, err = app.embeddedDAV(cfg.DataDir)
				if err != nil {
					return nil, err
				}
				davClient = &http.Client{Transport: davserver.InProcessTransport(dav)}
			}
			if err := app.ensureEmbeddedCalendar(cfg.DataDir, pc, p); err != nil {
				return nil, err
			}
			cc.URL = "http://rdv.embedded" + davPrefix + "calendars/" + davUser + "/" + p.ID + "/"
			cc.Username = davUser
			cc.Password = app.davPassword
			cc.BookingsCalendar = p.ID
			cc.HTTPClient = davClient
			if cc.Availability.Calendar, err = app.ensureAvailabilityCalendar(pc, p); err != nil {
				return nil, err
			}
		} else {
			pw, err := secret(pc.Calendar.Password, pc.Calendar.PasswordFile)
			if err != nil {
				return nil, err
			}
			cc.URL, cc.Username, cc.Password = pc.Calendar.URL, pc.Calendar.Username, pw
			cc.BookingsCalendar, cc.BusyCalendars = pc.Calendar.Bookings, pc.Calendar.Busy
			cc.Availability = pc.Calendar.availability()
		}
		cal, err := caldav.New(ctx, cc)
		if err != nil {
			return nil, fmt.Errorf("practitioner %s: %w", p.ID, err)
		}
		app.calendars[p.ID] = cal
		if err := svc.AddPractitioner(p, cal); err != nil {
			return nil, err
		}
	}

	adminToken, err := cfg.adminToken()
	if err != nil {
		return nil, err
	}
	app.Admin = adminToken != ""
	web, err := api.New(api.Config{
		Service:    svc,
		BaseURL:    cfg.BaseURL,
		Logger:     logger,
		Ready:      app.ready,
		Now:        app.now,
		AdminToken: adminToken,
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", web)
	if dav != nil {
		mux.Handle(davPrefix, dav)
		mux.Handle("/.well-known/caldav", http.RedirectHandler(davPrefix, http.StatusMovedPermanently))
	}
	app.Handler = mux
	ok = true
	return app, nil
}

// loadSecret reads the service's secret from cfg.SecretFile or, by default,
// DATA/secret.key, which it creates (mode 0600) with 32 random bytes on
// first run.
func loadSecret(cfg *Config) ([]byte, error) {
	path := cfg.SecretFile
	if path == "" {
		path = filepath.Join(cfg.DataDir, "secret.key")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			var b [32]byte
			if _, err := rand.Read(b[:]); err != nil {
				return nil, err
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return nil, fmt.Errorf("secret: %w", err)
			}
			_, err = f.WriteString(base64.RawURLEncoding.EncodeToString(b[:]) + "\n")
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, fmt.Errorf("secret: %w", err)
			}
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	key := []byte(strings.TrimSpace(string(data)))
	if len(key) < booking.MinSecretLen {
		return nil, fmt.Errorf("secret: %s holds fewer than %d characters", path, booking.MinSecretLen)
	}
	return key, nil
}

// ready reports whether the store and every calendar answer.
func (a *App) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := a.Store.Ping(ctx); err != nil {
		return booking.WrapError(booking.EUnavailable, err, "the booking store is unavailable")
	}
	// Check the calendars in parallel, so a slow one does not hide the others.
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for id, c := range a.calendars {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Check(ctx); err != nil {
				mu.Lock()
				errs = append(errs, booking.WrapError(booking.EUnavailable, err, "the calendar of "+id+" is unreachable"))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// warm reads each practitioner's calendars once over the booking horizon, so
// that the first patient does not wait for a cold cache. Failures are only
// logged: the slot queries report them.
func (a *App) warm(ctx context.Context, logger *slog.Logger) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, p := range a.Service.Practitioners() {
		c := a.calendars[p.ID]
		if c == nil {
			continue
		}
		wg.Go(func() {
			now := time.Now()
			if _, err := c.Busy(ctx, now, now.Add(booking.DefaultHorizon)); err != nil {
				logger.Warn("calendar not warmed", "practitioner", p.ID, "err", err)
			}
		})
	}
}

// embeddedDAV opens the file-backed CalDAV server in DATA/dav, protected by
// Basic auth with a random password kept in DATA/dav-password.
func (a *App) embeddedDAV(dataDir string) (http.Handler, error) {
	a.DAV, a.DAVUser = davPrefix, davUser
	a.DAVPasswordFile = filepath.Join(dataDir, "dav-password")
	pw, err := os.ReadFile(a.DAVPasswordFile)
	if errors.Is(err, os.ErrNotExist) {
		var b [18]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		pw = []byte(base64.RawURLEncoding.EncodeToString(b[:]))
		if err := os.WriteFile(a.DAVPasswordFile, append(pw, '\n'), 0o600); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	a.davPassword = strings.TrimSpace(string(pw))
	backend, err := davserver.NewFileBackend(filepath.Join(dataDir, "dav"), davUser)
	if err != nil {
		return nil, err
	}
	a.davBackend = backend
	return basicAuth(davserver.NewHandler(backend, davPrefix), davUser, a.davPassword), nil
}

// ensureEmbeddedCalendar creates the practitioner's calendar in the embedded
// server on first run and, for the demo practitioner, seeds it.
func (a *App) ensureEmbeddedCalendar(dataDir string, pc *PractitionerConfig, p booking.Practitioner) error {
	created, err := a.davBackend.EnsureCalendar(p.ID, p.Name)
	if err != nil {
		return err
	}
	if created && p.ID == "demo" {
		for name, data := range demoEvents(time.Now(), p.Location) {
			if err := a.davBackend.PutObject(p.ID, name, data); err != nil {
				return err
			}
		}
	}
	return nil
}

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rdvlibre/rdv"
	"github.com/rdvlibre/rdv/api"
	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/caldav"
	"github.com/rdvlibre/rdv/notify"
)

// options turns the configuration into the application's options: it
// reads the files the configuration names (secret, admin token, passwords)
// and, with no practitioner configured, gives the demo one. cfg.BaseURL
// must be set.
func (c *Config) options(logger *slog.Logger) (rdv.Options, error) {
	o := rdv.Options{
		DataDir: c.DataDir, BaseURL: c.BaseURL, Store: c.Store,
		Calendars:            map[string]rdv.Calendar{},
		ConfirmWithin:        c.Booking.ConfirmWithin.Duration,
		DeleteCancelled:      c.Booking.DeleteCancelled,
		SyncMaxCancel:        c.Booking.SyncMaxCancel,
		SyncMaxCancelPercent: c.Booking.SyncMaxCancelPercent,
		IntentGrace:          c.Booking.IntentGrace.Duration,
		JobsInterval:         c.Booking.JobsInterval.Duration,
		SyncInterval:         c.Booking.SyncInterval.Duration,
		Retention:            c.Retention.retention(),
		Waitlist:             c.Waitlist.options(),
		Alerts: rdv.Alerts{Off: c.Alerts.Off, Failures: c.Alerts.Failures, After: c.Alerts.After.Duration,
			Every: c.Alerts.Every.Duration, To: c.Alerts.To},
		Challenge: rdv.Challenge{
			Enabled: c.Challenge.Enabled, MaxNumber: c.Challenge.MaxNumber, Expires: c.Challenge.Expires.Duration,
		},
		Desk:          rdv.Desk{Idle: c.Desk.SessionIdle.Duration, Max: c.Desk.SessionMax.Duration, Users: c.Desk.users()},
		Logger:        logger,
		Now:           c.now,
		CrashTestHook: stepHook, // nil but in the crash tests' build (fault.go)
	}
	var err error
	if c.SecretFile != "" {
		if o.Secret, err = rdv.ReadSecret(c.SecretFile); err != nil {
			return o, err
		}
	}
	if o.AdminToken, err = c.adminToken(); err != nil {
		return o, err
	}
	if err := c.applyLimits(&o); err != nil {
		return o, err
	}
	if o.Practice, err = c.Practice.practice(); err != nil {
		return o, err
	}
	o.Mail = rdv.Mail{From: c.Mail.From, Lang: c.Mail.Lang, TemplatesDir: c.Mail.TemplatesDir, Alarm: c.Mail.Alarm.Duration}
	if o.Mail.SMTP, err = c.Mail.SMTP.sender(); err != nil {
		return o, err
	}

	for i, w := range c.Webhooks {
		sec := w.Secret
		if w.SecretFile != "" {
			b, err := os.ReadFile(w.SecretFile)
			if err != nil {
				return o, fmt.Errorf("config: webhook #%d: secret_file: %w", i+1, err)
			}
			sec = strings.TrimSpace(string(b))
		}
		o.Webhooks = append(o.Webhooks, notify.Webhook{URL: w.URL, Secret: sec, Events: w.Events})
	}

	for _, sc := range c.SharedTypes {
		o.SharedTypes = append(o.SharedTypes, sc.SharedType())
	}
	practitioners := c.Practitioners
	if len(practitioners) == 0 {
		practitioners = []PractitionerConfig{demoPractitioner()}
	}
	for i := range practitioners {
		pc := &practitioners[i]
		p, err := pc.Practitioner()
		if err != nil {
			return o, err
		}
		o.Practitioners = append(o.Practitioners, p)
		if at, ok, err := pc.digest(); err != nil {
			return o, err
		} else if ok {
			if o.DailyDigest == nil {
				o.DailyDigest = map[string]booking.Clock{}
			}
			o.DailyDigest[p.ID] = at
		}
		event, err := pc.CalendarEvent.template(c.CalendarEvent)
		if err != nil {
			return o, fmt.Errorf("config: practitioner %s: calendar_event: %w", p.ID, err)
		}
		cc := &pc.Calendar
		if cc.URL == "" {
			// The embedded calendar server; the demo practitioner's
			// calendar is seeded on first run.
			cal := rdv.Calendar{Availability: caldav.AvailabilityConfig{Calendar: strings.TrimSpace(cc.Availability)}, Event: event}
			if p.ID == "demo" {
				cal.Seed = demoEvents(time.Now(), p.Location)
			}
			o.Calendars[p.ID] = cal
			continue
		}
		pw, err := secret(cc.Password, cc.PasswordFile)
		if err != nil {
			return o, err
		}
		o.Calendars[p.ID] = rdv.Calendar{
			URL: cc.URL, Username: cc.Username, Password: pw,
			Bookings: cc.Bookings, Busy: cc.Busy, Availability: cc.availability(),
			Event: event,
		}
	}
	return o, nil
}

// sender returns the configuration of the SMTP sender, the password read
// from password_file if given; the zero value without an address.
func (sc SMTPConfig) sender() (notify.SMTPConfig, error) {
	if sc.Addr == "" {
		return notify.SMTPConfig{}, nil
	}
	pw, err := secret(sc.Password, sc.PasswordFile)
	if err != nil {
		return notify.SMTPConfig{}, err
	}
	return notify.SMTPConfig{Addr: sc.Addr, Username: sc.Username, Password: pw, TLS: sc.TLS}, nil
}

// build wires the application from cfg. cfg.BaseURL must be set.
func build(ctx context.Context, cfg *Config, logger *slog.Logger) (*rdv.App, error) {
	o, err := cfg.options(logger)
	if err != nil {
		return nil, err
	}
	return rdv.New(ctx, o)
}

// practice returns the pages' presentation of the practice, with its logo
// read from its file.
func (pc PracticeConfig) practice() (api.Practice, error) {
	p := api.Practice{
		Name: pc.Name, Color: pc.Color, Phone: pc.Phone, Address: pc.Address, MapURL: pc.MapURL,
		LegalURL: pc.LegalURL, PrivacyURL: pc.PrivacyURL, AccessibilityURL: pc.AccessibilityURL,
		FrameAncestors: pc.FrameAncestors,
	}
	if pc.Logo == "" {
		return p, nil
	}
	data, err := os.ReadFile(pc.Logo)
	if err != nil {
		return p, fmt.Errorf("practice logo: %w", err)
	}
	types := map[string]string{".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp", ".svg": "image/svg+xml"}
	typ, ok := types[strings.ToLower(filepath.Ext(pc.Logo))]
	if !ok {
		return p, fmt.Errorf("practice logo %s: not a .png, .jpg, .webp or .svg file", pc.Logo)
	}
	p.Logo, p.LogoType = data, typ
	return p, nil
}

package rdv

import (
	"log/slog"
	"time"

	"github.com/rdvlibre/rdv/api"
	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/caldav"
	"github.com/rdvlibre/rdv/ics"
	"github.com/rdvlibre/rdv/notify"
)

// Options configure an App. DataDir, BaseURL and Practitioners are
// required; every other field has a working zero value.
type Options struct {
	// DataDir is where rdv keeps its files: the SQLite store, the secret,
	// the embedded CalDAV server and the outbox of .eml files. New creates
	// it (mode 0700) if missing.
	DataDir string
	// BaseURL is the public URL of rdv, used in the links of the emails.
	BaseURL string
	// Store is where the booking ledger lives: a SQLite file (default
	// DataDir/rdv.db) or a PostgreSQL URL (postgres://…) that several
	// replicas share (store.Open).
	Store string
	// Secret encrypts what the store keeps but must not reveal (manage
	// tokens waiting in the outbox, replayable Idempotency-Key results): at
	// least booking.MinSecretLen bytes, the same for every replica. Nil:
	// DataDir/secret.key, created with 32 random bytes on first run.
	Secret []byte
	// AdminToken is the bearer token of the admin API under /v1/admin/, at
	// least api.MinAdminTokenLen characters; empty disables it.
	AdminToken string
	// Desk sets how long a session of the practice's desk pages (under
	// /desk/, served when AdminToken is set; docs/desk.md) lasts. Its
	// sessions are kept in the Store, so that every replica knows them.
	Desk Desk
	// Mail says how patients are emailed.
	Mail Mail
	// Webhooks are the host's endpoints told of every change of a
	// booking, signed (notify.Webhooks, docs/notify.md). They receive the
	// patient's contact: the host's own systems, over HTTPS. None by
	// default.
	Webhooks []notify.Webhook
	// Challenge asks for a proof of work before each booking; off by
	// default.
	Challenge Challenge
	// Practice is how the patient pages present the practice (name, logo,
	// colour, contact, legal pages) and which sites may frame them.
	Practice api.Practice

	// Practitioners are the practitioners offered for booking.
	Practitioners []booking.Practitioner
	// SharedTypes are motives several of the Practitioners offer together,
	// booked with the first available (booking.Service.AddSharedType).
	SharedTypes []booking.SharedType
	// DailyDigest emails practitioners, by ID, the day's bookings at this
	// local time (patients' names and phones; motives only when their type
	// discloses them), once whatever the number of replicas; none on a
	// day without bookings. The practitioner's Email is required.
	DailyDigest map[string]booking.Clock
	// Waitlist turns the waiting list on (docs/waitlist.md): patients for
	// whom no slot suits leave a window, and are emailed when a slot in it
	// frees up. Nil (the default): off, and its endpoints answer 404.
	Waitlist *booking.WaitlistConfig
	// CalendarEvent makes the SUMMARY and DESCRIPTION of the events rdv
	// writes in the practitioners' calendars (ics.NewEventTemplate), for
	// those whose Calendar sets no Event. Nil: ics's defaults, which name
	// the patient, the length of the visit and the phone, and the type only
	// when it discloses its motive.
	CalendarEvent *ics.EventTemplate
	// Calendars binds practitioners to their CalDAV calendars, by
	// practitioner ID. A practitioner without a URL there gets a calendar
	// in the embedded CalDAV server, kept in DataDir/dav and served by
	// Handler under /dav/.
	Calendars map[string]Calendar

	// The booking lifecycle: booking.ServiceConfig documents each field.
	ConfirmWithin        time.Duration
	DeleteCancelled      bool
	SyncMaxCancel        int
	SyncMaxCancelPercent int
	IntentGrace          time.Duration

	// Retention says how long the patient's contact is kept in the store
	// after the visit: 90 days after its end, and 30 days after a
	// cancellation or expiry or the start of the visit, whichever comes
	// first, by default (booking.Retention, docs/privacy.md). Run erases
	// it every hour; the calendar is never touched.
	Retention booking.Retention

	// Limits bound what one patient, and the public as a whole, may book,
	// move and be emailed, shared by the replicas through the store
	// (booking.Limits); the zero value takes the defaults.
	Limits booking.Limits
	// RateLimits are the per-client limits of the public endpoints, per
	// replica (api.RateLimits); the zero value takes the defaults.
	// NoRateLimits turns them off.
	RateLimits   api.RateLimits
	NoRateLimits bool
	// CORSOrigins are the origins whose pages may call the JSON API from a
	// browser; none by default.
	CORSOrigins []string
	// PublicMetrics serves /metrics to anyone on Handler; by default it
	// needs the admin token. MetricsHandler serves them on a listener of
	// the host's own.
	PublicMetrics bool

	// Alerts say when the practice and the host are told that a calendar
	// can't be read or that its sync is held; on by default.
	Alerts Alerts

	// JobsInterval is how often Run expires pending bookings, settles the
	// calendar writes a crash cut short, sends the outbox and purges old
	// records (default 30s). SyncInterval is how often it checks the
	// calendars for what the practitioners changed (default 2m).
	JobsInterval time.Duration
	SyncInterval time.Duration

	// Logger receives the logs of every part of rdv; nil: slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// CrashTestHook is for crash tests only: booking.ServiceConfig.CrashTestHook.
	CrashTestHook func(step string)
}

// Calendar binds a practitioner to a CalDAV calendar.
type Calendar struct {
	// URL is a Nextcloud base URL, any CalDAV server URL or a calendar
	// URL. Empty: the embedded CalDAV server.
	URL      string
	Username string
	Password string // a Nextcloud app password
	// Bookings is the display name or path of the calendar bookings are
	// written to; required with URL. Busy names the other calendars whose
	// events make time busy.
	Bookings string
	Busy     []string
	// Availability names the sources of open time kept on the server
	// (caldav.AvailabilityConfig). On the embedded server only
	// Availability.Calendar applies: the display name of a calendar
	// created as ID-availability.
	Availability caldav.AvailabilityConfig
	// Seed holds iCalendar objects, by file name, put in the practitioner's
	// embedded calendar when New creates it (the demo's events).
	Seed map[string][]byte
	// Event makes the SUMMARY and DESCRIPTION of the practitioner's booking
	// events; nil: Options.CalendarEvent.
	Event *ics.EventTemplate
}

// Challenge asks for a proof of work (ALTCHA's protocol) before each
// booking, by the API (GET /v1/challenge, the X-Altcha header) and the
// booking form (a script of the site solves it): api.ChallengeConfig. Its
// key is derived from Options.Secret, so replicas sharing the secret accept
// each other's challenges; each replica remembers the solutions it accepted
// on its own.
type Challenge struct {
	Enabled bool
	// MaxNumber is the difficulty (default 50 000); Expires how long a
	// challenge serves (default 5 minutes, at least 1 minute).
	MaxNumber int
	Expires   time.Duration
}

// Mail says how patients are emailed.
type Mail struct {
	// From is the sender, e.g. "Cabinet Martin <rdv@example.org>";
	// default "rdv <rdv@localhost.localdomain>".
	From string
	// Lang is "fr" (the default) or "en": the language of the messages of
	// bookings made without one (booking.Booking.Lang).
	Lang string
	// TemplatesDir, if set, holds template files that replace the embedded
	// ones (notify.MailerConfig.TemplatesDir).
	TemplatesDir string
	// SMTP is the submission server. Without SMTP.Addr nor Sender, messages
	// are written as .eml files under DataDir/outbox.
	SMTP notify.SMTPConfig
	// Sender, if set, hands the messages over instead of SMTP.
	Sender notify.Sender
	// Alarm, if set, adds to the patient's invitations an alarm this long
	// before the visit (see notify.MailerConfig.Alarm).
	Alarm time.Duration
}

// Default intervals of Run's loops.
const (
	DefaultJobsInterval = 30 * time.Second
	DefaultSyncInterval = 2 * time.Minute
)

// Desk is how long a session of the desk lasts: Idle without use
// (api.DefaultDeskIdle if 0), Max after the login (api.DefaultDeskMax if 0);
// and who may log in with a password (api.DeskConfig.Users).
type Desk struct {
	Idle, Max time.Duration
	Users     []api.DeskUser
}

package main

import (
	"bytes"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/rdvlibre/rdv/api"
	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/ics"
	"github.com/rdvlibre/rdv/internal/pow"
)

// Config is the service's configuration file (TOML). Every field is optional:
// with no file at all, rdv runs on the embedded demo defaults.
type Config struct {
	Addr    string `toml:"addr"`     // listen address; -addr and RDV_ADDR override it
	DataDir string `toml:"data_dir"` // -data and RDV_DATA_DIR override it
	// Store is where the booking ledger lives: a SQLite file (default
	// DATA/rdv.db) or a PostgreSQL URL (postgres://…) shared by several
	// replicas. RDV_STORE overrides it; the password may come from PGPASSWORD.
	Store   string     `toml:"store"`
	BaseURL string     `toml:"base_url"` // public URL of rdv, used in emails' links
	Mail    MailConfig `toml:"mail"`
	// SecretFile holds the service's secret (at least 32 characters), which
	// encrypts what the database keeps but must not reveal (manage tokens
	// waiting in the outbox, replayable Idempotency-Key results). Default:
	// DATA/secret.key, created on first run. Replicas must share it.
	SecretFile string `toml:"secret_file"`
	// AdminTokenFile holds the bearer token of the admin API (/v1/admin/:
	// the practitioners' agenda with the patients' contact, cancelling,
	// closures), at least 32 characters; AdminToken gives it inline. Without
	// either, the admin API is disabled.
	AdminTokenFile string        `toml:"admin_token_file"`
	AdminToken     string        `toml:"admin_token"`
	Booking        BookingConfig `toml:"booking"`
	// Limits bound what one patient, one client address and the public as a
	// whole may do; see LimitsConfig and docs/limits.md.
	Limits LimitsConfig `toml:"limits"`
	// Retention says how long the patients' contact stays in rdv's store;
	// see RetentionConfig and docs/privacy.md.
	Retention RetentionConfig `toml:"retention"`
	// Waitlist is the waiting list (docs/waitlist.md); off by default.
	Waitlist WaitlistConfig `toml:"waitlist"`
	// TrustedProxies are the reverse proxies (addresses or networks) whose
	// Forwarded or X-Forwarded-For header names the client, for the rate
	// limits. Empty (the default): the peer of the connection is the client.
	TrustedProxies []string `toml:"trusted_proxies"`
	// ForwardedHeader is the header those proxies write: "X-Forwarded-For"
	// (the default) or "Forwarded". Only that one is read.
	ForwardedHeader string `toml:"forwarded_header"`
	// CORSOrigins are the origins whose pages may call the JSON API from a
	// browser ("https://www.cabinet-martin.fr"); none by default.
	CORSOrigins []string `toml:"cors_origins"`
	// MetricsAddr, if set, serves /metrics (Prometheus) on this address,
	// e.g. 127.0.0.1:9090, to whoever reaches it; -metrics-addr and
	// RDV_METRICS_ADDR override it. On the public address /metrics needs
	// the admin token, unless PublicMetrics.
	MetricsAddr   string `toml:"metrics_addr"`
	PublicMetrics bool   `toml:"public_metrics"`
	// LogFormat is how log lines are written to the standard error: "text"
	// (logfmt, the default) or "json" (one object a line); LogLevel the
	// least level written: debug, info (the default), warn or error.
	LogFormat string `toml:"log_format"`
	LogLevel  string `toml:"log_level"`
	// Alerts tell the practice and the host when a calendar can't be read
	// or a sync is held (rdv.Alerts, docs/operations.md).
	Alerts AlertsConfig `toml:"alerts"`
	// Challenge asks for a proof of work before each booking (off by
	// default).
	Challenge ChallengeConfig `toml:"challenge"`
	// Desk is the practice's desk pages under /desk/ (docs/desk.md),
	// served when an admin token is set.
	Desk DeskConfig `toml:"desk"`
	// Practice is how the patient pages present the practice.
	Practice PracticeConfig `toml:"practice"`
	// CalendarEvent sets what the events rdv writes in the practitioners'
	// calendars show; a practitioner's own calendar_event overrides it.
	CalendarEvent CalendarEventConfig `toml:"calendar_event"`
	// Practitioners; none means the demo practitioner on the embedded calendar.
	Practitioners []PractitionerConfig `toml:"practitioners"`
	// SharedTypes are motives several practitioners offer together, booked
	// with the first available (docs/booking.md, "Shared motives").
	SharedTypes []SharedTypeConfig `toml:"shared_types"`
	// Webhooks are the host's endpoints told of every change of a booking
	// (docs/notify.md).
	Webhooks []WebhookConfig `toml:"webhooks"`

	now func() time.Time // the clock, for tests; nil: time.Now
}

// DeskConfig is the [desk] section (api.DeskConfig): how long a session
// of the desk lasts.
type DeskConfig struct {
	SessionIdle duration `toml:"session_idle"` // ends a session unused this long (default 12h)
	SessionMax  duration `toml:"session_max"`  // ends a session this long after the login (default 168h)
	// Users may log in with a name and a password instead of the admin
	// token ([[desk.users]]).
	Users []DeskUserConfig `toml:"users"`
}

// DeskUserConfig is a [[desk.users]] entry (api.DeskUser).
type DeskUserConfig struct {
	Name string `toml:"name"`
	// PasswordHash is the Argon2id PHC string that rdv desk-password
	// prints.
	PasswordHash string `toml:"password_hash"`
	// Practitioners are the ids of the practitioners the user sees; none:
	// all of them.
	Practitioners []string `toml:"practitioners"`
}

// users returns the desk users of the section.
func (d DeskConfig) users() []api.DeskUser {
	var out []api.DeskUser
	for _, u := range d.Users {
		out = append(out, api.DeskUser{Name: u.Name, PasswordHash: u.PasswordHash, Practitioners: u.Practitioners})
	}
	return out
}

// check checks the [desk] section.
func (d DeskConfig) check() error {
	idle, max := d.SessionIdle.Duration, d.SessionMax.Duration
	if idle < 0 || max < 0 || (idle != 0 && idle < time.Minute) || (max != 0 && max < time.Minute) {
		return fmt.Errorf("config: desk.session_idle and desk.session_max: want 1m or more (0: the defaults, %s and %s)", api.DefaultDeskIdle, api.DefaultDeskMax)
	}
	return nil
}

// AlertsConfig is the [alerts] section (rdv.Alerts): on by default.
type AlertsConfig struct {
	Off      bool     `toml:"off"`
	Failures int      `toml:"failures"` // failed reads in a row (default 3)
	After    duration `toml:"after"`    // or failing this long (default 5m)
	Every    duration `toml:"every"`    // at most one alert per practitioner and condition this often (default 6h)
	To       []string `toml:"to"`       // the host's addresses, told beside the practitioner's
}

// check checks the [alerts] section.
func (a AlertsConfig) check() error {
	if a.Failures < 0 || a.After.Duration < 0 || a.Every.Duration < 0 {
		return fmt.Errorf("config: alerts: failures, after and every cannot be negative")
	}
	for _, addr := range a.To {
		if _, err := mail.ParseAddress(addr); err != nil {
			return fmt.Errorf("config: alerts.to: %q is not an email address", addr)
		}
	}
	return nil
}

// PracticeConfig is how the patient pages present the practice (api.Practice).
type PracticeConfig struct {
	Name string `toml:"name"` // in the header and every page's title
	// Logo is an image file (PNG, JPEG, WebP or SVG, at most 256 KiB),
	// read at start and served by rdv.
	Logo string `toml:"logo"`
	// Color is #rrggbb, dark enough for white text and as text on light
	// grey #f2f2f2 (contrast 4.5:1).
	Color   string `toml:"color"`
	Phone   string `toml:"phone"`
	Address string `toml:"address"`
	// MapURL links a map of the address; default: OpenStreetMap's search.
	MapURL           string `toml:"map_url"`
	LegalURL         string `toml:"legal_url"`
	PrivacyURL       string `toml:"privacy_url"`
	AccessibilityURL string `toml:"accessibility_url"`
	// FrameAncestors are the sites ("https://www.cabinet-martin.fr") whose
	// pages may show rdv's pages in an iframe; none by default.
	FrameAncestors []string `toml:"frame_ancestors"`
}

// MailConfig says how patients are emailed.
type MailConfig struct {
	From string     `toml:"from"` // "Cabinet Martin <rdv@example.org>"
	Lang string     `toml:"lang"` // "fr" (default) or "en", for bookings made without a language
	SMTP SMTPConfig `toml:"smtp"` // without an address, messages go to DATA/outbox as .eml files
	// TemplatesDir holds template files that replace the embedded ones of
	// the same name (fr/created.tmpl, en/created.html.tmpl…; see
	// docs/notify.md). A file that can't be used stops the start.
	TemplatesDir string `toml:"templates_dir"`
	// Alarm adds to the patient's invitations an alarm this long before
	// the visit ("1h"); none by default.
	Alarm duration `toml:"alarm"`
}

// BookingConfig holds the rules of the booking lifecycle common to all
// practitioners.
type BookingConfig struct {
	// ConfirmWithin is how long a pending booking waits for the patient's
	// confirmation, for the types that set none (default 2h).
	ConfirmWithin duration `toml:"confirm_within"`
	// DeleteCancelled removes a cancelled booking's event instead of keeping
	// it with STATUS:CANCELLED.
	DeleteCancelled bool `toml:"delete_cancelled"`
	// JobsInterval is how often pending bookings are expired and the
	// notifications left in the outbox are sent again (default 30s).
	JobsInterval duration `toml:"jobs_interval"`
	// SyncInterval is how often the bookings calendars are checked for
	// events the practitioner deleted, moved or cancelled (default 2m).
	SyncInterval duration `toml:"sync_interval"`
	// SyncMaxCancel and SyncMaxCancelPercent guard against a bookings
	// calendar emptied or replaced: a sync pass that would cancel more than
	// SyncMaxCancel of a practitioner's bookings to come because their
	// events are missing, and more than SyncMaxCancelPercent percent of
	// them, cancels nothing and logs an error (defaults 5 and 50; a
	// percentage of 100 turns the guard off). See booking.Service.Sync.
	SyncMaxCancel        int `toml:"sync_max_cancel"`
	SyncMaxCancelPercent int `toml:"sync_max_cancel_percent"`
	// IntentGrace is how long a calendar write cut short (a crash between
	// the calendar and the ledger) is left to its writer before any
	// replica settles it: removes an event no one was given, or puts back
	// one no patient was told of (booking.ServiceConfig.IntentGrace).
	IntentGrace duration `toml:"intent_grace"`
}

// RetentionConfig says how long the patient's name, email and phone stay
// in rdv's store (booking.Retention): after that, the booking's row stays,
// anonymous, for counts, and its messages and idempotency records go. The
// practitioner's calendar is never touched. Periods are days ("90d") or
// Go durations ("2160h"), at least a day.
type RetentionConfig struct {
	// AfterVisit is how long after a visit's end (default 90d).
	AfterVisit period `toml:"after_visit"`
	// Cancelled is how long after a cancellation or an expiry, or after
	// the visit's start if that comes first (default 30d).
	Cancelled period `toml:"cancelled"`
}

// retention returns the booking.Retention of rc.
func (rc RetentionConfig) retention() booking.Retention {
	return booking.Retention{AfterVisit: rc.AfterVisit.Duration, Cancelled: rc.Cancelled.Duration}
}

// check refuses periods shorter than a day, negative ones included.
func (rc RetentionConfig) check() error {
	for _, f := range []struct {
		key string
		d   time.Duration
	}{{"after_visit", rc.AfterVisit.Duration}, {"cancelled", rc.Cancelled.Duration}} {
		if f.d != 0 && f.d < booking.MinRetention {
			return fmt.Errorf("config: retention.%s %s: want at least 1d (0: the default)", f.key, period{f.d})
		}
	}
	return nil
}

// WaitlistConfig is the waiting list (booking.WaitlistConfig): patients
// for whom no slot suits leave a window of days, and are emailed, in the
// order they joined, when a slot in it frees up. Off unless Enabled: a host
// opts in, since it sends emails of a new kind and keeps contacts for it.
type WaitlistConfig struct {
	Enabled bool `toml:"enabled"`
	// Batch is how many entries are told of one free slot at a time
	// (default 3).
	Batch int `toml:"batch"`
	// Interval is how long before the next batch is told of the same slot,
	// and the least time between two alerts to one entry (default 30m).
	Interval duration `toml:"interval"`
	// MaxPerEmail is how many live entries one address may hold (default 3).
	MaxPerEmail int `toml:"max_per_email"`
}

// check refuses what the waiting list can't use.
func (wc WaitlistConfig) check() error {
	switch {
	case wc.Batch < 0 || wc.Batch > 100:
		return fmt.Errorf("config: waitlist.batch %d: want 1 to 100 (0: the default)", wc.Batch)
	case wc.Interval.Duration < 0 || (wc.Interval.Duration != 0 && wc.Interval.Duration < time.Minute):
		return fmt.Errorf("config: waitlist.interval %s: want at least 1m (0: the default)", wc.Interval.Duration)
	case wc.MaxPerEmail < 0 || wc.MaxPerEmail > 100:
		return fmt.Errorf("config: waitlist.max_per_email %d: want 1 to 100 (0: the default)", wc.MaxPerEmail)
	}
	return nil
}

// options returns the waiting list's configuration, nil when it is off.
func (wc WaitlistConfig) options() *booking.WaitlistConfig {
	if !wc.Enabled {
		return nil
	}
	return &booking.WaitlistConfig{Batch: wc.Batch, Interval: wc.Interval.Duration, MaxPerEmail: wc.MaxPerEmail}
}

// period is a duration written as days ("90d") or as Go writes durations
// ("2160h").
type period struct{ time.Duration }

// MarshalText writes p in days when it is a positive whole number of them ("90d"),
// else as Go writes durations; UnmarshalText reads both.
func (p period) MarshalText() ([]byte, error) {
	const day = 24 * time.Hour
	if p.Duration > 0 && p.Duration%day == 0 {
		return []byte(strconv.FormatInt(int64(p.Duration/day), 10) + "d"), nil
	}
	return []byte(p.Duration.String()), nil
}

func (p *period) UnmarshalText(b []byte) error {
	s := string(b)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 || days > 36500 {
			return fmt.Errorf("%q is not a number of days like \"90d\"", b)
		}
		p.Duration = time.Duration(days) * 24 * time.Hour
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a period like \"90d\" or \"2160h\"", b)
	}
	p.Duration = v
	return nil
}

// String returns p as MarshalText writes it.
func (p period) String() string {
	b, _ := p.MarshalText()
	return string(b)
}

// ChallengeConfig is the proof of work asked before each booking, in
// ALTCHA's protocol: the booking form solves it in the patient's browser
// (it then needs JavaScript), API clients get it from GET /v1/challenge
// and send the solution in X-Altcha. See docs/api.md.
type ChallengeConfig struct {
	Enabled bool `toml:"enabled"`
	// MaxNumber is the difficulty: up to max_number+1 hashes, half on
	// average (default 50000).
	MaxNumber int `toml:"max_number"`
	// Expires is how long a challenge serves (default 5m, 1m to 1h).
	Expires duration `toml:"expires"`
}

// SMTPConfig is an SMTP submission server.
type SMTPConfig struct {
	Addr         string `toml:"addr"` // host:port
	Username     string `toml:"username"`
	Password     string `toml:"password"`
	PasswordFile string `toml:"password_file"`
	TLS          string `toml:"tls"` // "starttls" (default), "tls" or "none"
}

// WebhookConfig is an endpoint of the host's that receives the bookings'
// events, signed as Standard Webhooks says. The events carry the patient's
// contact: https, or http to the loopback only.
type WebhookConfig struct {
	URL string `toml:"url"`
	// SecretFile holds the signing secret, "whsec_" then the base64 of 24
	// to 64 random bytes; Secret gives it inline.
	Secret     string `toml:"secret"`
	SecretFile string `toml:"secret_file"`
	// Events, if set, are the only event types sent ("booking.created"…).
	Events []string `toml:"events"`
}

// PractitionerConfig describes one practitioner.
type PractitionerConfig struct {
	ID       string              `toml:"id"`
	Name     string              `toml:"name"`
	Email    string              `toml:"email"`
	Timezone string              `toml:"timezone"`
	Hours    map[string][]string `toml:"hours"` // "mon" = ["08:30-12:00", "14:00-18:00"]
	// Dates replaces the hours of particular dates: "2026-12-24" = ["08:30-12:00"];
	// an empty list closes the date.
	Dates map[string][]string `toml:"dates"`
	// Closed lists closed periods: "2026-12-24..2027-01-02" or a single "2026-11-02".
	Closed []string `toml:"closed"`
	// OpenOnHolidays keeps the French public holidays open (they are closed by default).
	OpenOnHolidays bool `toml:"open_on_holidays"`
	// AlsaceMoselle also closes Good Friday and 26 December.
	AlsaceMoselle bool `toml:"alsace_moselle"`
	// Contact says how patients reach the practice ("01 23 45 67 89"),
	// shown when a booking can no longer be changed online.
	Contact string `toml:"contact"`
	// NotifyBookings emails the practitioner's address (email, required)
	// when a booking is made, moved, cancelled or released.
	NotifyBookings bool `toml:"notify_bookings"`
	// DailyDigest, "07:00", emails the practitioner's address (required)
	// the day's bookings at this local time; none on a day without any.
	DailyDigest string `toml:"daily_digest"`
	// MaxPerDay is the most bookings, all types together, one local day
	// of the practitioner may hold (booking.Practitioner.MaxBookingsPerDay);
	// 0: no cap.
	MaxPerDay int            `toml:"max_per_day"`
	Calendar  CalendarConfig `toml:"calendar"`
	// CalendarEvent overrides, key by key, the [calendar_event] of the
	// configuration for this practitioner's events.
	CalendarEvent CalendarEventConfig `toml:"calendar_event"`
	Types         []TypeConfig        `toml:"types"`
}

// CalendarEventConfig holds the Go text/template templates of the SUMMARY
// and DESCRIPTION of the booking events in the practitioner's calendar
// (ics.EventFields lists what they may use: .Patient, .Phone, .Email,
// .Type, .TypeID, .Practitioner, .Date, .Time, .EndTime, .Duration, .Start,
// .End, .Lang). .Type and .TypeID are empty for a private type. Empty: the
// defaults (ics.DefaultEventSummary, ics.DefaultEventDescription). They are
// tried on sample bookings at start: the SUMMARY must be one line.
type CalendarEventConfig struct {
	Summary     string `toml:"summary"`
	Description string `toml:"description"`
}

// template returns the event template of cc, the keys it leaves empty
// taken from def; nil when both are empty (the defaults).
func (cc CalendarEventConfig) template(def CalendarEventConfig) (*ics.EventTemplate, error) {
	if cc.Summary == "" {
		cc.Summary = def.Summary
	}
	if cc.Description == "" {
		cc.Description = def.Description
	}
	if cc == (CalendarEventConfig{}) {
		return nil, nil
	}
	return ics.NewEventTemplate(cc.Summary, cc.Description)
}

// CalendarConfig binds a practitioner to a CalDAV calendar. Without a URL the
// embedded CalDAV server is used.
type CalendarConfig struct {
	URL          string   `toml:"url"` // Nextcloud base URL, any CalDAV server URL, or a calendar URL
	Username     string   `toml:"username"`
	Password     string   `toml:"password"` // a Nextcloud app password
	PasswordFile string   `toml:"password_file"`
	Bookings     string   `toml:"bookings"` // display name or path of the calendar bookings are written to
	Busy         []string `toml:"busy"`     // other calendars whose events make time busy
	// Availability names a calendar whose events mark open time (recurring
	// ones included), so that the practitioner keeps opening hours from
	// their phone; its events are never busy time. They add to hours.
	// Without url, rdv creates it in the embedded server (ID-availability).
	Availability string `toml:"availability"`
	// WorkingHours reads the working hours set on the server (Nextcloud:
	// Settings, Availability): the RFC 7953 VAVAILABILITY of the scheduling
	// inbox, read for every query. WorkingHoursURL names the resource whose
	// calendar-availability property holds them, for a server without
	// scheduling inbox (and implies working_hours). WorkingHoursMode is
	// "replace" (default: where they apply, they replace hours) or "add".
	// See availability.go.
	WorkingHours     bool   `toml:"working_hours"`
	WorkingHoursURL  string `toml:"working_hours_url"`
	WorkingHoursMode string `toml:"working_hours_mode"`
}

// TypeConfig is an appointment type. Durations use Go syntax: "20m", "1h30m".
type TypeConfig struct {
	ID                  string   `toml:"id"`
	Name                string   `toml:"name"`
	Duration            duration `toml:"duration"`
	Step                duration `toml:"step"`
	BufferBefore        duration `toml:"buffer_before"`
	BufferAfter         duration `toml:"buffer_after"`
	MinNotice           duration `toml:"min_notice"`
	HorizonDays         int      `toml:"horizon_days"`
	Location            string   `toml:"location"`
	RequireConfirmation bool     `toml:"require_confirmation"`
	// ConfirmWithin overrides booking.confirm_within for this type.
	ConfirmWithin duration `toml:"confirm_within"`
	// CancelCutoff closes cancelling and moving online this long before the
	// start ("24h"); default: until the start.
	CancelCutoff duration `toml:"cancel_cutoff"`
	// Capacity is how many patients one slot takes (default 1).
	Capacity int `toml:"capacity"`
	// Private keeps the type's name out of the emails and the invitation
	// sent to the patient (default true): they name the practice and the
	// practitioner only; and out of the texts of the practitioner's
	// calendar event, unless its template is changed. private = false lets
	// the motive show (booking.AppointmentType.DiscloseMotive).
	Private *bool `toml:"private"`
	// Unlisted keeps the type off the pages' list of motives: patients
	// reach it by its own link only (/p/PRACTITIONER/TYPE).
	Unlisted bool `toml:"unlisted"`
	// NoWaitlist keeps the type off the waiting list (docs/waitlist.md),
	// when [waitlist] is on.
	NoWaitlist bool `toml:"no_waitlist"`
	// MaxPerDay is the most bookings of the type one local day of the
	// practitioner may hold, a group session counting its patients
	// (booking.AppointmentType.MaxPerDay); 0: no cap.
	MaxPerDay int `toml:"max_per_day"`
	// Reminders are when the patient is emailed before the visit, as
	// offsets before its start (["48h", "2h"]; whole days are taken on the
	// practitioner's wall clock). Absent: one, 24 hours before; an empty
	// list ([]): none.
	Reminders *[]duration `toml:"reminders"`
}

// reminders returns the type's reminders: nil when the key is absent (the
// default), an empty list for reminders = [].
func (tc TypeConfig) reminders() []time.Duration {
	if tc.Reminders == nil {
		return nil
	}
	out := make([]time.Duration, len(*tc.Reminders))
	for i, d := range *tc.Reminders {
		out[i] = d.Duration
	}
	return out
}

type duration struct{ time.Duration }

// MarshalText writes d as Go writes durations ("1h30m0s"), which
// UnmarshalText reads back.
func (d duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like \"20m\" or \"1h30m\"", b)
	}
	d.Duration = v
	return nil
}

// LoadConfig reads and checks a TOML file. Unknown keys are errors, so a typo
// does not silently fall back to a default.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseConfig(data)
}

// ParseConfig parses a TOML configuration.
func ParseConfig(data []byte) (*Config, error) {
	var c Config
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&c)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("config: unknown keys: %s", strings.Join(keys, ", "))
	}
	return &c, nil
}

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// Practitioner turns a practitioner's config into the domain type.
func (pc *PractitionerConfig) Practitioner() (booking.Practitioner, error) {
	p := booking.Practitioner{ID: pc.ID, Name: pc.Name, Email: pc.Email, Contact: strings.TrimSpace(pc.Contact), NotifyBookings: pc.NotifyBookings}
	if p.Name == "" {
		p.Name = p.ID
	}
	if pc.Email != "" {
		if a, err := mail.ParseAddress(pc.Email); err != nil || a.Address != pc.Email {
			return p, fmt.Errorf("practitioner %s: email %q is not an address like name@domain", pc.ID, pc.Email)
		}
	} else if pc.NotifyBookings {
		return p, fmt.Errorf("practitioner %s: notify_bookings needs the practitioner's email", pc.ID)
	}
	tz := pc.Timezone
	if tz == "" {
		tz = "Europe/Paris"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return p, fmt.Errorf("practitioner %s: timezone %q is not an IANA zone name", pc.ID, tz)
	}
	p.Location = loc
	for day, ranges := range pc.Hours {
		wd, ok := weekdayNames[strings.ToLower(day)]
		if !ok {
			return p, fmt.Errorf("practitioner %s: hours: %q is not a day (mon, tue, wed, thu, fri, sat, sun)", pc.ID, day)
		}
		var rs []booking.ClockRange
		for _, s := range ranges {
			r, err := booking.ParseClockRange(s)
			if err != nil {
				return p, fmt.Errorf("practitioner %s: hours %s: %w", pc.ID, day, err)
			}
			rs = append(rs, r)
		}
		p.Schedule.Weekly.Set(wd, rs...)
	}
	for day, ranges := range pc.Dates {
		d, err := booking.ParseDate(day)
		if err != nil {
			return p, fmt.Errorf("practitioner %s: dates: %w", pc.ID, err)
		}
		o := booking.DateOverride{Date: d}
		for _, s := range ranges {
			r, err := booking.ParseClockRange(s)
			if err != nil {
				return p, fmt.Errorf("practitioner %s: dates %s: %w", pc.ID, day, err)
			}
			o.Hours = append(o.Hours, r)
		}
		p.Schedule.Overrides = append(p.Schedule.Overrides, o)
	}
	for _, c := range pc.Closed {
		a, b, isRange := strings.Cut(c, "..")
		if !isRange {
			b = a
		}
		from, err1 := booking.ParseDate(strings.TrimSpace(a))
		to, err2 := booking.ParseDate(strings.TrimSpace(b))
		if err1 != nil || err2 != nil || to.Before(from) {
			return p, fmt.Errorf("practitioner %s: closed %q: want YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD", pc.ID, c)
		}
		p.Schedule.Closures = append(p.Schedule.Closures, booking.Closure{From: from, To: to})
	}
	p.MaxBookingsPerDay = pc.MaxPerDay
	p.Schedule.OpenOnHolidays = pc.OpenOnHolidays
	p.Schedule.AlsaceMoselle = pc.AlsaceMoselle
	for _, tc := range pc.Types {
		p.Types = append(p.Types, booking.AppointmentType{
			ID: tc.ID, Name: tc.Name, Duration: tc.Duration.Duration, Step: tc.Step.Duration,
			BufferBefore: tc.BufferBefore.Duration, BufferAfter: tc.BufferAfter.Duration,
			MinNotice: tc.MinNotice.Duration, Horizon: time.Duration(tc.HorizonDays) * 24 * time.Hour,
			Location: tc.Location, RequireConfirmation: tc.RequireConfirmation,
			ConfirmWithin: tc.ConfirmWithin.Duration, CancelCutoff: tc.CancelCutoff.Duration, Capacity: tc.Capacity, Unlisted: tc.Unlisted, NoWaitlist: tc.NoWaitlist,
			MaxPerDay:      tc.MaxPerDay,
			DiscloseMotive: tc.Private != nil && !*tc.Private,
			Reminders:      tc.reminders(),
		})
		if p.Types[len(p.Types)-1].Name == "" {
			p.Types[len(p.Types)-1].Name = tc.ID
		}
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	return p, nil
}

// digest returns the local time of the practitioner's daily digest, if
// they asked for one.
func (pc *PractitionerConfig) digest() (booking.Clock, bool, error) {
	if pc.DailyDigest == "" {
		return 0, false, nil
	}
	at, err := booking.ParseClock(pc.DailyDigest)
	if err != nil || at >= 24*60 {
		return 0, false, fmt.Errorf("config: practitioner %s: daily_digest %q: want HH:MM, 00:00 to 23:59", pc.ID, pc.DailyDigest)
	}
	if pc.Email == "" {
		return 0, false, fmt.Errorf("config: practitioner %s: daily_digest needs the practitioner's email", pc.ID)
	}
	return at, true, nil
}

// check validates what can be checked without the network.
func (c *Config) check() error {
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("config: base_url %q is not an http(s) URL", c.BaseURL)
		}
	}
	switch c.Mail.Lang {
	case "", "fr", "en":
	default:
		return fmt.Errorf("config: mail.lang %q: want fr or en", c.Mail.Lang)
	}
	if c.Booking.ConfirmWithin.Duration < 0 || c.Booking.JobsInterval.Duration < 0 || c.Booking.SyncInterval.Duration < 0 {
		return fmt.Errorf("config: booking durations cannot be negative")
	}
	if d := c.Booking.JobsInterval.Duration; d != 0 && d < time.Second {
		return fmt.Errorf("config: booking.jobs_interval %s: want at least 1s", d)
	}
	if d := c.Booking.SyncInterval.Duration; d != 0 && d < time.Second {
		return fmt.Errorf("config: booking.sync_interval %s: want at least 1s", d)
	}
	if n := c.Booking.SyncMaxCancel; n < 0 {
		return fmt.Errorf("config: booking.sync_max_cancel %d: want 0 (the default, %d) or more", n, booking.DefaultSyncMaxCancel)
	}
	if d := c.Booking.IntentGrace.Duration; d < 0 || d > time.Hour {
		return fmt.Errorf("config: booking.intent_grace %s: want at most 1h (0: the default, %s)", d, booking.DefaultIntentGrace)
	}
	if p := c.Booking.SyncMaxCancelPercent; p < 0 || p > 100 {
		return fmt.Errorf("config: booking.sync_max_cancel_percent %d: want 1 to 100 (0: the default, %d)", p, booking.DefaultSyncMaxCancelPercent)
	}
	if err := c.Limits.check(); err != nil {
		return err
	}
	if _, err := c.CalendarEvent.template(CalendarEventConfig{}); err != nil {
		return fmt.Errorf("config: calendar_event: %w", err)
	}
	for _, pc := range c.Practitioners {
		if _, err := pc.CalendarEvent.template(c.CalendarEvent); err != nil {
			return fmt.Errorf("config: practitioner %s: calendar_event: %w", pc.ID, err)
		}
	}
	if err := c.Retention.check(); err != nil {
		return err
	}
	if err := c.Waitlist.check(); err != nil {
		return err
	}
	if err := c.checkLog(); err != nil {
		return err
	}
	if err := c.Alerts.check(); err != nil {
		return err
	}
	if err := c.Desk.check(); err != nil {
		return err
	}
	if n := c.Challenge.MaxNumber; n != 0 && (n < 1000 || n > 10_000_000) {
		return fmt.Errorf("config: challenge.max_number %d: want 1000 to 10000000 (0: the default, %d)", n, pow.DefaultMaxNumber)
	}
	if d := c.Challenge.Expires.Duration; d != 0 && (d < pow.MinExpires || d > time.Hour) {
		return fmt.Errorf("config: challenge.expires %s: want 1m to 1h (0: the default, %s)", d, pow.DefaultExpires)
	}
	if c.AdminToken != "" && c.AdminTokenFile != "" {
		return fmt.Errorf("config: set admin_token_file or admin_token, not both")
	}
	if len(c.Desk.Users) > 0 && c.AdminToken == "" && c.AdminTokenFile == "" {
		return fmt.Errorf("config: desk.users: the desk needs admin_token_file or admin_token (without one, there is no desk)")
	}
	if c.AdminToken != "" {
		if err := checkAdminToken(c.AdminToken); err != nil {
			return err
		}
	}
	switch c.Mail.SMTP.TLS {
	case "", "starttls", "tls", "none":
	default:
		return fmt.Errorf("config: mail.smtp.tls %q: want starttls, tls or none", c.Mail.SMTP.TLS)
	}
	for i, w := range c.Webhooks {
		if w.URL == "" {
			return fmt.Errorf("config: webhook #%d has no url", i+1)
		}
		if (w.Secret == "") == (w.SecretFile == "") {
			return fmt.Errorf("config: webhook #%d: set secret_file or secret (whsec_…), one of them", i+1)
		}
	}
	seen := map[string]bool{}
	for i := range c.Practitioners {
		pc := &c.Practitioners[i]
		if pc.ID == "" {
			return fmt.Errorf("config: practitioner #%d has no id", i+1)
		}
		if seen[pc.ID] {
			return fmt.Errorf("config: practitioner %q appears twice", pc.ID)
		}
		seen[pc.ID] = true
		if _, err := pc.Practitioner(); err != nil {
			return fmt.Errorf("config: %w", err)
		}
		if _, _, err := pc.digest(); err != nil {
			return err
		}
		if pc.Calendar.URL != "" && pc.Calendar.Bookings == "" {
			return fmt.Errorf("config: practitioner %s: calendar.bookings (the calendar to write bookings to) is required", pc.ID)
		}
		if err := pc.checkAvailability(c.Practitioners); err != nil {
			return err
		}
	}
	return c.checkShared()
}

// SharedTypeConfig is a [[shared_types]] table (booking.SharedType): a
// motive offered by several practitioners, each with their own type Type.
type SharedTypeConfig struct {
	ID            string   `toml:"id"`
	Name          string   `toml:"name"`
	Type          string   `toml:"type"`          // the id of each practitioner's own type
	Practitioners []string `toml:"practitioners"` // in the order that breaks ties
}

// SharedType returns the booking.SharedType of sc.
func (sc SharedTypeConfig) SharedType() booking.SharedType {
	return booking.SharedType{ID: sc.ID, Name: sc.Name, TypeID: sc.Type, Practitioners: sc.Practitioners}
}

// checkShared checks the shared types against the practitioners, as
// booking.Service.AddSharedType will.
func (c *Config) checkShared() error {
	if len(c.SharedTypes) == 0 {
		return nil
	}
	svc, err := booking.NewService(booking.ServiceConfig{})
	if err != nil {
		return err
	}
	for i := range c.Practitioners {
		p, err := c.Practitioners[i].Practitioner()
		if err != nil {
			return fmt.Errorf("config: %w", err)
		}
		if err := svc.AddPractitioner(p, noCalendar{}); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	for i, sc := range c.SharedTypes {
		if sc.ID == "" {
			return fmt.Errorf("config: shared type #%d has no id", i+1)
		}
		if sc.Name == "" {
			return fmt.Errorf("config: shared type %s has no name", sc.ID)
		}
		if err := svc.AddSharedType(sc.SharedType()); err != nil {
			return fmt.Errorf("config: %s", booking.ErrorMessage(err))
		}
	}
	return nil
}

// noCalendar stands for the calendars checkShared never reads.
type noCalendar struct{ booking.Calendar }

// secret returns a password given inline or in a file.
func secret(inline, file string) (string, error) {
	if file == "" {
		return inline, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("config: password file: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// adminToken returns the admin API's bearer token, from admin_token_file or
// admin_token, or "" when the admin API is disabled.
func (c *Config) adminToken() (string, error) {
	if c.AdminTokenFile == "" {
		return c.AdminToken, nil
	}
	b, err := os.ReadFile(c.AdminTokenFile)
	if err != nil {
		return "", fmt.Errorf("config: admin_token_file: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if err := checkAdminToken(token); err != nil {
		return "", err
	}
	return token, nil
}

// checkAdminToken refuses an admin token too short to be secret.
func checkAdminToken(token string) error {
	if len(token) < api.MinAdminTokenLen || strings.TrimSpace(token) != token || strings.ContainsAny(token, " \t\r\n") {
		return fmt.Errorf("config: the admin token must have at least %d characters and no spaces (e.g. openssl rand -base64 32)", api.MinAdminTokenLen)
	}
	return nil
}

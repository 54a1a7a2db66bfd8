package booking

import (
	"context"
	"encoding/base64"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// The waiting list (docs/waitlist.md): a patient for whom no slot suits
// leaves their contact and a window of days; when a slot in that window is
// free, the confirmed entries of the window are told, in the order they
// joined, a few at a time. The slot is not held: the first to book takes it.

// DayPart narrows a waiting-list window to the mornings or the afternoons,
// on the practitioner's wall clock.
type DayPart string

// The parts of the day.
const (
	PartAny       DayPart = "any"
	PartMorning   DayPart = "morning"   // a slot that starts before 12:00
	PartAfternoon DayPart = "afternoon" // a slot that starts at or after 12:00
)

// WaitStatus is where a waiting-list entry is in its life: pending (not
// confirmed from the email yet) → active → booked or left; either live one
// is expired once its ExpiresAt is past.
type WaitStatus string

// The statuses of a waiting-list entry.
const (
	WaitPending WaitStatus = "pending"
	WaitActive  WaitStatus = "active"
	WaitBooked  WaitStatus = "booked"
	WaitLeft    WaitStatus = "left"
	WaitExpired WaitStatus = "expired" // computed: a live entry past its ExpiresAt
)

// The kinds of waiting-list messages (WaitMessage.Kind).
const (
	WaitConfirm = "wait_confirm" // the double opt-in: the link that activates the entry
	WaitAlert   = "wait_alert"   // a slot in the window is free
)

// Field names of a waiting-list request (Error.Field), besides the
// patient's.
const (
	FieldWindow = "window" // the dates, the part of day or the weekdays
)

// LimitWaitPerEmail is the limit on live waiting-list entries per address
// (WaitlistConfig.MaxPerEmail).
const LimitWaitPerEmail = "waitlist_per_email"

// WaitUnconfirmed is how long an entry waits for its confirmation.
const WaitUnconfirmed = 24 * time.Hour

// Window is the days a waiting-list entry would take: From to Until, both
// included, in the practitioner's zone, the part of the day and, if any,
// the weekdays.
type Window struct {
	From, Until Date
	Part        DayPart
	Weekdays    []time.Weekday // none: every day
}

// Matches reports whether a slot starting at start, read in loc, lies in w.
func (w Window) Matches(start time.Time, loc *time.Location) bool {
	l := start.In(loc)
	d := DateOf(l)
	if d.Before(w.From) || w.Until.Before(d) {
		return false
	}
	switch w.Part {
	case PartMorning:
		if l.Hour() >= 12 {
			return false
		}
	case PartAfternoon:
		if l.Hour() < 12 {
			return false
		}
	}
	if len(w.Weekdays) == 0 {
		return true
	}
	for _, wd := range w.Weekdays {
		if wd == l.Weekday() {
			return true
		}
	}
	return false
}

// WaitEntry is a patient on the waiting list of a practitioner's type, or
// of a shared type (SharedID).
type WaitEntry struct {
	ID             string // UUID
	PractitionerID string // "" for a shared type's entry
	TypeID         string // the shared type's TypeID for its entry
	SharedID       string // the shared type (SharedType.ID); "" for a practitioner's type
	Patient        Patient
	EmailKey       string // EmailKey of Patient.Email
	Lang           string // "fr" or "en"
	Window         Window
	Status         WaitStatus // as stored: never WaitExpired
	TokenHash      string     // HashToken of the entry's token, "" once erased
	CreatedAt      time.Time
	// ExpiresAt is when the entry stops: 24 hours after it was made while
	// pending, the end of its Until day once active.
	ExpiresAt time.Time
	UpdatedAt time.Time // the last change of status
}

// State returns the entry's status at now: WaitExpired for a pending or
// active entry past its ExpiresAt.
func (e *WaitEntry) State(now time.Time) WaitStatus {
	if (e.Status == WaitPending || e.Status == WaitActive) && !now.Before(e.ExpiresAt) {
		return WaitExpired
	}
	return e.Status
}

// WaitMessage is an email of the waiting list, recorded before it is sent
// and sent once, in the order of Seq.
type WaitMessage struct {
	Seq       int64 // set by the store: the order of recording
	EntryID   string
	Kind      string    // WaitConfirm or WaitAlert
	Slot      time.Time // the start of the free slot (WaitAlert), zero otherwise
	CreatedAt time.Time
	Attempts  int // claims, the current one included
}

// WaitStore keeps the waiting list and its messages. Implementations:
// store.SQLite, store.Postgres; for tests, internal/bookingtest.Store.
type WaitStore interface {
	// AddWaitEntry records e and its first message m in one transaction,
	// unless e.EmailKey holds max entries at e.CreatedAt (counted as
	// LiveWaitEntries does, in that transaction, so that two joins at once
	// can't both pass): then an ELimit error (LimitWaitPerEmail). EConflict
	// if e.ID or e.TokenHash exists, EInvalid for an entry that can't be
	// stored.
	AddWaitEntry(ctx context.Context, e *WaitEntry, m WaitMessage, max int) error
	// WaitEntry returns the entry id, or an ENotFound error.
	WaitEntry(ctx context.Context, id string) (*WaitEntry, error)
	// WaitEntryByTokenHash returns the entry whose token has this hash, or
	// an ENotFound error.
	WaitEntryByTokenHash(ctx context.Context, hash string) (*WaitEntry, error)
	// LiveWaitEntries counts the entries of emailKey that hold a place at
	// now: pending or active ones whose ExpiresAt is after now, and pending
	// ones made less than WaitUnconfirmed before now, even if their window
	// ended (so that an address gets at most MaxPerEmail confirmations a
	// day).
	LiveWaitEntries(ctx context.Context, emailKey string, now time.Time) (int, error)
	// SetWaitStatus sets the entry's status to to, its ExpiresAt to
	// expiresAt (unless zero) and its UpdatedAt to at if its status is from
	// and its ExpiresAt after at; it reports whether it did.
	SetWaitStatus(ctx context.Context, id string, from, to WaitStatus, expiresAt, at time.Time) (bool, error)
	// ActiveWaitEntries returns the active entries whose ExpiresAt is after
	// now, in the order they were created (CreatedAt, then ID).
	ActiveWaitEntries(ctx context.Context, now time.Time) ([]*WaitEntry, error)
	// WaitAlerts returns the WaitAlert messages recorded for these entries,
	// sent or not, by Seq.
	WaitAlerts(ctx context.Context, entryIDs []string) ([]WaitMessage, error)
	// RecordWaitAlerts records ms in one transaction, leaving out those
	// whose entry, kind and slot are recorded already, and returns how many
	// it recorded: each alert is recorded once, whoever records it.
	RecordWaitAlerts(ctx context.Context, ms []WaitMessage) (int, error)
	// ClaimWaitMessages claims up to limit messages neither sent nor given
	// up whose lease ended before now, by Seq: each is leased until until
	// and its Attempts incremented, so that no one else claims it meanwhile.
	ClaimWaitMessages(ctx context.Context, now, until time.Time, limit int) ([]WaitMessage, error)
	// WaitMessageDone marks the message seq sent (or given up, when failed)
	// at at.
	WaitMessageDone(ctx context.Context, seq int64, at time.Time, failed bool) error
	// WaitMessageRetry makes the message seq claimable again at at.
	WaitMessageRetry(ctx context.Context, seq int64, at time.Time) error
	// EraseWaitEntries erases up to limit entries that ended (ExpiresAt,
	// or UpdatedAt for a booked or left one) before before and are not
	// erased yet: their name, email, phone, EmailKey and TokenHash become
	// "" and their messages are deleted. It returns their ids.
	EraseWaitEntries(ctx context.Context, before time.Time, limit int) ([]string, error)
	// WaitRecords returns the entries, erased ones aside, whose EmailKey is
	// emailKey, oldest first.
	WaitRecords(ctx context.Context, emailKey string) ([]*WaitEntry, error)
	// EraseWaitEntriesOf erases at at, as EraseWaitEntries does, every
	// entry whose EmailKey is emailKey, live ones too (a pending or active
	// one becomes left), and returns their ids; none for an emailKey of "".
	EraseWaitEntriesOf(ctx context.Context, emailKey string, at time.Time) ([]string, error)
	// WaitingEntries returns the pending and active entries whose ExpiresAt
	// is after now, in the order they were created (CreatedAt, then ID).
	WaitingEntries(ctx context.Context, now time.Time) ([]*WaitEntry, error)
}

// WaitNotification is a waiting-list email to send.
type WaitNotification struct {
	ID    string // the same at every attempt (Message-ID)
	Kind  string // WaitConfirm or WaitAlert
	Entry *WaitEntry
	// Practitioner and Type: the entry's practitioner and type; for a
	// shared type's entry, the first of its practitioners and their type
	// (the zone is the same for all), Shared telling the motive.
	Practitioner *Practitioner
	Type         *AppointmentType
	Shared       *SharedType // the shared type of the entry, nil for a practitioner's type
	Slot         Interval    // the free slot (WaitAlert)
	// Token opens the entry: the confirm link (WaitConfirm) and the leave
	// link (every message) are built from it.
	Token string
}

// WaitNotifier sends the waiting list's emails. Implementation:
// notify.Mailer. Errors are taken as Notifier's are: EInvalid or EInternal
// is never retried.
type WaitNotifier interface {
	NotifyWait(ctx context.Context, n WaitNotification) error
}

// WaitlistConfig configures a Waitlist.
type WaitlistConfig struct {
	// Batch is how many entries are told of one free slot at a time;
	// DefaultWaitBatch if 0.
	Batch int
	// Interval is how long after a batch the next one is told of the same
	// slot, if it is still free, and the least time between two alerts to
	// one entry; DefaultWaitInterval if 0.
	Interval time.Duration
	// MaxPerEmail is how many live entries one address may hold;
	// DefaultWaitPerEmail if 0.
	MaxPerEmail int
}

// The defaults of WaitlistConfig.
const (
	DefaultWaitBatch    = 3
	DefaultWaitInterval = 30 * time.Minute
	DefaultWaitPerEmail = 3
)

// waitLock is the Locker key under which Alert runs: one process at a
// time, whatever the replicas.
const waitLock = "rdv/waitlist"

// waitLease is how long a claimed waiting-list message is left to its
// sender before another may claim it.
const waitLease = 2 * time.Minute

// maxWaitAttempts is how many times a message is claimed before it is
// given up; after its n-th failed attempt, it waits n minutes (about an
// hour in all).
const maxWaitAttempts = 10

// Waitlist runs the waiting list of a Service's practitioners.
type Waitlist struct {
	svc   *Service
	st    WaitStore
	n     WaitNotifier
	cfg   WaitlistConfig
	stats [4]atomic.Int64 // by WaitStats field, in order
}

// WaitStats counts what a Waitlist did in this process: counts only.
type WaitStats struct {
	Alerts  int64 // alerts recorded
	Sent    int64 // messages sent
	Dropped int64 // messages dropped unsent: their entry ended
	Failed  int64 // messages given up
}

// Stats returns what w did so far in this process.
func (w *Waitlist) Stats() WaitStats {
	return WaitStats{Alerts: w.stats[0].Load(), Sent: w.stats[1].Load(), Dropped: w.stats[2].Load(), Failed: w.stats[3].Load()}
}

// NewWaitlist returns the waiting list of svc, kept in st, whose emails n
// sends, and attaches it to svc: its entries are then part of the
// patient's export and erasure (Service.PatientExport, ErasePatient). Call
// it before svc takes requests.
func NewWaitlist(svc *Service, st WaitStore, n WaitNotifier, cfg WaitlistConfig) *Waitlist {
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultWaitBatch
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultWaitInterval
	}
	if cfg.MaxPerEmail <= 0 {
		cfg.MaxPerEmail = DefaultWaitPerEmail
	}
	w := &Waitlist{svc: svc, st: st, n: n, cfg: cfg}
	svc.wait = w
	return w
}

// JoinRequest asks for a place on the waiting list: of a practitioner's
// type (PractitionerID, TypeID), or of a shared type (SharedID, the others
// empty).
type JoinRequest struct {
	PractitionerID, TypeID string
	SharedID               string
	Patient                Patient
	Lang                   string // "fr" or "en"; "" is "fr"
	Window                 Window
}

// FreeSlotsError is the cause of the EConflict error Join returns when a
// free slot already lies in the window: Day is the first day that has one.
type FreeSlotsError struct{ Day Date }

func (e *FreeSlotsError) Error() string {
	return "booking: a free slot lies in the window, on " + e.Day.String()
}

// Join puts a patient on the waiting list, pending until they confirm from
// the email it sends. A shared type's window ends at the latest at the
// shortest horizon of its practitioners' types, and a free slot of any of
// them (SharedSlots) refuses it. Errors: ENotFound for an unknown
// practitioner, type or shared type, or one whose waiting list is off
// (see waitTarget); EInvalid (a request naming both a shared type and a
// practitioner's type) (with its Field) for a patient or a window that breaks the
// rules; ELimit (LimitWaitPerEmail) when the address holds MaxPerEmail live
// entries; EConflict with a *FreeSlotsError cause when a free slot already
// lies in the window; EUnavailable when the calendar or the store can't be
// read.
func (w *Waitlist) Join(ctx context.Context, req JoinRequest) (*WaitEntry, error) {
	s := w.svc
	if req.SharedID != "" && (req.PractitionerID != "" || req.TypeID != "") {
		return nil, Errorf(EInvalid, "want a shared type or a practitioner's type, not both")
	}
	g, err := s.waitTarget(req.PractitionerID, req.TypeID, req.SharedID)
	if err != nil {
		return nil, err
	}
	p := req.Patient
	if err := p.Validate(false); err != nil {
		return nil, err
	}
	lang := req.Lang
	switch lang {
	case "":
		lang = "fr"
	case "fr", "en":
	default:
		return nil, FieldError(FieldLang, ReasonInvalid, "want fr or en")
	}
	now := s.now()
	loc := g.loc
	if err := checkWindow(req.Window, DateOf(now.In(loc)), DateOf(now.Add(g.horizon()).In(loc))); err != nil {
		return nil, err
	}
	key := EmailKey(p.Email)
	n, err := w.st.LiveWaitEntries(ctx, key, now)
	if err != nil {
		return nil, err
	}
	if n >= w.cfg.MaxPerEmail { // counted again as the entry is recorded
		return nil, w.perEmailError()
	}
	starts, err := s.waitFree(ctx, g, req.Window.From.Midnight(loc), req.Window.Until.AddDays(1).Midnight(loc))
	if err != nil {
		return nil, err
	}
	for _, st := range starts {
		if req.Window.Matches(st, loc) {
			return nil, &Error{Code: EConflict, Message: "free slots lie in this window: book one of them", Err: &FreeSlotsError{Day: DateOf(st.In(loc))}}
		}
	}
	en := &WaitEntry{
		ID: uuid.NewString(), PractitionerID: req.PractitionerID, TypeID: g.ts[0].ID, SharedID: req.SharedID, Patient: p, EmailKey: key,
		Lang: lang, Window: req.Window, Status: WaitPending, CreatedAt: now, UpdatedAt: now,
		ExpiresAt: earliest(now.Add(WaitUnconfirmed), req.Window.Until.AddDays(1).Midnight(loc)),
	}
	en.TokenHash = HashToken(w.token(en.ID))
	if err := w.st.AddWaitEntry(ctx, en, WaitMessage{EntryID: en.ID, Kind: WaitConfirm, CreatedAt: now}, w.cfg.MaxPerEmail); err != nil {
		if ErrorCode(err) == ELimit {
			return nil, w.perEmailError()
		}
		return nil, err
	}
	s.log.InfoContext(ctx, "waiting-list entry added", "entry", en.ID, "practitioner", en.PractitionerID, "shared", en.SharedID)
	// The confirmation leaves at once, as a booking's email does; what
	// fails is sent by the next Deliver.
	ctx = context.WithoutCancel(ctx)
	if s.inlineDelivery {
		w.deliverQuietly(ctx)
	} else {
		s.inflight.Go(func() { w.deliverQuietly(ctx) })
	}
	return en, nil
}

func (w *Waitlist) perEmailError() error {
	return &Error{Code: ELimit, Limit: LimitWaitPerEmail, Message: fmt.Sprintf("at most %d waiting-list entries per address", w.cfg.MaxPerEmail)}
}

// checkWindow checks w against today and the last day of the horizon.
func checkWindow(w Window, today, last Date) error {
	switch {
	case w.From.Year == 0 || w.Until.Year == 0:
		return FieldError(FieldWindow, ReasonRequired, "want a first and a last day")
	case w.From.Before(today):
		return FieldError(FieldWindow, ReasonInvalid, "the first day is past")
	case w.Until.Before(w.From):
		return FieldError(FieldWindow, ReasonInvalid, "the last day is before the first")
	case last.Before(w.Until):
		return FieldError(FieldWindow, ReasonInvalid, "the last day is past the booking horizon (%s)", last)
	}
	switch w.Part {
	case PartAny, PartMorning, PartAfternoon:
	default:
		return FieldError(FieldWindow, ReasonInvalid, "want a part of day any, morning or afternoon")
	}
	if len(w.Weekdays) > 7 {
		return FieldError(FieldWindow, ReasonInvalid, "too many weekdays")
	}
	for _, d := range w.Weekdays {
		if d < time.Sunday || d > time.Saturday {
			return FieldError(FieldWindow, ReasonInvalid, "want weekdays 0 (Sunday) to 6")
		}
	}
	return nil
}

// token returns the secret token of entry id: derived from the service's
// secret, so that the store keeps only its hash and the emails can still
// carry it.
func (w *Waitlist) token(id string) string {
	return base64.RawURLEncoding.EncodeToString(mac(w.svc.keys.secret, "rdv/waitlist-token/v1", id)[:16])
}

// Entry returns the entry token opens, or an ENotFound error.
func (w *Waitlist) Entry(ctx context.Context, token string) (*WaitEntry, error) {
	if !ValidToken(token) {
		return nil, Errorf(ENotFound, "no such waiting-list entry")
	}
	return w.st.WaitEntryByTokenHash(ctx, HashToken(token))
}

// Confirm activates the pending entry token opens, until the end of its
// last day; confirming an active entry again changes nothing. ENotFound for
// an unknown token, EConflict for an entry that expired, was left or booked,
// or whose practitioner's type or shared type is no longer offered
// (NoWaitlist, or gone from the configuration).
func (w *Waitlist) Confirm(ctx context.Context, token string) (*WaitEntry, error) {
	en, err := w.Entry(ctx, token)
	if err != nil {
		return nil, err
	}
	now := w.svc.now()
	switch en.State(now) {
	case WaitActive:
		return en, nil
	case WaitPending:
	default:
		return nil, Errorf(EConflict, "the waiting-list entry is %s", en.State(now))
	}
	g, err := w.svc.waitTarget(en.PractitionerID, en.TypeID, en.SharedID)
	if err != nil {
		// The configuration took the type off the list since: the entry
		// would never be told of anything.
		return nil, Errorf(EConflict, "the waiting list of this appointment type is closed")
	}
	until := en.Window.Until.AddDays(1).Midnight(g.loc)
	ok, err := w.st.SetWaitStatus(ctx, en.ID, WaitPending, WaitActive, until, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return w.Confirm(ctx, token) // changed meanwhile: say what it is now
	}
	en.Status, en.ExpiresAt, en.UpdatedAt = WaitActive, until, now
	return en, nil
}

// Leave takes the entry token opens off the waiting list; leaving an entry
// that is no longer live changes nothing. ENotFound for an unknown token.
func (w *Waitlist) Leave(ctx context.Context, token string) (*WaitEntry, error) {
	en, err := w.Entry(ctx, token)
	if err != nil {
		return nil, err
	}
	now := w.svc.now()
	st := en.State(now)
	if st != WaitPending && st != WaitActive {
		return en, nil
	}
	ok, err := w.st.SetWaitStatus(ctx, en.ID, st, WaitLeft, time.Time{}, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return w.Leave(ctx, token)
	}
	en.Status, en.UpdatedAt = WaitLeft, now
	return en, nil
}

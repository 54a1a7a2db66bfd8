package booking

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// Service is the booking service: it lists practitioners and their free slots
// and takes, confirms, moves and cancels bookings; its background jobs
// release pending bookings not confirmed in time (ExpirePending), send the
// outbox of notifications (Dispatch, Purge), make ledger and calendars
// agree after a crash (Reconcile) and notice what the practitioner changed
// in the calendar (Sync). It is safe for concurrent use.
//
// Its files, by job: service.go (setup, slots), book.go (taking a slot),
// idempotency.go (Idempotency-Key, secrets), lifecycle.go (confirm, cancel,
// reschedule), expire.go, outbox.go (notifications), reminders.go
// (reminders before the visit), reconcile.go, sync.go
// (changes the practitioner makes in the calendar), admin.go (the
// practitioner's view: bookings, cancelling, closures), retention.go
// (the patient's data erased after the visit, exported or erased on
// request), shared.go (a motive several practitioners offer together,
// booked with the first available), waitlist.go and waitalert.go (the
// waiting list, a Waitlist of its own attached to the service).
type Service struct {
	byID            map[string]*entry
	order           []*entry
	store           Store
	notifier        Notifier
	locker          Locker
	now             func() time.Time
	log             *slog.Logger
	keys            keys
	confirmWithin   time.Duration
	deleteCancelled bool
	stepHook        func(step string)
	intentGrace     time.Duration
	process         string
	limits          Limits
	retention       Retention
	inlineDelivery  bool
	webhooks        bool
	inflight        sync.WaitGroup // deliveries in the background
	counts          deliveryCounts
	syncCounts      syncCounts
	gatesMu         sync.Mutex
	gates           map[string]*gate
	unknown         unknownEvents
	wait            *Waitlist              // the waiting list attached by NewWaitlist, nil if none
	shared          map[string]*SharedType // by id (shared.go)
	sharedOrder     []*SharedType

	// The guard against mass cancellation (sync.go).
	syncMaxCancel        int
	syncMaxCancelPercent int
	holdMu               sync.Mutex
	holds                map[string]SyncHold // by practitioner id
}

type entry struct {
	p   Practitioner
	cal Calendar
}

// ServiceConfig holds what a Service depends on.
type ServiceConfig struct {
	Store    Store            // required
	Notifier Notifier         // required
	Locker   Locker           // per-practitioner lock; defaults to a MutexLocker
	Now      func() time.Time // defaults to time.Now
	Logger   *slog.Logger     // defaults to slog.Default()
	// Secret keys the encryption of what the store keeps for later but must
	// not be able to reveal: the manage token of a new booking until its
	// email is sent, and the replayable result of an Idempotency-Key. At
	// least MinSecretLen random bytes, the same for every replica, kept out
	// of the database. Without one, a random secret is made for this
	// process: messages still in the outbox when it stops can then no longer
	// carry their manage link, and replays across a restart are refused.
	Secret []byte
	// ConfirmWithin is how long a pending booking of a type that sets no
	// ConfirmWithin waits for confirmation; DefaultConfirmWithin if 0.
	ConfirmWithin time.Duration
	// DeleteCancelled removes a cancelled booking's event from the calendar
	// instead of keeping it with STATUS:CANCELLED.
	DeleteCancelled bool
	// CrashTestHook, if set, is called as each step of a booking's change ends,
	// with the step's name, one of the Step* constants (see Steps):
	// StepBookAfterEvent (the event written, the ledger not yet),
	// StepBookAfterLedger (the row and its email recorded, the lock still
	// held), StepBookBeforeNotify (the lock released, the email not sent
	// yet), and the after-event and after-ledger steps of confirm,
	// reschedule, cancel (the patient's or the admin's) and expire.
	// It is there for crash tests: the binary built with -tags rdvfault
	// kills itself at a step named in RDV_FAULT (cmd/rdv/fault.go). It runs
	// on the request's goroutine, under the practitioner's lock but for
	// book:before-notify: it must return quickly and not call the service.
	CrashTestHook func(step string)
	// SyncMaxCancel and SyncMaxCancelPercent bound what one pass of Sync or
	// Reconcile may cancel because bookings' events are missing from the
	// calendar: a pass that would cancel more than SyncMaxCancel of a
	// practitioner's active bookings and more than SyncMaxCancelPercent
	// percent of them changes nothing for that practitioner (see Sync).
	// DefaultSyncMaxCancel and DefaultSyncMaxCancelPercent if 0;
	// SyncMaxCancelPercent 100 (or more) turns the guard off.
	SyncMaxCancel        int
	SyncMaxCancelPercent int
	// IntentGrace is how long the write intent of a calendar write is left
	// to the process that made it before another one settles it (see
	// SettleIntents): longer than any request holds a practitioner's lock.
	// DefaultIntentGrace if 0.
	IntentGrace time.Duration
	// Webhooks records, with each change, a message for the host's webhooks
	// (RecipientWebhook), which the Notifier delivers: set it when the
	// Notifier has webhooks to call.
	Webhooks bool
	// InlineDelivery sends the messages of a change before the call that
	// made it returns. By default they are sent in the background (a slow
	// mail server never holds a request; Flush waits for them): this is
	// for tools and tests that read what was sent right after a call.
	InlineDelivery bool
	// Limits bound what one patient, and the public as a whole, may book,
	// move and be emailed (see Limits); the zero value takes the defaults.
	Limits Limits
	// Retention says how long the patient's contact is kept in the store
	// after the visit (see Retain); the zero value takes the defaults.
	// EInvalid from NewService for a period shorter than MinRetention.
	Retention Retention
	// Process names this process in the write intents it records (for the
	// operator); host:pid if "".
	Process string
}

// DefaultConfirmWithin is how long a pending booking waits for confirmation
// when nothing else is configured.
const DefaultConfirmWithin = 2 * time.Hour

// NewService returns a service with no practitioner yet. EInvalid if
// cfg.Secret is set but shorter than MinSecretLen, or if cfg.Retention
// sets a period shorter than MinRetention.
func NewService(cfg ServiceConfig) (*Service, error) {
	k, err := newKeys(cfg.Secret)
	if err != nil {
		return nil, err
	}
	if err := cfg.Retention.Check(); err != nil {
		return nil, err
	}
	s := &Service{
		byID:            map[string]*entry{},
		store:           cfg.Store,
		notifier:        cfg.Notifier,
		locker:          cfg.Locker,
		now:             cfg.Now,
		log:             cfg.Logger,
		keys:            k,
		confirmWithin:   cfg.ConfirmWithin,
		deleteCancelled: cfg.DeleteCancelled,
		stepHook:        cfg.CrashTestHook,
		intentGrace:     cfg.IntentGrace,
		process:         cfg.Process,
		limits:          cfg.Limits.withDefaults(),
		retention:       cfg.Retention.WithDefaults(),
		inlineDelivery:  cfg.InlineDelivery,
		webhooks:        cfg.Webhooks,

		syncMaxCancel:        cfg.SyncMaxCancel,
		syncMaxCancelPercent: cfg.SyncMaxCancelPercent,
	}
	if s.syncMaxCancel <= 0 {
		s.syncMaxCancel = DefaultSyncMaxCancel
	}
	if s.syncMaxCancelPercent <= 0 {
		s.syncMaxCancelPercent = DefaultSyncMaxCancelPercent
	}
	s.syncMaxCancelPercent = min(s.syncMaxCancelPercent, 100)
	if s.intentGrace <= 0 {
		s.intentGrace = DefaultIntentGrace
	}
	if s.process == "" {
		s.process = processName()
	}
	if s.confirmWithin <= 0 {
		s.confirmWithin = DefaultConfirmWithin
	}
	if s.locker == nil {
		s.locker = &MutexLocker{}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s, nil
}

// The steps ServiceConfig.CrashTestHook is called with, as each ends.
const (
	StepBookAfterEvent        = "book:after-event"        // the event written, the ledger not yet
	StepBookAfterLedger       = "book:after-ledger"       // the row and its email recorded, the lock still held
	StepBookBeforeNotify      = "book:before-notify"      // the lock released, the email not sent yet
	StepConfirmAfterEvent     = "confirm:after-event"     // the event rewritten, the ledger not yet
	StepConfirmAfterLedger    = "confirm:after-ledger"    // the row recorded, the lock still held
	StepRescheduleAfterEvent  = "reschedule:after-event"  // likewise for Reschedule
	StepRescheduleAfterLedger = "reschedule:after-ledger" //
	StepCancelAfterEvent      = "cancel:after-event"      // likewise for Cancel and PractitionerCancel
	StepCancelAfterLedger     = "cancel:after-ledger"     //
	StepExpireAfterEvent      = "expire:after-event"      // likewise for a pending booking released
	StepExpireAfterLedger     = "expire:after-ledger"     //
)

// Steps returns every step CrashTestHook may be called with, in the order of a
// booking's life.
func Steps() []string {
	return []string{
		StepBookAfterEvent, StepBookAfterLedger, StepBookBeforeNotify,
		StepConfirmAfterEvent, StepConfirmAfterLedger,
		StepRescheduleAfterEvent, StepRescheduleAfterLedger,
		StepCancelAfterEvent, StepCancelAfterLedger,
		StepExpireAfterEvent, StepExpireAfterLedger,
	}
}

// step reports the end of step to the CrashTestHook, if any.
func (s *Service) step(step string) {
	if s.stepHook != nil {
		s.stepHook(step)
	}
}

// commitSteps are the steps of the changes commit makes, by the kind of
// their notification: after the event, after the ledger.
var commitSteps = map[string][2]string{
	NotifyConfirmed:   {StepConfirmAfterEvent, StepConfirmAfterLedger},
	NotifyRescheduled: {StepRescheduleAfterEvent, StepRescheduleAfterLedger},
	NotifyCancelled:   {StepCancelAfterEvent, StepCancelAfterLedger},
	NotifyExpired:     {StepExpireAfterEvent, StepExpireAfterLedger},
}

// AddPractitioner registers p, whose calendar is cal. It is not safe to call
// concurrently with the other methods: register practitioners before serving.
func (s *Service) AddPractitioner(p Practitioner, cal Calendar) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if cal == nil {
		return Errorf(EInvalid, "practitioner %s: no calendar", p.ID)
	}
	if _, ok := s.byID[p.ID]; ok {
		return Errorf(EInvalid, "practitioner %s: registered twice", p.ID)
	}
	if _, ok := s.shared[p.ID]; ok {
		return Errorf(EInvalid, "practitioner %s: a shared type has this id", p.ID)
	}
	s.setTypeRefs(&p)
	e := &entry{p: p, cal: cal}
	s.byID[p.ID] = e
	s.order = append(s.order, e)
	return nil
}

// Practitioners returns the registered practitioners in registration order.
func (s *Service) Practitioners() []Practitioner {
	out := make([]Practitioner, len(s.order))
	for i, e := range s.order {
		out[i] = e.p
	}
	return out
}

// Practitioner returns the practitioner with this id, or an ENotFound error.
func (s *Service) Practitioner(id string) (*Practitioner, error) {
	e, err := s.entry(id)
	if err != nil {
		return nil, err
	}
	p := e.p
	return &p, nil
}

func (s *Service) entry(id string) (*entry, error) {
	e, ok := s.byID[id]
	if !ok {
		return nil, Errorf(ENotFound, "no practitioner %q", id)
	}
	return e, nil
}

func (s *Service) entryAndType(practitionerID, typeID string) (*entry, *AppointmentType, error) {
	e, err := s.entry(practitionerID)
	if err != nil {
		return nil, nil, err
	}
	t := e.p.Type(typeID)
	if t == nil {
		ids := make([]string, len(e.p.Types))
		for i, t := range e.p.Types {
			ids[i] = t.ID
		}
		sort.Strings(ids)
		return nil, nil, Errorf(ENotFound, "practitioner %q has no appointment type %q (types: %v)", practitionerID, typeID, ids)
	}
	return e, t, nil
}

// MaxWindow is the longest window a slot query may ask for.
const MaxWindow = MaxHorizon + 31*24*time.Hour

// Slots returns the free slots of an appointment type whose start lies in
// [from, to). Busy time is read from the practitioner's calendar; if it can't be
// read the error is EUnavailable and no slot is returned.
func (s *Service) Slots(ctx context.Context, practitionerID, typeID string, from, to time.Time) ([]Slot, error) {
	e, t, err := s.entryAndType(practitionerID, typeID)
	if err != nil {
		return nil, err
	}
	return s.slots(ctx, e, t, from, to, "")
}

// RescheduleSlots returns the free slots to which the booking that token
// opens may be moved, whose start lies in [from, to): the slots of its type,
// its own time not counting as busy, its current start left out. ENotFound
// for an unknown token.
func (s *Service) RescheduleSlots(ctx context.Context, token string, from, to time.Time) ([]Slot, error) {
	a, err := s.BookingByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	e := s.byID[a.Practitioner.ID]
	slots, err := s.slots(ctx, e, a.Type, from, to, a.Booking.ID)
	if err != nil {
		return nil, err
	}
	out := slots[:0]
	for _, sl := range slots {
		if !sl.Start.Equal(a.Booking.Start) {
			out = append(out, sl)
		}
	}
	return out, nil
}

// slots lists the free slots of t in [from, to); the event of the booking
// exclude ("" for none) is not busy.
func (s *Service) slots(ctx context.Context, e *entry, t *AppointmentType, from, to time.Time, exclude string) ([]Slot, error) {
	slots, _, err := s.slotsAndOpen(ctx, e, t, from, to, exclude, false)
	return slots, err
}

// slotsAndOpen is slots, with, if open, the open time of the practitioner
// in [from, to) (nil when none of it can be booked).
func (s *Service) slotsAndOpen(ctx context.Context, e *entry, t *AppointmentType, from, to time.Time, exclude string, open bool) ([]Slot, []Interval, error) {
	if !from.Before(to) {
		return nil, nil, Errorf(EInvalid, "the window is empty: 'to' must be after 'from'")
	}
	if to.Sub(from) > MaxWindow {
		return nil, nil, Errorf(EInvalid, "the window is too long: at most %d days", int(MaxWindow.Hours()/24))
	}
	now := s.now()
	wantFrom, wantTo := from, to
	// Clamp the window to what can be booked, so that no calendar is read for
	// time that can't hold a slot anyway.
	if earliest := now.Add(t.MinNotice); from.Before(earliest) {
		from = earliest
	}
	if latest := now.Add(t.horizon()).Add(time.Nanosecond); to.After(latest) {
		to = latest
	}
	if !from.Before(to) {
		return []Slot{}, nil, nil
	}
	sch, err := s.schedule(ctx, e, from, to)
	if err != nil {
		return nil, nil, err
	}
	busy, err := e.busy(ctx, from.Add(-t.BufferBefore), to.Add(t.Duration+t.BufferAfter))
	if err != nil {
		return nil, nil, err
	}
	q := SlotQuery{
		Location: e.p.Location, Open: sch.Open(e.p.Location, from, to), Type: t,
		From: from, To: to, Now: now,
	}
	q.Busy, q.Held = splitBusy(busy, nil, t.ID, exclude)
	if t.MaxPerDay > 0 || e.p.MaxBookingsPerDay > 0 {
		// The quotas count the whole days, earlier hours included, from
		// the ledger: the calendar was read for the window only.
		qfrom, qto := quotaWindow(e.p.Location, from, to)
		rows, err := s.store.BookingsBetween(ctx, e.p.ID, qfrom, qto)
		if err != nil {
			return nil, nil, err
		}
		q.Quotas = quotas(&e.p, t, busy, rows, exclude)
	}
	slots := Slots(q)
	if slots == nil {
		slots = []Slot{}
	}
	if !open {
		return slots, nil, nil
	}
	// The open time of the whole window: Days tells a day whose open hours
	// are over from one that has none. The schedule holds the closures and
	// open time of the days around the clamped window, so of the days cut
	// by the notice or the horizon.
	return slots, sch.Open(e.p.Location, wantFrom, wantTo), nil
}

// splitBusy sorts the busy time of the calendar and the active bookings of
// the ledger (either may be nil) into what is busy for a slot of type typeID
// and what bookings of that type hold (SlotQuery.Busy and Held). The event
// and the row of the booking exclude count for nothing. A booking that both
// show is counted once.
func splitBusy(cal []BusyInterval, ledger []*Booking, typeID, exclude string) (busy, held []Interval) {
	seen := map[string]bool{}
	for _, b := range cal {
		switch {
		case b.Booking == "":
			busy = append(busy, b.Interval)
		case b.Booking == exclude:
		case b.Type == typeID:
			if !seen[b.Booking] {
				seen[b.Booking] = true
				held = append(held, b.Interval)
			}
		default:
			busy = append(busy, b.Interval)
		}
	}
	for _, b := range ledger {
		switch {
		case !b.Status.Active() || b.ID == exclude:
		case b.TypeID == typeID:
			if !seen[b.ID] {
				seen[b.ID] = true
				held = append(held, b.Interval())
			}
		default:
			busy = append(busy, b.Interval())
		}
	}
	return busy, held
}

// freshQuery returns the query that checks, under the practitioner's lock,
// a slot of t that starts at start: the calendar read again around it, and
// the ledger's active bookings there added to it, so that an event the
// calendar does not show (yet) can't let two bookings overlap; the open time
// with the closures of the store (see AddClosure); the daily quotas of the
// day of start, counted from the ledger's rows of that whole day, so that
// replicas sharing the store and the lock never both take a day's last
// place. The booking exclude ("" for none) counts for nothing.
func (s *Service) freshQuery(ctx context.Context, e *entry, t *AppointmentType, start time.Time, exclude string) (SlotQuery, error) {
	day := DateOf(start.In(e.p.Location))
	from, to := day.AddDays(-1).Midnight(e.p.Location), day.AddDays(2).Midnight(e.p.Location)
	sch, err := s.schedule(ctx, e, start, start.Add(t.Duration))
	if err != nil {
		return SlotQuery{}, err
	}
	busy, err := e.busy(ctx, from, to)
	if err != nil {
		return SlotQuery{}, err
	}
	rows, err := s.store.BookingsBetween(ctx, e.p.ID, from, to)
	if err != nil {
		return SlotQuery{}, err
	}
	q := SlotQuery{
		Location: e.p.Location, Open: sch.Open(e.p.Location, start, start.Add(t.Duration)),
		Type: t, Now: s.now(),
	}
	q.Busy, q.Held = splitBusy(busy, rows, t.ID, exclude)
	q.Quotas = quotas(&e.p, t, busy, rows, exclude)
	return q, nil
}

package booking

import (
	"context"
	"log/slog"
	"sort"
	"time"

	"github.com/google/uuid"
)

// Service is the booking service: it lists practitioners and their free slots
// and takes, confirms and cancels bookings. It is safe for concurrent use.
type Service struct {
	byID     map[string]*entry
	order    []*entry
	store    Store
	notifier Notifier
	locker   Locker
	now      func() time.Time
	log      *slog.Logger
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
}

// NewService returns a service with no practitioner yet.
func NewService(cfg ServiceConfig) *Service {
	s := &Service{
		byID:     map[string]*entry{},
		store:    cfg.Store,
		notifier: cfg.Notifier,
		locker:   cfg.Locker,
		now:      cfg.Now,
		log:      cfg.Logger,
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
	return s
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
	if !from.Before(to) {
		return nil, Errorf(EInvalid, "the window is empty: 'to' must be after 'from'")
	}
	if to.Sub(from) > MaxWindow {
		return nil, Errorf(EInvalid, "the window is too long: at most %d days", int(MaxWindow.Hours()/24))
	}
	now := s.now()
	// Clamp the window to what can be booked, so that no calendar is read for
	// time that can't hold a slot anyway.
	if earliest := now.Add(t.MinNotice); from.Before(earliest) {
		from = earliest
	}
	if latest := now.Add(t.horizon()).Add(time.Nanosecond); to.After(latest) {
		to = latest
	}
	if !from.Before(to) {
		return []Slot{}, nil
	}
	busy, err := e.cal.Busy(ctx, from.Add(-t.BufferBefore), to.Add(t.Duration+t.BufferAfter))
	if err != nil {
		return nil, err
	}
	slots := Slots(SlotQuery{
		Location: e.p.Location, Open: e.p.Schedule.Open(e.p.Location, from, to), Type: t,
		Busy: busy, From: from, To: to, Now: now,
	})
	if slots == nil {
		slots = []Slot{}
	}
	return slots, nil
}

// BookRequest asks for a slot.
type BookRequest struct {
	PractitionerID string
	TypeID         string
	Start          time.Time
	Patient        Patient
}

// Book takes the slot that starts at req.Start, for the patient.
//
// Under the practitioner's lock it re-reads the calendar around the slot,
// checks the rules again, writes the event conditionally, then records the
// booking. It returns the booking and its manage token, which is given to the
// patient and never stored. Errors: ENotFound (practitioner or type), EInvalid
// (patient fields, a start that is not a slot of this type), EConflict (the
// slot is no longer free), EUnavailable (calendar or store unreachable). On
// error nothing is left behind: no event without a ledger row, no row without
// its event.
func (s *Service) Book(ctx context.Context, req BookRequest) (*Booking, string, error) {
	e, t, err := s.entryAndType(req.PractitionerID, req.TypeID)
	if err != nil {
		return nil, "", err
	}
	if err := req.Patient.Validate(false); err != nil {
		return nil, "", err
	}
	start := req.Start.In(e.p.Location)
	// The open time of the local days the slot lies on.
	open := e.p.Schedule.Open(e.p.Location, start, start.Add(t.Duration))
	q := SlotQuery{Location: e.p.Location, Open: open, Type: t, Now: s.now()}
	if !IsSlot(q, start) {
		return nil, "", Errorf(EInvalid, "%s is not a bookable start for %q: pick one from the slots list", start.Format(time.RFC3339), t.ID)
	}

	unlock, err := s.locker.Lock(ctx, e.p.ID)
	if err != nil {
		return nil, "", err
	}
	defer unlock()

	day := DateOf(start)
	busy, err := e.cal.Busy(ctx, day.AddDays(-1).Midnight(e.p.Location), day.AddDays(2).Midnight(e.p.Location))
	if err != nil {
		return nil, "", err
	}
	q.Busy = busy
	q.Now = s.now()
	if !IsSlot(q, start) {
		return nil, "", Errorf(EConflict, "the slot %s is no longer free", start.Format(time.RFC3339))
	}

	now := s.now()
	token := NewToken()
	b := &Booking{
		ID:             uuid.NewString(),
		PractitionerID: e.p.ID,
		TypeID:         t.ID,
		Start:          start,
		End:            start.Add(t.Duration),
		Status:         StatusConfirmed,
		Patient:        req.Patient,
		TokenHash:      HashToken(token),
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	if t.RequireConfirmation {
		b.Status = StatusPending
	}
	a := Appointment{Booking: b, Practitioner: &e.p, Type: t}
	ref, err := e.cal.Create(ctx, a)
	if err != nil {
		if ErrorCode(err) == EConflict {
			return nil, "", WrapError(EConflict, err, "the slot "+start.Format(time.RFC3339)+" is no longer free")
		}
		return nil, "", err
	}
	b.EventHref, b.EventETag = ref.Href, ref.ETag
	if err := s.store.CreateBooking(ctx, b); err != nil {
		// Leave no event without its booking.
		if derr := e.cal.Delete(context.WithoutCancel(ctx), ref); derr != nil {
			s.log.Error("booking: event left without ledger row", "booking", b.ID, "practitioner", e.p.ID, "err", derr)
		}
		return nil, "", err
	}
	s.log.Info("booking created", "booking", b.ID, "practitioner", e.p.ID, "type", t.ID, "status", b.Status)
	s.notify(ctx, Notification{Kind: NotifyCreated, Appointment: a, ManageToken: token})
	return b, token, nil
}

func (s *Service) notify(ctx context.Context, n Notification) {
	if err := s.notifier.Notify(context.WithoutCancel(ctx), n); err != nil {
		s.log.Error("booking: notification not sent", "booking", n.Appointment.Booking.ID, "kind", n.Kind, "err", err)
	}
}

// BookingByToken returns the booking that a manage token opens, with its
// practitioner and type. ENotFound for an unknown or malformed token.
func (s *Service) BookingByToken(ctx context.Context, token string) (Appointment, error) {
	if !ValidToken(token) {
		return Appointment{}, Errorf(ENotFound, "no booking for this link")
	}
	b, err := s.store.BookingByTokenHash(ctx, HashToken(token))
	if err != nil {
		if ErrorCode(err) == ENotFound {
			return Appointment{}, Errorf(ENotFound, "no booking for this link")
		}
		return Appointment{}, err
	}
	return s.appointment(b)
}

func (s *Service) appointment(b *Booking) (Appointment, error) {
	e, t, err := s.entryAndType(b.PractitionerID, b.TypeID)
	if err != nil {
		return Appointment{}, WrapError(EInternal, err, "the booking refers to a practitioner or type that is no longer configured")
	}
	b.Start, b.End = b.Start.In(e.p.Location), b.End.In(e.p.Location)
	p := e.p
	return Appointment{Booking: b, Practitioner: &p, Type: t}, nil
}

// Confirm confirms a pending booking. Confirming a confirmed booking is a
// no-op. EConflict if the booking is cancelled or expired.
func (s *Service) Confirm(ctx context.Context, token string) (Appointment, error) {
	return s.transition(ctx, token, func(b *Booking) (bool, error) {
		switch b.Status {
		case StatusConfirmed:
			return false, nil
		case StatusPending:
			b.Status = StatusConfirmed
			return true, nil
		}
		return false, Errorf(EConflict, "this booking is %s and can't be confirmed", b.Status)
	}, NotifyConfirmed)
}

// Cancel cancels a booking: its event stays in the calendar with
// STATUS:CANCELLED and the slot is free again. Cancelling a cancelled booking is
// a no-op; an expired one can't be cancelled (EConflict).
func (s *Service) Cancel(ctx context.Context, token string) (Appointment, error) {
	return s.transition(ctx, token, func(b *Booking) (bool, error) {
		switch b.Status {
		case StatusCancelled:
			return false, nil
		case StatusPending, StatusConfirmed:
			b.Status = StatusCancelled
			b.Sequence++
			return true, nil
		}
		return false, Errorf(EConflict, "this booking is %s and can't be cancelled", b.Status)
	}, NotifyCancelled)
}

// transition applies change to the booking of token under the practitioner's
// lock, rewrites its event and saves it, then notifies the patient.
func (s *Service) transition(ctx context.Context, token string, change func(*Booking) (bool, error), kind string) (Appointment, error) {
	a, err := s.BookingByToken(ctx, token)
	if err != nil {
		return Appointment{}, err
	}
	unlock, err := s.locker.Lock(ctx, a.Practitioner.ID)
	if err != nil {
		return Appointment{}, err
	}
	defer unlock()
	// Re-read under the lock: another request may have changed it.
	b, err := s.store.Booking(ctx, a.Booking.ID)
	if err != nil {
		return Appointment{}, err
	}
	if a, err = s.appointment(b); err != nil {
		return Appointment{}, err
	}
	before := *b
	changed, err := change(b)
	if err != nil || !changed {
		return a, err
	}
	e := s.byID[b.PractitionerID]
	ref, err := e.cal.Update(ctx, a, EventRef{Href: b.EventHref, ETag: b.EventETag})
	if err != nil {
		*b = before
		if ErrorCode(err) == EConflict {
			return Appointment{}, WrapError(EConflict, err, "the appointment was changed in the practitioner's calendar; please contact the practice")
		}
		return Appointment{}, err
	}
	b.EventETag = ref.ETag
	if ref.Href != "" {
		b.EventHref = ref.Href
	}
	b.UpdatedAt = s.now()
	if err := s.store.UpdateBooking(ctx, b); err != nil {
		// Put the event back as it was, so calendar and ledger agree.
		if _, rerr := e.cal.Update(context.WithoutCancel(ctx), Appointment{Booking: &before, Practitioner: a.Practitioner, Type: a.Type}, ref); rerr != nil {
			s.log.Error("booking: calendar and ledger disagree", "booking", b.ID, "err", rerr)
		}
		return Appointment{}, err
	}
	s.log.Info("booking "+string(b.Status), "booking", b.ID, "practitioner", b.PractitionerID)
	s.notify(ctx, Notification{Kind: kind, Appointment: a})
	return a, nil
}

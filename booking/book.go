package booking

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// BookRequest asks for a slot.
type BookRequest struct {
	PractitionerID string
	TypeID         string
	Start          time.Time
	Patient        Patient
	// Lang is the language of the patient's messages: "fr", "en", or ""
	// for the notifier's default (see Booking.Lang).
	Lang string
	// IdempotencyKey, if set, makes the request safe to retry: a request
	// with the same key and the same content within IdempotencyTTL gets the
	// first result again (the same booking and manage token) and books
	// nothing; the same key with other content is refused (EInvalid). At
	// most MaxIdempotencyKeyLen printable ASCII characters; clients should
	// use a random UUID per booking attempt.
	IdempotencyKey string
	// ByPractice marks a booking the practice makes for the patient (the
	// desk's phone booking): it is confirmed at once, whatever the type's
	// RequireConfirmation, since the practice spoke with the patient, and
	// the patients' limits (Limits: upcoming bookings per contact, pending
	// ones, new bookings per minute, messages per hour), which hold back
	// strangers, do not apply.
	ByPractice bool
}

// Book takes the slot that starts at req.Start, for the patient.
//
// Under the practitioner's lock it re-reads the calendar around the slot
// (and the ledger's bookings there), checks the rules again, writes the event
// conditionally, then records the booking, its confirmation email and its
// idempotency key in one transaction. The email is then sent; if it can't be,
// it stays in the outbox for Dispatch. Book returns the booking and its
// manage token, which is given to the patient and never stored in clear.
//
// Errors: ENotFound (practitioner or type), EInvalid (patient fields, a start
// that is not a slot of this type, an Idempotency-Key used for another
// request), EConflict (the slot is no longer free, or full, or its day has
// reached a quota: AppointmentType.MaxPerDay, Practitioner.MaxBookingsPerDay),
// EUnavailable (calendar or store unreachable). On error nothing is left behind: no event
// without a ledger row, no row without its event.
func (s *Service) Book(ctx context.Context, req BookRequest) (*Booking, string, error) {
	e, t, err := s.entryAndType(req.PractitionerID, req.TypeID)
	if err != nil {
		return nil, "", err
	}
	if err := req.Patient.Validate(false); err != nil {
		return nil, "", err
	}
	if !ValidLang(req.Lang) {
		return nil, "", FieldError(FieldLang, ReasonInvalid, "the language must be fr or en")
	}
	start := req.Start.In(e.p.Location)
	var key *idempotencyKey
	if req.IdempotencyKey != "" {
		if key, err = s.keys.idempotency(req, start); err != nil {
			return nil, "", err
		}
		if b, token, found, err := s.replay(ctx, key); found || err != nil {
			return b, token, err
		}
	}
	return s.take(ctx, e, t, start, req.Patient, req.Lang, key, req.ByPractice)
}

// take is Book once the request is checked and its Idempotency-Key, if
// any, derived and not yet recorded: the slot of t at start taken with
// e's practitioner. BookShared calls it for each practitioner it tries.
func (s *Service) take(ctx context.Context, e *entry, t *AppointmentType, start time.Time, patient Patient, lang string, key *idempotencyKey, byPractice bool) (*Booking, string, error) {
	// The open time of the local days the slot lies on.
	open, err := s.rulesOpen(ctx, e, t, start)
	if err != nil {
		return nil, "", err
	}
	q := SlotQuery{Location: e.p.Location, Open: open, Type: t, Now: s.now()}
	if !IsSlot(q, start) {
		return nil, "", FieldError(FieldStart, ReasonInvalid, "%s is not a bookable start for %q: pick one from the slots list", start.Format(time.RFC3339), t.ID)
	}

	// Answered without waiting for the lock: a patient past a limit, and a
	// slot the ledger already shows taken. Both are checked again under it.
	if !byPractice {
		if err := s.checkNewBooking(ctx, e, t, patient); err != nil {
			return nil, "", err
		}
	}
	// The rows around the slot, and those of its whole local day, for its
	// quotas.
	dayFrom, dayTo := quotaWindow(e.p.Location, start, start)
	around := func() ([]*Booking, error) {
		return s.store.BookingsBetween(ctx, e.p.ID, minTime(dayFrom, start.Add(-24*time.Hour)), maxTime(dayTo, start.Add(t.Duration+24*time.Hour)))
	}
	rows, err := around()
	if err != nil {
		return nil, "", err
	}
	lost := func(rows []*Booking) error {
		err := lostTo(q, &e.p, start, rows)
		if err != nil && key != nil {
			// Perhaps to a twin request with the same key: its result then.
			if _, _, found, rerr := s.replay(ctx, key); found || rerr != nil {
				return errReplay
			}
		}
		return err
	}
	if err := lost(rows); err != nil {
		return s.lostAnswer(ctx, key, err)
	}
	// One request at a time per practitioner goes on to the lock; those
	// that wait learn at once when the bookings made meanwhile took their
	// slot.
	g := s.gate(e.p.ID)
	if err := g.enter(ctx, lost); err != nil {
		return s.lostAnswer(ctx, key, err)
	}
	// While it waited, another process may have taken the slot: the
	// ledger says so without the lock.
	if rows, err = around(); err == nil {
		err = lost(rows)
	}
	if err != nil {
		g.leave(nil)
		return s.lostAnswer(ctx, key, err)
	}
	unlock, err := s.locker.Lock(ctx, e.p.ID)
	if err != nil {
		g.leave(nil)
		return nil, "", err
	}
	b, token, msgs, err := s.bookLocked(ctx, e, t, start, patient, lang, key, byPractice)
	unlock()
	if err != nil {
		g.leave(nil)
		return nil, "", err
	}
	g.leave(b)
	s.step(StepBookBeforeNotify)
	s.deliver(ctx, msgs)
	return b, token, nil
}

// errReplay stops a request's wait at its practitioner's gate when a
// twin request with the same Idempotency-Key was recorded: its result is
// the answer (see lostAnswer).
var errReplay = errors.New("booking: replay the twin request's result")

// lostAnswer is Book's answer to a request refused before the lock with
// err: for errReplay, the first result of its Idempotency-Key.
func (s *Service) lostAnswer(ctx context.Context, key *idempotencyKey, err error) (*Booking, string, error) {
	if errors.Is(err, errReplay) {
		b, token, _, rerr := s.replay(ctx, key)
		return b, token, rerr
	}
	return nil, "", err
}

// lostTo returns an EConflict error if the bookings rows leave no room for
// the slot of q that starts at start, with p, nil otherwise: the slot is
// taken, or its day has reached a quota.
func lostTo(q SlotQuery, p *Practitioner, start time.Time, rows []*Booking) error {
	q.Busy, q.Held = splitBusy(nil, rows, q.Type.ID, "")
	q.Quotas = quotas(p, q.Type, nil, rows, "")
	if !IsSlot(q, start) {
		return Errorf(EConflict, "the slot %s is no longer free", start.Format(time.RFC3339))
	}
	return nil
}

// bookLocked is Book under the practitioner's lock. It returns the messages
// to deliver.
func (s *Service) bookLocked(ctx context.Context, e *entry, t *AppointmentType, start time.Time, patient Patient, lang string, key *idempotencyKey, byPractice bool) (*Booking, string, []OutboxMessage, error) {
	if key != nil {
		// A twin request may have been recorded while this one waited.
		if b, token, found, err := s.replay(ctx, key); found || err != nil {
			return b, token, nil, err
		}
	}
	if !byPractice {
		if err := s.checkNewBooking(ctx, e, t, patient); err != nil {
			return nil, "", nil, err
		}
	}
	q, err := s.freshQuery(ctx, e, t, start, "")
	if err != nil {
		return nil, "", nil, err
	}
	if !IsSlot(q, start) {
		// Perhaps held by the event of a write that was cut short: settle
		// the intents past their grace period, and look again if it removed
		// anything.
		if _, n, err := s.settle(ctx, e, nil); err == nil && n > 0 {
			if q, err = s.freshQuery(ctx, e, t, start, ""); err != nil {
				return nil, "", nil, err
			}
		}
		if !IsSlot(q, start) {
			return nil, "", nil, Errorf(EConflict, "the slot %s is no longer free", start.Format(time.RFC3339))
		}
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
		Patient:        patient,
		Lang:           lang,
		TokenHash:      HashToken(token),
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	if t.RequireConfirmation && !byPractice {
		b.Status = StatusPending
	}
	a := Appointment{Booking: b, Practitioner: &e.p, Type: t}
	// The write-ahead intent: the proof, should this process stop before
	// the ledger records the booking, that the event is rdv's to remove.
	in, err := s.intend(ctx, IntentCreate, b, e.cal.Href(b.ID), 0)
	if err != nil {
		return nil, "", nil, err
	}
	ref, err := e.cal.Create(ctx, a)
	if err != nil {
		if ErrorCode(err) == EConflict {
			s.forget(ctx, in.ID) // nothing written
			return nil, "", nil, WrapError(EConflict, err, "the slot "+start.Format(time.RFC3339)+" is no longer free")
		}
		// Perhaps written (a timeout after the server took it): the intent
		// stays, and SettleIntents removes the event if it is there.
		return nil, "", nil, err
	}
	b.EventHref, b.EventETag = ref.Href, ref.ETag
	s.step(StepBookAfterEvent)
	msgs := s.fanOut(e, s.message(NotifyCreated, b, token))
	c := Change{Booking: b, Create: true, Outbox: msgs, Intents: []string{in.ID}}
	s.remind(&c, t, e.p.Location)
	if key != nil {
		if c.Key, err = s.keys.record(key, b, token, now); err != nil {
			s.removeEvent(ctx, e, b.ID, ref, in)
			return nil, "", nil, err
		}
	}
	if err := s.store.Record(ctx, c); err != nil {
		// Leave no event without its booking.
		s.removeEvent(ctx, e, b.ID, ref, in)
		if key != nil && ErrorCode(err) == EConflict {
			// The same key, recorded meanwhile by a request for another
			// practitioner (the lock is per practitioner).
			if rb, rtoken, found, rerr := s.replay(ctx, key); found || rerr != nil {
				return rb, rtoken, nil, rerr
			}
		}
		return nil, "", nil, err
	}
	s.step(StepBookAfterLedger)
	s.log.InfoContext(ctx, "booking created", "booking", b.ID, "practitioner", e.p.ID, "type", t.ID, "status", b.Status, "by_practice", byPractice)
	return b, token, msgs, nil
}

// removeEvent deletes the event this process just wrote, at ref, whose
// booking could not be recorded, then its intent in; a failure is logged,
// and the intent left for SettleIntents, which removes the event later.
func (s *Service) removeEvent(ctx context.Context, e *entry, id string, ref EventRef, in *Intent) {
	if err := e.cal.Delete(context.WithoutCancel(ctx), ref); err != nil {
		s.log.ErrorContext(ctx, "booking: event left without ledger row until its write intent is settled", "booking", id, "practitioner", e.p.ID, "err", err)
		return
	}
	s.forget(ctx, in.ID)
}

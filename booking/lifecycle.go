package booking

import (
	"context"
	"fmt"
	"time"
)

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

// Changeable reports whether the patient may still cancel or move the
// booking online at now: it is active and its type's cancellation cut-off
// has not passed.
func (a Appointment) Changeable(now time.Time) bool {
	return a.Booking.Status.Active() && now.Before(a.Booking.Start.Add(-a.Type.CancelCutoff))
}

// cutoffError is the refusal of a change past the cut-off.
func cutoffError(a Appointment) error {
	msg := "this appointment can no longer be cancelled or moved online"
	if c := a.Type.CancelCutoff; c > 0 {
		msg += " (online changes close " + humanDuration(c) + " before the appointment)"
	}
	msg += "; please contact the practice"
	if a.Practitioner.Contact != "" {
		msg += ": " + a.Practitioner.Contact
	}
	return Errorf(EConflict, "%s", msg)
}

// humanDuration writes d in days, hours or minutes: "2 days", "24 hours",
// "90 minutes".
func humanDuration(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case d%(24*time.Hour) == 0 && d >= 48*time.Hour:
		return unit(int64(d/(24*time.Hour)), "day")
	case d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	default:
		return unit(int64((d+time.Minute-1)/time.Minute), "minute")
	}
}

// Deadline returns when the booking of a, if pending, is released unless
// confirmed: its type's confirmation time (or the service's default) after
// it was made, and never past its start.
func (s *Service) Deadline(a Appointment) time.Time { return s.deadline(a.Booking, a.Type) }

// confirmBy returns the deadline a message of kind about a states: the
// booking's Deadline for the first message and a new link of a pending
// booking, zero otherwise (see Notification.ConfirmBy).
func (s *Service) confirmBy(kind string, a Appointment) time.Time {
	if a.Booking.Status != StatusPending || (kind != NotifyCreated && kind != NotifyLink) {
		return time.Time{}
	}
	return s.deadline(a.Booking, a.Type).In(a.Practitioner.Location)
}

func (s *Service) deadline(b *Booking, t *AppointmentType) time.Time {
	within := t.ConfirmWithin
	if within <= 0 {
		within = s.confirmWithin
	}
	d := b.CreatedAt.Add(within)
	if b.Start.Before(d) {
		d = b.Start
	}
	return d
}

// Confirm confirms a pending booking. Confirming a confirmed booking is a
// no-op. EConflict if the booking is cancelled or expired, or was not
// confirmed in time (it is then released).
func (s *Service) Confirm(ctx context.Context, token string) (Appointment, error) {
	return s.change(ctx, token, func(e *entry, a Appointment) ([]OutboxMessage, error) {
		b := a.Booking
		switch b.Status {
		case StatusConfirmed:
			return nil, nil
		case StatusPending:
		default:
			return nil, Errorf(EConflict, "this booking is %s and can't be confirmed", b.Status)
		}
		after := *b
		after.Status = StatusConfirmed
		// The patient's calendar must apply it: a new SEQUENCE (RFC 5546).
		after.Sequence++
		return s.commit(ctx, e, a, &after, false, NotifyConfirmed)
	})
}

// Cancel cancels a booking: its event stays in the calendar with
// STATUS:CANCELLED (or is deleted, with ServiceConfig.DeleteCancelled) and
// the slot is free again. Cancelling a cancelled booking is a no-op. An
// expired booking can't be cancelled, nor one whose type's cut-off has
// passed: EConflict, with a message that says how to reach the practice.
func (s *Service) Cancel(ctx context.Context, token string) (Appointment, error) {
	return s.change(ctx, token, func(e *entry, a Appointment) ([]OutboxMessage, error) {
		b := a.Booking
		switch b.Status {
		case StatusCancelled:
			return nil, nil
		case StatusPending, StatusConfirmed:
		default:
			return nil, Errorf(EConflict, "this booking is %s and can't be cancelled", b.Status)
		}
		if !a.Changeable(s.now()) {
			return nil, cutoffError(a)
		}
		after := *b
		after.Status = StatusCancelled
		after.Sequence++
		return s.commit(ctx, e, a, &after, s.deleteCancelled, NotifyCancelled)
	})
}

// Reschedule moves the booking that token opens to the slot of its type that
// starts at start. The new slot is checked under the practitioner's lock
// with fresh busy time (the booking's own event does not count), then the
// event is rewritten in place at the new time (If-Match, SEQUENCE + 1): the
// new slot is taken and the old one released in one write, so the patient
// never holds both nor neither. The booking keeps its id, token and status;
// the patient is told.
//
// Errors: EInvalid when start is not a slot of the type; EConflict when the
// slot is not free (its day's quotas included: a move to another day counts
// there, a move within the day does not count twice), the booking is not active, or the cut-off has passed;
// EUnavailable as for Book. Moving a booking to its own start is a no-op.
func (s *Service) Reschedule(ctx context.Context, token string, start time.Time) (Appointment, error) {
	return s.change(ctx, token, func(e *entry, a Appointment) ([]OutboxMessage, error) {
		b, t := a.Booking, a.Type
		if !b.Status.Active() {
			return nil, Errorf(EConflict, "this booking is %s and can't be moved", b.Status)
		}
		if !a.Changeable(s.now()) {
			return nil, cutoffError(a)
		}
		start := start.In(e.p.Location)
		if start.Equal(b.Start) {
			return nil, nil
		}
		if err := s.checkMove(ctx, e, b); err != nil {
			return nil, err
		}
		q, err := s.freshQuery(ctx, e, t, start, b.ID)
		if err != nil {
			return nil, err
		}
		// The rules of the configuration say whether start is a slot at all
		// (EInvalid); the closures of the store, like busy time, whether it is
		// free (EConflict), as for Book.
		open, err := s.rulesOpen(ctx, e, t, start)
		if err != nil {
			return nil, err
		}
		if rules := (SlotQuery{Location: q.Location, Open: open, Type: t, Now: q.Now}); !IsSlot(rules, start) {
			return nil, FieldError(FieldStart, ReasonInvalid, "%s is not a bookable start for %q: pick one from the slots list", start.Format(time.RFC3339), t.ID)
		}
		if !IsSlot(q, start) {
			return nil, Errorf(EConflict, "the slot %s is no longer free", start.Format(time.RFC3339))
		}
		after := *b
		after.Start, after.End = start, start.Add(t.Duration)
		after.Sequence++
		after.Moves++
		return s.commit(ctx, e, a, &after, false, NotifyRescheduled)
	})
}

// change runs f on the booking of token under its practitioner's lock, with
// the booking read again under the lock, then sends the messages recorded.
// A pending booking whose confirmation time has passed is released instead,
// and f is not called.
func (s *Service) change(ctx context.Context, token string, f func(*entry, Appointment) ([]OutboxMessage, error)) (Appointment, error) {
	a, err := s.BookingByToken(ctx, token)
	if err != nil {
		return Appointment{}, err
	}
	return s.changeBooking(ctx, a.Practitioner.ID, a.Booking.ID, f)
}

// changeByID is change for the booking with this id, for the practitioner's
// side: ENotFound for an unknown booking.
func (s *Service) changeByID(ctx context.Context, id string, f func(*entry, Appointment) ([]OutboxMessage, error)) (Appointment, error) {
	b, err := s.store.Booking(ctx, id)
	if err != nil {
		if ErrorCode(err) == ENotFound {
			return Appointment{}, Errorf(ENotFound, "no booking %s", id)
		}
		return Appointment{}, err
	}
	return s.changeBooking(ctx, b.PractitionerID, id, f)
}

// changeBooking is change for the booking id of the practitioner
// practitionerID.
func (s *Service) changeBooking(ctx context.Context, practitionerID, id string, f func(*entry, Appointment) ([]OutboxMessage, error)) (Appointment, error) {
	e, err := s.entry(practitionerID)
	if err != nil {
		return Appointment{}, err
	}
	unlock, err := s.locker.Lock(ctx, e.p.ID)
	if err != nil {
		return Appointment{}, err
	}
	var a Appointment
	msgs, err := func() ([]OutboxMessage, error) {
		// A write of this booking cut short (a process stopped between the
		// calendar and the ledger) is settled first, so that its event is
		// not taken for the practitioner's change.
		if left, _, err := s.settle(ctx, e, map[string]bool{id: true}); left[id] {
			return nil, WrapError(EUnavailable, err, "an earlier change of this booking could not be finished; try again in a moment")
		}
		// Re-read under the lock: another request may have changed it.
		b, err := s.store.Booking(ctx, id)
		if err != nil {
			return nil, err
		}
		if b.PractitionerID != e.p.ID {
			return nil, Errorf(ENotFound, "no booking %s for practitioner %s", id, e.p.ID)
		}
		if a, err = s.appointment(b); err != nil {
			return nil, err
		}
		if b.Status == StatusPending && !s.now().Before(s.deadline(b, a.Type)) {
			msgs, err := s.expireLocked(ctx, e, a)
			if err != nil {
				return nil, err
			}
			return msgs, Errorf(EConflict, "this booking was not confirmed in time and has been released")
		}
		return f(e, a)
	}()
	unlock()
	s.deliver(ctx, msgs)
	if err != nil {
		return Appointment{}, err
	}
	return a, nil
}

// commit writes the new state after of the booking of a: first its event
// (rewritten in place, or deleted when del is set), then its row with a
// message of kind, in one transaction, if the row is still as a.Booking was
// read (its revision: see Change). If the row can't be recorded, the event
// is made to show the row again (see restore), so that ledger and calendar
// agree; a row changed meanwhile gives an EConflict error. On success
// a.Booking becomes after, and the messages are returned for delivery.
func (s *Service) commit(ctx context.Context, e *entry, a Appointment, after *Booking, del bool, kind string) ([]OutboxMessage, error) {
	before := *a.Booking
	after.UpdatedAt = s.now()
	next := Appointment{Booking: after, Practitioner: a.Practitioner, Type: a.Type}
	ref := EventRef{Href: before.EventHref, ETag: before.EventETag}
	op := IntentUpdate
	if del {
		op = IntentDelete
	}
	// The write-ahead intent: should this process stop between the
	// calendar and the ledger, it tells the event it left apart from a
	// change the practitioner made (see SettleIntents).
	in, err := s.intend(ctx, op, after, ref.Href, before.Revision)
	if err != nil {
		return nil, err
	}
	if del {
		err = s.deleteEvent(ctx, e, a, ref)
	} else {
		var nref EventRef
		if nref, err = s.updateEvent(ctx, e, a, next, ref); err == nil {
			after.EventHref, after.EventETag = nref.Href, nref.ETag
		}
	}
	if err != nil {
		if ErrorCode(err) == EConflict {
			s.forget(ctx, in.ID) // refused: nothing written
		}
		return nil, err
	}
	s.step(commitSteps[kind][0])
	msg := s.message(kind, after, "")
	if kind == NotifyRescheduled {
		msg.PreviousStart, msg.PreviousEnd = before.Start, before.End
	}
	msgs := s.fanOut(e, msg)
	c := Change{Booking: after, Outbox: msgs, Intents: []string{in.ID}}
	s.remind(&c, a.Type, e.p.Location)
	if err := s.store.Record(ctx, c); err != nil {
		if s.restore(ctx, e, a, after, del, err) {
			s.forget(ctx, in.ID)
		}
		if ErrorCode(err) == EConflict {
			// Another process changed the row since it was read under the
			// lock: the lock was lost (see Locker).
			return nil, WrapError(EConflict, err, "the booking was changed at the same time; reload")
		}
		return nil, err
	}
	after.Revision++ // as the store recorded it
	s.step(commitSteps[kind][1])
	s.log.InfoContext(ctx, "booking "+kind, "booking", after.ID, "practitioner", after.PractitionerID)
	*a.Booking = *after
	return msgs, nil
}

// restore compensates the calendar write of a change of a's booking to
// after (deleted: the change deleted the event) whose ledger write failed
// with recErr: the event is made to show the row as the ledger holds it,
// since the ledger is what the patient was told. That is the booking as it
// was read (a.Booking), put back; or, when the row was changed meanwhile
// (EConflict: another process wrote it, the lock lost), the row as it is
// now, read again. It reports whether the calendar shows the row again; a
// failure is logged, and the change's write intent settles it later.
func (s *Service) restore(ctx context.Context, e *entry, a Appointment, after *Booking, deleted bool, recErr error) bool {
	ctx = context.WithoutCancel(ctx)
	row := a.Booking
	if ErrorCode(recErr) == EConflict {
		cur, err := s.store.Booking(ctx, after.ID)
		if err != nil {
			s.log.ErrorContext(ctx, "booking: calendar and ledger disagree until the write intent is settled", "booking", after.ID, "err", err)
			return false
		}
		cur.Start, cur.End = cur.Start.In(e.p.Location), cur.End.In(e.p.Location)
		row = cur
		s.log.WarnContext(ctx, "booking: changed by another process meanwhile; calendar set to the ledger's row", "booking", after.ID, "practitioner", e.p.ID, "revision", cur.Revision)
	}
	want := Appointment{Booking: row, Practitioner: a.Practitioner, Type: a.Type}
	shows := Appointment{Booking: after, Practitioner: a.Practitioner, Type: a.Type}
	ref := EventRef{Href: after.EventHref, ETag: after.EventETag}
	var err error
	switch {
	case deleted:
		// An ended row needs no event.
		if row.Status.Active() {
			_, err = e.cal.Create(ctx, want)
		}
	case row.Status == StatusExpired || row.Status == StatusCancelled && s.deleteCancelled:
		err = s.deleteEvent(ctx, e, shows, ref)
	case sameState(after, row):
		// The event already shows the row (another process took the
		// event's state into it).
	default:
		_, err = s.updateEvent(ctx, e, shows, want, ref)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "booking: calendar and ledger disagree until the write intent is settled", "booking", after.ID, "err", err)
		return false
	}
	return true
}

// sameState reports whether an event showing a shows b as well: same time,
// status and sequence.
func sameState(a, b *Booking) bool {
	return a.Start.Equal(b.Start) && a.End.Equal(b.End) &&
		eventStatus(a.Status) == eventStatus(b.Status) && a.Sequence == b.Sequence
}

// updateEvent rewrites the event of cur (as rdv last wrote it, at ref) to
// next. If the ETag no longer matches but the event still is what rdv wrote
// (same time, status and sequence: rdv itself put it back after a failed
// change, or the server rewrote it), the write is made again on the event's
// current ETag. An event the practitioner changed gives an EConflict error.
func (s *Service) updateEvent(ctx context.Context, e *entry, cur, next Appointment, ref EventRef) (EventRef, error) {
	nref, err := e.cal.Update(ctx, next, ref)
	if ErrorCode(err) == EConflict {
		if ev, ok := s.sameEvent(ctx, e, cur.Booking, ref.Href); ok {
			nref, err = e.cal.Update(ctx, next, ev.Ref)
		}
	}
	if err != nil {
		if ErrorCode(err) == EConflict {
			return EventRef{}, WrapError(EConflict, err, "the appointment was changed in the practitioner's calendar; please contact the practice")
		}
		return EventRef{}, err
	}
	if nref.Href == "" {
		nref.Href = ref.Href
	}
	return nref, nil
}

// deleteEvent removes the event of a, at ref, with the same tolerance as
// updateEvent for an ETag that changed.
func (s *Service) deleteEvent(ctx context.Context, e *entry, a Appointment, ref EventRef) error {
	if ref.Href == "" {
		return nil
	}
	err := e.cal.Delete(ctx, ref)
	if ErrorCode(err) == EConflict {
		if ev, ok := s.sameEvent(ctx, e, a.Booking, ref.Href); ok {
			err = e.cal.Delete(ctx, ev.Ref)
		}
	}
	if ErrorCode(err) == EConflict {
		return WrapError(EConflict, err, "the appointment was changed in the practitioner's calendar; please contact the practice")
	}
	return err
}

// sameEvent reads the event at href and reports whether it still shows b as
// rdv wrote it.
func (s *Service) sameEvent(ctx context.Context, e *entry, b *Booking, href string) (BookingEvent, bool) {
	if href == "" {
		return BookingEvent{}, false
	}
	ev, found, err := e.event(ctx, href)
	if err != nil || !found {
		return BookingEvent{}, false
	}
	return ev, matches(ev, b)
}

// matches reports whether ev shows b as rdv writes it.
func matches(ev BookingEvent, b *Booking) bool {
	return ev.Booking == b.ID && ev.Start.Equal(b.Start) && ev.End.Equal(b.End) &&
		ev.Status == eventStatus(b.Status) && ev.Sequence == b.Sequence
}

// eventStatus is the status an event shows for a booking in status st (see
// BookingEvent.Status).
func eventStatus(st Status) Status {
	if st == StatusExpired {
		return StatusCancelled
	}
	return st
}

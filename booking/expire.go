package booking

import (
	"context"
	"errors"
)

// expireBatch bounds the pending bookings one ExpirePending pass looks at.
const expireBatch = 1000

// ExpirePending releases the pending bookings whose confirmation time has
// passed (see Deadline): each event is removed from the calendar, the
// booking becomes expired in the ledger, and the patient is told. It
// returns how many were released.
//
// It is safe to run in several processes at once: each booking is read
// again under its practitioner's lock and released only if it is still
// pending and due. An error on one booking does not stop the others; the
// first is returned. Run it periodically (rdv.App.Run does, every 30 seconds).
func (s *Service) ExpirePending(ctx context.Context) (int, error) {
	pending, err := s.store.PendingBookings(ctx, expireBatch)
	if err != nil {
		return 0, err
	}
	now := s.now()
	due := map[string][]string{} // booking ids by practitioner
	var order []string
	for _, b := range pending {
		_, t, err := s.entryAndType(b.PractitionerID, b.TypeID)
		if err != nil {
			continue // no longer configured: nothing to render nor release it with
		}
		if now.Before(s.deadline(b, t)) {
			continue
		}
		if due[b.PractitionerID] == nil {
			order = append(order, b.PractitionerID)
		}
		due[b.PractitionerID] = append(due[b.PractitionerID], b.ID)
	}
	n := 0
	var errs []error
	for _, pid := range order {
		k, err := s.expireFor(ctx, s.byID[pid], due[pid])
		n += k
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return n, errs[0]
	}
	return n, nil
}

// expireFor releases the bookings ids of practitioner e that are still
// pending and due, under e's lock.
func (s *Service) expireFor(ctx context.Context, e *entry, ids []string) (int, error) {
	unlock, err := s.locker.Lock(ctx, e.p.ID)
	if err != nil {
		return 0, err
	}
	var msgs []OutboxMessage
	var errs []error
	n := 0
	for _, id := range ids {
		b, err := s.store.Booking(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		a, err := s.appointment(b)
		if err != nil || b.Status != StatusPending || s.now().Before(s.deadline(b, a.Type)) {
			continue // confirmed or released meanwhile
		}
		m, err := s.expireLocked(ctx, e, a)
		if err != nil {
			s.log.ErrorContext(ctx, "booking: pending booking not released", "booking", id, "practitioner", e.p.ID, "err", err)
			errs = append(errs, err)
			continue
		}
		msgs = append(msgs, m...)
		n++
	}
	unlock()
	s.deliver(ctx, msgs)
	return n, errors.Join(errs...)
}

// expireLocked releases the pending booking of a, under the lock: its event
// is removed, then the booking is recorded expired with a message for the
// patient.
func (s *Service) expireLocked(ctx context.Context, e *entry, a Appointment) ([]OutboxMessage, error) {
	after := *a.Booking
	after.Status = StatusExpired
	after.Sequence++
	return s.commit(ctx, e, a, &after, true, NotifyExpired)
}

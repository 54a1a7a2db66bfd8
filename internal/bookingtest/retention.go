package bookingtest

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// EraseExpired implements booking.Store.
func (s *Store) EraseExpired(_ context.Context, cut booking.RetentionCutoffs, at time.Time, limit int) ([]string, error) {
	if err := s.enter(OpEraseExpired); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, booking.Errorf(booking.EInvalid, "bookingtest: erase limit below 1")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	var due []*booking.Booking
	for id, b := range s.bookings {
		if _, done := s.erased[id]; !done && cut.Erases(b) {
			due = append(due, b)
		}
	}
	slices.SortFunc(due, func(a, b *booking.Booking) int {
		return cmp.Or(a.End.Compare(b.End), strings.Compare(a.ID, b.ID))
	})
	if len(due) > limit {
		due = due[:limit]
	}
	ids := make([]string, len(due))
	for i, b := range due {
		ids[i] = b.ID
		s.erase(b.ID, at)
	}
	return ids, s.leave(OpEraseExpired)
}

// EraseBookings implements booking.Store.
func (s *Store) EraseBookings(_ context.Context, ids []string, at time.Time) ([]string, error) {
	if err := s.enter(OpEraseBookings); err != nil {
		return nil, err
	}
	if len(ids) > booking.MaxEraseBatch {
		return nil, booking.Errorf(booking.EInvalid, "bookingtest: more than %d bookings to erase", booking.MaxEraseBatch)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	var out []string
	for _, id := range ids {
		b := s.bookings[id]
		if _, done := s.erased[id]; b == nil || done || b.Status.Active() && b.End.After(at) {
			continue
		}
		s.erase(id, at)
		out = append(out, id)
	}
	return out, s.leave(OpEraseBookings)
}

// erase erases the patient data of booking id, under s.mu.
func (s *Store) erase(id string, at time.Time) {
	b := s.bookings[id]
	b.Patient = booking.Patient{}
	b.TokenHash = ""
	b.Revision++
	s.erased[id] = at
	s.outbox = slices.DeleteFunc(s.outbox, func(e *outboxEntry) bool { return e.m.BookingID == id })
	for k, r := range s.keys {
		if r.BookingID == id {
			delete(s.keys, k)
		}
	}
}

// PatientRecords implements booking.Store.
func (s *Store) PatientRecords(_ context.Context, emailKey string) (booking.PatientRecords, error) {
	out := booking.PatientRecords{Bookings: []*booking.Booking{}, Messages: []booking.MessageRecord{}, Keys: []booking.KeyRecord{}}
	if err := s.enter(OpPatientRecords); err != nil {
		return out, err
	}
	if emailKey == "" {
		return out, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	ids := map[string]bool{}
	for id, b := range s.bookings {
		if _, done := s.erased[id]; !done && booking.EmailKey(b.Patient.Email) == emailKey {
			out.Bookings = append(out.Bookings, copyBooking(b))
			ids[id] = true
		}
	}
	sortBookings(out.Bookings)
	for _, e := range s.outbox {
		if ids[e.m.BookingID] {
			out.Messages = append(out.Messages, booking.MessageRecord{
				ID: e.m.ID, BookingID: e.m.BookingID, Kind: e.m.Kind, Recipient: e.m.Recipient,
				CreatedAt: e.m.CreatedAt.UTC(), Attempts: e.m.Attempts,
				SentAt: e.sent, FailedAt: e.failed, DroppedAt: e.dropped,
			})
		}
	}
	for _, r := range s.keys {
		if ids[r.BookingID] {
			out.Keys = append(out.Keys, booking.KeyRecord{BookingID: r.BookingID, CreatedAt: r.CreatedAt.UTC()})
		}
	}
	slices.SortFunc(out.Keys, func(a, b booking.KeyRecord) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.BookingID, b.BookingID))
	})
	return out, nil
}

// Erased reports whether the patient data of booking id was erased
// (EraseExpired, EraseBookings).
func (s *Store) Erased(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.erased[id]
	return ok
}

package booking

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
)

// Booking events unknown to this install, and adopting them.
//
// A booking event of rdv (UID = X-RDV-BOOKING) that this store has neither
// a row nor a write intent for was written by someone else: another rdv
// install sharing the calendar, a staging instance, or this install before
// its store was lost or restored from an old backup. rdv never deletes nor
// rewrites it: it is busy time like any event, and it is reported. A host
// who lost its store rebuilds the ledger from such events with Adopt, then
// sends each patient a fresh manage link with ResendLink.

// UnknownEvent is a booking event of a practitioner's bookings calendar
// that this store has no record of.
type UnknownEvent struct {
	PractitionerID string
	Event          BookingEvent
	// FirstSeen is when this process first found it.
	FirstSeen time.Time
}

// unknownEvents remembers, per practitioner, the unknown events the last
// pass of Reconcile, Sync or CheckSync found, so that each is logged once
// and can be listed.
type unknownEvents struct {
	mu   sync.Mutex
	byID map[string]map[string]UnknownEvent // practitioner id → booking id →
}

// noteUnknown records evs as the unknown events of e that overlap [from,
// to), replacing those found there before (those outside stay as they
// were); each one not seen before is logged, without patient data.
func (s *Service) noteUnknown(e *entry, evs []BookingEvent, from, to time.Time) {
	u := &s.unknown
	u.mu.Lock()
	defer u.mu.Unlock()
	old := u.byID[e.p.ID]
	cur := make(map[string]UnknownEvent, len(evs))
	for id, ue := range old {
		if !overlaps(ue.Event, from, to) {
			cur[id] = ue
		}
	}
	for _, ev := range evs {
		if prev, ok := old[ev.Booking]; ok {
			prev.Event = ev
			cur[ev.Booking] = prev
			continue
		}
		cur[ev.Booking] = UnknownEvent{PractitionerID: e.p.ID, Event: ev, FirstSeen: s.now()}
		s.log.Warn("booking: a booking event unknown to this install is left as it is and stays busy time (another install's, or a lost store's: see rdv adopt)",
			"booking", ev.Booking, "practitioner", e.p.ID, "status", ev.Status)
	}
	if u.byID == nil {
		u.byID = map[string]map[string]UnknownEvent{}
	}
	u.byID[e.p.ID] = cur
}

// overlaps reports whether ev's time overlaps [from, to).
func overlaps(ev BookingEvent, from, to time.Time) bool {
	return ev.Start.Before(to) && from.Before(ev.End)
}

// UnknownEvents returns the booking events of the practitioner's bookings
// calendar that this store has no record of, as the last pass of Reconcile,
// Sync or CheckSync in this process found them, ordered by start (all
// practitioners when practitionerID is ""). They carry the patient's
// contact as the event names it: for the practice only. ENotFound for an
// unknown practitioner.
func (s *Service) UnknownEvents(practitionerID string) ([]UnknownEvent, error) {
	if practitionerID != "" {
		if _, err := s.entry(practitionerID); err != nil {
			return nil, err
		}
	}
	u := &s.unknown
	u.mu.Lock()
	defer u.mu.Unlock()
	out := []UnknownEvent{}
	for pid, m := range u.byID {
		if practitionerID != "" && pid != practitionerID {
			continue
		}
		for _, ue := range m {
			out = append(out, ue)
		}
	}
	slices.SortFunc(out, func(a, b UnknownEvent) int {
		if c := a.Event.Start.Compare(b.Event.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Event.Booking, b.Event.Booking)
	})
	return out, nil
}

// Adoption is what Adopt did, or would do, with one unknown event.
type Adoption struct {
	Event BookingEvent
	// Booking is the ledger row rebuilt from the event; nil when the event
	// was not adopted.
	Booking *Booking
	// Skipped says why the event was not adopted ("" if it was): a type
	// that is not configured, an attendee that is not a usable contact.
	Skipped string
}

// Adopt rebuilds ledger rows from the booking events of the practitioner's
// bookings calendar that this store has no record of (see UnknownEvents),
// for disaster recovery: a host who lost its store, or restored an old
// backup, gets its agenda back from the calendar. It looks at the events
// Reconcile looks at (ending after now − ReconcileBack, within the booking
// horizons), under the practitioner's lock.
//
// Each row takes its id from the event's UID, its type from X-RDV-TYPE
// (which must be configured), its times, status (pending, confirmed or
// cancelled) and SEQUENCE from the event, the patient's name and email from
// its ATTENDEE (CN, mailto) and phone from its X-RDV-PHONE (older events:
// the "Téléphone : " line of its DESCRIPTION) (the email and
// the phone must pass Patient.Validate; the name, from the practice's own
// calendar, is tidied rather than held to the rules for strangers: see
// validateAdopted), and the event's
// href and ETag, as a GET of each event reads them. It has no manage token (the old one was never in this
// store and opens nothing): ResendLink gives the patient a new one. A
// pending booking adopted waits for its confirmation as a new one would,
// from now. Nothing is sent to anyone, and the calendar is not written.
//
// With dryRun, nothing is recorded: the result says what would be.
// Errors: ENotFound for an unknown practitioner, EUnavailable when the
// calendar or the store can't be read.
func (s *Service) Adopt(ctx context.Context, practitionerID string, dryRun bool) ([]Adoption, error) {
	e, err := s.entry(practitionerID)
	if err != nil {
		return nil, err
	}
	unlock, err := s.locker.Lock(ctx, e.p.ID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	inFlight, _, _ := s.settle(ctx, e, nil)
	if inFlight == nil {
		return nil, Errorf(EUnavailable, "the store can't be read")
	}
	now := s.now()
	from, to := now.Add(-ReconcileBack), s.windowEnd(e, now)
	w, err := s.readWindow(ctx, e, from, to, inFlight)
	if err != nil {
		return nil, err
	}
	out := []Adoption{}
	var left []BookingEvent
	for _, ev := range w.unknown {
		// Read it whole from the server: the listing holds what busy time
		// needs, not the patient's phone.
		full, found, err := e.event(ctx, ev.Ref.Href)
		switch {
		case err != nil && !errors.Is(err, ErrForeignEvent):
			return out, err
		case err == nil && found && full.Booking == ev.Booking:
			ev = full
		default:
			out = append(out, Adoption{Event: ev, Skipped: "the event is no longer there as it was listed"})
			left = append(left, ev)
			continue
		}
		a := s.adoption(e, ev, now)
		if a.Booking != nil && !dryRun {
			c := Change{Booking: a.Booking, Create: true}
			s.remind(&c, e.p.Type(a.Booking.TypeID), e.p.Location)
			if err := s.store.Record(ctx, c); err != nil {
				if ErrorCode(err) != EConflict {
					return out, err
				}
				a.Booking, a.Skipped = nil, "the store recorded this booking meanwhile"
			} else {
				s.log.InfoContext(ctx, "booking: adopted from the calendar", "booking", ev.Booking, "practitioner", e.p.ID, "status", a.Booking.Status)
			}
		}
		if a.Booking == nil || dryRun {
			left = append(left, ev)
		}
		out = append(out, a)
	}
	s.noteUnknown(e, left, from, to)
	return out, nil
}

// adoption builds the ledger row of the unknown event ev of e (see Adopt).
func (s *Service) adoption(e *entry, ev BookingEvent, now time.Time) Adoption {
	a := Adoption{Event: ev}
	t := e.p.Type(ev.Type)
	if t == nil {
		a.Skipped = "its appointment type (X-RDV-TYPE) is not configured for this practitioner"
		return a
	}
	p := ev.Patient
	if err := p.validateAdopted(); err != nil {
		// The message names the field, never its value.
		a.Skipped = "its attendee is not a usable patient contact: " + err.Error()
		return a
	}
	if !ev.End.After(ev.Start) {
		a.Skipped = "it has no duration"
		return a
	}
	a.Booking = &Booking{
		ID:             ev.Booking,
		PractitionerID: e.p.ID,
		TypeID:         t.ID,
		Start:          ev.Start.In(e.p.Location),
		End:            ev.End.In(e.p.Location),
		Status:         ev.Status,
		Patient:        p,
		EventHref:      ev.Ref.Href,
		EventETag:      ev.Ref.ETag,
		Sequence:       ev.Sequence,
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	return a
}

// ResendLink gives the patient of a booking a new manage link, at the
// practice's request: a new token replaces the old one (which stops
// opening the booking), and an email with the link goes to the patient of
// that booking only. It is how the patients of adopted bookings (see
// Adopt), which have no token, get one. Errors: ENotFound for an unknown
// booking, EConflict for a booking that is no longer active, EUnavailable
// when the store can't be written.
func (s *Service) ResendLink(ctx context.Context, id string) (Appointment, error) {
	return s.changeByID(ctx, id, func(e *entry, a Appointment) ([]OutboxMessage, error) {
		b := a.Booking
		if !b.Status.Active() {
			return nil, Errorf(EConflict, "this booking is %s: there is nothing to manage", b.Status)
		}
		token := NewToken()
		after := *b
		after.TokenHash = HashToken(token)
		after.UpdatedAt = s.now()
		msgs := []OutboxMessage{s.message(NotifyLink, &after, token)}
		if err := s.store.Record(ctx, Change{Booking: &after, Outbox: msgs}); err != nil {
			return nil, err
		}
		after.Revision++
		*a.Booking = after
		s.log.InfoContext(ctx, "booking: new manage link sent", "booking", b.ID, "practitioner", e.p.ID)
		return msgs, nil
	})
}

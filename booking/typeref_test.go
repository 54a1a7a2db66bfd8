package booking_test

import (
	"regexp"
	"testing"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

var opaqueRef = regexp.MustCompile(`^t-[0-9a-f]{16}$`)

// TestCalendarRef: a private type's events carry an opaque X-RDV-TYPE,
// derived from the configured secret, and are read back as the type (the
// group session keeps its second place); a disclosed type, or a service
// without a configured secret, writes the id; an event of an older version,
// with the id, is read too.
func TestCalendarRef(t *testing.T) {
	t.Run("private type, configured secret", func(t *testing.T) {
		f := newFixture(t)
		b, _ := f.book("groupe", at(7, 9, 0))
		ref := f.event(b.ID).Type
		if !opaqueRef.MatchString(ref) {
			t.Fatalf("X-RDV-TYPE of a private type = %q, want an opaque t-…", ref)
		}
		if !f.slotFree("groupe", at(7, 9, 0)) {
			t.Error("the group session's second place is gone: the event's type was not read back")
		}
		p, err := f.svc.Practitioner("demo")
		if err != nil {
			t.Fatal(err)
		}
		if got := p.TypeOfEvent(ref); got == nil || got.ID != "groupe" || got.CalendarRef != ref {
			t.Errorf("TypeOfEvent(%q) = %+v", ref, got)
		}
		if got := p.TypeOfEvent("groupe"); got == nil || got.ID != "groupe" {
			t.Errorf("TypeOfEvent of the id (an older event) = %+v", got)
		}
		if got := p.TypeOfEvent("t-0000000000000000"); got != nil {
			t.Errorf("TypeOfEvent of another ref = %+v", got)
		}
		// The same for every replica with the secret, another for another.
		other := f.service(booking.ServiceConfig{Store: f.store, Notifier: f.notes, Now: f.clock.Now, Secret: secret})
		if q, _ := other.Practitioner("demo"); q.Type("groupe").CalendarRef != ref {
			t.Errorf("another replica's ref = %q, want %q", q.Type("groupe").CalendarRef, ref)
		}
		// A store that lost the booking adopts its event back, by type.
		lost := f.service(booking.ServiceConfig{Store: bookingtest.NewStore(), Notifier: f.notes, Now: f.clock.Now, Secret: secret,
			Limits: booking.NoLimits()})
		adopted, err := lost.Adopt(ctx, "demo", false)
		if err != nil || len(adopted) != 1 || adopted[0].Booking == nil || adopted[0].Booking.TypeID != "groupe" {
			t.Errorf("Adopt = %+v, %v; want the booking, of type groupe", adopted, err)
		}
		diff := append([]byte(nil), secret...)
		diff[0] ^= 1
		third := f.service(booking.ServiceConfig{Store: f.store, Notifier: f.notes, Now: f.clock.Now, Secret: diff})
		if q, _ := third.Practitioner("demo"); q.Type("groupe").CalendarRef == ref {
			t.Error("another secret gives the same ref")
		}
	})
	t.Run("disclosed type", func(t *testing.T) {
		f := newFixture(t)
		p := testPractitioner()
		p.Types[0].DiscloseMotive = true
		svc, err := booking.NewService(booking.ServiceConfig{Store: f.store, Notifier: f.notes, Now: f.clock.Now, Secret: secret})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.AddPractitioner(p, f.cal); err != nil {
			t.Fatal(err)
		}
		q, _ := svc.Practitioner("demo")
		if got := q.Type("consultation").CalendarRef; got != "" {
			t.Errorf("CalendarRef of a disclosed type = %q", got)
		}
		if got := q.Type("groupe").CalendarRef; !opaqueRef.MatchString(got) {
			t.Errorf("CalendarRef of a private type = %q", got)
		}
		if p.Types[4].CalendarRef != "" {
			t.Error("AddPractitioner changed the caller's types")
		}
	})
	t.Run("no configured secret", func(t *testing.T) {
		f := newFixture(t, func(c *booking.ServiceConfig) { c.Secret = nil })
		b, _ := f.book("groupe", at(7, 9, 0))
		if got := f.event(b.ID).Type; got != "groupe" {
			t.Errorf("X-RDV-TYPE without a configured secret = %q, want the id", got)
		}
	})
}

package booking_test

import (
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// A practitioner at a daily quota is not a candidate of a shared motive:
// the merged slots leave them out that day, and "the first available"
// books another, or no one.
func TestSharedMotiveHonoursQuotas(t *testing.T) {
	svc, err := booking.NewService(booking.ServiceConfig{
		Store: bookingtest.NewStore(), Notifier: &bookingtest.Notifier{}, Now: bookingtest.NewClock(testNow).Now,
		Secret: secret, InlineDelivery: true, Limits: booking.NoLimits(),
	})
	if err != nil {
		t.Fatal(err)
	}
	morning := booking.ClockRange{Start: 9 * 60, End: 12 * 60}
	martin := gp("martin", 20*time.Minute, weekdays(morning))
	martin.Types[0].MaxPerDay = 1
	durand := gp("durand", 20*time.Minute, map[time.Weekday][]booking.ClockRange{time.Monday: {morning}}) // Mondays only
	for _, p := range []booking.Practitioner{martin, durand} {
		if err := svc.AddPractitioner(p, bookingtest.NewCalendar()); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.AddSharedType(booking.SharedType{ID: "generaliste", Name: "Médecine générale", TypeID: "consultation", Practitioners: []string{"martin", "durand"}}); err != nil {
		t.Fatal(err)
	}
	other := booking.Patient{Name: "Irène Joliot", Email: "irene@example.org"}
	shared := func(start time.Time, p booking.Patient) (*booking.Booking, error) {
		b, _, err := svc.BookShared(ctx, booking.SharedBookRequest{SharedID: "generaliste", Start: start, Patient: p})
		return b, err
	}

	// Monday 7 December: martin's one place goes, durand is left.
	if b, err := shared(at(7, 9, 0), other); err != nil || b.PractitionerID != "martin" {
		t.Fatalf("first booking of Monday: %+v %v, want martin's", b, err)
	}
	if b, err := shared(at(7, 9, 20), patient); err != nil || b.PractitionerID != "durand" {
		t.Fatalf("martin at his quota: %+v %v, want durand's", b, err)
	}
	// Tuesday 8 December: durand is closed; once martin's place is taken,
	// the day offers nothing and "the first available" is no one.
	if _, err := shared(at(8, 9, 0), other); err != nil {
		t.Fatal(err)
	}
	slots, err := svc.SharedSlots(ctx, "generaliste", at(8, 0, 0), at(9, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 0 {
		t.Errorf("Tuesday offers %d slots, want none (martin at his quota, durand closed)", len(slots))
	}
	// Refused as a slot taken (409), like a booking of one practitioner
	// at their quota: the start is one the rules offer, the day is full.
	if b, err := shared(at(8, 10, 0), patient); b != nil || booking.ErrorCode(err) != booking.EConflict {
		t.Errorf("booking Tuesday 10:00: %+v %v, want a conflict (409)", b, err)
	}
}

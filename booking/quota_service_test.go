package booking_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// quotaFixture is a fixture whose practitioner is testPractitioner changed
// by change (its quotas set).
func quotaFixture(t *testing.T, change func(p *booking.Practitioner)) *fixture {
	t.Helper()
	var c booking.ServiceConfig
	f := newFixture(t, func(cfg *booking.ServiceConfig) { c = *cfg })
	f.svc = quotaService(t, f, c, change)
	return f
}

// quotaService returns a service on f's doubles with configuration c for
// testPractitioner changed by change.
func quotaService(t *testing.T, f *fixture, c booking.ServiceConfig, change func(p *booking.Practitioner)) *booking.Service {
	t.Helper()
	svc, err := booking.NewService(c)
	if err != nil {
		t.Fatal(err)
	}
	p := testPractitioner()
	change(&p)
	if err := svc.AddPractitioner(p, f.cal); err != nil {
		t.Fatal(err)
	}
	return svc
}

// setMaxPerDay sets the MaxPerDay of the type id of p.
func setMaxPerDay(p *booking.Practitioner, id string, n int) {
	p.Type(id).MaxPerDay = n
}

// bookAt books typ at start, returning the error.
func (f *fixture) bookAt(typ string, start time.Time) error {
	_, _, err := f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: typ, Start: start, Patient: patient})
	return err
}

// dayStates returns the state of each day of [from, to) for typ.
func (f *fixture) dayStates(typ string, from, to booking.Date) []booking.DayState {
	f.t.Helper()
	days, err := f.svc.Days(ctx, "demo", typ, from, to)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []booking.DayState
	for _, d := range days {
		out = append(out, d.State)
	}
	return out
}

// wantStates checks got against want.
func wantStates(t *testing.T, what string, got []booking.DayState, want ...booking.DayState) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: days %v, want %v", what, got, want)
	}
}

var (
	dec1 = booking.Date{Year: 2026, Month: time.December, Day: 1}
	dec2 = dec1.AddDays(1)
	dec3 = dec1.AddDays(2)
)

// A type's quota closes the day to that type only, and only that day.
func TestQuotaPerType(t *testing.T) {
	f := quotaFixture(t, func(p *booking.Practitioner) { setMaxPerDay(p, "consultation", 2) })
	f.book("consultation", at(1, 9, 0))
	f.book("consultation", at(1, 15, 0))
	wantCode(t, f.bookAt("consultation", at(1, 10, 0)), booking.EConflict)
	if f.slotFree("consultation", at(1, 10, 0)) || f.slotFree("consultation", at(1, 16, 40)) {
		t.Error("a slot of the type is offered on its full day")
	}
	if !f.slotFree("long", at(1, 10, 0)) || !f.slotFree("consultation", at(2, 10, 0)) {
		t.Error("another type, or the next day, is closed too")
	}
	wantStates(t, "consultation", f.dayStates("consultation", dec1, dec3), booking.DayFull, booking.DayFree)
	wantStates(t, "long", f.dayStates("long", dec1, dec3), booking.DayFree, booking.DayFree)
	f.book("long", at(1, 10, 0))
	f.book("consultation", at(2, 10, 0))
}

// The practitioner's quota counts the bookings of every type together.
func TestQuotaPerPractitioner(t *testing.T) {
	f := quotaFixture(t, func(p *booking.Practitioner) { p.MaxBookingsPerDay = 3 })
	f.book("consultation", at(1, 9, 0))
	f.book("long", at(1, 10, 0))
	f.book("suivi", at(1, 14, 0))
	for _, typ := range []string{"consultation", "long", "groupe"} {
		wantCode(t, f.bookAt(typ, at(1, 15, 0)), booking.EConflict)
		if f.slotFree(typ, at(1, 15, 0)) {
			t.Errorf("%s is offered on the full day", typ)
		}
		wantStates(t, typ, f.dayStates(typ, dec1, dec3), booking.DayFull, booking.DayFree)
	}
	f.book("groupe", at(2, 9, 0))
}

// A group session counts its patients: each booking is one.
func TestQuotaCapacity(t *testing.T) {
	f := quotaFixture(t, func(p *booking.Practitioner) { setMaxPerDay(p, "groupe", 3) })
	f.book("groupe", at(1, 9, 0))
	f.book("groupe", at(1, 9, 0)) // that slot full
	f.book("groupe", at(1, 10, 0))
	if f.slotFree("groupe", at(1, 10, 0)) {
		t.Error("the session with room left is offered on the full day")
	}
	wantCode(t, f.bookAt("groupe", at(1, 10, 0)), booking.EConflict)
	wantStates(t, "groupe", f.dayStates("groupe", dec1, dec2), booking.DayFull)
}

// A move to a full day is refused; a move within the day does not count
// the booking twice.
func TestQuotaReschedule(t *testing.T) {
	f := quotaFixture(t, func(p *booking.Practitioner) { setMaxPerDay(p, "consultation", 2) })
	_, first := f.book("consultation", at(1, 9, 0))
	f.book("consultation", at(1, 9, 20))
	other, token := f.book("consultation", at(2, 9, 0))

	_, err := f.svc.Reschedule(ctx, token, at(1, 14, 0))
	wantCode(t, err, booking.EConflict)
	if got := f.row(other.ID); !got.Start.Equal(at(2, 9, 0)) {
		t.Errorf("the refused move moved the booking to %s", got.Start)
	}
	days, err := f.svc.RescheduleDays(ctx, token, dec1, dec2)
	if err != nil {
		t.Fatal(err)
	}
	if days[0].State != booking.DayFull {
		t.Errorf("the full day is %s for a move from another day, want full", days[0].State)
	}

	days, err = f.svc.RescheduleDays(ctx, first, dec1, dec2)
	if err != nil {
		t.Fatal(err)
	}
	if days[0].State != booking.DayFree {
		t.Errorf("the booking's own day is %s for a move within it, want free", days[0].State)
	}
	a, err := f.svc.Reschedule(ctx, first, at(1, 14, 0))
	if err != nil {
		t.Fatalf("a move within the full day: %v", err)
	}
	if !a.Booking.Start.Equal(at(1, 14, 0)) {
		t.Errorf("moved to %s", a.Booking.Start)
	}
	// The day it left has room again for a move from the other day.
	if _, err := f.svc.Reschedule(ctx, first, at(2, 10, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Reschedule(ctx, token, at(1, 10, 0)); err != nil {
		t.Fatalf("a move into a day with room: %v", err)
	}
}

// Cancelled and expired bookings free their place in the day; a pending
// one holds it.
func TestQuotaInactive(t *testing.T) {
	f := quotaFixture(t, func(p *booking.Practitioner) {
		setMaxPerDay(p, "consultation", 1)
		setMaxPerDay(p, "suivi", 1)
	})
	_, token := f.book("consultation", at(1, 9, 0))
	wantCode(t, f.bookAt("consultation", at(1, 10, 0)), booking.EConflict)
	if _, err := f.svc.Cancel(ctx, token); err != nil {
		t.Fatal(err)
	}
	f.book("consultation", at(1, 10, 0))

	f.book("suivi", at(2, 9, 0)) // pending, to confirm within an hour
	wantCode(t, f.bookAt("suivi", at(2, 10, 0)), booking.EConflict)
	f.clock.Add(2 * time.Hour)
	if n, err := f.svc.ExpirePending(ctx); n != 1 || err != nil {
		t.Fatalf("ExpirePending = %d, %v; want 1", n, err)
	}
	f.book("suivi", at(2, 10, 0))
}

// TestQuotaConcurrent books 60 times at once on one day, through two
// services sharing the store, the calendar and the lock (two replicas):
// exactly the quota's 4 succeed, the others are told the slot is gone.
func TestQuotaConcurrent(t *testing.T) {
	var c booking.ServiceConfig
	f := newFixture(t, func(cfg *booking.ServiceConfig) { c = *cfg })
	c.Locker = &booking.MutexLocker{}
	change := func(p *booking.Practitioner) { setMaxPerDay(p, "consultation", 4) }
	replicas := []*booking.Service{quotaService(t, f, c, change), quotaService(t, f, c, change)}

	const attempts = 60
	starts := []time.Time{at(1, 9, 0), at(1, 9, 20), at(1, 9, 40), at(1, 10, 0), at(1, 14, 0), at(1, 14, 20), at(1, 15, 0), at(1, 16, 40)}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		won      int
		failures []error
	)
	for i := range attempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := replicas[i%2].Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: starts[i%len(starts)], Patient: patient})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case booking.ErrorCode(err) != booking.EConflict:
				failures = append(failures, err)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(failures...); err != nil {
		t.Fatalf("bookings failed other than with a conflict: %v", err)
	}
	if won != 4 {
		t.Errorf("%d bookings succeeded, want 4", won)
	}
	rows, err := f.store.BookingsBetween(ctx, "demo", dec1.Midnight(paris), dec2.Midnight(paris))
	if err != nil {
		t.Fatal(err)
	}
	active := 0
	for _, b := range rows {
		if b.Status.Active() {
			active++
		}
	}
	if active != 4 {
		t.Errorf("the store holds %d active bookings on the day, want 4", active)
	}
}

// A day is midnight to midnight on the practitioner's wall clock: on 29
// March 2026 in Paris, 23 hours. Neither a 24-hour day from midnight (it
// would take in the next day's 00:20) nor the UTC day (it would leave out
// the 00:20 of the day itself, still the 28th in UTC) would pass.
func TestQuotaDSTDay(t *testing.T) {
	f := quotaFixture(t, func(p *booking.Practitioner) {
		setMaxPerDay(p, "consultation", 2)
		p.Schedule.Weekly.Set(time.Sunday, booking.ClockRange{Start: 0, End: 24 * 60})
		p.Schedule.Weekly.Set(time.Monday, booking.ClockRange{Start: 0, End: 24 * 60})
	})
	f.clock.Set(time.Date(2026, 3, 20, 10, 0, 0, 0, paris))
	local := func(d, hh, mm int) time.Time { return time.Date(2026, 3, d, hh, mm, 0, 0, paris) }
	f.book("consultation", local(29, 0, 20))
	f.book("consultation", local(30, 0, 20))
	f.book("consultation", local(29, 23, 20))
	wantCode(t, f.bookAt("consultation", local(29, 12, 0)), booking.EConflict)
	sun := booking.Date{Year: 2026, Month: time.March, Day: 29}
	wantStates(t, "consultation", f.dayStates("consultation", sun, sun.AddDays(2)), booking.DayFull, booking.DayFree)
	f.book("consultation", local(30, 10, 0))
	wantStates(t, "consultation", f.dayStates("consultation", sun, sun.AddDays(2)), booking.DayFull, booking.DayFull)
}

package booking_test

import (
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// TestDays sorts the days of a fortnight: past, free, full, closed by the
// weekly hours or a closure, and beyond the horizon.
func TestDays(t *testing.T) {
	f := newFixture(t)
	d := func(day int) booking.Date { return booking.DateOf(at(day, 12, 0)) }
	// Wednesday 2 December: busy all day long.
	f.cal.AddBusy(booking.Interval{Start: at(2, 8, 0), End: at(2, 18, 0)})
	// Thursday 3 December: a closure.
	if _, _, err := f.svc.AddClosure(ctx, "demo", booking.Closure{From: d(3), To: d(3), Label: "congrès"}); err != nil {
		t.Fatal(err)
	}
	// Monday 30 November 16:55: the last slot of the day (16:40) has
	// passed. Sunday 29 November is before today.
	f.clock.Set(at(0, 16, 55))
	days, err := f.svc.Days(ctx, "demo", "consultation", booking.DateOf(at(0, 0, 0)).AddDays(-1), d(7))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]booking.DayState{
		"2026-11-29": booking.DayPast,
		"2026-11-30": booking.DayFull, // open until 17:00, no slot left: not a day off
		"2026-12-01": booking.DayFree,
		"2026-12-02": booking.DayFull,
		"2026-12-03": booking.DayClosed,
		"2026-12-04": booking.DayFree,
		"2026-12-05": booking.DayClosed,
		"2026-12-06": booking.DayClosed,
	}
	if len(days) != len(want) {
		t.Fatalf("%d days, want %d", len(days), len(want))
	}
	for _, day := range days {
		if got := day.State; got != want[day.Date.String()] {
			t.Errorf("%s: %s, want %s", day.Date, got, want[day.Date.String()])
		}
		if (day.State == booking.DayFree) != (len(day.Slots) > 0) {
			t.Errorf("%s: %s with %d slots", day.Date, day.State, len(day.Slots))
		}
		for _, sl := range day.Slots {
			if booking.DateOf(sl.Start.In(paris)) != day.Date {
				t.Errorf("%s holds a slot of another day: %v", day.Date, sl.Start)
			}
		}
	}
	if n := len(days[2].Slots); n != 18 {
		t.Errorf("1 December: %d slots, want 18 (6 hours of 20 minutes)", n)
	}

	// Beyond the 60-day horizon.
	late := booking.DateOf(at(0, 12, 0).AddDate(0, 0, 61))
	days, err = f.svc.Days(ctx, "demo", "consultation", late, late.AddDays(3))
	if err != nil {
		t.Fatal(err)
	}
	for _, day := range days {
		if day.State != booking.DayLater {
			t.Errorf("%s, past the horizon: %s, want later", day.Date, day.State)
		}
	}

	if _, err := f.svc.Days(ctx, "demo", "consultation", d(1), d(1).AddDays(booking.MaxDays+1)); booking.ErrorCode(err) != booking.EInvalid {
		t.Errorf("too long a span: %v, want EInvalid", err)
	}
	if _, err := f.svc.Days(ctx, "demo", "nope", d(1), d(2)); booking.ErrorCode(err) != booking.ENotFound {
		t.Errorf("unknown type: %v, want ENotFound", err)
	}
}

// TestRescheduleDays leaves out the booking's own start and counts its time
// as free.
func TestRescheduleDays(t *testing.T) {
	f := newFixture(t)
	_, token, err := f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "long", Start: at(1, 9, 0), Patient: patient})
	if err != nil {
		t.Fatal(err)
	}
	d := booking.DateOf(at(1, 12, 0))
	days, err := f.svc.RescheduleDays(ctx, token, d, d.AddDays(1))
	if err != nil {
		t.Fatal(err)
	}
	var starts []string
	for _, sl := range days[0].Slots {
		starts = append(starts, sl.Start.In(paris).Format("15:04"))
	}
	// 09:30 overlaps the booking itself: free for its own move.
	if len(starts) == 0 || starts[0] != "09:30" {
		t.Errorf("slots to move to on 1 December start with %v, want 09:30 first (09:00 is its own)", starts)
	}
	if _, err := f.svc.RescheduleDays(ctx, "bad-token", d, d.AddDays(1)); booking.ErrorCode(err) != booking.ENotFound {
		t.Errorf("unknown token: %v, want ENotFound", err)
	}
}

// TestDaysOverToday: a day whose open hours are over, or inside the
// minimum notice, is past, not closed; a day without open hours stays
// closed.
func TestDaysOverToday(t *testing.T) {
	f := newFixture(t)
	// Monday 30 November 17:30: open until 17:00.
	f.clock.Set(at(0, 17, 30))
	today := booking.DateOf(at(0, 12, 0))
	days, err := f.svc.Days(ctx, "demo", "consultation", today, today.AddDays(1))
	if err != nil {
		t.Fatal(err)
	}
	if days[0].State != booking.DayPast {
		t.Errorf("30 November after closing time: %s, want past", days[0].State)
	}
	// Saturday 5 December 10:00: no open hours at all.
	f.clock.Set(at(5, 10, 0))
	sat := booking.DateOf(at(5, 12, 0))
	days, err = f.svc.Days(ctx, "demo", "consultation", sat, sat.AddDays(1))
	if err != nil {
		t.Fatal(err)
	}
	if days[0].State != booking.DayClosed {
		t.Errorf("Saturday 5 December: %s, want closed", days[0].State)
	}
}

// TestDaysHorizonCutsDay: the last day of the horizon, whose open hours
// all come after the horizon's end, is not open yet, not closed.
func TestDaysHorizonCutsDay(t *testing.T) {
	f := newFixture(t)
	// Monday 30 November 08:00: the 60 days end on Friday 29 January at
	// 08:00, before its opening at 09:00.
	f.clock.Set(at(0, 8, 0))
	last := booking.DateOf(at(0, 12, 0).AddDate(0, 0, 60))
	if last.Weekday() != time.Friday {
		t.Fatalf("%s is not a Friday", last)
	}
	days, err := f.svc.Days(ctx, "demo", "consultation", last, last.AddDays(1))
	if err != nil {
		t.Fatal(err)
	}
	if days[0].State != booking.DayLater {
		t.Errorf("%s, open after the horizon's end: %s, want later", last, days[0].State)
	}
}

// TestDaysLongestSpanAcrossDSTShift: the longest span is counted in days,
// not hours. In Antarctica/Troll the clocks change by two hours, so 42
// local days around the change in October last 42 × 24 h + 2 h; they are
// still 42 days.
func TestDaysLongestSpanAcrossDSTShift(t *testing.T) {
	troll, err := time.LoadLocation("Antarctica/Troll")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := booking.NewService(booking.ServiceConfig{
		Store: bookingtest.NewStore(), Notifier: &bookingtest.Notifier{}, Secret: secret,
		Now: bookingtest.NewClock(time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)).Now, Limits: booking.NoLimits(),
	})
	if err != nil {
		t.Fatal(err)
	}
	p := gp("troll", 30*time.Minute, weekdays(booking.ClockRange{Start: 9 * 60, End: 12 * 60}))
	p.Location = troll
	if err := svc.AddPractitioner(p, bookingtest.NewCalendar()); err != nil {
		t.Fatal(err)
	}
	from := booking.Date{Year: 2026, Month: time.October, Day: 5}
	to := from.AddDays(booking.MaxDays)
	if span := to.Midnight(troll).Sub(from.Midnight(troll)); span != booking.MaxDays*24*time.Hour+2*time.Hour {
		t.Fatalf("the span lasts %v: not across Troll's two-hour change", span)
	}
	days, err := svc.Days(ctx, "troll", "consultation", from, to)
	if err != nil || len(days) != booking.MaxDays {
		t.Fatalf("%d days, %v; want %d", len(days), err, booking.MaxDays)
	}
	if _, err := svc.Days(ctx, "troll", "consultation", from, to.AddDays(1)); booking.ErrorCode(err) != booking.EInvalid {
		t.Errorf("%d days: %v, want refused as too long", booking.MaxDays+1, err)
	}
}

package booking_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// A centre of three GPs, each with their own hours, visit length and
// calendar, offering "generaliste" together:
//
//	martin  weekdays 09:00–12:00, 20 minutes; busy 11:00–12:00 on 7 December
//	durand  weekdays 14:00–18:00, 30 minutes
//	petit   Monday and Wednesday 09:00–10:00 and 14:00–15:00, 20 minutes;
//	        busy 09:20–09:40 on 7 December
type centre struct {
	t     *testing.T
	svc   *booking.Service
	store *bookingtest.Store
	cals  map[string]*bookingtest.Calendar
	logs  *bookingtest.LogBuffer
	clock *bookingtest.Clock
}

var centreIDs = []string{"martin", "durand", "petit"}

func gp(id string, d time.Duration, open map[time.Weekday][]booking.ClockRange) booking.Practitioner {
	p := booking.Practitioner{
		ID: id, Name: "Dr " + id, Location: paris,
		Types: []booking.AppointmentType{
			{ID: "consultation", Name: "Consultation", Duration: d},
			{ID: "autre", Name: "Autre", Duration: d},
		},
	}
	for wd, rs := range open {
		p.Schedule.Weekly.Set(wd, rs...)
	}
	return p
}

func weekdays(rs ...booking.ClockRange) map[time.Weekday][]booking.ClockRange {
	m := map[time.Weekday][]booking.ClockRange{}
	for d := time.Monday; d <= time.Friday; d++ {
		m[d] = rs
	}
	return m
}

// newCentre returns the centre; shared, if given, lists the shared type's
// practitioners in another order.
func newCentre(t *testing.T, shared ...string) *centre {
	t.Helper()
	return newCentreHook(t, nil, shared...)
}

// newCentreHook is newCentre with the service's CrashTestHook.
func newCentreHook(t *testing.T, hook func(step string), shared ...string) *centre {
	t.Helper()
	c := &centre{t: t, store: bookingtest.NewStore(), cals: map[string]*bookingtest.Calendar{}, logs: &bookingtest.LogBuffer{}, clock: bookingtest.NewClock(testNow)}
	svc, err := booking.NewService(booking.ServiceConfig{
		Store: c.store, Notifier: &bookingtest.Notifier{}, Now: c.clock.Now,
		Secret: secret, InlineDelivery: true, Limits: booking.NoLimits(), CrashTestHook: hook,
		Logger: slog.New(slog.NewTextHandler(c.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	c.svc = svc
	morning, afternoon := booking.ClockRange{Start: 9 * 60, End: 12 * 60}, booking.ClockRange{Start: 14 * 60, End: 18 * 60}
	ps := []booking.Practitioner{
		gp("martin", 20*time.Minute, weekdays(morning)),
		gp("durand", 30*time.Minute, weekdays(afternoon)),
		gp("petit", 20*time.Minute, map[time.Weekday][]booking.ClockRange{
			time.Monday:    {{Start: 9 * 60, End: 10 * 60}, {Start: 14 * 60, End: 15 * 60}},
			time.Wednesday: {{Start: 9 * 60, End: 10 * 60}, {Start: 14 * 60, End: 15 * 60}},
		}),
	}
	for _, p := range ps {
		cal := bookingtest.NewCalendar()
		cal.Prefix = "/calendars/" + p.ID + "/bookings/"
		c.cals[p.ID] = cal
		if err := svc.AddPractitioner(p, cal); err != nil {
			t.Fatal(err)
		}
	}
	c.cals["martin"].AddBusy(booking.Interval{Start: at(7, 11, 0), End: at(7, 12, 0)})
	c.cals["petit"].AddBusy(booking.Interval{Start: at(7, 9, 20), End: at(7, 9, 40)})
	if len(shared) == 0 {
		shared = centreIDs
	}
	if err := svc.AddSharedType(booking.SharedType{ID: "generaliste", Name: "Consultation de médecine générale", TypeID: "consultation", Practitioners: shared}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		logs := c.logs.String()
		for _, s := range []string{patientName, patientEmail, patientPhone, "Curie", "example.org"} {
			if strings.Contains(logs, s) {
				t.Errorf("logs contain patient data %q", s)
			}
		}
	})
	return c
}

func (c *centre) bookShared(start time.Time, p booking.Patient, key string) (*booking.Booking, string, error) {
	return c.svc.BookShared(ctx, booking.SharedBookRequest{SharedID: "generaliste", Start: start, Patient: p, IdempotencyKey: key})
}

// events returns the active events of practitioner id's calendar.
func (c *centre) events(id string) []booking.BookingEvent {
	c.t.Helper()
	evs, err := c.cals[id].Events(ctx, at(0, 0, 0), at(31, 0, 0))
	if err != nil {
		c.t.Fatal(err)
	}
	var out []booking.BookingEvent
	for _, ev := range evs {
		if ev.Status.Active() {
			out = append(out, ev)
		}
	}
	return out
}

func TestAddSharedTypeRefusesWhatItCantServe(t *testing.T) {
	c := newCentre(t)
	tokyo := gp("tanaka", 20*time.Minute, weekdays(booking.ClockRange{Start: 9 * 60, End: 12 * 60}))
	tokyo.Location = mustZone("Asia/Tokyo")
	if err := c.svc.AddPractitioner(tokyo, bookingtest.NewCalendar()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		st   booking.SharedType
	}{
		{"unknown practitioner", booking.SharedType{ID: "a", TypeID: "consultation", Practitioners: []string{"martin", "nobody"}}},
		{"type missing", booking.SharedType{ID: "a", TypeID: "kine", Practitioners: []string{"martin", "durand"}}},
		{"one practitioner", booking.SharedType{ID: "a", TypeID: "consultation", Practitioners: []string{"martin"}}},
		{"listed twice", booking.SharedType{ID: "a", TypeID: "consultation", Practitioners: []string{"martin", "martin"}}},
		{"two zones", booking.SharedType{ID: "a", TypeID: "consultation", Practitioners: []string{"martin", "tanaka"}}},
		{"id taken by a shared type", booking.SharedType{ID: "generaliste", TypeID: "autre", Practitioners: []string{"martin", "durand"}}},
		{"id of a practitioner", booking.SharedType{ID: "petit", TypeID: "autre", Practitioners: []string{"martin", "durand"}}},
		{"no id", booking.SharedType{TypeID: "autre", Practitioners: []string{"martin", "durand"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.svc.AddSharedType(tc.st); booking.ErrorCode(err) != booking.EInvalid {
				t.Fatalf("AddSharedType = %v, want EInvalid", err)
			}
		})
	}
	p := gp("generaliste", 20*time.Minute, weekdays(booking.ClockRange{Start: 9 * 60, End: 12 * 60}))
	if err := c.svc.AddPractitioner(p, bookingtest.NewCalendar()); booking.ErrorCode(err) != booking.EInvalid {
		t.Errorf("a practitioner with a shared type's id: %v, want EInvalid", err)
	}
	if got := len(c.svc.SharedTypes()); got != 1 {
		t.Fatalf("%d shared types registered, want 1", got)
	}
}

func TestSharedSlotsMergeThePractitioners(t *testing.T) {
	c := newCentre(t)
	slots, err := c.svc.SharedSlots(ctx, "generaliste", at(7, 0, 0), at(8, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		end  time.Time
		free int
	}
	wants := map[time.Time]want{
		at(7, 9, 0):   {at(7, 9, 20), 2},  // martin, petit
		at(7, 9, 20):  {at(7, 9, 40), 1},  // martin; petit busy
		at(7, 9, 40):  {at(7, 10, 0), 2},  // martin, petit
		at(7, 10, 0):  {at(7, 10, 20), 1}, // martin; petit closed
		at(7, 10, 40): {at(7, 11, 0), 1},  // martin; 11:00–12:00 busy
		at(7, 14, 0):  {at(7, 14, 20), 2}, // durand (30 min), petit (20 min): the earliest end
		at(7, 14, 20): {at(7, 14, 40), 1}, // petit
		at(7, 14, 30): {at(7, 15, 0), 1},  // durand
		at(7, 17, 30): {at(7, 18, 0), 1},  // durand
	}
	// martin 6 (09:00–10:40), petit 4 (09:00, 09:40, 14:20, 14:40) not
	// already counted at a start of martin or durand… counted by start:
	// 09:00 09:20 09:40 10:00 10:20 10:40 | 14:00 14:20 14:30 14:40 15:00 … 17:30.
	if len(slots) != 6+8+2 {
		t.Errorf("%d slots, want %d: %v", len(slots), 6+8+2, slots)
	}
	seen := map[time.Time]bool{}
	for i, sl := range slots {
		if i > 0 && !slots[i-1].Start.Before(sl.Start) {
			t.Errorf("slot %d (%s) not after the one before", i, sl.Start)
		}
		if seen[sl.Start] {
			t.Errorf("start %s twice", sl.Start)
		}
		seen[sl.Start] = true
		if sl.Start.Location() != paris {
			t.Errorf("slot %s not in the practitioners' zone", sl.Start)
		}
		if w, ok := wants[sl.Start]; ok {
			if !sl.End.Equal(w.end) || sl.Free != w.free {
				t.Errorf("slot %s: end %s, %d free; want %s, %d", sl.Start.Format("15:04"), sl.End.Format("15:04"), sl.Free, w.end.Format("15:04"), w.free)
			}
			delete(wants, sl.Start)
		}
		if sl.Start.Equal(at(7, 11, 0)) || sl.Start.Equal(at(7, 11, 20)) || sl.Start.Equal(at(7, 12, 0)) {
			t.Errorf("slot %s offered while martin is busy and the others closed", sl.Start)
		}
	}
	for st := range wants {
		t.Errorf("slot %s missing", st.Format("15:04"))
	}

	// Tuesday: petit is closed, martin and durand are not.
	slots, err = c.svc.SharedSlots(ctx, "generaliste", at(8, 0, 0), at(9, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 9+8 {
		t.Errorf("Tuesday: %d slots, want %d", len(slots), 9+8)
	}
	for _, sl := range slots {
		if sl.Free != 1 {
			t.Errorf("Tuesday %s: %d free, want 1", sl.Start.Format("15:04"), sl.Free)
		}
	}

	if _, err := c.svc.SharedSlots(ctx, "nope", at(7, 0, 0), at(8, 0, 0)); booking.ErrorCode(err) != booking.ENotFound {
		t.Errorf("unknown shared type: %v, want ENotFound", err)
	}
	c.cals["durand"].FailBefore(bookingtest.OpBusy, bookingtest.Always, nil)
	if _, err := c.svc.SharedSlots(ctx, "generaliste", at(7, 0, 0), at(8, 0, 0)); booking.ErrorCode(err) != booking.EUnavailable {
		t.Errorf("a calendar unreachable: %v, want EUnavailable", err)
	}
}

func TestSharedDaysMergeTheDays(t *testing.T) {
	c := newCentre(t)
	days, err := c.svc.SharedDays(ctx, "generaliste", booking.DateOf(at(5, 0, 0)), booking.DateOf(at(9, 0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		state booking.DayState
		slots int
	}{
		{booking.DayClosed, 0}, // Saturday
		{booking.DayClosed, 0}, // Sunday
		{booking.DayFree, 16},  // Monday, as SharedSlots
		{booking.DayFree, 17},  // Tuesday
	}
	if len(days) != len(want) {
		t.Fatalf("%d days, want %d", len(days), len(want))
	}
	for i, d := range days {
		if d.State != want[i].state || len(d.Slots) != want[i].slots {
			t.Errorf("%s: %s with %d slots, want %s with %d", d.Date, d.State, len(d.Slots), want[i].state, want[i].slots)
		}
	}
}

func TestBookSharedChoosesTheLeastBookedThenTheFirstListed(t *testing.T) {
	other := booking.Patient{Name: "Irène Joliot", Email: "irene@example.org"}
	for _, tc := range []struct {
		name   string
		order  []string
		before func(c *centre) // bookings made first
		start  time.Time
		want   string
	}{
		{name: "tie: the first in the shared type's order", start: at(7, 9, 0), want: "martin"},
		{name: "tie, another order", order: []string{"petit", "durand", "martin"}, start: at(7, 9, 0), want: "petit"},
		{name: "only one free", start: at(7, 9, 20), want: "martin"},
		{name: "the least booked that day", start: at(7, 9, 40), want: "petit", before: func(c *centre) {
			c.book("martin", at(7, 10, 0), other)
		}},
		{name: "another day's bookings do not count", start: at(7, 9, 40), want: "martin", before: func(c *centre) {
			c.book("martin", at(8, 10, 0), other)
			c.book("martin", at(9, 10, 0), other)
		}},
		{name: "bookings of any type count", start: at(7, 9, 40), want: "petit", before: func(c *centre) {
			c.bookType("martin", "autre", at(7, 10, 0), other)
		}},
		{name: "cancelled bookings do not count", start: at(7, 9, 40), want: "martin", before: func(c *centre) {
			_, token := c.book("martin", at(7, 10, 0), other)
			if _, err := c.svc.Cancel(ctx, token); err != nil {
				c.t.Fatal(err)
			}
		}},
		{name: "fewest wins over the order", start: at(7, 14, 0), want: "petit", before: func(c *centre) {
			c.book("durand", at(7, 15, 0), other)
			c.book("petit", at(7, 14, 40), other)
			c.book("durand", at(7, 16, 0), other)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCentre(t, tc.order...)
			if tc.before != nil {
				tc.before(c)
			}
			b, token, err := c.bookShared(tc.start, patient, "")
			if err != nil {
				t.Fatal(err)
			}
			if b.PractitionerID != tc.want {
				t.Fatalf("booked with %s, want %s", b.PractitionerID, tc.want)
			}
			if b.TypeID != "consultation" || !b.Start.Equal(tc.start) || token == "" {
				t.Errorf("booking %+v, token %q", b, token)
			}
			if _, ok := c.cals[tc.want].EventOf(b.ID); !ok {
				t.Errorf("no event in %s's calendar", tc.want)
			}
			if row := c.store.Row(b.ID); row == nil || row.PractitionerID != tc.want {
				t.Errorf("ledger row %+v", row)
			}
		})
	}
}

func (c *centre) book(id string, start time.Time, p booking.Patient) (*booking.Booking, string) {
	return c.bookType(id, "consultation", start, p)
}

func (c *centre) bookType(id, typ string, start time.Time, p booking.Patient) (*booking.Booking, string) {
	c.t.Helper()
	b, token, err := c.svc.Book(ctx, booking.BookRequest{PractitionerID: id, TypeID: typ, Start: start, Patient: p})
	if err != nil {
		c.t.Fatalf("book %s %s at %s: %v", id, typ, start, err)
	}
	return b, token
}

func TestBookSharedRefuses(t *testing.T) {
	c := newCentre(t)
	for _, tc := range []struct {
		name  string
		id    string
		start time.Time
		p     booking.Patient
		code  string
	}{
		{"unknown shared type", "nope", at(7, 9, 0), patient, booking.ENotFound},
		{"no one's slot", "generaliste", at(7, 9, 10), patient, booking.EInvalid},
		{"everyone closed", "generaliste", at(7, 12, 30), patient, booking.EInvalid},
		{"taken by the calendar", "generaliste", at(7, 11, 0), patient, booking.EConflict},
		{"no patient name", "generaliste", at(7, 9, 0), booking.Patient{Email: patientEmail}, booking.EInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.svc.BookShared(ctx, booking.SharedBookRequest{SharedID: tc.id, Start: tc.start, Patient: tc.p})
			if booking.ErrorCode(err) != tc.code {
				t.Fatalf("BookShared = %v, want %s", err, tc.code)
			}
		})
	}
	if n := len(c.store.Bookings()); n != 0 {
		t.Fatalf("%d bookings recorded", n)
	}
}

func TestBookSharedFallsBackWhenTheChosenLostTheSlot(t *testing.T) {
	lost := booking.Errorf(booking.EConflict, "an event is already there")
	t.Run("the next candidate takes it", func(t *testing.T) {
		c := newCentre(t)
		// martin, first by the rule, finds the slot taken at the
		// conditional write.
		c.cals["martin"].FailBefore(bookingtest.OpCreate, 1, lost)
		b, _, err := c.bookShared(at(7, 9, 0), patient, "")
		if err != nil {
			t.Fatal(err)
		}
		if b.PractitionerID != "petit" {
			t.Fatalf("booked with %s, want petit", b.PractitionerID)
		}
		if n := c.cals["martin"].Calls(bookingtest.OpCreate); n != 1 {
			t.Errorf("martin's calendar written %d times, want 1 try", n)
		}
		if evs := c.events("martin"); len(evs) != 0 {
			t.Errorf("martin's calendar holds %d events", len(evs))
		}
		if evs := c.events("petit"); len(evs) != 1 || evs[0].Booking != b.ID {
			t.Errorf("petit's calendar: %+v", evs)
		}
		if n := len(c.store.AllIntents()); n != 0 {
			t.Errorf("%d write intents left", n)
		}
	})
	t.Run("409 when every candidate lost it", func(t *testing.T) {
		c := newCentre(t)
		c.cals["martin"].FailBefore(bookingtest.OpCreate, 1, lost)
		c.cals["petit"].FailBefore(bookingtest.OpCreate, 1, lost)
		_, _, err := c.bookShared(at(7, 9, 0), patient, "")
		if booking.ErrorCode(err) != booking.EConflict {
			t.Fatalf("BookShared = %v, want EConflict", err)
		}
		if n := c.cals["durand"].Calls(bookingtest.OpCreate); n != 0 {
			t.Errorf("durand, not free then, was tried")
		}
		if n := len(c.store.Bookings()); n != 0 {
			t.Errorf("%d bookings recorded", n)
		}
	})
	t.Run("other errors are not passed on", func(t *testing.T) {
		c := newCentre(t)
		c.cals["martin"].FailBefore(bookingtest.OpCreate, 1, nil)
		_, _, err := c.bookShared(at(7, 9, 0), patient, "")
		if booking.ErrorCode(err) != booking.EUnavailable {
			t.Fatalf("BookShared = %v, want EUnavailable", err)
		}
		if n := c.cals["petit"].Calls(bookingtest.OpCreate); n != 0 {
			t.Errorf("petit tried after martin's calendar failed")
		}
	})
}

// A booking made with the first available is its practitioner's: moving
// it offers their slots only.
func TestSharedBookingMovesWithItsPractitioner(t *testing.T) {
	c := newCentre(t)
	b, token, err := c.bookShared(at(7, 9, 0), patient, "")
	if err != nil || b.PractitionerID != "martin" {
		t.Fatalf("booked %+v, %v; want martin", b, err)
	}
	slots, err := c.svc.RescheduleSlots(ctx, token, at(7, 0, 0), at(8, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 5 { // martin's 09:20 to 10:40
		t.Errorf("%d slots to move to, want martin's 5: %v", len(slots), slots)
	}
	for _, sl := range slots {
		if !sl.Start.Before(at(7, 12, 0)) {
			t.Errorf("offered %s, outside martin's hours", sl.Start.Format("15:04"))
		}
	}
	if _, err := c.svc.Reschedule(ctx, token, at(7, 14, 30)); err == nil {
		t.Error("moved to durand's 14:30")
	}
}

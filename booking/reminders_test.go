package booking_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// notReminders returns the messages of ob that are not reminders.
func notReminders(ob []bookingtest.OutboxState) []bookingtest.OutboxState {
	return slices.DeleteFunc(ob, func(m bookingtest.OutboxState) bool { return m.Message.Kind == booking.NotifyReminder })
}

// reminders returns the reminders of the booking id in the outbox: those
// waiting (neither sent nor dropped), and all of them.
func reminders(f *fixture, id string) (waiting, all []bookingtest.OutboxState) {
	for _, m := range f.store.Outbox() {
		if m.Message.Kind != booking.NotifyReminder || m.Message.BookingID != id {
			continue
		}
		all = append(all, m)
		if m.Sent.IsZero() && m.Dropped.IsZero() && m.Failed.IsZero() {
			waiting = append(waiting, m)
		}
	}
	return waiting, all
}

// dues returns when the messages ob are due.
func dues(ob []bookingtest.OutboxState) []time.Time {
	out := make([]time.Time, len(ob))
	for i, m := range ob {
		out[i] = m.Message.Due
	}
	return out
}

func sameTimes(a, b []time.Time) bool {
	return slices.EqualFunc(a, b, time.Time.Equal)
}

// remindFixture is a fixture whose practitioner also offers "rappel", a
// visit with reminders three days and two hours before.
func remindFixture(t *testing.T) *fixture {
	t.Helper()
	var c booking.ServiceConfig
	f := newFixture(t, func(cfg *booking.ServiceConfig) { c = *cfg })
	p := testPractitioner()
	p.Types = append(p.Types, booking.AppointmentType{
		ID: "rappel", Name: "Rappel", Duration: 20 * time.Minute,
		Reminders: []time.Duration{72 * time.Hour, 2 * time.Hour},
	})
	svc, err := booking.NewService(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AddPractitioner(p, f.cal); err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func TestReminderTimes(t *testing.T) {
	p := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, paris) }
	for _, c := range []struct {
		name    string
		start   time.Time
		offsets []time.Duration
		want    []time.Time
		hours   []float64 // what lies between each reminder and the visit
	}{
		{"a day, no change", p(2027, 1, 12, 10, 0), []time.Duration{24 * time.Hour}, []time.Time{p(2027, 1, 11, 10, 0)}, []float64{24}},
		{"a day across the change to summer time", p(2027, 3, 28, 10, 0), []time.Duration{24 * time.Hour}, []time.Time{p(2027, 3, 27, 10, 0)}, []float64{23}},
		{"two days across it", p(2027, 3, 29, 10, 0), []time.Duration{48 * time.Hour}, []time.Time{p(2027, 3, 27, 10, 0)}, []float64{47}},
		{"a day across the change to winter time", p(2027, 10, 31, 10, 0), []time.Duration{24 * time.Hour}, []time.Time{p(2027, 10, 30, 10, 0)}, []float64{25}},
		{"two hours across the change to summer time", p(2027, 3, 28, 3, 30), []time.Duration{2 * time.Hour}, []time.Time{p(2027, 3, 28, 0, 30)}, []float64{2}},
		{"two hours across the change to winter time", p(2027, 10, 31, 3, 30), []time.Duration{2 * time.Hour}, []time.Time{p(2027, 10, 31, 3, 30).Add(-2 * time.Hour)}, []float64{2}},
		{"36 hours is a duration", p(2027, 3, 29, 10, 0), []time.Duration{36 * time.Hour}, []time.Time{p(2027, 3, 27, 21, 0)}, []float64{36}},
		{"several, in order of offset", p(2027, 11, 1, 10, 0), []time.Duration{48 * time.Hour, 2 * time.Hour}, []time.Time{p(2027, 10, 30, 10, 0), p(2027, 11, 1, 8, 0)}, []float64{49, 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := booking.ReminderTimes(c.start, c.offsets)
			if !sameTimes(got, c.want) {
				t.Fatalf("ReminderTimes(%v, %v) = %v, want %v", c.start, c.offsets, got, c.want)
			}
			for i, g := range got {
				if h := c.start.Sub(g).Hours(); h != c.hours[i] {
					t.Errorf("reminder %d is %v hours before the visit, want %v", i, h, c.hours[i])
				}
			}
		})
	}
}

func TestRemindersValidated(t *testing.T) {
	for _, c := range []struct {
		name    string
		offsets []time.Duration
		ok      bool
	}{
		{"default", nil, true},
		{"none", []time.Duration{}, true},
		{"two", []time.Duration{48 * time.Hour, 2 * time.Hour}, true},
		{"thirty days", []time.Duration{30 * 24 * time.Hour}, true},
		{"zero", []time.Duration{0}, false},
		{"negative", []time.Duration{-time.Hour}, false},
		{"too far", []time.Duration{31 * 24 * time.Hour}, false},
		{"twice", []time.Duration{2 * time.Hour, 2 * time.Hour}, false},
		{"fraction of a second", []time.Duration{time.Hour + time.Millisecond}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			typ := booking.AppointmentType{ID: "x", Duration: 20 * time.Minute, Reminders: c.offsets}
			err := typ.Validate()
			if c.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !c.ok {
				wantCode(t, err, booking.EInvalid)
			}
		})
	}
}

// Reminders fall at the right instants on both sides of the 2027 daylight
// saving changes in Paris, and leave at their time, not before.
func TestRemindersAcrossDST(t *testing.T) {
	for _, c := range []struct {
		name       string
		now, start time.Time
		want       []time.Time
	}{
		// Tuesdays (the Mondays are holidays): three days before is 71
		// hours before in spring, 73 in autumn; two hours are two hours.
		{"spring", time.Date(2027, 3, 22, 8, 0, 0, 0, paris), time.Date(2027, 3, 30, 10, 0, 0, 0, paris),
			[]time.Time{time.Date(2027, 3, 27, 10, 0, 0, 0, paris), time.Date(2027, 3, 30, 8, 0, 0, 0, paris)}},
		{"autumn", time.Date(2027, 10, 25, 8, 0, 0, 0, paris), time.Date(2027, 11, 2, 10, 0, 0, 0, paris),
			[]time.Time{time.Date(2027, 10, 30, 10, 0, 0, 0, paris), time.Date(2027, 11, 2, 8, 0, 0, 0, paris)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := remindFixture(t)
			f.clock.Set(c.now)
			b, _ := f.book("rappel", c.start)
			waiting, _ := reminders(f, b.ID)
			if got := dues(waiting); !sameTimes(got, c.want) {
				t.Fatalf("reminders due %v, want %v", got, c.want)
			}
			f.notes.Take()
			for _, due := range c.want {
				f.clock.Set(due.Add(-time.Second))
				if _, err := f.svc.Dispatch(ctx); err != nil {
					t.Fatal(err)
				}
				if k := f.notes.Kinds(b.ID); len(k) != 0 {
					t.Fatalf("sent %v a second before %v", k, due)
				}
				f.clock.Set(due)
				if _, err := f.svc.Dispatch(ctx); err != nil {
					t.Fatal(err)
				}
				sent := f.notes.Take()
				if len(sent) != 1 || sent[0].Kind != booking.NotifyReminder || !sent[0].Appointment.Booking.Start.Equal(c.start) {
					t.Fatalf("at %v sent %+v, want one reminder", due, sent)
				}
				if sent[0].ManageToken != "" {
					t.Error("a reminder carries the manage token")
				}
			}
		})
	}
}

// A move drops the reminders of the old time and schedules those of the
// new one, whoever moves it: the patient, or the practitioner in the
// calendar (Sync).
func TestRemindersFollowMoves(t *testing.T) {
	f := remindFixture(t)
	b, tok := f.book("rappel", at(7, 9, 0))
	if _, err := f.svc.Reschedule(ctx, tok, at(8, 10, 0)); err != nil {
		t.Fatal(err)
	}
	waiting, all := reminders(f, b.ID)
	if want := []time.Time{at(5, 10, 0), at(8, 8, 0)}; !sameTimes(dues(waiting), want) {
		t.Fatalf("after the move, reminders due %v, want %v", dues(waiting), want)
	}
	if len(all) != 4 {
		t.Fatalf("%d reminders recorded, want 2 dropped and 2 waiting", len(all))
	}
	for _, m := range all[:2] {
		if m.Dropped.IsZero() || !m.Message.Start.Equal(at(7, 9, 0)) {
			t.Errorf("reminder of the old time not dropped: %+v", m)
		}
	}

	// The practitioner moves it in the calendar.
	f.cal.Edit(f.row(b.ID).EventHref, func(ev *booking.BookingEvent) {
		ev.Start, ev.End = at(9, 14, 0), at(9, 14, 20)
		ev.Sequence++
	})
	if _, err := f.svc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	waiting, _ = reminders(f, b.ID)
	if want := []time.Time{at(6, 14, 0), at(9, 12, 0)}; !sameTimes(dues(waiting), want) {
		t.Fatalf("after Sync, reminders due %v, want %v", dues(waiting), want)
	}
	// Only those of the last time are sent.
	f.notes.Take()
	for _, d := range []int{5, 6, 7, 8, 9} {
		f.clock.Set(at(d, 13, 0))
		if _, err := f.svc.Dispatch(ctx); err != nil {
			t.Fatal(err)
		}
	}
	sent := f.notes.Take()
	if len(sent) != 2 {
		t.Errorf("sent %d messages, want the two reminders of the last time", len(sent))
	}
	for _, n := range sent {
		if n.Kind != booking.NotifyReminder || !n.Appointment.Booking.Start.Equal(at(9, 14, 0)) {
			t.Errorf("sent %s about %v", n.Kind, n.Appointment.Booking.Start)
		}
	}
}

// A cancelled or expired booking gets no reminder; a pending one gets its
// reminders once confirmed.
func TestRemindersAndStatus(t *testing.T) {
	sendAll := func(f *fixture, until time.Time) []string {
		f.clock.Set(until)
		if _, err := f.svc.Dispatch(ctx); err != nil {
			f.t.Fatal(err)
		}
		return f.notes.Kinds("")
	}
	t.Run("cancelled by the patient", func(t *testing.T) {
		f := remindFixture(t)
		b, tok := f.book("rappel", at(7, 9, 0))
		if _, err := f.svc.Cancel(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if waiting, all := reminders(f, b.ID); len(waiting) != 0 || len(all) != 2 {
			t.Fatalf("%d reminders waiting of %d", len(waiting), len(all))
		}
		if k := sendAll(f, at(7, 8, 59)); slices.Contains(k, booking.NotifyReminder) {
			t.Errorf("sent %v", k)
		}
	})
	t.Run("cancelled by the practitioner", func(t *testing.T) {
		f := remindFixture(t)
		b, _ := f.book("rappel", at(7, 9, 0))
		if _, err := f.svc.PractitionerCancel(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		if waiting, _ := reminders(f, b.ID); len(waiting) != 0 {
			t.Fatalf("%d reminders waiting", len(waiting))
		}
	})
	t.Run("pending, then confirmed", func(t *testing.T) {
		f := newFixture(t)
		b, tok := f.book("suivi", at(3, 9, 0))
		if _, all := reminders(f, b.ID); len(all) != 0 {
			t.Fatalf("a pending booking has %d reminders", len(all))
		}
		if _, err := f.svc.Confirm(ctx, tok); err != nil {
			t.Fatal(err)
		}
		waiting, _ := reminders(f, b.ID)
		if want := []time.Time{at(2, 9, 0)}; !sameTimes(dues(waiting), want) { // the default: a day before
			t.Fatalf("reminders due %v, want %v", dues(waiting), want)
		}
	})
	t.Run("pending, then expired", func(t *testing.T) {
		f := newFixture(t)
		b, _ := f.book("suivi", at(3, 9, 0))
		f.clock.Add(2 * time.Hour)
		if _, err := f.svc.ExpirePending(ctx); err != nil {
			t.Fatal(err)
		}
		if f.row(b.ID).Status != booking.StatusExpired {
			t.Fatal("not expired")
		}
		if k := sendAll(f, at(3, 8, 59)); slices.Contains(k, booking.NotifyReminder) {
			t.Errorf("sent %v", k)
		}
	})
	t.Run("no reminders for the type", func(t *testing.T) {
		var c booking.ServiceConfig
		f := newFixture(t, func(cfg *booking.ServiceConfig) { c = *cfg })
		p := testPractitioner()
		p.Types[0].Reminders = []time.Duration{}
		svc, _ := booking.NewService(c)
		if err := svc.AddPractitioner(p, f.cal); err != nil {
			t.Fatal(err)
		}
		f.svc = svc
		b, _ := f.book("consultation", at(3, 9, 0))
		if _, all := reminders(f, b.ID); len(all) != 0 {
			t.Fatalf("%d reminders with reminders = []", len(all))
		}
	})
}

// A reminder whose time has passed when the visit is booked is not
// scheduled: a visit booked three hours ahead gets the two-hour reminder
// only.
func TestRemindersInThePastSkipped(t *testing.T) {
	f := remindFixture(t)
	f.clock.Set(at(7, 9, 0)) // a Monday
	b, _ := f.book("rappel", at(7, 12-1, 40))
	waiting, _ := reminders(f, b.ID)
	if want := []time.Time{at(7, 9, 40)}; !sameTimes(dues(waiting), want) {
		t.Fatalf("reminders due %v, want %v", dues(waiting), want)
	}
}

// A reminder not sent before the visit begins (the dispatcher stopped) is
// dropped, not sent late; so is one whose booking the ledger shows at
// another time.
func TestStaleRemindersDropped(t *testing.T) {
	t.Run("visit begun", func(t *testing.T) {
		f := remindFixture(t)
		b, _ := f.book("rappel", at(7, 9, 0))
		f.notes.Take()
		f.clock.Set(at(7, 9, 0))
		if _, err := f.svc.Dispatch(ctx); err != nil {
			t.Fatal(err)
		}
		if k := f.notes.Kinds(""); len(k) != 0 {
			t.Errorf("sent %v after the visit began", k)
		}
		_, all := reminders(f, b.ID)
		for _, m := range all {
			if m.Dropped.IsZero() || m.Reason != "the visit has begun" {
				t.Errorf("reminder not dropped: %+v", m)
			}
		}
	})
	t.Run("row moved without its reminders", func(t *testing.T) {
		f := remindFixture(t)
		b, _ := f.book("rappel", at(7, 9, 0))
		f.notes.Take()
		row := f.row(b.ID)
		row.Start, row.End = at(8, 9, 0), at(8, 9, 20)
		if err := f.store.Record(ctx, booking.Change{Booking: row}); err != nil {
			t.Fatal(err)
		}
		f.clock.Set(at(7, 8, 0))
		if _, err := f.svc.Dispatch(ctx); err != nil {
			t.Fatal(err)
		}
		if k := f.notes.Kinds(""); len(k) != 0 {
			t.Errorf("sent %v about the old time", k)
		}
	})
}

// Two dispatchers (two replicas on one store) racing at a reminder's time
// send it once.
func TestReminderSentOnce(t *testing.T) {
	var c booking.ServiceConfig
	f := newFixture(t, func(cfg *booking.ServiceConfig) { c = *cfg })
	other, err := booking.NewService(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.AddPractitioner(testPractitioner(), f.cal); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for h := 9; h < 12; h++ {
		b, _ := f.book("consultation", at(7, h, 0))
		ids = append(ids, b.ID)
	}
	f.notes.Take()
	f.clock.Set(at(6, 12, 0))
	var wg sync.WaitGroup
	for _, svc := range []*booking.Service{f.svc, other, f.svc, other} {
		wg.Go(func() {
			if _, err := svc.Dispatch(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		if k := f.notes.Kinds(id); !slices.Equal(k, []string{booking.NotifyReminder}) {
			t.Errorf("booking %s: sent %v, want one reminder", id, k)
		}
	}
}

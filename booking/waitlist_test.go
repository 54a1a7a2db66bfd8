package booking_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

func TestWindowMatches(t *testing.T) {
	tue1 := booking.Date{Year: 2026, Month: 12, Day: 1} // a Tuesday
	dst := booking.Date{Year: 2026, Month: 3, Day: 29}  // 23 hours in Paris
	tests := []struct {
		name  string
		w     booking.Window
		start time.Time
		want  bool
	}{
		{"any, in", booking.Window{From: tue1, Until: tue1, Part: booking.PartAny}, at(1, 16, 0), true},
		{"the day before", booking.Window{From: tue1, Until: tue1, Part: booking.PartAny}, at(0, 23, 40), false},
		{"the day after", booking.Window{From: tue1, Until: tue1, Part: booking.PartAny}, at(2, 0, 0), false},
		{"last day included", booking.Window{From: tue1, Until: tue1.AddDays(2), Part: booking.PartAny}, at(3, 23, 59), true},
		{"morning at 11:40", booking.Window{From: tue1, Until: tue1, Part: booking.PartMorning}, at(1, 11, 40), true},
		{"morning at 12:00", booking.Window{From: tue1, Until: tue1, Part: booking.PartMorning}, at(1, 12, 0), false},
		{"afternoon at 12:00", booking.Window{From: tue1, Until: tue1, Part: booking.PartAfternoon}, at(1, 12, 0), true},
		{"afternoon at 11:59", booking.Window{From: tue1, Until: tue1, Part: booking.PartAfternoon}, at(1, 11, 59), false},
		{"weekday listed", booking.Window{From: tue1, Until: tue1.AddDays(6), Part: booking.PartAny, Weekdays: []time.Weekday{time.Thursday}}, at(3, 9, 0), true},
		{"weekday not listed", booking.Window{From: tue1, Until: tue1.AddDays(6), Part: booking.PartAny, Weekdays: []time.Weekday{time.Thursday}}, at(2, 9, 0), false},
		// 09:30 UTC is 11:30 in Paris once the clocks went forward (10:30 the day before).
		{"DST day, morning", booking.Window{From: dst, Until: dst, Part: booking.PartMorning}, time.Date(2026, 3, 29, 9, 30, 0, 0, time.UTC), true},
		{"DST day, afternoon", booking.Window{From: dst, Until: dst, Part: booking.PartAfternoon}, time.Date(2026, 3, 29, 10, 0, 0, 0, time.UTC), true},
		{"DST day, 12:00 not morning", booking.Window{From: dst, Until: dst, Part: booking.PartMorning}, time.Date(2026, 3, 29, 10, 0, 0, 0, time.UTC), false},
		{"DST day ends at local midnight", booking.Window{From: dst, Until: dst, Part: booking.PartAny}, time.Date(2026, 3, 29, 22, 0, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.w.Matches(tt.start, paris); got != tt.want {
				t.Errorf("Matches(%s) = %v, want %v", tt.start.In(paris), got, tt.want)
			}
		})
	}
}

// waitFixture is a Waitlist on the booking fixture, the practitioner's
// Tuesday 1 December taken by one event of another calendar client.
type waitFixture struct {
	*fixture
	ws *bookingtest.WaitStore
	wn *bookingtest.WaitNotifier
	wl *booking.Waitlist
}

const busyHref = "/cal/busy.ics"

func newWaitFixture(t *testing.T, cfg booking.WaitlistConfig) *waitFixture {
	f := &waitFixture{fixture: newFixture(t), ws: bookingtest.NewWaitStore(), wn: &bookingtest.WaitNotifier{}}
	f.wl = booking.NewWaitlist(f.svc, f.ws, f.wn, cfg)
	f.cal.PutForeign(busyHref, at(1, 0, 0), at(2, 0, 0))
	t.Cleanup(func() {
		if logs := f.logs.String(); strings.Contains(logs, "@example.org") || strings.Contains(logs, "Lovelace") {
			t.Errorf("logs contain patient data:\n%s", logs)
		}
	})
	return f
}

var win1 = booking.Window{From: booking.Date{Year: 2026, Month: 12, Day: 1}, Until: booking.Date{Year: 2026, Month: 12, Day: 1}, Part: booking.PartAny}

// join puts patient i on the list for w and returns the entry and the
// token its confirmation email carries.
func (f *waitFixture) join(i int, w booking.Window) (*booking.WaitEntry, string) {
	f.t.Helper()
	e, err := f.wl.Join(ctx, booking.JoinRequest{PractitionerID: "demo", TypeID: "consultation", Window: w,
		Patient: booking.Patient{Name: bookingtest.PatientName(i), Email: fmt.Sprintf("p%d@example.org", i)}})
	if err != nil {
		f.t.Fatalf("join %d: %v", i, err)
	}
	if _, err := f.wl.Deliver(ctx); err != nil {
		f.t.Fatal(err)
	}
	ns := f.wn.Take()
	if len(ns) != 1 || ns[0].Kind != booking.WaitConfirm || ns[0].Entry.ID != e.ID {
		f.t.Fatalf("join %d: sent %+v, want its confirmation", i, ns)
	}
	return e, ns[0].Token
}

// joinActive joins and confirms.
func (f *waitFixture) joinActive(i int, w booking.Window) (*booking.WaitEntry, string) {
	f.t.Helper()
	e, token := f.join(i, w)
	if _, err := f.wl.Confirm(ctx, token); err != nil {
		f.t.Fatalf("confirm %d: %v", i, err)
	}
	return e, token
}

// free frees [start, end) of Tuesday 1 December.
func (f *waitFixture) free(start, end time.Time) {
	f.cal.Remove(busyHref)
	f.cal.PutForeign("/cal/before.ics", at(1, 0, 0), start)
	f.cal.PutForeign("/cal/after.ics", end, at(2, 0, 0))
}

// round alerts and delivers, and returns the entries alerted, in order.
func (f *waitFixture) round() []string {
	f.t.Helper()
	if _, err := f.wl.Alert(ctx); err != nil {
		f.t.Fatalf("Alert: %v", err)
	}
	if _, err := f.wl.Deliver(ctx); err != nil {
		f.t.Fatalf("Deliver: %v", err)
	}
	var ids []string
	for _, n := range f.wn.Take() {
		if n.Kind != booking.WaitAlert {
			f.t.Fatalf("sent a %s", n.Kind)
		}
		ids = append(ids, n.Entry.ID)
	}
	return ids
}

func sameIDs(got []string, want ...*booking.WaitEntry) bool {
	if len(got) != len(want) {
		return false
	}
	for i, e := range want {
		if got[i] != e.ID {
			return false
		}
	}
	return true
}

func TestWaitlistAlertsInOrderByBatch(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{Batch: 2, Interval: 30 * time.Minute})
	e1, _ := f.joinActive(1, win1)
	f.join(2, win1) // never confirmed
	e3, _ := f.joinActive(3, win1)
	_, t4 := f.joinActive(4, win1)
	if _, err := f.wl.Leave(ctx, t4); err != nil {
		t.Fatal(err)
	}
	afternoon := win1
	afternoon.Part = booking.PartAfternoon
	f.joinActive(5, afternoon) // the slot is in the morning
	e6, _ := f.joinActive(6, win1)
	e7, _ := f.joinActive(7, win1)

	if got := f.round(); len(got) != 0 {
		t.Fatalf("no slot free: alerted %v", got)
	}
	f.free(at(1, 9, 0), at(1, 9, 20))
	if got := f.round(); !sameIDs(got, e1, e3) {
		t.Fatalf("first batch: alerted %v, want %s %s", got, e1.ID, e3.ID)
	}
	f.clock.Add(29 * time.Minute)
	if got := f.round(); len(got) != 0 {
		t.Fatalf("before the interval: alerted %v", got)
	}
	f.clock.Add(time.Minute)
	if got := f.round(); !sameIDs(got, e6, e7) {
		t.Fatalf("second batch: alerted %v, want %s %s", got, e6.ID, e7.ID)
	}
	f.clock.Add(30 * time.Minute)
	if got := f.round(); len(got) != 0 {
		t.Fatalf("everyone told: alerted %v", got)
	}
	sent := f.ws.WaitSent()
	alerts := 0
	for _, m := range sent {
		if m.Kind == booking.WaitAlert {
			alerts++
		}
	}
	if alerts != 4 {
		t.Errorf("%d alerts sent in all, want 4", alerts)
	}
}

func TestWaitlistOneAlertPerEntryAndInterval(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{Batch: 3, Interval: 30 * time.Minute})
	e1, _ := f.joinActive(1, win1)
	f.free(at(1, 9, 0), at(1, 10, 0)) // three slots
	if got := f.round(); !sameIDs(got, e1) {
		t.Fatalf("alerted %v, want %s once", got, e1.ID)
	}
	f.clock.Add(30 * time.Minute)
	if got := f.round(); !sameIDs(got, e1) {
		t.Fatalf("after the interval: alerted %v, want %s for the next slot", got, e1.ID)
	}
}

func TestWaitlistNoAlertOutsideWindow(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{})
	morning := win1
	morning.Part = booking.PartMorning
	f.joinActive(1, morning)
	f.free(at(1, 14, 0), at(1, 14, 20))
	if got := f.round(); len(got) != 0 {
		t.Fatalf("afternoon slot: alerted %v", got)
	}
}

func TestWaitlistNoAlertAfterExpiry(t *testing.T) {
	t.Run("unconfirmed", func(t *testing.T) {
		f := newWaitFixture(t, booking.WaitlistConfig{})
		w := win1
		w.Until = w.Until.AddDays(3)
		f.cal.PutForeign("/cal/rest.ics", at(2, 0, 0), at(5, 0, 0))
		_, token := f.join(1, w)
		f.clock.Add(25 * time.Hour)
		if _, err := f.wl.Confirm(ctx, token); booking.ErrorCode(err) != booking.EConflict {
			t.Fatalf("confirm after 25 h: %v, want a conflict", err)
		}
		f.cal.Remove("/cal/rest.ics")
		if got := f.round(); len(got) != 0 {
			t.Fatalf("alerted %v", got)
		}
	})
	t.Run("alert waiting past the window", func(t *testing.T) {
		f := newWaitFixture(t, booking.WaitlistConfig{})
		f.joinActive(1, win1)
		f.free(at(1, 16, 0), at(1, 16, 20))
		f.wn.SetFail(booking.Errorf(booking.EUnavailable, "mail server down"))
		if _, err := f.wl.Alert(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := f.wl.Deliver(ctx); err == nil {
			t.Fatal("Deliver with the mail server down: no error")
		}
		f.wn.SetFail(nil)
		f.clock.Set(at(2, 0, 0))
		if got := f.round(); len(got) != 0 {
			t.Fatalf("expired entry alerted %v", got)
		}
	})
}

func TestWaitlistNoAlertAfterLeaving(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{})
	_, token := f.joinActive(1, win1)
	f.free(at(1, 16, 0), at(1, 16, 20))
	f.wn.SetFail(booking.Errorf(booking.EUnavailable, "mail server down"))
	if _, err := f.wl.Alert(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.wl.Deliver(ctx); err == nil {
		t.Fatal("Deliver with the mail server down: no error")
	}
	f.wn.SetFail(nil)
	if _, err := f.wl.Leave(ctx, token); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Minute) // past the backoff
	if got := f.round(); len(got) != 0 {
		t.Fatalf("entry left, alerted %v", got)
	}
}

// TestWaitlistRetry: an alert the mail server refuses for now is sent
// after its backoff, once.
func TestWaitlistRetry(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{})
	e, _ := f.joinActive(1, win1)
	f.free(at(1, 16, 0), at(1, 16, 20))
	f.wn.SetFail(booking.Errorf(booking.EUnavailable, "mail server down"))
	if _, err := f.wl.Alert(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.wl.Deliver(ctx); err == nil {
		t.Fatal("Deliver with the mail server down: no error")
	}
	f.wn.SetFail(nil)
	if got := f.round(); len(got) != 0 {
		t.Fatalf("sent before the backoff: %v", got)
	}
	f.clock.Add(time.Minute)
	if got := f.round(); !sameIDs(got, e) {
		t.Fatalf("after the backoff: %v, want %s", got, e.ID)
	}
	f.clock.Add(time.Hour)
	if got := f.round(); len(got) != 0 {
		t.Fatalf("sent again: %v", got)
	}
}

func TestWaitlistBookedEntryNotAlerted(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{})
	f.free(at(1, 9, 0), at(1, 9, 40))
	if _, _, err := f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: at(1, 9, 0),
		Patient: booking.Patient{Name: bookingtest.PatientName(1), Email: "p1@example.org"}}); err != nil {
		t.Fatal(err)
	}
	f.cal.PutForeign("/cal/rest.ics", at(1, 9, 20), at(1, 9, 40))
	e, token := f.joinActive(1, win1)
	f.cal.Remove("/cal/rest.ics")
	if got := f.round(); len(got) != 0 {
		t.Fatalf("alerted %v", got)
	}
	got, err := f.wl.Entry(ctx, token)
	if err != nil || got.Status != booking.WaitBooked {
		t.Fatalf("entry %s: %+v, %v; want booked", e.ID, got, err)
	}
}

func TestWaitlistJoin(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{MaxPerEmail: 2})
	req := func(w booking.Window, email string) booking.JoinRequest {
		return booking.JoinRequest{PractitionerID: "demo", TypeID: "consultation", Window: w,
			Patient: booking.Patient{Name: "Ada Lovelace", Email: email}}
	}
	t.Run("a free slot matches", func(t *testing.T) {
		w := win1
		w.Until = w.Until.AddDays(1)
		_, err := f.wl.Join(ctx, req(w, "a@example.org"))
		var fs *booking.FreeSlotsError
		if booking.ErrorCode(err) != booking.EConflict || !errors.As(err, &fs) || fs.Day.String() != "2026-12-02" {
			t.Fatalf("Join: %v, want a conflict naming 2026-12-02", err)
		}
	})
	t.Run("window", func(t *testing.T) {
		for name, w := range map[string]booking.Window{
			"past":          {From: booking.Date{Year: 2026, Month: 11, Day: 29}, Until: win1.Until, Part: booking.PartAny},
			"reversed":      {From: win1.Until, Until: win1.From.AddDays(-1), Part: booking.PartAny},
			"past horizon":  {From: win1.From, Until: win1.From.AddDays(90), Part: booking.PartAny},
			"part":          {From: win1.From, Until: win1.Until, Part: "evening"},
			"weekday":       {From: win1.From, Until: win1.Until, Part: booking.PartAny, Weekdays: []time.Weekday{9}},
			"no first date": {Until: win1.Until, Part: booking.PartAny},
		} {
			if _, err := f.wl.Join(ctx, req(w, "a@example.org")); booking.ErrorCode(err) != booking.EInvalid {
				t.Errorf("%s: %v, want EInvalid", name, err)
			} else if field, _ := booking.ErrorField(err); field != booking.FieldWindow {
				t.Errorf("%s: field %q", name, field)
			}
		}
	})
	t.Run("hostile patient", func(t *testing.T) {
		if _, err := f.wl.Join(ctx, req(win1, "a@example.org\r\nBcc: x@example.org")); booking.ErrorCode(err) != booking.EInvalid {
			t.Fatalf("header injection: %v", err)
		}
	})
	t.Run("per email", func(t *testing.T) {
		for i := range 2 {
			if _, err := f.wl.Join(ctx, req(win1, "cap@example.org")); err != nil {
				t.Fatalf("join %d: %v", i, err)
			}
		}
		_, err := f.wl.Join(ctx, req(win1, "CAP@example.org"))
		if limit, _ := booking.ErrorLimit(err); booking.ErrorCode(err) != booking.ELimit || limit != booking.LimitWaitPerEmail {
			t.Fatalf("third join: %v, want the per-email limit", err)
		}
	})
}

// TestWaitlistTwoAlerters: two processes alert at once, sharing the store
// and the lock: each alert is recorded once, and one batch only.
func TestWaitlistTwoAlerters(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{Batch: 2})
	var es []*booking.WaitEntry
	for i := range 4 {
		e, _ := f.joinActive(i, win1)
		es = append(es, e)
	}
	f.free(at(1, 9, 0), at(1, 9, 20))
	locker := &booking.MutexLocker{}
	var lists []*booking.Waitlist
	for range 2 {
		svc := f.service(booking.ServiceConfig{Store: f.store, Notifier: f.notes, Now: f.clock.Now, Secret: secret, Locker: locker, Limits: booking.NoLimits()})
		lists = append(lists, booking.NewWaitlist(svc, f.ws, f.wn, booking.WaitlistConfig{Batch: 2}))
	}
	// The lock is the replicas': while another holds it, Alert waits.
	unlock, err := locker.Lock(ctx, "rdv/waitlist")
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if n, err := lists[0].Alert(cancelled); err == nil || n != 0 {
		t.Fatalf("Alert while another holds the lock: %d, %v", n, err)
	}
	unlock()
	var wg sync.WaitGroup
	counts := make([]int, len(lists))
	for i, wl := range lists {
		wg.Go(func() {
			n, err := wl.Alert(ctx)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	if counts[0]+counts[1] != 2 {
		t.Fatalf("recorded %v, want 2 in all", counts)
	}
	for _, wl := range lists {
		if _, err := wl.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, n := range f.wn.Take() {
		got = append(got, n.Entry.ID)
	}
	if !sameIDs(got, es[0], es[1]) {
		t.Fatalf("alerted %v, want the first two once each", got)
	}
}

// TestWaitlistRetain: an entry's contact is erased the retention of
// cancelled bookings after it ended, not before.
func TestWaitlistRetain(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{})
	e, token := f.joinActive(1, win1)
	if _, err := f.wl.Leave(ctx, token); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(booking.DefaultRetainCancelled - time.Minute)
	if n, err := f.wl.Retain(ctx); err != nil || n != 0 {
		t.Fatalf("Retain before its time: %d, %v", n, err)
	}
	f.clock.Add(2 * time.Minute)
	if n, err := f.wl.Retain(ctx); err != nil || n != 1 {
		t.Fatalf("Retain: %d, %v", n, err)
	}
	got, err := f.ws.WaitEntry(ctx, e.ID)
	if err != nil || got.Patient != (booking.Patient{}) || got.EmailKey != "" || got.TokenHash != "" {
		t.Fatalf("after Retain: %+v, %v", got, err)
	}
	if _, err := f.wl.Entry(ctx, token); booking.ErrorCode(err) != booking.ENotFound {
		t.Fatalf("the token still opens the entry: %v", err)
	}
}

func TestWaitlistTypeOptOut(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{})
	p := testPractitioner()
	p.ID = "other"
	p.Types[0].NoWaitlist = true
	if err := f.svc.AddPractitioner(p, f.cal); err != nil {
		t.Fatal(err)
	}
	_, err := f.wl.Join(ctx, booking.JoinRequest{PractitionerID: "other", TypeID: "consultation", Window: win1,
		Patient: booking.Patient{Name: "Ada Lovelace", Email: "ada@example.org"}})
	if booking.ErrorCode(err) != booking.ENotFound {
		t.Fatalf("Join of a type that opts out: %v", err)
	}
}

// staleCount is a WaitStore whose count of live entries is read before a
// concurrent join of the same address records its own: it always says 0.
type staleCount struct{ *bookingtest.WaitStore }

func (staleCount) LiveWaitEntries(context.Context, string, time.Time) (int, error) { return 0, nil }

// TestWaitlistPerEmailAtomic: two joins of one address at once both read
// the count before either records; the cap still holds, as the store
// counts again in the transaction that records the entry.
func TestWaitlistPerEmailAtomic(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{MaxPerEmail: 2})
	wl := booking.NewWaitlist(f.svc, staleCount{f.ws}, f.wn, booking.WaitlistConfig{MaxPerEmail: 2})
	req := booking.JoinRequest{PractitionerID: "demo", TypeID: "consultation", Window: win1,
		Patient: booking.Patient{Name: "Ada Lovelace", Email: "race@example.org"}}
	for i := range 2 {
		if _, err := wl.Join(ctx, req); err != nil {
			t.Fatalf("join %d: %v", i, err)
		}
	}
	_, err := wl.Join(ctx, req)
	if limit, _ := booking.ErrorLimit(err); booking.ErrorCode(err) != booking.ELimit || limit != booking.LimitWaitPerEmail {
		t.Fatalf("third join with a stale count: %v, want the per-email limit", err)
	}
}

// failFor is a WaitNotifier whose mail server refuses, for now, every
// message to one address (a greylisting or unreachable domain a stranger
// may type).
type failFor struct {
	*bookingtest.WaitNotifier
	email string
}

func (n failFor) NotifyWait(ctx context.Context, m booking.WaitNotification) error {
	if m.Entry.Patient.Email == n.email {
		return booking.Errorf(booking.EUnavailable, "mail server: try again later")
	}
	return n.WaitNotifier.NotifyWait(ctx, m)
}

// TestWaitlistFailingMessageDoesNotBlock: a message the mail server keeps
// refusing for now holds back the ones after it for one round, not until
// it is given up, and they are not charged its attempts.
func TestWaitlistFailingMessageDoesNotBlock(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{})
	e1, _ := f.joinActive(1, win1)
	e2, _ := f.joinActive(2, win1)
	wl := booking.NewWaitlist(f.svc, f.ws, failFor{f.wn, "p1@example.org"}, booking.WaitlistConfig{})
	f.free(at(1, 16, 0), at(1, 16, 20))
	if n, err := wl.Alert(ctx); err != nil || n != 2 {
		t.Fatalf("Alert: %d, %v", n, err)
	}
	var sent []string
	for round := 0; round < 3 && len(sent) == 0; round++ {
		wl.Deliver(ctx) //nolint:errcheck // the failure of e1's alert
		for _, n := range f.wn.Take() {
			sent = append(sent, n.Entry.ID)
		}
		f.clock.Add(time.Minute)
	}
	if !slices.Equal(sent, []string{e2.ID}) {
		t.Fatalf("sent %v within 3 rounds, want %s's alert (%s's is refused for now)", sent, e2.ID, e1.ID)
	}
}

// TestWaitlistPerEmailDay: an unconfirmed entry holds its place 24 hours,
// even when its window ends sooner, so that a stranger can send an address
// at most MaxPerEmail confirmations a day, midnight or not.
func TestWaitlistPerEmailDay(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{MaxPerEmail: 2})
	f.cal.PutForeign("/cal/busy2.ics", at(2, 0, 0), at(3, 0, 0))
	req := func(w booking.Window) booking.JoinRequest {
		return booking.JoinRequest{PractitionerID: "demo", TypeID: "consultation", Window: w,
			Patient: booking.Patient{Name: "Ada Lovelace", Email: "victim@example.org"}}
	}
	f.clock.Set(at(1, 23, 0))
	for i := range 2 {
		if _, err := f.wl.Join(ctx, req(win1)); err != nil {
			t.Fatalf("join %d: %v", i, err)
		}
	}
	f.clock.Set(at(2, 0, 30)) // their window ended at midnight
	w2 := booking.Window{From: win1.From.AddDays(1), Until: win1.Until.AddDays(1), Part: booking.PartAny}
	_, err := f.wl.Join(ctx, req(w2))
	if limit, _ := booking.ErrorLimit(err); booking.ErrorCode(err) != booking.ELimit || limit != booking.LimitWaitPerEmail {
		t.Fatalf("third join 90 minutes after two: %v, want the per-email limit", err)
	}
	f.clock.Set(at(2, 23, 1))
	if _, err := f.wl.Join(ctx, req(w2)); err != nil {
		t.Fatalf("join a day later: %v", err)
	}
}

// TestWaitlistTypeWithdrawn: after a restart whose configuration takes the
// type off the waiting list, its pending entry can't be confirmed (it would
// never be told of anything), and its messages are dropped.
func TestWaitlistTypeWithdrawn(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{})
	_, token := f.join(1, win1)
	svc, err := booking.NewService(booking.ServiceConfig{Store: f.store, Notifier: f.notes, Now: f.clock.Now, Secret: secret,
		InlineDelivery: true, Limits: booking.NoLimits(), Logger: slog.New(slog.NewTextHandler(f.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	p := testPractitioner()
	for i := range p.Types {
		p.Types[i].NoWaitlist = true
	}
	if err := svc.AddPractitioner(p, f.cal); err != nil {
		t.Fatal(err)
	}
	wl := booking.NewWaitlist(svc, f.ws, f.wn, booking.WaitlistConfig{})
	if _, err := wl.Confirm(ctx, token); booking.ErrorCode(err) != booking.EConflict {
		t.Fatalf("Confirm of a withdrawn type: %v, want EConflict", err)
	}
}

// slowServer is a mail server that takes a minute per message (less than
// a claim's lease, more than the lease over several); while it sends the
// second, another process delivers too.
type slowServer struct {
	*bookingtest.WaitNotifier
	clock *bookingtest.Clock
	other func()
	calls int
}

func (n *slowServer) NotifyWait(ctx context.Context, m booking.WaitNotification) error {
	n.clock.Add(61 * time.Second)
	if n.calls++; n.calls == 2 {
		n.other()
	}
	return n.WaitNotifier.NotifyWait(ctx, m)
}

// TestWaitlistSlowServerSendsOnce: a message claimed by one sender is not
// sent by another because the first took long on the messages before it.
func TestWaitlistSlowServerSendsOnce(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{})
	for i := 1; i <= 3; i++ {
		f.joinActive(i, win1)
	}
	other := booking.NewWaitlist(f.svc, f.ws, f.wn, booking.WaitlistConfig{})
	slow := &slowServer{WaitNotifier: f.wn, clock: f.clock, other: func() {
		if _, err := other.Deliver(ctx); err != nil {
			t.Error(err)
		}
	}}
	wl := booking.NewWaitlist(f.svc, f.ws, slow, booking.WaitlistConfig{})
	f.free(at(1, 16, 0), at(1, 16, 20))
	if n, err := wl.Alert(ctx); err != nil || n != 3 {
		t.Fatalf("Alert: %d, %v", n, err)
	}
	if _, err := wl.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, n := range f.wn.Take() {
		seen[n.Entry.ID]++
	}
	if len(seen) != 3 {
		t.Fatalf("sent to %d entries, want 3", len(seen))
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("entry %s told %d times", id, k)
		}
	}
}

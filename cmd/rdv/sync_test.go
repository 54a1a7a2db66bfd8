package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/caldav"
)

// What the practitioner does in their own calendar, as their calendar
// client would: requests straight to the CalDAV server, bypassing rdv.

// davDo sends a request to the embedded CalDAV server of the harness.
func (h *harness) davDo(method, href string, body []byte) (int, []byte) {
	h.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, h.davURL+href, r)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// practitionerDeletes deletes the event at href.
func (h *harness) practitionerDeletes(href string) {
	h.t.Helper()
	if st, body := h.davDo(http.MethodDelete, href, nil); st/100 != 2 {
		h.t.Fatalf("DELETE %s: %d %s", href, st, body)
	}
}

// practitionerEdits rewrites the event at href after edit changed its
// VEVENT.
func (h *harness) practitionerEdits(href string, edit func(ev *ical.Component)) {
	h.t.Helper()
	st, data := h.davDo(http.MethodGet, href, nil)
	if st != http.StatusOK {
		h.t.Fatalf("GET %s: %d", href, st)
	}
	if st, body := h.davDo(http.MethodPut, href, editEvent(h.t, data, edit)); st/100 != 2 {
		h.t.Fatalf("PUT %s: %d %s", href, st, body)
	}
}

// editEvent returns the calendar object data after edit changed its VEVENT.
func editEvent(t *testing.T, data []byte, edit func(ev *ical.Component)) []byte {
	t.Helper()
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cal.Children {
		if c.Name == ical.CompEvent {
			edit(c)
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d VEVENTs in the booking's object", n)
	}
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// moveTo sets the event's time, as a calendar client moving it does.
func moveTo(start, end time.Time) func(*ical.Component) {
	return func(ev *ical.Component) {
		ev.Props.SetDateTime(ical.PropDateTimeStart, start)
		ev.Props.SetDateTime(ical.PropDateTimeEnd, end)
	}
}

// strikeOut sets STATUS:CANCELLED.
func strikeOut(ev *ical.Component) { ev.Props.SetText(ical.PropStatus, "CANCELLED") }

// countingLocker counts the locks taken.
type countingLocker struct {
	booking.MutexLocker
	mu sync.Mutex
	n  int
}

func (l *countingLocker) Lock(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	l.n++
	l.mu.Unlock()
	return l.MutexLocker.Lock(ctx, key)
}

func (l *countingLocker) take() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.n
	l.n = 0
	return n
}

func (r *noteRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent)
}

// TestSync: the practitioner deletes, moves and cancels booking events in
// their calendar, straight on the CalDAV server; a Sync pass updates the
// ledger and tells each patient. A pass that finds nothing changed writes
// nothing, tells nobody, takes no lock and asks the server one small
// request.
func TestSync(t *testing.T) {
	ctx := context.Background()
	locks := &countingLocker{}
	h := newHarness(t, harnessOptions{locker: locks})
	removed, _ := h.book("consultation", day(2, 9, 0), 1)
	moved, _ := h.book("consultation", day(2, 11, 0), 2)
	struck, _ := h.book("consultation", day(2, 14, 0), 3)
	kept, _ := h.book("consultation", day(2, 16, 0), 4)
	past, _ := h.book("consultation", day(0, 9, 0), 5)
	h.clock.Add(2 * time.Hour) // the visit of 09:00 today is over

	nothingChanged := func(when string) {
		t.Helper()
		h.davReqs.take()
		locks.take()
		records, notes := h.fstore.recordCount(), h.notes.count()
		n, err := h.svc.Sync(ctx)
		if err != nil || n != 0 {
			t.Fatalf("%s: Sync = %d, %v; want nothing to do", when, n, err)
		}
		reqs := h.davReqs.take()
		t.Logf("%s: requests %v", when, reqs)
		if reqs[http.MethodPut]+reqs[http.MethodDelete] != 0 {
			t.Errorf("%s: Sync wrote to the calendar: %v", when, reqs)
		}
		total := 0
		for _, c := range reqs {
			total += c
		}
		if total > 1 {
			t.Errorf("%s: Sync sent %d requests (%v), want one validation of the cache", when, total, reqs)
		}
		if got := h.fstore.recordCount(); got != records {
			t.Errorf("%s: Sync wrote to the ledger %d times", when, got-records)
		}
		if got := h.notes.count(); got != notes {
			t.Errorf("%s: Sync sent %d notifications", when, got-notes)
		}
		if n := locks.take(); n != 0 {
			t.Errorf("%s: Sync took %d locks", when, n)
		}
	}
	nothingChanged("before any change")

	// The practitioner's changes.
	h.practitionerDeletes(removed.EventHref)
	h.practitionerEdits(moved.EventHref, moveTo(day(3, 16, 0), day(3, 16, 20)))
	h.practitionerEdits(struck.EventHref, strikeOut)

	n, err := h.svc.Sync(ctx)
	if err != nil || n != 3 {
		t.Fatalf("Sync = %d, %v; want 3 changes", n, err)
	}
	if locks.take() == 0 {
		t.Error("changes applied without the practitioner's lock")
	}
	if got := h.row(removed.ID).Status; got != booking.StatusCancelled {
		t.Errorf("booking whose event was deleted: %s, want cancelled", got)
	}
	if r := h.row(moved.ID); !r.Start.Equal(day(3, 16, 0)) || !r.End.Equal(day(3, 16, 20)) || r.Status != booking.StatusConfirmed {
		t.Errorf("booking whose event was moved: %s–%s %s", r.Start, r.End, r.Status)
	}
	if got := h.row(struck.ID).Status; got != booking.StatusCancelled {
		t.Errorf("booking whose event was cancelled: %s, want cancelled", got)
	}
	for _, tt := range []struct {
		b    *booking.Booking
		want []string
	}{
		{removed, []string{booking.NotifyCreated, booking.NotifyCancelled}},
		{moved, []string{booking.NotifyCreated, booking.NotifyRescheduled}},
		{struck, []string{booking.NotifyCreated, booking.NotifyCancelled}},
		{kept, []string{booking.NotifyCreated}},
		{past, []string{booking.NotifyCreated}},
	} {
		if got := h.notes.kinds(tt.b.ID); !slices.Equal(got, tt.want) {
			t.Errorf("notifications of %s: %v, want %v", tt.b.ID, got, tt.want)
		}
	}
	if n := h.notes.last(moved.ID); !n.Previous.Start.Equal(day(2, 11, 0)) || !n.Appointment.Booking.Start.Equal(day(3, 16, 0)) {
		t.Errorf("rescheduled from %s to %s", n.Previous.Start, n.Appointment.Booking.Start)
	}
	// The freed slots are offered again; the new time is not.
	slots, err := h.svc.Slots(ctx, "demo", "consultation", day(2, 0, 0), day(4, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	offered := func(at time.Time) bool {
		return slices.ContainsFunc(slots, func(s booking.Slot) bool { return s.Start.Equal(at) })
	}
	if !offered(day(2, 9, 0)) || !offered(day(2, 11, 0)) || !offered(day(2, 14, 0)) || offered(day(3, 16, 0)) || offered(day(2, 16, 0)) {
		t.Error("the slots do not follow the practitioner's changes")
	}
	h.checkAgree()
	nothingChanged("after the changes were applied")

	// A visit that is over is not cancelled when its event is tidied away.
	h.practitionerDeletes(past.EventHref)
	if n, err := h.svc.Sync(ctx); err != nil || n != 0 {
		t.Errorf("Sync after deleting a past event = %d, %v", n, err)
	}
	if got := h.row(past.ID).Status; got != booking.StatusConfirmed {
		t.Errorf("past booking %s, want confirmed still", got)
	}
	if got := h.notes.kinds(past.ID); len(got) != 1 {
		t.Errorf("the patient of a past visit was told %v", got)
	}
}

// TestSyncReplicas: two replicas, each with its own calendar cache, sharing
// the store and the locks, run Sync at once after a practitioner's change:
// the change is applied, and the patient told, once.
func TestSyncReplicas(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, harnessOptions{})
	b, _ := h.book("consultation", day(2, 9, 0), 1)
	m, _ := h.book("consultation", day(2, 10, 0), 2)

	cal, err := caldav.New(ctx, caldav.Config{
		URL: h.davURL + "/dav/calendars/demo/demo/", BookingsCalendar: "demo",
		Location: parisLoc, Timeout: 10 * time.Second, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	replica := mustNewService(t, booking.ServiceConfig{Store: h.fstore, Notifier: h.notes, Locker: h.locker, Now: h.clock.Now, Secret: h.secret, Logger: quietLogger()})
	if err := replica.AddPractitioner(testPractitioner(), cal); err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		// Both caches know the current state.
		for _, svc := range []*booking.Service{h.svc, replica} {
			if n, err := svc.Sync(ctx); n != 0 || err != nil {
				t.Fatalf("round %d: Sync before the change = %d, %v", round, n, err)
			}
		}
		before := h.notes.count()
		h.practitionerEdits(m.EventHref, moveTo(day(3, 8+round, 0), day(3, 8+round, 20)))
		if round == 4 {
			h.practitionerDeletes(b.EventHref)
		}
		var wg sync.WaitGroup
		counts := make([]int, 2)
		for i, svc := range []*booking.Service{h.svc, replica} {
			wg.Go(func() {
				n, err := svc.Sync(ctx)
				if err != nil {
					t.Errorf("Sync: %v", err)
				}
				counts[i] = n
			})
		}
		wg.Wait()
		want := 1
		if round == 4 {
			want = 2
		}
		if counts[0]+counts[1] != want {
			t.Errorf("round %d: changes applied %v times, want %d in all", round, counts, want)
		}
		if got := h.notes.count() - before; got != want {
			t.Errorf("round %d: %d notifications, want %d", round, got, want)
		}
		if r := h.row(m.ID); !r.Start.Equal(day(3, 8+round, 0)) {
			t.Errorf("round %d: booking at %s", round, r.Start)
		}
	}
	if got := h.row(b.ID).Status; got != booking.StatusCancelled {
		t.Errorf("status %s", got)
	}
	h.checkAgree()
}

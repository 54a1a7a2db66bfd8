package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
)

// The calendar sync's guard against mass cancellation, and events that are
// there but not readable as rdv's, on the embedded CalDAV server.

// syncLog is a logger whose output the test reads.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// syncReplica returns a service beside h's, on the same store, calendar and
// locks, with cfg's guard settings and a logger writing to the returned log.
func syncReplica(t *testing.T, h *harness, cal booking.Calendar, cfg booking.ServiceConfig) (*booking.Service, *syncLog) {
	t.Helper()
	log := &syncLog{}
	cfg.Store, cfg.Notifier, cfg.Locker, cfg.Now, cfg.Secret = h.fstore, h.notes, h.locker, h.clock.Now, h.secret
	cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
	svc := mustNewService(t, cfg)
	if cal == nil {
		cal = h.fcal
	}
	if err := svc.AddPractitioner(testPractitioner(), cal); err != nil {
		t.Fatal(err)
	}
	return svc, log
}

// emptyListing is a calendar whose server answers an empty listing of the
// booking events by mistake, while each event is still there.
type emptyListing struct{ booking.Calendar }

func (emptyListing) Events(context.Context, time.Time, time.Time) ([]booking.BookingEvent, error) {
	return nil, nil
}

// statuses returns the ledger status of each booking.
func (h *harness) statuses(bs []*booking.Booking) []booking.Status {
	h.t.Helper()
	out := make([]booking.Status, len(bs))
	for i, b := range bs {
		out[i] = h.row(b.ID).Status
	}
	return out
}

func TestSyncGuard(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, harnessOptions{})
	svc, log := syncReplica(t, h, nil, booking.ServiceConfig{})
	var bs []*booking.Booking
	for i := range 10 {
		b, _ := h.book("consultation", day(2+i/5, 9+i%5, 0), i)
		bs = append(bs, b)
	}

	// The practitioner deletes a few events: their bookings are cancelled,
	// as ever.
	h.practitionerDeletes(bs[0].EventHref)
	h.practitionerDeletes(bs[1].EventHref)
	if n, err := svc.Sync(ctx); n != 2 || err != nil {
		t.Fatalf("Sync after two deletions = %d, %v; want 2 changes", n, err)
	}
	if got := h.statuses(bs[:2]); got[0] != booking.StatusCancelled || got[1] != booking.StatusCancelled {
		t.Fatalf("bookings whose events were deleted: %v, want cancelled", got)
	}
	if holds := svc.SyncHolds(); len(holds) != 0 {
		t.Fatalf("SyncHolds = %+v after two deletions", holds)
	}
	rest := bs[2:]
	saved := map[string][]byte{}
	for _, b := range rest {
		st, data := h.davDo(http.MethodGet, b.EventHref, nil)
		if st != http.StatusOK {
			t.Fatalf("GET %s: %d", b.EventHref, st)
		}
		saved[b.EventHref] = data
	}
	notes := h.notes.count()

	// The bookings calendar is emptied (a client's sync gone wrong, the
	// calendar replaced: the embedded server can't delete a calendar, so
	// its events go one by one): every event to come is missing. The pass
	// holds: nothing is cancelled, nobody is told, and the hold is reported.
	for href := range saved {
		h.practitionerDeletes(href)
	}
	n, err := svc.Sync(ctx)
	if n != 0 || !errors.Is(err, booking.ErrSyncHeld) {
		t.Fatalf("Sync of the emptied calendar = %d, %v; want a hold", n, err)
	}
	for i, st := range h.statuses(rest) {
		if st != booking.StatusConfirmed {
			t.Errorf("booking %d: %s, want it left confirmed", i+2, st)
		}
	}
	if got := h.notes.count(); got != notes {
		t.Errorf("%d patients told during the hold", got-notes)
	}
	checkHold := func(what string, holds []booking.SyncHold) {
		t.Helper()
		if len(holds) != 1 || holds[0].PractitionerID != "demo" || holds[0].Active != len(rest) || len(holds[0].Missing) <= 5 {
			t.Fatalf("%s = %+v, want demo held with %d active bookings, more than 5 missing", what, holds, len(rest))
		}
		for _, id := range holds[0].Missing {
			if !slices.ContainsFunc(rest, func(b *booking.Booking) bool { return b.ID == id }) {
				t.Errorf("%s: missing booking %s is not one of those to come", what, id)
			}
		}
	}
	checkHold("SyncHolds", svc.SyncHolds())
	since := svc.SyncHolds()[0].Since
	logged := log.String()
	if !strings.Contains(logged, "level=ERROR") || !strings.Contains(logged, "calendar sync held") || !strings.Contains(logged, "missing=") ||
		!strings.Contains(logged, rest[0].ID) && !strings.Contains(logged, rest[len(rest)-1].ID) {
		t.Errorf("the hold was not logged as an error with counts and ids:\n%s", logged)
	}
	for _, b := range rest {
		if strings.Contains(logged, b.Patient.Name) || strings.Contains(logged, b.Patient.Email) {
			t.Errorf("the log shows a patient's contact:\n%s", logged)
		}
	}
	// rdv check's view, which changes nothing, and Reconcile's (on start)
	// agree.
	holds, err := svc.CheckSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkHold("CheckSync", holds)
	h.clock.Add(time.Minute)
	if n, err := svc.Reconcile(ctx); n != 0 || !errors.Is(err, booking.ErrSyncHeld) {
		t.Fatalf("Reconcile of the emptied calendar = %d, %v; want a hold", n, err)
	}
	if h := svc.SyncHolds(); len(h) != 1 || !h[0].Since.Equal(since) || !h[0].Last.After(since) {
		t.Errorf("hold after a second pass: %+v, want the same Since and a later Last", h)
	}

	// The events are put back (from the server's trash, a backup): the hold
	// ends and nothing was lost.
	for href, data := range saved {
		if st, body := h.davDo(http.MethodPut, href, data); st/100 != 2 {
			t.Fatalf("PUT %s: %d %s", href, st, body)
		}
	}
	if n, err := svc.Sync(ctx); err != nil {
		t.Fatalf("Sync after the events came back = %d, %v", n, err)
	}
	if holds := svc.SyncHolds(); len(holds) != 0 {
		t.Errorf("SyncHolds = %+v once the events are back", holds)
	}
	for i, st := range h.statuses(rest) {
		if st != booking.StatusConfirmed {
			t.Errorf("booking %d: %s, want confirmed", i+2, st)
		}
	}
	h.checkAgree()

	// A server that answers an empty listing by mistake cancels nothing:
	// each event is read where it is.
	misread, _ := syncReplica(t, h, emptyListing{h.fcal}, booking.ServiceConfig{})
	if n, err := misread.Sync(ctx); n != 0 || err != nil {
		t.Errorf("Sync on an empty listing = %d, %v; want nothing to do", n, err)
	}
	if len(misread.SyncHolds()) != 0 {
		t.Errorf("held on an empty listing whose events are all there")
	}

	// The limits are configuration: with more than 8 allowed, the
	// practitioner emptying the calendar on purpose cancels all 8.
	for href := range saved {
		h.practitionerDeletes(href)
	}
	loose, _ := syncReplica(t, h, nil, booking.ServiceConfig{SyncMaxCancel: 8})
	if n, err := loose.Sync(ctx); n != len(rest) || err != nil {
		t.Fatalf("Sync with sync_max_cancel 8 = %d, %v; want %d cancellations", n, err, len(rest))
	}
	for i, st := range h.statuses(rest) {
		if st != booking.StatusCancelled {
			t.Errorf("booking %d: %s, want cancelled", i+2, st)
		}
	}
	// The first service finds the calendar as the ledger is: its hold ends.
	if n, err := svc.Sync(ctx); n != 0 || err != nil {
		t.Errorf("Sync after the cancellations = %d, %v", n, err)
	}
	if len(svc.SyncHolds()) != 0 {
		t.Errorf("still held once ledger and calendar agree")
	}
	h.checkAgree()
}

// TestSyncGuardPercent: above the count, the share decides. Of 12 active
// bookings, 7 missing (58%) holds the pass; 6 (50%, not more) does not.
func TestSyncGuardPercent(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, harnessOptions{})
	var bs []*booking.Booking
	for i := range 12 {
		b, _ := h.book("consultation", day(2+i/6, 9+i%6, 0), i)
		bs = append(bs, b)
	}
	st, kept := h.davDo(http.MethodGet, bs[6].EventHref, nil)
	if st != http.StatusOK {
		t.Fatalf("GET: %d", st)
	}
	for _, b := range bs[:7] {
		h.practitionerDeletes(b.EventHref)
	}
	if n, err := h.svc.Sync(ctx); n != 0 || !errors.Is(err, booking.ErrSyncHeld) {
		t.Fatalf("Sync with 7 of 12 events deleted = %d, %v; want a hold", n, err)
	}
	if holds := h.svc.SyncHolds(); len(holds) != 1 || holds[0].Active != 12 {
		t.Fatalf("SyncHolds = %+v", holds)
	}
	if st, body := h.davDo(http.MethodPut, bs[6].EventHref, kept); st/100 != 2 {
		t.Fatalf("PUT: %d %s", st, body)
	}
	if n, err := h.svc.Sync(ctx); n != 6 || err != nil {
		t.Fatalf("Sync with 6 of 12 events deleted = %d, %v; want 6 cancellations", n, err)
	}
	if holds := h.svc.SyncHolds(); len(holds) != 0 {
		t.Errorf("SyncHolds = %+v, want none", holds)
	}
	h.checkAgree()
}

// TestSyncForeignEvent: an event still at its place that rdv can't read as
// one of its booking events (a client dropped X-RDV-BOOKING; a date that
// can't be read) is not a deleted event: the booking stays, with a warning
// naming it; a deleted one is still cancelled.
func TestSyncForeignEvent(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, harnessOptions{})
	svc, log := syncReplica(t, h, nil, booking.ServiceConfig{})
	stripped, _ := h.book("consultation", day(2, 9, 0), 1)
	garbled, _ := h.book("consultation", day(2, 10, 0), 2)
	deleted, _ := h.book("consultation", day(2, 11, 0), 3)

	h.practitionerEdits(stripped.EventHref, func(ev *ical.Component) { ev.Props.Del("X-RDV-BOOKING") })
	h.practitionerEdits(garbled.EventHref, func(ev *ical.Component) {
		ev.Props.Set(&ical.Prop{Name: ical.PropDateTimeStart, Value: "not-a-date", Params: ical.Params{}})
	})
	h.practitionerDeletes(deleted.EventHref)

	for _, href := range []string{stripped.EventHref, garbled.EventHref} {
		if _, _, err := h.cal.Event(ctx, href); !errors.Is(err, booking.ErrForeignEvent) {
			t.Errorf("Event(%s) = %v, want ErrForeignEvent", href, err)
		}
	}
	if _, found, err := h.cal.Event(ctx, deleted.EventHref); found || err != nil {
		t.Errorf("Event of the deleted event: found %v, %v; want absent, no error", found, err)
	}

	n, err := svc.Sync(ctx)
	if n != 1 || err != nil {
		t.Fatalf("Sync = %d, %v; want the deleted event's booking cancelled only", n, err)
	}
	if got := h.statuses([]*booking.Booking{stripped, garbled, deleted}); got[0] != booking.StatusConfirmed ||
		got[1] != booking.StatusConfirmed || got[2] != booking.StatusCancelled {
		t.Errorf("statuses %v, want confirmed, confirmed, cancelled", got)
	}
	if k := h.notes.kinds(stripped.ID); slices.Contains(k, booking.NotifyCancelled) {
		t.Errorf("the patient of a booking whose event is unreadable was told %v", k)
	}
	logged := log.String()
	for _, b := range []*booking.Booking{stripped, garbled} {
		if !strings.Contains(logged, "level=WARN") || !strings.Contains(logged, "booking="+b.ID) {
			t.Errorf("no warning naming booking %s:\n%s", b.ID, logged)
		}
		if strings.Contains(logged, b.Patient.Name) || strings.Contains(logged, b.Patient.Email) {
			t.Errorf("the log shows a patient's contact:\n%s", logged)
		}
	}
	// Reconciling on start does the same.
	if n, err := svc.Reconcile(ctx); n != 0 || err != nil {
		t.Errorf("Reconcile = %d, %v; want nothing to do", n, err)
	}
	if got := h.row(stripped.ID).Status; got != booking.StatusConfirmed {
		t.Errorf("after Reconcile: %s", got)
	}
}

func TestConfigSyncMaxCancel(t *testing.T) {
	for _, tt := range []struct {
		name, toml     string
		count, percent int
		err            string
	}{
		{name: "defaults"},
		{name: "set", toml: "[booking]\nsync_max_cancel = 20\nsync_max_cancel_percent = 80", count: 20, percent: 80},
		{name: "guard off", toml: "[booking]\nsync_max_cancel_percent = 100", percent: 100},
		{name: "negative count", toml: "[booking]\nsync_max_cancel = -1", err: "sync_max_cancel"},
		{name: "percent over 100", toml: "[booking]\nsync_max_cancel_percent = 150", err: "sync_max_cancel_percent"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tt.toml))
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.check()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one about %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Booking.SyncMaxCancel != tt.count || cfg.Booking.SyncMaxCancelPercent != tt.percent {
				t.Errorf("sync_max_cancel %d, percent %d; want %d, %d", cfg.Booking.SyncMaxCancel, cfg.Booking.SyncMaxCancelPercent, tt.count, tt.percent)
			}
		})
	}
}

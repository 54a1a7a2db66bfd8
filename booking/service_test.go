package booking_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the host's zoneinfo

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// The booking service on the shared test doubles: an in-memory calendar
// and store, a recording notifier and a settable clock.

var (
	paris   = mustZone("Europe/Paris")
	testNow = time.Date(2026, 11, 30, 8, 0, 0, 0, paris) // a Monday
	ctx     = context.Background()
)

const (
	patientName  = "Marie Curie"
	patientEmail = "marie.curie@example.org"
	patientPhone = "+33 6 12 34 56 78"
)

var patient = booking.Patient{Name: patientName, Email: patientEmail, Phone: patientPhone}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at returns day d of December 2026 (November 30 for 0) at hh:mm in Paris.
func at(d, hh, mm int) time.Time { return time.Date(2026, 12, d, hh, mm, 0, 0, paris) }

// testPractitioner is open weekdays 09:00–12:00 and 14:00–17:00 and offers
// a 20-minute consultation, a 30-minute follow-up to confirm within an
// hour, an hour-long visit every half hour, a visit that can't be changed
// online in the last 48 hours, and a group session of two.
func testPractitioner() booking.Practitioner {
	p := booking.Practitioner{
		ID: "demo", Name: "Dr Anne Martin", Location: paris, Contact: "01 23 45 67 89",
		Types: []booking.AppointmentType{
			{ID: "consultation", Name: "Consultation", Duration: 20 * time.Minute},
			{ID: "suivi", Name: "Suivi", Duration: 30 * time.Minute, RequireConfirmation: true, ConfirmWithin: time.Hour},
			{ID: "long", Name: "Long", Duration: time.Hour, Step: 30 * time.Minute},
			{ID: "ferme", Name: "Fermé", Duration: 20 * time.Minute, CancelCutoff: 48 * time.Hour},
			{ID: "groupe", Name: "Groupe", Duration: time.Hour, Capacity: 2},
		},
	}
	open := []booking.ClockRange{{Start: 9 * 60, End: 12 * 60}, {Start: 14 * 60, End: 17 * 60}}
	for d := time.Monday; d <= time.Friday; d++ {
		p.Schedule.Weekly.Set(d, open...)
	}
	return p
}

// fixture is a Service for testPractitioner on the doubles.
type fixture struct {
	t     *testing.T
	svc   *booking.Service
	cal   *bookingtest.Calendar
	store *bookingtest.Store
	notes *bookingtest.Notifier
	clock *bookingtest.Clock
	logs  *bookingtest.LogBuffer

	mu    sync.Mutex
	steps []string
}

var secret = []byte("0123456789abcdef0123456789abcdef")

// newFixture returns a fixture; cfg, if given, changes the service's
// configuration before it is made.
func newFixture(t *testing.T, cfg ...func(*booking.ServiceConfig)) *fixture {
	t.Helper()
	f := &fixture{
		t: t, cal: bookingtest.NewCalendar(), store: bookingtest.NewStore(),
		notes: &bookingtest.Notifier{}, clock: bookingtest.NewClock(testNow), logs: &bookingtest.LogBuffer{},
	}
	c := booking.ServiceConfig{
		Store: f.store, Notifier: f.notes, Now: f.clock.Now, Secret: secret,
		// These tests read what was sent right after each call.
		InlineDelivery: true,
		// These tests book many times for one patient; the limits have
		// their own (limits_test.go), which set them back.
		Limits: booking.NoLimits(),
		Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		CrashTestHook: func(step string) {
			f.mu.Lock()
			f.steps = append(f.steps, step)
			f.mu.Unlock()
		},
	}
	for _, fn := range cfg {
		fn(&c)
	}
	f.svc = f.service(c)
	t.Cleanup(f.checkPrivacy)
	return f
}

// service returns a service on f's doubles with configuration c.
func (f *fixture) service(c booking.ServiceConfig) *booking.Service {
	f.t.Helper()
	svc, err := newService(c)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := svc.AddPractitioner(testPractitioner(), f.cal); err != nil {
		f.t.Fatal(err)
	}
	return svc
}

func newService(c booking.ServiceConfig) (*booking.Service, error) {
	return booking.NewService(c)
}

// checkPrivacy checks that the logs carry no patient data.
func (f *fixture) checkPrivacy() {
	logs := f.logs.String()
	for _, s := range []string{patientName, patientEmail, patientPhone, "Curie", "marie", "Irène", "irene"} {
		if strings.Contains(logs, s) {
			f.t.Errorf("logs contain patient data %q:\n%s", s, logs)
		}
	}
}

func (f *fixture) takeSteps() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.steps
	f.steps = nil
	return out
}

// book books a slot of typ at start, or fails the test.
func (f *fixture) book(typ string, start time.Time) (*booking.Booking, string) {
	f.t.Helper()
	b, token, err := f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: typ, Start: start, Patient: patient})
	if err != nil {
		f.t.Fatalf("book %s at %s: %v", typ, start.Format(time.RFC3339), err)
	}
	return b, token
}

// row returns the ledger row of id, or fails the test.
func (f *fixture) row(id string) *booking.Booking {
	f.t.Helper()
	b := f.store.Row(id)
	if b == nil {
		f.t.Fatalf("no row %s", id)
	}
	return b
}

// event returns the calendar event of booking id, or fails the test.
func (f *fixture) event(id string) booking.BookingEvent {
	f.t.Helper()
	ev, ok := f.cal.EventOf(id)
	if !ok {
		f.t.Fatalf("no event for %s:\n%s", id, f.cal)
	}
	return ev
}

// agree checks that the row of id and its event say the same: time,
// status, sequence, href and ETag.
func (f *fixture) agree(id string) {
	f.t.Helper()
	b, ev := f.row(id), f.event(id)
	st := b.Status
	if st == booking.StatusExpired {
		st = booking.StatusCancelled
	}
	if !ev.Start.Equal(b.Start) || !ev.End.Equal(b.End) || ev.Status != st || ev.Sequence != b.Sequence ||
		ev.Ref.Href != b.EventHref || ev.Ref.ETag != b.EventETag {
		f.t.Errorf("row and event disagree:\nrow   %s %s %s seq %d %s %s\nevent %s %s %s seq %d %s %s",
			b.Start, b.End, b.Status, b.Sequence, b.EventHref, b.EventETag,
			ev.Start, ev.End, ev.Status, ev.Sequence, ev.Ref.Href, ev.Ref.ETag)
	}
}

// slotFree reports whether typ has a free slot at start.
func (f *fixture) slotFree(typ string, start time.Time) bool {
	f.t.Helper()
	slots, err := f.svc.Slots(ctx, "demo", typ, start, start.Add(time.Minute))
	if err != nil {
		f.t.Fatal(err)
	}
	return len(slots) == 1 && slots[0].Start.Equal(start)
}

// wantCode checks that err has this code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := booking.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func TestDoublesImplementThePorts(t *testing.T) {
	var (
		_ booking.Calendar           = bookingtest.NewCalendar()
		_ booking.AvailabilitySource = bookingtest.NewCalendar()
		_ booking.Store              = bookingtest.NewStore()
		_ booking.Notifier           = &bookingtest.Notifier{}
	)
}

func TestPatientValidateFields(t *testing.T) {
	tests := []struct {
		name          string
		p             booking.Patient
		phone         bool
		field, reason string
	}{
		{"valid", patient, true, "", ""},
		{"no name", booking.Patient{Name: " ", Email: patientEmail}, false, booking.FieldName, booking.ReasonRequired},
		{"name too long", booking.Patient{Name: strings.Repeat("a", booking.MaxNameLen+1), Email: patientEmail}, false, booking.FieldName, booking.ReasonInvalid},
		{"name with a line break", booking.Patient{Name: "a\nb", Email: patientEmail}, false, booking.FieldName, booking.ReasonInvalid},
		{"no email", booking.Patient{Name: "A"}, false, booking.FieldEmail, booking.ReasonRequired},
		{"email too long", booking.Patient{Name: "A", Email: strings.Repeat("a", 250) + "@b.fr"}, false, booking.FieldEmail, booking.ReasonInvalid},
		{"email with a name", booking.Patient{Name: "A", Email: "A <a@b.fr>"}, false, booking.FieldEmail, booking.ReasonInvalid},
		{"email without a dot", booking.Patient{Name: "A", Email: "a@b"}, false, booking.FieldEmail, booking.ReasonInvalid},
		{"email localhost", booking.Patient{Name: "A", Email: "a@localhost"}, false, booking.FieldEmail, booking.ReasonInvalid},
		{"no phone, required", booking.Patient{Name: "A", Email: "a@b.fr"}, true, booking.FieldPhone, booking.ReasonRequired},
		{"no phone, optional", booking.Patient{Name: "A", Email: "a@b.fr"}, false, "", ""},
		{"phone too long", booking.Patient{Name: "A", Email: "a@b.fr", Phone: strings.Repeat("1", 40)}, false, booking.FieldPhone, booking.ReasonInvalid},
		{"phone with letters", booking.Patient{Name: "A", Email: "a@b.fr", Phone: "01 abc"}, false, booking.FieldPhone, booking.ReasonInvalid},
		{"phone too short", booking.Patient{Name: "A", Email: "a@b.fr", Phone: "+33 12"}, false, booking.FieldPhone, booking.ReasonInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate(tt.phone)
			field, reason := booking.ErrorField(err)
			if field != tt.field || reason != tt.reason {
				t.Errorf("Validate: %v: field %q, reason %q; want %q, %q", err, field, reason, tt.field, tt.reason)
			}
			if err != nil && booking.ErrorCode(err) != booking.EInvalid {
				t.Errorf("code %s", booking.ErrorCode(err))
			}
		})
	}
	if f, r := booking.ErrorField(errors.New("x")); f != "" || r != "" {
		t.Error("ErrorField of a plain error")
	}
}

func TestBook(t *testing.T) {
	f := newFixture(t)
	start := at(1, 9, 0)
	if !f.slotFree("consultation", start) {
		t.Fatal("the slot is not offered")
	}
	b, token := f.book("consultation", start)
	if b.Status != booking.StatusConfirmed || !b.Start.Equal(start) || b.Start.Location() != paris || !booking.ValidToken(token) || b.TokenHash != booking.HashToken(token) {
		t.Fatalf("booking %+v, token %q", b, token)
	}
	f.agree(b.ID)
	if got := f.takeSteps(); !slices.Equal(got, []string{booking.StepBookAfterEvent, booking.StepBookAfterLedger, booking.StepBookBeforeNotify}) {
		t.Errorf("steps %v", got)
	}
	sent := f.notes.Sent()
	if len(sent) != 1 || sent[0].Kind != booking.NotifyCreated || sent[0].ManageToken != token || sent[0].Appointment.Booking.Patient != patient {
		t.Fatalf("notifications %+v", sent)
	}
	if ob := notReminders(f.store.Outbox()); len(ob) != 1 || ob[0].Sent.IsZero() || ob[0].Message.Sealed != nil {
		t.Errorf("outbox %+v: want the message sent and its token wiped", ob)
	}
	if len(f.store.AllIntents()) != 0 {
		t.Error("a write intent is left")
	}
	if f.slotFree("consultation", start) {
		t.Error("the slot is still offered")
	}
	a, err := f.svc.BookingByToken(ctx, token)
	if err != nil || a.Booking.ID != b.ID || a.Practitioner.ID != "demo" || a.Type.ID != "consultation" {
		t.Fatalf("BookingByToken: %v %+v", err, a)
	}

	// The slot taken: a conflict, nothing written.
	_, _, err = f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: start, Patient: patient})
	wantCode(t, err, booking.EConflict)
	// Another type over it too.
	_, _, err = f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "long", Start: start, Patient: patient})
	wantCode(t, err, booking.EConflict)
	if f.cal.Len() != 1 || len(f.store.Bookings()) != 1 {
		t.Errorf("%d events, %d rows after conflicts", f.cal.Len(), len(f.store.Bookings()))
	}

	// Pending for a type to confirm.
	p, _ := f.book("suivi", at(1, 10, 0))
	if p.Status != booking.StatusPending || f.event(p.ID).Status != booking.StatusPending {
		t.Errorf("suivi: %s", p.Status)
	}
	if d := f.svc.Deadline(booking.Appointment{Booking: p, Type: &booking.AppointmentType{ConfirmWithin: time.Hour}}); !d.Equal(testNow.Add(time.Hour)) {
		t.Errorf("deadline %s", d)
	}
}

func TestBookRefused(t *testing.T) {
	f := newFixture(t)
	f.cal.AddBusy(booking.Interval{Start: at(1, 9, 0), End: at(1, 9, 30)})
	tests := []struct {
		name  string
		req   booking.BookRequest
		code  string
		field string
	}{
		{"unknown practitioner", booking.BookRequest{PractitionerID: "nobody", TypeID: "consultation", Start: at(1, 10, 0), Patient: patient}, booking.ENotFound, ""},
		{"unknown type", booking.BookRequest{PractitionerID: "demo", TypeID: "nothing", Start: at(1, 10, 0), Patient: patient}, booking.ENotFound, ""},
		{"invalid patient", booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: at(1, 10, 0), Patient: booking.Patient{Email: patientEmail}}, booking.EInvalid, booking.FieldName},
		{"between slots", booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: at(1, 10, 10), Patient: patient}, booking.EInvalid, booking.FieldStart},
		{"closed", booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: at(5, 10, 0), Patient: patient}, booking.EInvalid, booking.FieldStart},
		{"past", booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: at(0, 7, 0), Patient: patient}, booking.EInvalid, booking.FieldStart},
		{"busy", booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: at(1, 9, 20), Patient: patient}, booking.EConflict, ""},
		{"key too long", booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: at(1, 10, 0), Patient: patient, IdempotencyKey: strings.Repeat("k", 256)}, booking.EInvalid, booking.FieldIdempotencyKey},
		{"key with a space", booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: at(1, 10, 0), Patient: patient, IdempotencyKey: "a key"}, booking.EInvalid, booking.FieldIdempotencyKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.svc.Book(ctx, tt.req)
			wantCode(t, err, tt.code)
			if field, _ := booking.ErrorField(err); field != tt.field {
				t.Errorf("field %q, want %q", field, tt.field)
			}
		})
	}
	if f.cal.Calls(bookingtest.OpCreate) != 0 || len(f.store.Bookings()) != 0 || len(f.notes.Sent()) != 0 {
		t.Error("a refused booking wrote something")
	}
}

// A calendar or a store that fails leaves nothing behind: no event without
// its row, no row without its event.
func TestBookFailures(t *testing.T) {
	start := at(1, 9, 0)
	req := booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: start, Patient: patient}

	t.Run("calendar unreadable", func(t *testing.T) {
		f := newFixture(t)
		f.cal.FailBefore(bookingtest.OpBusy, bookingtest.Always, nil)
		_, _, err := f.svc.Book(ctx, req)
		wantCode(t, err, booking.EUnavailable)
		if _, err := f.svc.Slots(ctx, "demo", "consultation", at(1, 0, 0), at(2, 0, 0)); booking.ErrorCode(err) != booking.EUnavailable {
			t.Errorf("Slots: %v", err)
		}
		if f.cal.Len() != 0 || len(f.store.Bookings()) != 0 {
			t.Error("something was written")
		}
	})
	t.Run("event refused", func(t *testing.T) {
		f := newFixture(t)
		f.cal.FailBefore(bookingtest.OpCreate, 1, booking.Errorf(booking.EConflict, "412"))
		_, _, err := f.svc.Book(ctx, req)
		wantCode(t, err, booking.EConflict)
		if len(f.store.AllIntents()) != 0 || len(f.store.Bookings()) != 0 {
			t.Error("a refused write left an intent or a row")
		}
	})
	t.Run("event write lost", func(t *testing.T) {
		f := newFixture(t)
		f.cal.FailAfter(bookingtest.OpCreate, 1, nil)
		_, _, err := f.svc.Book(ctx, req)
		wantCode(t, err, booking.EUnavailable)
		// Perhaps written: the intent stays until it is settled.
		if len(f.store.AllIntents()) != 1 || len(f.store.Bookings()) != 0 || f.cal.Len() != 1 {
			t.Fatalf("%d intents, %d rows, %d events", len(f.store.AllIntents()), len(f.store.Bookings()), f.cal.Len())
		}
		f.clock.Add(booking.DefaultIntentGrace + time.Second)
		if n, err := f.svc.SettleIntents(ctx); err != nil || n != 1 || f.cal.Len() != 0 || len(f.store.AllIntents()) != 0 {
			t.Errorf("SettleIntents = %d, %v; %d events, %d intents", n, err, f.cal.Len(), len(f.store.AllIntents()))
		}
	})
	t.Run("ledger fails", func(t *testing.T) {
		f := newFixture(t)
		f.store.FailBefore(bookingtest.OpRecordCreate, 1, booking.WrapError(booking.EUnavailable, errors.New("disk I/O error"), "store: down"))
		_, _, err := f.svc.Book(ctx, req)
		wantCode(t, err, booking.EUnavailable)
		if f.cal.Len() != 0 || len(f.store.Bookings()) != 0 || len(f.store.AllIntents()) != 0 || len(f.notes.Sent()) != 0 {
			t.Errorf("left behind: %d events, %d rows, %d intents, %d notes", f.cal.Len(), len(f.store.Bookings()), len(f.store.AllIntents()), len(f.notes.Sent()))
		}
		if got := f.takeSteps(); !slices.Equal(got, []string{booking.StepBookAfterEvent}) {
			t.Errorf("steps %v", got)
		}
		// The slot is free again.
		f.book("consultation", start)
	})
	t.Run("intent not recorded", func(t *testing.T) {
		f := newFixture(t)
		f.store.FailBefore(bookingtest.OpAddIntent, 1, nil)
		_, _, err := f.svc.Book(ctx, req)
		wantCode(t, err, booking.EUnavailable)
		if f.cal.Calls(bookingtest.OpCreate) != 0 {
			t.Error("the event was written without its intent")
		}
	})
	t.Run("lock not taken", func(t *testing.T) {
		f := newFixture(t)
		cctx, cancel := context.WithCancel(ctx)
		var l booking.MutexLocker
		unlock, _ := l.Lock(ctx, "demo")
		defer unlock()
		svc := f.service(booking.ServiceConfig{Store: f.store, Notifier: f.notes, Now: f.clock.Now, Locker: &l, Logger: slog.New(slog.NewTextHandler(f.logs, nil))})
		cancel()
		_, _, err := svc.Book(cctx, req)
		wantCode(t, err, booking.EUnavailable)
	})
}

func TestBookIdempotency(t *testing.T) {
	f := newFixture(t)
	req := booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: at(1, 9, 0), Patient: patient, IdempotencyKey: "key-1"}
	b1, t1, err := f.svc.Book(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// A retry: the same booking and token, nothing more.
	b2, t2, err := f.svc.Book(ctx, req)
	if err != nil || b2.ID != b1.ID || t2 != t1 || !b2.Start.Equal(b1.Start) || b2.Start.Location() != paris || b2.Status != b1.Status {
		t.Fatalf("replay: %v %+v %q", err, b2, t2)
	}
	if f.cal.Len() != 1 || len(f.store.Bookings()) != 1 || len(f.notes.Sent()) != 1 {
		t.Errorf("a replay wrote: %d events, %d rows, %d notes", f.cal.Len(), len(f.store.Bookings()), len(f.notes.Sent()))
	}
	// Another process with the same secret replays it too.
	other := f.service(booking.ServiceConfig{Store: f.store, Notifier: f.notes, Now: f.clock.Now, Secret: secret, Logger: slog.New(slog.NewTextHandler(f.logs, nil))})
	if b3, t3, err := other.Book(ctx, req); err != nil || b3.ID != b1.ID || t3 != t1 {
		t.Errorf("replay by another process: %v", err)
	}
	// The same key for another request: refused.
	moved := req
	moved.Start = at(1, 9, 20)
	_, _, err = f.svc.Book(ctx, moved)
	wantCode(t, err, booking.EInvalid)
	if field, reason := booking.ErrorField(err); field != booking.FieldIdempotencyKey || reason != booking.ReasonReused {
		t.Errorf("field %q, reason %q", field, reason)
	}
	// A process with another secret can't open the record.
	lost := f.service(booking.ServiceConfig{Store: f.store, Notifier: f.notes, Now: f.clock.Now, Secret: []byte(strings.Repeat("x", 32)), Logger: slog.New(slog.NewTextHandler(f.logs, nil))})
	// Keyed by another secret, the key is another key: the request is a
	// new booking, refused because the slot is taken.
	_, _, err = lost.Book(ctx, req)
	wantCode(t, err, booking.EConflict)
	// Past IdempotencyTTL the key is forgotten, and Purge removes it.
	f.clock.Add(booking.IdempotencyTTL + time.Minute)
	if err := f.svc.Purge(ctx); err != nil || f.store.IdempotencyKeys() != 0 {
		t.Errorf("Purge: %v, %d keys", err, f.store.IdempotencyKeys())
	}
	// A store that can't be read: the request fails, nothing is booked.
	f.store.FailBefore(bookingtest.OpIdempotencyRecord, 1, nil)
	req.Start = at(2, 9, 0)
	_, _, err = f.svc.Book(ctx, req)
	wantCode(t, err, booking.EUnavailable)
}

// A record whose sealed result can't be opened: the booking exists, its
// token can't be given again.
func TestBookIdempotencyUnreadable(t *testing.T) {
	f := newFixture(t)
	req := booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: at(1, 9, 0), Patient: patient, IdempotencyKey: "key-1"}
	if _, _, err := f.svc.Book(ctx, req); err != nil {
		t.Fatal(err)
	}
	st := &corruptKeys{Store: f.store}
	svc := f.service(booking.ServiceConfig{Store: st, Notifier: f.notes, Now: f.clock.Now, Secret: secret, Logger: slog.New(slog.NewTextHandler(f.logs, nil))})
	_, _, err := svc.Book(ctx, req)
	wantCode(t, err, booking.EConflict)
	if !strings.Contains(booking.ErrorMessage(err), "can't be given again") {
		t.Errorf("message %q", booking.ErrorMessage(err))
	}
}

// corruptKeys is a store whose idempotency records come back damaged.
type corruptKeys struct{ *bookingtest.Store }

func (s *corruptKeys) IdempotencyRecord(ctx context.Context, key string, since time.Time) (*booking.IdempotencyRecord, error) {
	r, err := s.Store.IdempotencyRecord(ctx, key, since)
	if err == nil {
		r.Response[len(r.Response)-1] ^= 1
	}
	return r, err
}

// Two patients may share a group session's slot; a third may not.
func TestBookCapacity(t *testing.T) {
	f := newFixture(t)
	start := at(1, 9, 0)
	f.book("groupe", start)
	if !f.slotFree("groupe", start) {
		t.Error("a group slot with one booking is not offered")
	}
	f.book("groupe", start)
	_, _, err := f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "groupe", Start: start, Patient: patient})
	wantCode(t, err, booking.EConflict)
	if f.slotFree("groupe", start) || f.slotFree("consultation", start) {
		t.Error("a full group slot is offered")
	}
}

func TestServiceSetup(t *testing.T) {
	f := newFixture(t)
	if err := f.svc.AddPractitioner(testPractitioner(), f.cal); err == nil {
		t.Error("a practitioner registered twice")
	}
	p := testPractitioner()
	p.ID = "other"
	if err := f.svc.AddPractitioner(p, nil); err == nil {
		t.Error("a practitioner without a calendar")
	}
	p.Location = nil
	if err := f.svc.AddPractitioner(p, f.cal); err == nil {
		t.Error("a practitioner without a zone")
	}
	if ps := f.svc.Practitioners(); len(ps) != 1 || ps[0].ID != "demo" {
		t.Errorf("Practitioners = %v", ps)
	}
	if _, err := f.svc.Practitioner("nobody"); booking.ErrorCode(err) != booking.ENotFound {
		t.Errorf("Practitioner: %v", err)
	}
	if _, err := newService(booking.ServiceConfig{Store: f.store, Notifier: f.notes, Secret: []byte("short")}); err == nil {
		t.Error("a short secret was taken")
	}
	// Defaults: a random secret, time.Now, the default logger.
	if svc, err := newService(booking.ServiceConfig{Store: f.store, Notifier: f.notes}); err != nil || svc == nil {
		t.Error(err)
	}
	// Windows.
	for _, w := range [][2]time.Time{{at(2, 0, 0), at(1, 0, 0)}, {at(1, 0, 0), at(1, 0, 0).Add(booking.MaxWindow + time.Hour)}} {
		if _, err := f.svc.Slots(ctx, "demo", "consultation", w[0], w[1]); booking.ErrorCode(err) != booking.EInvalid {
			t.Errorf("Slots(%s, %s): %v", w[0], w[1], err)
		}
	}
	if s, err := f.svc.Slots(ctx, "demo", "consultation", at(0, 0, 0), at(0, 1, 0)); err != nil || s == nil || len(s) != 0 {
		t.Errorf("Slots in the past: %v %v", s, err)
	}
	if _, err := f.svc.Slots(ctx, "demo", "nothing", at(1, 0, 0), at(2, 0, 0)); booking.ErrorCode(err) != booking.ENotFound {
		t.Errorf("Slots of an unknown type: %v", err)
	}
}

// CrashTestHook is called with the exported step names only.
func TestStepNames(t *testing.T) {
	f := newFixture(t)
	_, tok := f.book("suivi", at(1, 9, 0))
	if _, err := f.svc.Confirm(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Reschedule(ctx, tok, at(1, 10, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Cancel(ctx, tok); err != nil {
		t.Fatal(err)
	}
	f.book("suivi", at(2, 9, 0))
	f.clock.Add(2 * time.Hour)
	if n, err := f.svc.ExpirePending(ctx); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	got := f.takeSteps()
	want := booking.Steps()
	seen := map[string]bool{}
	for _, s := range got {
		if !slices.Contains(want, s) {
			t.Errorf("step %q is not one of booking.Steps()", s)
		}
		seen[s] = true
	}
	if len(seen) != len(want) {
		t.Errorf("steps seen %v, want all of %v", got, want)
	}
}

type slogLogger = slog.Logger

func newQuietLogger(w *bookingtest.LogBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, nil))
}

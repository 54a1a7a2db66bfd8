package booking_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// limited returns a fixture whose service has the limits l (defaults for
// the zero fields, as a host gets them).
func limited(t *testing.T, l booking.Limits) *fixture {
	return newFixture(t, func(c *booking.ServiceConfig) { c.Limits = l })
}

// tryBook books typ at start for p and returns the error.
func (f *fixture) tryBook(typ string, start time.Time, p booking.Patient) (*booking.Booking, string, error) {
	return f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: typ, Start: start, Patient: p})
}

// wantLimit fails t unless err is an ELimit error about limit, retryable
// after retry, whose message tells the patient how to reach the practice.
func wantLimit(t *testing.T, err error, limit string, retry time.Duration) {
	t.Helper()
	if booking.ErrorCode(err) != booking.ELimit {
		t.Fatalf("err = %v, want an ELimit error", err)
	}
	if l, r := booking.ErrorLimit(err); l != limit || r != retry {
		t.Errorf("limit, retry = %q, %v; want %q, %v", l, r, limit, retry)
	}
	if msg := booking.ErrorMessage(err); !strings.Contains(msg, "01 23 45 67 89") {
		t.Errorf("message %q does not give the practice's phone", msg)
	}
}

func TestLimitActivePerContact(t *testing.T) {
	f := limited(t, booking.Limits{})
	p := booking.Patient{Name: "Marie Curie", Email: "marie@example.org", Phone: "+33 6 12 34 56 78"}
	if _, _, err := f.tryBook("consultation", at(1, 9, 20), p); err != nil {
		t.Fatal(err)
	}
	_, tok2, err := f.tryBook("consultation", at(1, 9, 40), p)
	if err != nil {
		t.Fatal(err)
	}
	rows, events := f.store.Len(), f.cal.Len()
	for name, q := range map[string]booking.Patient{
		"same address":               p,
		"another case and a +tag":    {Name: "Marie Curie", Email: "Marie+rdv@Example.org"},
		"the same phone, written so": {Name: "M Curie", Email: "other@example.org", Phone: "06.12.34.56.78"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := f.tryBook("consultation", at(1, 10, 0), q)
			wantLimit(t, err, booking.LimitActive, 0)
		})
	}
	if f.store.Len() != rows || f.cal.Len() != events {
		t.Errorf("a refused booking left a row or an event: %d→%d rows, %d→%d events", rows, f.store.Len(), events, f.cal.Len())
	}
	// Another patient books; the first one does again once one is cancelled.
	if _, _, err := f.tryBook("consultation", at(1, 10, 0), booking.Patient{Name: "Pierre Curie", Email: "pierre@example.org"}); err != nil {
		t.Errorf("another patient: %v", err)
	}
	if _, err := f.svc.Cancel(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.tryBook("consultation", at(1, 10, 20), p); err != nil {
		t.Errorf("after a cancel: %v", err)
	}
}

func TestLimitPendingPerEmail(t *testing.T) {
	f := limited(t, booking.Limits{})
	p := booking.Patient{Name: "Marie Curie", Email: "marie@example.org"}
	_, tok, err := f.tryBook("suivi", at(1, 9, 0), p)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = f.tryBook("suivi", at(1, 10, 0), p)
	wantLimit(t, err, booking.LimitPending, 0)
	if _, err := f.svc.Confirm(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.tryBook("suivi", at(1, 10, 0), p); err != nil {
		t.Errorf("once the first is confirmed: %v", err)
	}
}

func TestLimitMovesPerBooking(t *testing.T) {
	f := limited(t, booking.Limits{})
	b, tok := f.book("consultation", at(1, 9, 0))
	for i, h := range []int{10, 11, 14} {
		if _, err := f.svc.Reschedule(ctx, tok, at(2, h, 0)); err != nil {
			t.Fatalf("move %d: %v", i+1, err)
		}
	}
	msgs := len(f.store.Outbox())
	_, err := f.svc.Reschedule(ctx, tok, at(2, 15, 0))
	wantLimit(t, err, booking.LimitMoves, 0)
	if r := f.row(b.ID); !r.Start.Equal(at(2, 14, 0)) || r.Moves != 3 {
		t.Errorf("row after a refused move: start %v, moves %d; want %v, 3", r.Start, r.Moves, at(2, 14, 0))
	}
	if n := len(f.store.Outbox()); n != msgs {
		t.Errorf("a refused move queued %d messages", n-msgs)
	}
	f.agree(b.ID)
}

func TestLimitMessagesPerHour(t *testing.T) {
	f := limited(t, booking.Limits{MessagesPerHour: 3, ActivePerContact: -1})
	p := booking.Patient{Name: "Marie Curie", Email: "marie@example.org"}
	_, tok, err := f.tryBook("consultation", at(1, 9, 0), p)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []int{10, 11} {
		if _, err := f.svc.Reschedule(ctx, tok, at(1, h, 0)); err != nil {
			t.Fatal(err)
		}
	}
	// Three messages to the address: neither a move nor a new booking for
	// it sends a fourth within the hour.
	_, err = f.svc.Reschedule(ctx, tok, at(1, 14, 0))
	wantLimit(t, err, booking.LimitMessages, time.Hour)
	_, _, err = f.tryBook("consultation", at(1, 15, 0), booking.Patient{Name: "Someone Else", Email: "MARIE+again@example.org"})
	wantLimit(t, err, booking.LimitMessages, time.Hour)
	if _, _, err := f.tryBook("consultation", at(1, 15, 0), booking.Patient{Name: "Pierre Curie", Email: "pierre@example.org"}); err != nil {
		t.Errorf("another address: %v", err)
	}
	f.clock.Add(time.Hour + time.Minute)
	if _, err := f.svc.Reschedule(ctx, tok, at(1, 14, 0)); err != nil {
		t.Errorf("an hour later: %v", err)
	}
}

func TestLimitNewPerMinute(t *testing.T) {
	f := limited(t, booking.Limits{NewPerMinute: 3})
	names := []string{"alice", "bruno", "chloe", "denis", "emma"}
	book := func(i int, start time.Time) error {
		_, _, err := f.tryBook("consultation", start, booking.Patient{Name: "Patient", Email: names[i] + "@example.org"})
		return err
	}
	for i := range 3 {
		if err := book(i, at(1, 9, 20*i)); err != nil {
			t.Fatal(err)
		}
	}
	wantLimit(t, book(3, at(1, 10, 0)), booking.LimitNew, time.Minute)
	f.clock.Add(time.Minute + time.Second)
	if err := book(3, at(1, 10, 0)); err != nil {
		t.Errorf("a minute later: %v", err)
	}
}

func TestLimitsOff(t *testing.T) {
	f := limited(t, booking.NoLimits())
	_, tok := f.book("consultation", at(1, 9, 0))
	for i := range 5 {
		f.book("consultation", at(1, 10+i/3, 20*(i%3)))
	}
	for _, h := range []int{14, 15, 16, 14, 15} {
		if _, err := f.svc.Reschedule(ctx, tok, at(2, h, 0)); err != nil {
			t.Fatalf("move to %d h with the limits off: %v", h, err)
		}
	}
}

func TestContactKeys(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"Marie@Example.org", "marie@example.org"},
		{"marie+rdv@example.org", "marie@example.org"},
		{"+marie@example.org", "+marie@example.org"}, // a leading + is the name itself
	} {
		if got := booking.EmailKey(c.a); got != c.b {
			t.Errorf("EmailKey(%q) = %q, want %q", c.a, got, c.b)
		}
	}
	for _, c := range []struct{ a, b string }{
		{"+33 6 12 34 56 78", "612345678"},
		{"06.12.34.56.78", "612345678"},
		{"(0)1-23", "0123"},
		{"", ""},
	} {
		if got := booking.PhoneKey(c.a); got != c.b {
			t.Errorf("PhoneKey(%q) = %q, want %q", c.a, got, c.b)
		}
	}
}

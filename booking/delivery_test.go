package booking_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// TestDeliveryInBackground: by default a change returns without waiting for
// its message, which is sent in the background; Flush waits for it.
func TestDeliveryInBackground(t *testing.T) {
	release, entered := make(chan struct{}), make(chan struct{}, 1)
	f := newFixture(t, func(c *booking.ServiceConfig) { c.InlineDelivery = false })
	f.notes.Func = func(ctx context.Context, n booking.Notification) error {
		entered <- struct{}{}
		<-release // a mail server that holds the message
		return nil
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := f.tryBook("consultation", at(1, 9, 0), patient)
		done <- err
	}()
	// Book returns while the notifier still holds the message.
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-entered
	if n := len(f.notes.Sent()); n != 0 {
		t.Fatalf("%d messages sent before the server let go", n)
	}
	close(release)
	f.svc.Flush()
	if kinds := f.notes.Kinds(""); len(kinds) != 1 || kinds[0] != booking.NotifyCreated {
		t.Errorf("sent %v after Flush, want the created message", kinds)
	}
}

// TestDeliveryOrderAndSupersession: while the mail server is down, a
// booking is confirmed then cancelled. When it is back, the patient gets
// the cancellation only, with the manage link of the first message, and
// never a "please confirm" or a "confirmed" after it.
func TestDeliveryOrderAndSupersession(t *testing.T) {
	f := newFixture(t)
	down := true
	f.notes.Func = func(ctx context.Context, n booking.Notification) error {
		if down {
			return booking.Errorf(booking.EUnavailable, "mail server down")
		}
		return nil
	}
	_, tok, err := f.tryBook("suivi", at(1, 9, 0), patient)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Confirm(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Cancel(ctx, tok); err != nil {
		t.Fatal(err)
	}
	down = false
	f.clock.Add(time.Hour)
	if _, err := f.svc.Dispatch(ctx); err != nil {
		t.Fatal(err)
	}
	sent := f.notes.Sent()
	if len(sent) != 1 || sent[0].Kind != booking.NotifyCancelled {
		t.Fatalf("sent %v, want the cancellation only", f.notes.Kinds(""))
	}
	if sent[0].ManageToken != tok {
		t.Error("the cancellation does not carry the manage link of the dropped first message")
	}
	for _, m := range f.store.Outbox() {
		if m.Message.Kind != booking.NotifyCancelled && m.Dropped.IsZero() {
			t.Errorf("%s message not dropped: %+v", m.Message.Kind, m)
		}
	}
	// Each message keeps its id (the Message-ID) and the time of its change.
	if sent[0].ID == "" || sent[0].ChangedAt.IsZero() || !sent[0].ChangedAt.Before(f.clock.Now()) {
		t.Errorf("id %q, changed at %v", sent[0].ID, sent[0].ChangedAt)
	}
}

// TestConfirmRaisesSequence: the patient's calendar applies a
// confirmation only with a SEQUENCE above the "please confirm" one.
func TestConfirmRaisesSequence(t *testing.T) {
	f := newFixture(t)
	b, tok, err := f.tryBook("suivi", at(1, 9, 0), patient)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Confirm(ctx, tok); err != nil {
		t.Fatal(err)
	}
	sent := f.notes.Sent()
	if len(sent) != 2 || sent[1].Appointment.Booking.Sequence <= sent[0].Appointment.Booking.Sequence {
		t.Errorf("sequences %d then %d, want a rise", sent[0].Appointment.Booking.Sequence, sent[len(sent)-1].Appointment.Booking.Sequence)
	}
	if ev := f.event(b.ID); ev.Sequence != f.row(b.ID).Sequence {
		t.Errorf("event SEQUENCE %d, row %d", ev.Sequence, f.row(b.ID).Sequence)
	}
}

// TestPermanentFailureGivenUp: a message the notifier says can never be
// sent (EInvalid: a 5xx reply) is given up at the first attempt and listed.
func TestPermanentFailureGivenUp(t *testing.T) {
	f := newFixture(t)
	f.notes.Func = func(ctx context.Context, n booking.Notification) error {
		return booking.WrapError(booking.EInvalid, errors.New("550 5.1.1"), "refused for good")
	}
	if _, _, err := f.tryBook("consultation", at(1, 9, 0), patient); err != nil {
		t.Fatal(err)
	}
	failed, err := f.svc.FailedMessages(ctx, testNow.Add(-time.Hour), 10)
	if err != nil || len(failed) != 1 || failed[0].Attempts != 1 || failed[0].Kind != booking.NotifyCreated {
		t.Errorf("failed = %+v, %v; want the created message, given up at its first attempt", failed, err)
	}
}

// TestFanOut: with the practice's copy asked for and webhooks on, a change
// records a message for each, without the manage token; a message the
// patient never gets is told to the practice and the webhooks.
func TestFanOut(t *testing.T) {
	f := newFixture(t, func(c *booking.ServiceConfig) { c.Webhooks = true })
	p := testPractitioner()
	p.ID, p.Email, p.NotifyBookings = "fan", "cabinet@example.org", true
	if err := f.svc.AddPractitioner(p, f.cal); err != nil {
		t.Fatal(err)
	}
	f.notes.Func = func(ctx context.Context, n booking.Notification) error {
		if n.Recipient == booking.RecipientPatient {
			return booking.Errorf(booking.EInvalid, "550 no such mailbox")
		}
		return nil
	}
	if _, _, err := f.svc.Book(ctx, booking.BookRequest{PractitionerID: "fan", TypeID: "consultation", Start: at(1, 9, 0), Patient: patient}); err != nil {
		t.Fatal(err)
	}
	// The news of the message given up waits for the practice's copy of
	// the booking, sent first: the next dispatch sends it.
	if _, err := f.svc.Dispatch(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, n := range f.notes.Sent() {
		got[n.Recipient+"/"+n.Kind+n.About]++
		if n.Recipient != booking.RecipientPatient && n.ManageToken != "" {
			t.Errorf("the %s copy carries the manage token", n.Recipient)
		}
	}
	want := map[string]int{"practice/created": 1, "webhook/created": 1, "practice/undeliveredcreated": 1, "webhook/undeliveredcreated": 1}
	if len(got) != len(want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("sent %v, want %v", got, want)
		}
	}
}

// TestReminderToldToWebhooks: a reminder sent to the patient is told to
// the webhooks (booking.reminder_sent).
func TestReminderToldToWebhooks(t *testing.T) {
	f := newFixture(t, func(c *booking.ServiceConfig) { c.Webhooks = true })
	if _, _, err := f.tryBook("consultation", at(2, 9, 0), patient); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(at(1, 9, 0)) // 24 hours before: the reminder is due
	if _, err := f.svc.Dispatch(ctx); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range f.notes.Sent() {
		got = append(got, n.Recipient+"/"+n.Kind)
	}
	want := []string{"/created", "webhook/created", "/reminder", "webhook/reminder_sent"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("sent %v, want %v", got, want)
	}
}

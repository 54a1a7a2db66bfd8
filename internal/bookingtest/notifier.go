package bookingtest

import (
	"context"
	"sync"

	"github.com/rdvlibre/rdv/booking"
)

var _ booking.Notifier = (*Notifier)(nil)

// Notifier records the notifications it is handed. Its faults (OpNotify)
// make a call fail; Func, if set, is called for each notification and its
// error returned (a failed call records nothing). It is safe for
// concurrent use.
type Notifier struct {
	Faults
	Func func(ctx context.Context, n booking.Notification) error

	mu   sync.Mutex
	sent []booking.Notification
}

// Notify implements booking.Notifier.
func (r *Notifier) Notify(ctx context.Context, n booking.Notification) error {
	if err := r.enter(OpNotify); err != nil {
		return err
	}
	if r.Func != nil {
		if err := r.Func(ctx, n); err != nil {
			return err
		}
	}
	b := *n.Appointment.Booking
	n.Appointment.Booking = &b
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, n)
	return nil
}

// Sent returns the notifications sent so far, in order.
func (r *Notifier) Sent() []booking.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]booking.Notification(nil), r.sent...)
}

// Take returns the notifications sent so far and forgets them.
func (r *Notifier) Take() []booking.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sent
	r.sent = nil
	return out
}

// Kinds returns the kinds of the notifications sent about the booking id,
// in order, or of all of them when id is "".
func (r *Notifier) Kinds(id string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []string{}
	for _, n := range r.sent {
		if id == "" || n.Appointment.Booking.ID == id {
			out = append(out, n.Kind)
		}
	}
	return out
}

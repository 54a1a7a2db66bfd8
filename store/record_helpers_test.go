package store

import (
	"context"

	"github.com/rdvlibre/rdv/booking"
)

// recordNew records a new booking alone (a Record with no messages nor key).
func recordNew(s booking.Store, ctx context.Context, b *booking.Booking) error {
	return s.Record(ctx, booking.Change{Booking: b, Create: true})
}

// recordUpdate records a change of a booking alone (a Record with no
// messages), compare-and-set on b.Revision.
func recordUpdate(s booking.Store, ctx context.Context, b *booking.Booking) error {
	return s.Record(ctx, booking.Change{Booking: b})
}

package store

import (
	"context"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// MessagesTo returns how many messages the outbox has recorded since since
// for bookings whose patient address is email, compared as booking.EmailKey
// compares them (without case nor +tag): sent, waiting or given up alike. It is what ServiceConfig.Limits.MessagesPerHour
// is checked against; messages purged from the outbox (a week after they
// are sent) no longer count.
func (s *SQLite) MessagesTo(ctx context.Context, email string, since time.Time) (int, error) {
	const q = `SELECT count(*) FROM outbox o JOIN bookings b ON b.id = o.booking_id
		WHERE b.email_key = ? AND o.created_at >= ?`
	var n int
	if err := s.r.QueryRowContext(ctx, q, booking.EmailKey(email), formatBound(since)).Scan(&n); err != nil {
		return 0, wrapError(err, "cannot count the messages to an address")
	}
	return n, nil
}

// MessagesTo is SQLite.MessagesTo in PostgreSQL.
func (s *Postgres) MessagesTo(ctx context.Context, email string, since time.Time) (int, error) {
	if !pgText(email) {
		return 0, nil
	}
	const q = `SELECT count(*) FROM outbox o JOIN bookings b ON b.id = o.booking_id
		WHERE b.email_key = $1 AND o.created_at >= $2`
	var n int
	if err := s.pool.QueryRow(ctx, q, booking.EmailKey(email), since.UTC()).Scan(&n); err != nil {
		return 0, wrapPgError(err, "cannot count the messages to an address")
	}
	return n, nil
}

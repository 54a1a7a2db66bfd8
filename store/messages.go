package store

import (
	"context"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// MessagesTo returns how many messages the outbox has recorded since since
// for the patient of bookings whose patient address is email, compared as
// booking.EmailKey compares them (without case nor +tag): sent, waiting,
// given up or dropped alike, reminders aside. It is what ServiceConfig.Limits.MessagesPerHour
// is checked against; messages purged from the outbox (a week after they
// are sent) no longer count.
func (s *SQLite) MessagesTo(ctx context.Context, email string, since time.Time) (int, error) {
	const q = `SELECT count(*) FROM outbox o JOIN bookings b ON b.id = o.booking_id
		WHERE b.email_key = ? AND o.recipient = '' AND o.kind <> 'reminder' AND o.created_at >= ?`
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
		WHERE b.email_key = $1 AND o.recipient = '' AND o.kind <> 'reminder' AND o.created_at >= $2`
	var n int
	if err := s.pool.QueryRow(ctx, q, booking.EmailKey(email), since.UTC()).Scan(&n); err != nil {
		return 0, wrapPgError(err, "cannot count the messages to an address")
	}
	return n, nil
}

// PatientActivity counts, among the bookings of the practitioner, those of
// the patient whose contact keys are emailKey and phoneKey (booking.EmailKey,
// booking.PhoneKey; phoneKey "" for none) that are active and end after
// now, and those created at or after newSince (see booking.Activity).
func (s *SQLite) PatientActivity(ctx context.Context, practitionerID, emailKey, phoneKey string, now, newSince time.Time) (booking.Activity, error) {
	const q = `SELECT
		coalesce(sum(CASE WHEN email_key = ?1 AND status IN ('pending', 'confirmed') AND end_at > ?3 THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN ?2 <> '' AND phone_key = ?2 AND status IN ('pending', 'confirmed') AND end_at > ?3 THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN email_key = ?1 AND status = 'pending' AND end_at > ?3 THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN created_at >= ?4 AND status IN ('pending', 'confirmed') THEN 1 ELSE 0 END), 0)
		FROM bookings
		WHERE practitioner_id = ?5 AND (email_key = ?1 OR (?2 <> '' AND phone_key = ?2) OR created_at >= ?4)`
	var a booking.Activity
	err := s.r.QueryRowContext(ctx, q, emailKey, phoneKey, formatBound(now), formatBound(newSince), practitionerID).
		Scan(&a.ActiveByEmail, &a.ActiveByPhone, &a.PendingByEmail, &a.New)
	if err != nil {
		return booking.Activity{}, wrapError(err, "cannot count the bookings of %s", practitionerID)
	}
	return a, nil
}

// PatientActivity is SQLite.PatientActivity in PostgreSQL.
func (s *Postgres) PatientActivity(ctx context.Context, practitionerID, emailKey, phoneKey string, now, newSince time.Time) (booking.Activity, error) {
	if !pgText(practitionerID) || !pgText(emailKey) || !pgText(phoneKey) {
		return booking.Activity{}, nil
	}
	const q = `SELECT
		count(*) FILTER (WHERE email_key = $1 AND status IN ('pending', 'confirmed') AND end_at > $3),
		count(*) FILTER (WHERE $2 <> '' AND phone_key = $2 AND status IN ('pending', 'confirmed') AND end_at > $3),
		count(*) FILTER (WHERE email_key = $1 AND status = 'pending' AND end_at > $3),
		count(*) FILTER (WHERE created_at >= $4 AND status IN ('pending', 'confirmed'))
		FROM bookings
		WHERE practitioner_id = $5 AND (email_key = $1 OR ($2 <> '' AND phone_key = $2) OR created_at >= $4)`
	var a booking.Activity
	err := s.pool.QueryRow(ctx, q, emailKey, phoneKey, now.UTC(), newSince.UTC(), practitionerID).
		Scan(&a.ActiveByEmail, &a.ActiveByPhone, &a.PendingByEmail, &a.New)
	if err != nil {
		return booking.Activity{}, wrapPgError(err, "cannot count the bookings of %s", practitionerID)
	}
	return a, nil
}

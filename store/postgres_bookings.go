package store

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/rdvlibre/rdv/booking"
)

// pgBookingColumns are the columns scanPgBooking reads, in its order.
const pgBookingColumns = `id, practitioner_id, type_id, start_at, start_ns, end_at, end_ns, status,
	patient_name, patient_email, patient_phone, token_hash,
	event_href, event_etag, sequence, created_at, created_ns, updated_at, updated_ns, revision, moves, lang`

// Booking returns the booking with this id, or an ENotFound error. Its times
// are in UTC.
func (s *Postgres) Booking(ctx context.Context, id string) (*booking.Booking, error) {
	if !pgText(id) {
		return nil, booking.Errorf(booking.ENotFound, "store: booking not found")
	}
	row := s.pool.QueryRow(ctx, `SELECT `+pgBookingColumns+` FROM bookings WHERE id = $1`, id)
	b, err := scanPgBooking(row)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, booking.Errorf(booking.ENotFound, "store: booking %s not found", id)
	case err != nil:
		return nil, wrapPgError(err, "cannot read booking %s", id)
	}
	return b, nil
}

// BookingByTokenHash returns the booking whose manage token has this hash, or
// an ENotFound error. Its times are in UTC.
func (s *Postgres) BookingByTokenHash(ctx context.Context, hash string) (*booking.Booking, error) {
	if hash == "" || !pgText(hash) {
		return nil, booking.Errorf(booking.ENotFound, "store: booking not found")
	}
	row := s.pool.QueryRow(ctx, `SELECT `+pgBookingColumns+` FROM bookings WHERE token_hash = $1`, hash)
	b, err := scanPgBooking(row)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, booking.Errorf(booking.ENotFound, "store: booking not found")
	case err != nil:
		return nil, wrapPgError(err, "cannot read booking by token")
	}
	return b, nil
}

// BookingsBetween returns the bookings of the practitioner whose [Start, End)
// overlaps [from, to), whatever their status, ordered by start, then id (byte
// order, as SQLite). A booking that ends at from or starts at to does not
// overlap, and an empty range (from equal to to) overlaps nothing. Times are
// in UTC. It returns an EInvalid error if to is before from.
func (s *Postgres) BookingsBetween(ctx context.Context, practitionerID string, from, to time.Time) ([]*booking.Booking, error) {
	if to.Before(from) {
		return nil, booking.Errorf(booking.EInvalid, "store: range ends before it starts")
	}
	if !from.Before(to) || !pgText(practitionerID) {
		return nil, nil // an empty range overlaps nothing; no such practitioner
	}
	fromAt, fromNS := splitBound(from)
	toAt, toNS := splitBound(to)
	// The plain comparisons repeat the row comparisons for the index.
	const q = `SELECT ` + pgBookingColumns + ` FROM bookings
		WHERE practitioner_id = $1
			AND start_at <= $2 AND (start_at, start_ns) < ($2, $3)
			AND end_at >= $4 AND (end_at, end_ns) > ($4, $5)
		ORDER BY start_at, start_ns, id COLLATE "C"`
	rows, err := s.pool.Query(ctx, q, practitionerID, toAt, toNS, fromAt, fromNS)
	if err != nil {
		return nil, wrapPgError(err, "cannot list bookings of %s", practitionerID)
	}
	defer rows.Close()
	var bs []*booking.Booking
	for rows.Next() {
		b, err := scanPgBooking(rows)
		if err != nil {
			return nil, wrapPgError(err, "cannot list bookings of %s", practitionerID)
		}
		bs = append(bs, b)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapPgError(err, "cannot list bookings of %s", practitionerID)
	}
	return bs, nil
}

// checkPgBooking is checkBooking, and refuses the text PostgreSQL can't hold.
func checkPgBooking(b *booking.Booking) error {
	if err := checkBooking(b); err != nil {
		return err
	}
	for _, s := range []string{b.ID, b.PractitionerID, b.TypeID, b.Patient.Name, b.Patient.Email,
		b.Patient.Phone, b.TokenHash, b.EventHref, b.EventETag} {
		if !pgText(s) {
			if !pgText(b.ID) {
				return booking.Errorf(booking.EInvalid, "store: booking id has a NUL byte or invalid UTF-8")
			}
			return booking.Errorf(booking.EInvalid, "store: booking %s has text with a NUL byte or invalid UTF-8", b.ID)
		}
	}
	return nil
}

// pgText reports whether PostgreSQL's text type can hold s: valid UTF-8 (the
// database's encoding) without NUL bytes.
func pgText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// scanPgBooking reads the pgBookingColumns of one row.
func scanPgBooking(row pgx.Row) (*booking.Booking, error) {
	var (
		b                                booking.Booking
		status                           string
		token                            *string
		start, end, createdAt, updatedAt time.Time
		startNS, endNS, createdNS, updNS int16
	)
	err := row.Scan(&b.ID, &b.PractitionerID, &b.TypeID, &start, &startNS, &end, &endNS, &status,
		&b.Patient.Name, &b.Patient.Email, &b.Patient.Phone, &token,
		&b.EventHref, &b.EventETag, &b.Sequence, &createdAt, &createdNS, &updatedAt, &updNS, &b.Revision, &b.Moves, &b.Lang)
	if err != nil {
		return nil, err
	}
	b.Status = booking.Status(status)
	if token != nil {
		b.TokenHash = *token
	}
	b.Start = joinTime(start, startNS)
	b.End = joinTime(end, endNS)
	b.CreatedAt = joinTime(createdAt, createdNS)
	b.UpdatedAt = joinTime(updatedAt, updNS)
	return &b, nil
}

// nullText maps "" to NULL, so that bookings without a token don't collide
// on the unique index.
func nullText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

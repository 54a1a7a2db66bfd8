package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rdvlibre/rdv/booking"
)

// The lifecycle of bookings in PostgreSQL, as record.go for SQLite.

// pgExecer is a pool or a transaction.
type pgExecer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Record applies c in one transaction, or nothing of it, as SQLite.Record.
// See booking.Change and booking.Store.
func (s *Postgres) Record(ctx context.Context, c booking.Change) error {
	if c.Booking == nil {
		return booking.Errorf(booking.EInvalid, "store: change without a booking")
	}
	id := c.Booking.ID
	if err := checkPgBooking(c.Booking); err != nil {
		return err
	}
	if err := checkChange(c); err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return wrapPgError(err, "cannot record booking %s", id)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // after Commit: nothing to undo
	if c.Create {
		err = pgCreateBooking(ctx, tx, c.Booking)
	} else {
		err = pgUpdateBooking(ctx, tx, c.Booking)
	}
	if err != nil {
		return err
	}
	if k := c.Key; k != nil {
		if _, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE key = $1 AND created_at < $2`,
			k.Key, k.CreatedAt.Add(-booking.IdempotencyTTL).UTC()); err != nil {
			return wrapPgError(err, "cannot record the idempotency key of booking %s", id)
		}
		_, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (key, request_hash, booking_id, response, created_at)
			VALUES ($1, $2, $3, $4, $5)`, k.Key, k.RequestHash, k.BookingID, k.Response, k.CreatedAt.UTC())
		if err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "23505" {
				return booking.WrapError(booking.EConflict, err, "store: booking "+id+": idempotency key already recorded")
			}
			return wrapPgError(err, "cannot record the idempotency key of booking %s", id)
		}
	}
	if len(c.Drop) > 0 {
		// Before the new messages: they may be of a kind dropped.
		const q = `UPDATE outbox SET dropped_at = $1, sealed = NULL, last_error = 'dropped'
			WHERE booking_id = $2 AND kind = ANY($3) AND sent_at IS NULL AND failed_at IS NULL AND dropped_at IS NULL`
		if _, err := tx.Exec(ctx, q, c.Booking.UpdatedAt.UTC(), id, c.Drop); err != nil {
			return wrapPgError(err, "cannot drop messages of booking %s", id)
		}
	}
	for _, m := range c.Outbox {
		if err := pgInsertOutbox(ctx, tx, m); err != nil {
			return wrapPgError(err, "cannot record a message of booking %s", id)
		}
	}
	if err := pgDeleteIntents(ctx, tx, c.Intents); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return wrapPgError(err, "cannot record booking %s", id)
	}
	return nil
}

// pgCreateBooking is createBooking (bookings.go) in PostgreSQL, which also
// refuses text it can't hold (a NUL byte or invalid UTF-8).
func pgCreateBooking(ctx context.Context, ex pgExecer, b *booking.Booking) error {
	start, startNS := splitTime(b.Start)
	end, endNS := splitTime(b.End)
	created, createdNS := splitTime(b.CreatedAt)
	updated, updatedNS := splitTime(b.UpdatedAt)
	const q = `INSERT INTO bookings (` + pgBookingColumns + `, email_key, phone_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
		ON CONFLICT (id) DO NOTHING`
	tag, err := ex.Exec(ctx, q,
		b.ID, b.PractitionerID, b.TypeID, start, startNS, end, endNS, string(b.Status),
		b.Patient.Name, b.Patient.Email, b.Patient.Phone, nullText(b.TokenHash),
		b.EventHref, b.EventETag, b.Sequence, created, createdNS, updated, updatedNS, b.Revision, b.Moves, b.Lang,
		booking.EmailKey(b.Patient.Email), booking.PhoneKey(b.Patient.Phone))
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "bookings_token_hash" {
			return booking.WrapError(booking.EConflict, err, "store: booking "+b.ID+": manage token already in use")
		}
		return wrapPgError(err, "cannot create booking %s", b.ID)
	}
	if tag.RowsAffected() == 0 {
		return booking.Errorf(booking.EConflict, "store: booking %s already exists", b.ID)
	}
	return nil
}

// pgUpdateBooking is updateBooking (bookings.go) in PostgreSQL. Under READ COMMITTED, an update
// that waited for another one's row lock evaluates its WHERE again on the
// row that one left: of two updates from the same revision, one applies.
func pgUpdateBooking(ctx context.Context, ex pgExecer, b *booking.Booking) error {
	start, startNS := splitTime(b.Start)
	end, endNS := splitTime(b.End)
	updated, updatedNS := splitTime(b.UpdatedAt)
	const q = `UPDATE bookings
		SET status = $1, start_at = $2, start_ns = $3, end_at = $4, end_ns = $5,
			event_href = $6, event_etag = $7, sequence = $8, updated_at = $9, updated_ns = $10,
			token_hash = $13, moves = $14, revision = revision + 1
		WHERE id = $11 AND revision = $12`
	tag, err := ex.Exec(ctx, q,
		string(b.Status), start, startNS, end, endNS, b.EventHref, b.EventETag,
		b.Sequence, updated, updatedNS, b.ID, b.Revision, nullText(b.TokenHash), b.Moves)
	if err != nil {
		return wrapPgError(err, "cannot update booking %s", b.ID)
	}
	if tag.RowsAffected() == 0 {
		// Missing, or changed since it was read.
		var rev int64
		err := ex.QueryRow(ctx, `SELECT revision FROM bookings WHERE id = $1`, b.ID).Scan(&rev)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return booking.Errorf(booking.ENotFound, "store: booking %s not found", b.ID)
		case err != nil:
			return wrapPgError(err, "cannot update booking %s", b.ID)
		}
		return staleError(b, rev)
	}
	return nil
}

// PendingBookings returns up to limit bookings in status pending, oldest
// first. Times are in UTC.
func (s *Postgres) PendingBookings(ctx context.Context, limit int) ([]*booking.Booking, error) {
	const q = `SELECT ` + pgBookingColumns + ` FROM bookings WHERE status = 'pending'
		ORDER BY created_at, created_ns, id COLLATE "C" LIMIT $1`
	rows, err := s.pool.Query(ctx, q, limit)
	if err != nil {
		return nil, wrapPgError(err, "cannot list pending bookings")
	}
	defer rows.Close()
	var bs []*booking.Booking
	for rows.Next() {
		b, err := scanPgBooking(rows)
		if err != nil {
			return nil, wrapPgError(err, "cannot list pending bookings")
		}
		bs = append(bs, b)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapPgError(err, "cannot list pending bookings")
	}
	return bs, nil
}

// IdempotencyRecord returns the record of key created at or after since, or
// an ENotFound error.
func (s *Postgres) IdempotencyRecord(ctx context.Context, key string, since time.Time) (*booking.IdempotencyRecord, error) {
	if !pgText(key) {
		return nil, booking.Errorf(booking.ENotFound, "store: idempotency key not found")
	}
	const q = `SELECT key, request_hash, booking_id, response, created_at FROM idempotency_keys
		WHERE key = $1 AND created_at >= $2`
	var r booking.IdempotencyRecord
	err := s.pool.QueryRow(ctx, q, key, since.UTC()).Scan(&r.Key, &r.RequestHash, &r.BookingID, &r.Response, &r.CreatedAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, booking.Errorf(booking.ENotFound, "store: idempotency key not found")
	case err != nil:
		return nil, wrapPgError(err, "cannot read idempotency key")
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return &r, nil
}

// ClaimOutbox claims the due messages (see booking.Store). FOR UPDATE SKIP
// LOCKED lets dispatchers of several replicas claim at once without waiting
// on each other.
func (s *Postgres) ClaimOutbox(ctx context.Context, now, until time.Time, limit int, ids ...string) ([]booking.OutboxMessage, error) {
	if limit <= 0 {
		return nil, nil
	}
	// A message waits while an older one of its booking and recipient
	// does (but a reminder, which waits for its time): they leave in order.
	const q = `UPDATE outbox SET next_attempt_at = $1, attempts = attempts + 1
		WHERE id IN (SELECT id FROM outbox o
			WHERE sent_at IS NULL AND failed_at IS NULL AND dropped_at IS NULL AND next_attempt_at <= $2
				AND (cardinality($3::text[]) = 0 OR id = ANY($3))
				AND NOT EXISTS (SELECT 1 FROM outbox w
					WHERE w.booking_id = o.booking_id AND w.recipient = o.recipient AND w.n < o.n
						AND w.kind <> 'reminder' AND w.sent_at IS NULL AND w.failed_at IS NULL AND w.dropped_at IS NULL)
			ORDER BY next_attempt_at, created_at, n LIMIT $4
			FOR UPDATE SKIP LOCKED)
		RETURNING ` + pgOutboxColumns
	if ids == nil {
		ids = []string{}
	}
	rows, err := s.pool.Query(ctx, q, until.UTC(), now.UTC(), ids, limit)
	if err != nil {
		return nil, wrapPgError(err, "cannot claim outbox messages")
	}
	defer rows.Close()
	var out []booking.OutboxMessage
	for rows.Next() {
		m, err := scanPgOutbox(rows)
		if err != nil {
			return nil, wrapPgError(err, "cannot claim outbox messages")
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapPgError(err, "cannot claim outbox messages")
	}
	slices.SortStableFunc(out, func(a, b booking.OutboxMessage) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// OutboxSent marks a message sent and wipes its sealed token.
func (s *Postgres) OutboxSent(ctx context.Context, id string, at time.Time, then ...booking.OutboxMessage) error {
	return s.updateOutbox(ctx, id, then, `UPDATE outbox SET sent_at = $1, sealed = NULL WHERE id = $2`, at.UTC(), id)
}

// OutboxRetry makes a message due again at retryAt.
func (s *Postgres) OutboxRetry(ctx context.Context, id string, retryAt time.Time, reason string) error {
	return s.updateOutbox(ctx, id, nil, `UPDATE outbox SET next_attempt_at = $1, last_error = $2 WHERE id = $3`, retryAt.UTC(), reason, id)
}

// OutboxFailed gives a message up and wipes its sealed token.
func (s *Postgres) OutboxFailed(ctx context.Context, id string, at time.Time, reason string, then ...booking.OutboxMessage) error {
	return s.updateOutbox(ctx, id, then, `UPDATE outbox SET failed_at = $1, sealed = NULL, last_error = $2 WHERE id = $3`, at.UTC(), reason, id)
}

func (s *Postgres) updateOutbox(ctx context.Context, id string, then []booking.OutboxMessage, q string, args ...any) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return wrapPgError(err, "cannot update outbox message %s", id)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	tag, err := tx.Exec(ctx, q, args...)
	if err != nil {
		return wrapPgError(err, "cannot update outbox message %s", id)
	}
	if tag.RowsAffected() == 0 {
		return booking.Errorf(booking.ENotFound, "store: outbox message %s not found", id)
	}
	for _, m := range then {
		if m.ID == "" || m.Kind == "" || m.BookingID == "" || !pgText(m.ID) || !pgText(m.BookingID) {
			return booking.Errorf(booking.EInvalid, "store: malformed outbox message")
		}
		if err := pgInsertOutbox(ctx, tx, m); err != nil {
			return wrapPgError(err, "cannot record a message of booking %s", m.BookingID)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return wrapPgError(err, "cannot update outbox message %s", id)
	}
	return nil
}

// Purge deletes the idempotency records created before keysBefore and the
// outbox messages sent or given up before outboxBefore.
func (s *Postgres) Purge(ctx context.Context, keysBefore, outboxBefore time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, keysBefore.UTC()); err != nil {
		return wrapPgError(err, "cannot purge idempotency keys")
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM outbox WHERE sent_at < $1 OR failed_at < $1 OR dropped_at < $1`, outboxBefore.UTC()); err != nil {
		return wrapPgError(err, "cannot purge the outbox")
	}
	return nil
}

// pgInsertOutbox inserts m on ex, due at m.Due, or at once.
func pgInsertOutbox(ctx context.Context, ex pgExecer, m booking.OutboxMessage) error {
	const q = `INSERT INTO outbox (id, booking_id, kind, status, start_at, end_at, sequence,
		previous_start_at, previous_end_at, sealed, created_at, next_attempt_at, recipient, about)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`
	due := m.CreatedAt
	if !m.Due.IsZero() {
		due = m.Due
	}
	_, err := ex.Exec(ctx, q, m.ID, m.BookingID, m.Kind, string(m.Status), m.Start.UTC(), m.End.UTC(),
		m.Sequence, pgNullTime(m.PreviousStart), pgNullTime(m.PreviousEnd), nullBytes(m.Sealed), m.CreatedAt.UTC(),
		due.UTC(), m.Recipient, m.About)
	return err
}

// pgOutboxColumns are the columns scanPgOutbox reads, in its order.
const pgOutboxColumns = `id, booking_id, kind, status, start_at, end_at, sequence,
	previous_start_at, previous_end_at, sealed, created_at, attempts, recipient, about`

// scanPgOutbox reads an outbox message from row, then the columns that
// follow into tail.
func scanPgOutbox(row pgx.Row, tail ...any) (booking.OutboxMessage, error) {
	var m booking.OutboxMessage
	var status string
	var prevStart, prevEnd *time.Time
	dest := []any{&m.ID, &m.BookingID, &m.Kind, &status, &m.Start, &m.End, &m.Sequence,
		&prevStart, &prevEnd, &m.Sealed, &m.CreatedAt, &m.Attempts, &m.Recipient, &m.About}
	if err := row.Scan(append(dest, tail...)...); err != nil {
		return m, err
	}
	m.Status = booking.Status(status)
	m.Start, m.End, m.CreatedAt = m.Start.UTC(), m.End.UTC(), m.CreatedAt.UTC()
	if prevStart != nil {
		m.PreviousStart = prevStart.UTC()
	}
	if prevEnd != nil {
		m.PreviousEnd = prevEnd.UTC()
	}
	return m, nil
}

// pgNullTime maps the zero time to NULL.
func pgNullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rdvlibre/rdv/booking"
)

// The lifecycle of bookings in SQLite: Record (a booking change with its
// outbox messages and idempotency key, in one transaction), pending
// bookings, idempotency records and the outbox.

// Record applies c in one transaction: the booking inserted or updated (an
// update only if the row still has c.Booking.Revision), its idempotency key
// its outbox messages, and the removal of the write intents it settles; on
// any error, nothing. See booking.Change and
// booking.Store for the errors.
func (s *SQLite) Record(ctx context.Context, c booking.Change) error {
	if c.Booking == nil {
		return booking.Errorf(booking.EInvalid, "store: change without a booking")
	}
	id := c.Booking.ID
	if err := checkChange(c); err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil) // BEGIN IMMEDIATE
	if err != nil {
		return wrapError(err, "cannot record booking %s", id)
	}
	defer tx.Rollback() // after Commit: sql.ErrTxDone, nothing to undo
	if c.Create {
		err = createBooking(ctx, tx, c.Booking)
	} else {
		err = updateBooking(ctx, tx, c.Booking)
	}
	if err != nil {
		return err
	}
	if k := c.Key; k != nil {
		// A record past its lifetime that Purge has not removed yet gives
		// its key up.
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE key = ? AND created_at < ?`,
			k.Key, formatBound(k.CreatedAt.Add(-booking.IdempotencyTTL))); err != nil {
			return wrapError(err, "cannot record the idempotency key of booking %s", id)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (key, request_hash, booking_id, response, created_at)
			VALUES (?, ?, ?, ?, ?)`, k.Key, k.RequestHash, k.BookingID, k.Response, formatTime(k.CreatedAt))
		if err != nil {
			if code, ok := sqliteCode(err); ok && (code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || code == sqlite3.SQLITE_CONSTRAINT_UNIQUE) {
				return booking.WrapError(booking.EConflict, err, "store: booking "+id+": idempotency key already recorded")
			}
			return wrapError(err, "cannot record the idempotency key of booking %s", id)
		}
	}
	if len(c.Drop) > 0 {
		// Before the new messages: they may be of a kind dropped.
		args := []any{formatTime(c.Booking.UpdatedAt), id}
		for _, k := range c.Drop {
			args = append(args, k)
		}
		q := `UPDATE outbox SET dropped_at = ?, sealed = NULL, last_error = 'dropped'
			WHERE booking_id = ? AND kind IN (?` + strings.Repeat(", ?", len(c.Drop)-1) + `)
				AND sent_at IS NULL AND failed_at IS NULL AND dropped_at IS NULL`
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return wrapError(err, "cannot drop messages of booking %s", id)
		}
	}
	for _, m := range c.Outbox {
		if err := insertOutbox(ctx, tx, m); err != nil {
			return wrapError(err, "cannot record a message of booking %s", id)
		}
	}
	if err := deleteIntents(ctx, tx, c.Intents); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return wrapError(err, "cannot record booking %s", id)
	}
	return nil
}

// checkChange refuses a change whose key or messages can't be stored.
func checkChange(c booking.Change) error {
	id := c.Booking.ID
	if k := c.Key; k != nil {
		if !c.Create {
			return booking.Errorf(booking.EInvalid, "store: booking %s: an idempotency key goes with a new booking only", id)
		}
		if k.Key == "" || k.BookingID != id || !storable(k.CreatedAt) {
			return booking.Errorf(booking.EInvalid, "store: booking %s: malformed idempotency record", id)
		}
	}
	for _, m := range c.Outbox {
		if m.ID == "" || m.Kind == "" || m.BookingID != id {
			return booking.Errorf(booking.EInvalid, "store: booking %s: malformed outbox message", id)
		}
		for _, t := range []time.Time{m.Start, m.End, m.PreviousStart, m.PreviousEnd, m.CreatedAt} {
			if !t.IsZero() && !storable(t) {
				return booking.Errorf(booking.EInvalid, "store: booking %s: message time outside years 0000-9999", id)
			}
		}
	}
	return nil
}

// PendingBookings returns up to limit bookings in status pending, oldest
// first. Times are in UTC.
func (s *SQLite) PendingBookings(ctx context.Context, limit int) ([]*booking.Booking, error) {
	const q = `SELECT ` + bookingColumns + ` FROM bookings WHERE status = 'pending'
		ORDER BY created_at, id LIMIT ?`
	rows, err := s.r.QueryContext(ctx, q, limit)
	if err != nil {
		return nil, wrapError(err, "cannot list pending bookings")
	}
	defer rows.Close()
	var bs []*booking.Booking
	for rows.Next() {
		b, err := scanBooking(rows)
		if err != nil {
			return nil, wrapError(err, "cannot list pending bookings")
		}
		bs = append(bs, b)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapError(err, "cannot list pending bookings")
	}
	return bs, nil
}

// IdempotencyRecord returns the record of key created at or after since, or
// an ENotFound error.
func (s *SQLite) IdempotencyRecord(ctx context.Context, key string, since time.Time) (*booking.IdempotencyRecord, error) {
	const q = `SELECT key, request_hash, booking_id, response, created_at FROM idempotency_keys
		WHERE key = ? AND created_at >= ?`
	var r booking.IdempotencyRecord
	var created string
	err := s.r.QueryRowContext(ctx, q, key, formatBound(since)).Scan(&r.Key, &r.RequestHash, &r.BookingID, &r.Response, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, booking.Errorf(booking.ENotFound, "store: idempotency key not found")
	case err != nil:
		return nil, wrapError(err, "cannot read idempotency key")
	}
	if r.CreatedAt, err = parseTime(created); err != nil {
		return nil, booking.WrapError(booking.EInternal, err, "store: idempotency key has a malformed time")
	}
	return &r, nil
}

// insertOutbox inserts m on ex, due at m.Due, or at once.
func insertOutbox(ctx context.Context, ex execer, m booking.OutboxMessage) error {
	const q = `INSERT INTO outbox (id, booking_id, kind, status, start_at, end_at, sequence,
		previous_start_at, previous_end_at, sealed, created_at, next_attempt_at, recipient, about)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	due := m.CreatedAt
	if !m.Due.IsZero() {
		due = m.Due
	}
	_, err := ex.ExecContext(ctx, q, m.ID, m.BookingID, m.Kind, string(m.Status),
		formatTime(m.Start), formatTime(m.End), m.Sequence,
		nullTime(m.PreviousStart), nullTime(m.PreviousEnd), nullBytes(m.Sealed),
		formatTime(m.CreatedAt), formatBound(due), m.Recipient, m.About)
	return err
}

// outboxColumns are the columns scanOutbox reads, in its order.
const outboxColumns = `id, booking_id, kind, status, start_at, end_at, sequence,
	previous_start_at, previous_end_at, sealed, created_at, attempts, recipient, about`

// ClaimOutbox claims the due messages (see booking.Store), in one statement
// on the writing connection.
func (s *SQLite) ClaimOutbox(ctx context.Context, now, until time.Time, limit int, ids ...string) ([]booking.OutboxMessage, error) {
	if limit <= 0 {
		return nil, nil
	}
	args := []any{formatTime(until), formatBound(now)}
	only := ""
	if len(ids) > 0 {
		only = " AND id IN (?" + strings.Repeat(", ?", len(ids)-1) + ")"
		for _, id := range ids {
			args = append(args, id)
		}
	}
	args = append(args, limit)
	// A message waits while an older one of its booking and recipient
	// does (but a reminder, which waits for its time): they leave in order.
	q := `UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1
		WHERE id IN (SELECT id FROM outbox o
			WHERE sent_at IS NULL AND failed_at IS NULL AND dropped_at IS NULL AND next_attempt_at <= ?` + only + `
				AND NOT EXISTS (SELECT 1 FROM outbox w
					WHERE w.booking_id = o.booking_id AND w.recipient = o.recipient AND w.rowid < o.rowid
						AND w.kind <> 'reminder' AND w.sent_at IS NULL AND w.failed_at IS NULL AND w.dropped_at IS NULL)
			ORDER BY next_attempt_at, created_at, rowid LIMIT ?)
		RETURNING ` + outboxColumns
	rows, err := s.w.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrapError(err, "cannot claim outbox messages")
	}
	defer rows.Close()
	var out []booking.OutboxMessage
	for rows.Next() {
		m, err := scanOutbox(rows)
		if err != nil {
			return nil, wrapError(err, "cannot claim outbox messages")
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapError(err, "cannot claim outbox messages")
	}
	slices.SortStableFunc(out, func(a, b booking.OutboxMessage) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

func scanOutbox(row rowScanner) (booking.OutboxMessage, error) {
	var (
		m                           booking.OutboxMessage
		status, start, end, created string
		prevStart, prevEnd          sql.NullString
	)
	err := row.Scan(&m.ID, &m.BookingID, &m.Kind, &status, &start, &end, &m.Sequence,
		&prevStart, &prevEnd, &m.Sealed, &created, &m.Attempts, &m.Recipient, &m.About)
	if err != nil {
		return m, err
	}
	m.Status = booking.Status(status)
	for _, f := range []struct {
		dst *time.Time
		src sql.NullString
	}{
		{&m.Start, sql.NullString{String: start, Valid: true}},
		{&m.End, sql.NullString{String: end, Valid: true}},
		{&m.CreatedAt, sql.NullString{String: created, Valid: true}},
		{&m.PreviousStart, prevStart},
		{&m.PreviousEnd, prevEnd},
	} {
		if !f.src.Valid {
			continue
		}
		if *f.dst, err = parseTime(f.src.String); err != nil {
			return m, booking.WrapError(booking.EInternal, err, "store: outbox message "+m.ID+" has a malformed time")
		}
	}
	return m, nil
}

// OutboxSent marks a message sent and wipes its sealed token.
func (s *SQLite) OutboxSent(ctx context.Context, id string, at time.Time, then ...booking.OutboxMessage) error {
	return s.updateOutbox(ctx, id, then, `UPDATE outbox SET sent_at = ?, sealed = NULL WHERE id = ?`, formatTime(at), id)
}

// OutboxRetry makes a message due again at retryAt.
func (s *SQLite) OutboxRetry(ctx context.Context, id string, retryAt time.Time, reason string) error {
	return s.updateOutbox(ctx, id, nil, `UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ?`, formatTime(retryAt), reason, id)
}

// OutboxFailed gives a message up and wipes its sealed token.
func (s *SQLite) OutboxFailed(ctx context.Context, id string, at time.Time, reason string, then ...booking.OutboxMessage) error {
	return s.updateOutbox(ctx, id, then, `UPDATE outbox SET failed_at = ?, sealed = NULL, last_error = ? WHERE id = ?`, formatTime(at), reason, id)
}

func (s *SQLite) updateOutbox(ctx context.Context, id string, then []booking.OutboxMessage, q string, args ...any) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return wrapError(err, "cannot update outbox message %s", id)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return wrapError(err, "cannot update outbox message %s", id)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrapError(err, "cannot update outbox message %s", id)
	} else if n == 0 {
		return booking.Errorf(booking.ENotFound, "store: outbox message %s not found", id)
	}
	for _, m := range then {
		if m.ID == "" || m.Kind == "" || m.BookingID == "" {
			return booking.Errorf(booking.EInvalid, "store: malformed outbox message")
		}
		if err := insertOutbox(ctx, tx, m); err != nil {
			return wrapError(err, "cannot record a message of booking %s", m.BookingID)
		}
	}
	if err := tx.Commit(); err != nil {
		return wrapError(err, "cannot update outbox message %s", id)
	}
	return nil
}

// Purge deletes the idempotency records created before keysBefore and the
// outbox messages sent or given up before outboxBefore.
func (s *SQLite) Purge(ctx context.Context, keysBefore, outboxBefore time.Time) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, formatBound(keysBefore)); err != nil {
		return wrapError(err, "cannot purge idempotency keys")
	}
	b := formatBound(outboxBefore)
	if _, err := s.w.ExecContext(ctx, `DELETE FROM outbox WHERE sent_at < ? OR failed_at < ? OR dropped_at < ?`, b, b, b); err != nil {
		return wrapError(err, "cannot purge the outbox")
	}
	return nil
}

// nullTime maps the zero time to NULL.
func nullTime(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: formatTime(t), Valid: true}
}

// nullBytes maps an empty slice to NULL.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

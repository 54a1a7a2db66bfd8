package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rdvlibre/rdv/booking"
)

// Delivery in order: the messages of a booking to one recipient leave in
// the order they were recorded (ClaimOutbox), and one that a newer message
// makes untrue is dropped (OutboxSupersede).

// OutboxSupersede drops m if a newer message of its booking and recipient
// waits, handing its sealed token on (see booking.Store).
func (s *SQLite) OutboxSupersede(ctx context.Context, m booking.OutboxMessage, at time.Time) (bool, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, wrapError(err, "cannot read the outbox")
	}
	defer tx.Rollback()
	var sealed []byte
	var rowid int64
	err = tx.QueryRowContext(ctx, `SELECT rowid, sealed FROM outbox
		WHERE id = ? AND sent_at IS NULL AND failed_at IS NULL AND dropped_at IS NULL`, m.ID).Scan(&rowid, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, wrapError(err, "cannot read the outbox")
	}
	const newer = `FROM outbox WHERE booking_id = ? AND recipient = ? AND rowid > ? AND kind NOT IN ('reminder', 'undelivered', 'reminder_sent')
		AND sent_at IS NULL AND failed_at IS NULL AND dropped_at IS NULL`
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) `+newer, m.BookingID, m.Recipient, rowid).Scan(&n); err != nil {
		return false, wrapError(err, "cannot read the outbox")
	}
	if n == 0 {
		return false, nil
	}
	if len(sealed) > 0 {
		q := `UPDATE outbox SET sealed = ? WHERE rowid = (SELECT rowid ` + newer + ` AND sealed IS NULL ORDER BY rowid LIMIT 1)`
		if _, err := tx.ExecContext(ctx, q, sealed, m.BookingID, m.Recipient, rowid); err != nil {
			return false, wrapError(err, "cannot update the outbox")
		}
	}
	// A move the patient was not told of: the next message, a move too,
	// says where the visit was before it, as the patient knew it.
	q := `UPDATE outbox SET previous_start_at = (SELECT previous_start_at FROM outbox WHERE rowid = ?3),
			previous_end_at = (SELECT previous_end_at FROM outbox WHERE rowid = ?3)
		WHERE rowid = (SELECT rowid FROM outbox WHERE booking_id = ?1 AND recipient = ?2 AND rowid > ?3 AND kind NOT IN ('reminder', 'undelivered', 'reminder_sent')
				AND sent_at IS NULL AND failed_at IS NULL AND dropped_at IS NULL ORDER BY rowid LIMIT 1)
			AND kind = 'rescheduled' AND (SELECT previous_start_at FROM outbox WHERE rowid = ?3) IS NOT NULL`
	if _, err := tx.ExecContext(ctx, q, m.BookingID, m.Recipient, rowid); err != nil {
		return false, wrapError(err, "cannot update the outbox")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET dropped_at = ?, sealed = NULL, last_error = 'superseded' WHERE rowid = ?`,
		formatTime(at), rowid); err != nil {
		return false, wrapError(err, "cannot update the outbox")
	}
	if err := tx.Commit(); err != nil {
		return false, wrapError(err, "cannot update the outbox")
	}
	return true, nil
}

// OutboxDrop drops a message without sending it and wipes its sealed
// token (see booking.Store).
func (s *SQLite) OutboxDrop(ctx context.Context, id string, at time.Time, reason string) error {
	return s.updateOutbox(ctx, id, nil, `UPDATE outbox SET dropped_at = ?, sealed = NULL, last_error = ? WHERE id = ?`, formatTime(at), reason, id)
}

// FailedMessages returns the messages given up at or after since, newest
// first.
func (s *SQLite) FailedMessages(ctx context.Context, since time.Time, limit int) ([]booking.FailedMessage, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+outboxColumns+`, failed_at, last_error FROM outbox
		WHERE failed_at >= ? ORDER BY failed_at DESC, rowid DESC LIMIT ?`, formatBound(since), limit)
	if err != nil {
		return nil, wrapError(err, "cannot list undelivered messages")
	}
	defer rows.Close()
	var out []booking.FailedMessage
	for rows.Next() {
		var f booking.FailedMessage
		var failed string
		m, err := scanOutbox(scanTail{rows, []any{&failed, &f.Reason}})
		if err != nil {
			return nil, wrapError(err, "cannot list undelivered messages")
		}
		f.OutboxMessage = m
		if f.FailedAt, err = parseTime(failed); err != nil {
			return nil, booking.WrapError(booking.EInternal, err, "store: outbox message "+m.ID+" has a malformed time")
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapError(err, "cannot list undelivered messages")
	}
	return out, nil
}

// scanTail scans the columns scanOutbox reads, then into tail.
type scanTail struct {
	r    rowScanner
	tail []any
}

func (t scanTail) Scan(dest ...any) error { return t.r.Scan(append(dest, t.tail...)...) }

// OutboxSupersede is SQLite.OutboxSupersede in PostgreSQL.
func (s *Postgres) OutboxSupersede(ctx context.Context, m booking.OutboxMessage, at time.Time) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, wrapPgError(err, "cannot read the outbox")
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var sealed []byte
	var n int64
	err = tx.QueryRow(ctx, `SELECT n, sealed FROM outbox
		WHERE id = $1 AND sent_at IS NULL AND failed_at IS NULL AND dropped_at IS NULL FOR UPDATE`, m.ID).Scan(&n, &sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, wrapPgError(err, "cannot read the outbox")
	}
	const newer = `FROM outbox WHERE booking_id = $1 AND recipient = $2 AND n > $3 AND kind NOT IN ('reminder', 'undelivered', 'reminder_sent')
		AND sent_at IS NULL AND failed_at IS NULL AND dropped_at IS NULL`
	var count int
	if err := tx.QueryRow(ctx, `SELECT count(*) `+newer, m.BookingID, m.Recipient, n).Scan(&count); err != nil {
		return false, wrapPgError(err, "cannot read the outbox")
	}
	if count == 0 {
		return false, nil
	}
	if len(sealed) > 0 {
		q := `UPDATE outbox SET sealed = $4 WHERE n = (SELECT n ` + newer + ` AND sealed IS NULL ORDER BY n LIMIT 1)`
		if _, err := tx.Exec(ctx, q, m.BookingID, m.Recipient, n, sealed); err != nil {
			return false, wrapPgError(err, "cannot update the outbox")
		}
	}
	// A move the patient was not told of: the next message, a move too,
	// says where the visit was before it, as the patient knew it.
	q := `UPDATE outbox SET previous_start_at = d.previous_start_at, previous_end_at = d.previous_end_at
		FROM (SELECT previous_start_at, previous_end_at FROM outbox WHERE n = $3) d
		WHERE outbox.n = (SELECT n FROM outbox WHERE booking_id = $1 AND recipient = $2 AND n > $3 AND kind NOT IN ('reminder', 'undelivered', 'reminder_sent')
				AND sent_at IS NULL AND failed_at IS NULL AND dropped_at IS NULL ORDER BY n LIMIT 1)
			AND outbox.kind = 'rescheduled' AND d.previous_start_at IS NOT NULL`
	if _, err := tx.Exec(ctx, q, m.BookingID, m.Recipient, n); err != nil {
		return false, wrapPgError(err, "cannot update the outbox")
	}
	if _, err := tx.Exec(ctx, `UPDATE outbox SET dropped_at = $1, sealed = NULL, last_error = 'superseded' WHERE n = $2`, at.UTC(), n); err != nil {
		return false, wrapPgError(err, "cannot update the outbox")
	}
	if err := tx.Commit(ctx); err != nil {
		return false, wrapPgError(err, "cannot update the outbox")
	}
	return true, nil
}

// OutboxDrop is SQLite.OutboxDrop in PostgreSQL.
func (s *Postgres) OutboxDrop(ctx context.Context, id string, at time.Time, reason string) error {
	return s.updateOutbox(ctx, id, nil, `UPDATE outbox SET dropped_at = $1, sealed = NULL, last_error = $2 WHERE id = $3`, at.UTC(), reason, id)
}

// FailedMessages is SQLite.FailedMessages in PostgreSQL.
func (s *Postgres) FailedMessages(ctx context.Context, since time.Time, limit int) ([]booking.FailedMessage, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pgOutboxColumns+`, failed_at, last_error FROM outbox
		WHERE failed_at >= $1 ORDER BY failed_at DESC, n DESC LIMIT $2`, since.UTC(), limit)
	if err != nil {
		return nil, wrapPgError(err, "cannot list undelivered messages")
	}
	defer rows.Close()
	var out []booking.FailedMessage
	for rows.Next() {
		var f booking.FailedMessage
		m, err := scanPgOutbox(rows, &f.FailedAt, &f.Reason)
		if err != nil {
			return nil, wrapPgError(err, "cannot list undelivered messages")
		}
		f.OutboxMessage, f.FailedAt = m, f.FailedAt.UTC()
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapPgError(err, "cannot list undelivered messages")
	}
	return out, nil
}

// OutboxWaiting returns how many messages wait to be sent.
func (s *SQLite) OutboxWaiting(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND dropped_at IS NULL`).Scan(&n)
	if err != nil {
		return 0, wrapError(err, "cannot count the outbox")
	}
	return n, nil
}

// OutboxWaiting is SQLite.OutboxWaiting in PostgreSQL.
func (s *Postgres) OutboxWaiting(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND dropped_at IS NULL`).Scan(&n)
	if err != nil {
		return 0, wrapPgError(err, "cannot count the outbox")
	}
	return n, nil
}

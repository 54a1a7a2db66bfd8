package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// Retention: the patient data of a booking erased after its time
// (EraseExpired) or on request (EraseBookings), and everything held about
// one patient (PatientRecords). See booking.Store.

// eraseExpiredSQL selects the bookings past the cutoffs (?1 ended, ?2
// cancelled) and not erased yet, those that ended first first.
const eraseExpiredSQL = `SELECT id FROM bookings
	WHERE erased_at IS NULL AND (end_at < ?1
		OR (status IN ('cancelled', 'expired') AND (updated_at < ?2 OR start_at < ?2)))
	ORDER BY end_at, id LIMIT ?3`

// EraseExpired implements booking.Store.
func (s *SQLite) EraseExpired(ctx context.Context, cut booking.RetentionCutoffs, at time.Time, limit int) ([]string, error) {
	if limit < 1 {
		return nil, booking.Errorf(booking.EInvalid, "store: erase limit below 1")
	}
	if !storable(at) {
		return nil, booking.Errorf(booking.EInvalid, "store: erasure time out of range")
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, wrapError(err, "cannot erase patient data")
	}
	defer tx.Rollback()
	ids, err := queryIDs(ctx, tx, eraseExpiredSQL, formatBound(cut.Ended), formatBound(cut.Cancelled), limit)
	if err != nil {
		return nil, wrapError(err, "cannot erase patient data")
	}
	if err := eraseRows(ctx, tx, ids, at); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, wrapError(err, "cannot erase patient data")
	}
	return ids, nil
}

// EraseBookings implements booking.Store.
func (s *SQLite) EraseBookings(ctx context.Context, ids []string, at time.Time) ([]string, error) {
	if len(ids) > booking.MaxEraseBatch {
		return nil, booking.Errorf(booking.EInvalid, "store: more than %d bookings to erase", booking.MaxEraseBatch)
	}
	if !storable(at) {
		return nil, booking.Errorf(booking.EInvalid, "store: erasure time out of range")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, wrapError(err, "cannot erase patient data")
	}
	defer tx.Rollback()
	q := `SELECT id FROM bookings WHERE id IN (` + placeholders(len(ids)) + `) AND erased_at IS NULL
		AND NOT (status IN ('pending', 'confirmed') AND end_at > ?) ORDER BY id`
	args := append(stringArgs(ids), formatBound(at))
	erased, err := queryIDs(ctx, tx, q, args...)
	if err != nil {
		return nil, wrapError(err, "cannot erase patient data")
	}
	if err := eraseRows(ctx, tx, erased, at); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, wrapError(err, "cannot erase patient data")
	}
	return erased, nil
}

// eraseRows erases on tx the patient data of the bookings ids, at at (see
// booking.Store.EraseExpired).
func eraseRows(ctx context.Context, tx *sql.Tx, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	in := placeholders(len(ids))
	args := stringArgs(ids)
	if _, err := tx.ExecContext(ctx, `UPDATE bookings SET patient_name = '', patient_email = '', patient_phone = '',
		email_key = '', phone_key = '', token_hash = NULL, revision = revision + 1, erased_at = ?
		WHERE id IN (`+in+`)`, append([]any{formatTime(at)}, args...)...); err != nil {
		return wrapError(err, "cannot erase patient data")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE booking_id IN (`+in+`)`, args...); err != nil {
		return wrapError(err, "cannot erase the messages of erased bookings")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE booking_id IN (`+in+`)`, args...); err != nil {
		return wrapError(err, "cannot erase the idempotency keys of erased bookings")
	}
	return nil
}

// PatientRecords implements booking.Store.
func (s *SQLite) PatientRecords(ctx context.Context, emailKey string) (booking.PatientRecords, error) {
	out := booking.PatientRecords{Bookings: []*booking.Booking{}, Messages: []booking.MessageRecord{}, Keys: []booking.KeyRecord{}}
	if emailKey == "" {
		return out, nil
	}
	// One read transaction, so that the three lists agree.
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return out, wrapError(err, "cannot read a patient's records")
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+bookingColumns+` FROM bookings
		WHERE email_key = ? AND erased_at IS NULL ORDER BY start_at, id`, emailKey)
	if err != nil {
		return out, wrapError(err, "cannot read a patient's bookings")
	}
	for rows.Next() {
		b, err := scanBooking(rows)
		if err != nil {
			rows.Close()
			return out, wrapError(err, "cannot read a patient's bookings")
		}
		out.Bookings = append(out.Bookings, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, wrapError(err, "cannot read a patient's bookings")
	}
	const mine = `booking_id IN (SELECT id FROM bookings WHERE email_key = ? AND erased_at IS NULL)`
	rows, err = tx.QueryContext(ctx, `SELECT id, booking_id, kind, recipient, created_at, attempts,
		sent_at, failed_at, dropped_at FROM outbox WHERE `+mine+` ORDER BY created_at, id`, emailKey)
	if err != nil {
		return out, wrapError(err, "cannot read a patient's messages")
	}
	for rows.Next() {
		var m booking.MessageRecord
		var created string
		var sent, failed, dropped sql.NullString
		if err := rows.Scan(&m.ID, &m.BookingID, &m.Kind, &m.Recipient, &created, &m.Attempts, &sent, &failed, &dropped); err != nil {
			rows.Close()
			return out, wrapError(err, "cannot read a patient's messages")
		}
		var perr error
		m.CreatedAt, perr = parseTime(created)
		for _, f := range []struct {
			s  sql.NullString
			to *time.Time
		}{{sent, &m.SentAt}, {failed, &m.FailedAt}, {dropped, &m.DroppedAt}} {
			if f.s.Valid && perr == nil {
				*f.to, perr = parseTime(f.s.String)
			}
		}
		if perr != nil {
			rows.Close()
			return out, wrapError(perr, "cannot read a patient's messages")
		}
		out.Messages = append(out.Messages, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, wrapError(err, "cannot read a patient's messages")
	}
	rows, err = tx.QueryContext(ctx, `SELECT booking_id, created_at FROM idempotency_keys WHERE `+mine+`
		ORDER BY created_at, booking_id`, emailKey)
	if err != nil {
		return out, wrapError(err, "cannot read a patient's idempotency keys")
	}
	defer rows.Close()
	for rows.Next() {
		var k booking.KeyRecord
		var created string
		if err := rows.Scan(&k.BookingID, &created); err != nil {
			return out, wrapError(err, "cannot read a patient's idempotency keys")
		}
		if k.CreatedAt, err = parseTime(created); err != nil {
			return out, wrapError(err, "cannot read a patient's idempotency keys")
		}
		out.Keys = append(out.Keys, k)
	}
	if err := rows.Err(); err != nil {
		return out, wrapError(err, "cannot read a patient's idempotency keys")
	}
	return out, nil
}

// queryIDs returns the first column of the rows of q on tx.
func queryIDs(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// placeholders returns n comma-separated "?".
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// stringArgs returns ss as query arguments.
func stringArgs(ss []string) []any {
	args := make([]any, len(ss))
	for i, s := range ss {
		args[i] = s
	}
	return args
}

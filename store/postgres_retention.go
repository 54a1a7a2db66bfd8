package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rdvlibre/rdv/booking"
)

// EraseExpired implements booking.Store.
func (s *Postgres) EraseExpired(ctx context.Context, cut booking.RetentionCutoffs, at time.Time, limit int) ([]string, error) {
	if limit < 1 {
		return nil, booking.Errorf(booking.EInvalid, "store: erase limit below 1")
	}
	if !storable(at) {
		return nil, booking.Errorf(booking.EInvalid, "store: erasure time out of range")
	}
	ended, endedNS := splitBound(cut.Ended)
	cancelled, cancelledNS := splitBound(cut.Cancelled)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, wrapPgError(err, "cannot erase patient data")
	}
	defer tx.Rollback(ctx)
	// FOR UPDATE SKIP LOCKED: a process erasing meanwhile (Retain runs
	// under a lock, but ErasePatient does not) takes other rows.
	ids, err := pgQueryIDs(ctx, tx, `SELECT id FROM bookings
		WHERE erased_at IS NULL AND ((end_at, end_ns) < ($1, $2)
			OR (status IN ('cancelled', 'expired')
				AND ((updated_at, updated_ns) < ($3, $4) OR (start_at, start_ns) < ($3, $4))))
		ORDER BY end_at, end_ns, id LIMIT $5 FOR UPDATE SKIP LOCKED`,
		ended, endedNS, cancelled, cancelledNS, limit)
	if err != nil {
		return nil, wrapPgError(err, "cannot erase patient data")
	}
	if err := pgEraseRows(ctx, tx, ids, at); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, wrapPgError(err, "cannot erase patient data")
	}
	return ids, nil
}

// EraseBookings implements booking.Store.
func (s *Postgres) EraseBookings(ctx context.Context, ids []string, at time.Time) ([]string, error) {
	if len(ids) > booking.MaxEraseBatch {
		return nil, booking.Errorf(booking.EInvalid, "store: more than %d bookings to erase", booking.MaxEraseBatch)
	}
	if !storable(at) {
		return nil, booking.Errorf(booking.EInvalid, "store: erasure time out of range")
	}
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if pgText(id) { // any other is not a booking id
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return nil, nil
	}
	now, nowNS := splitBound(at)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, wrapPgError(err, "cannot erase patient data")
	}
	defer tx.Rollback(ctx)
	erased, err := pgQueryIDs(ctx, tx, `SELECT id FROM bookings WHERE id = ANY($1) AND erased_at IS NULL
		AND NOT (status IN ('pending', 'confirmed') AND (end_at, end_ns) > ($2, $3))
		ORDER BY id FOR UPDATE`, valid, now, nowNS)
	if err != nil {
		return nil, wrapPgError(err, "cannot erase patient data")
	}
	if err := pgEraseRows(ctx, tx, erased, at); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, wrapPgError(err, "cannot erase patient data")
	}
	return erased, nil
}

// pgEraseRows erases on tx the patient data of the bookings ids, at at
// (see booking.Store.EraseExpired).
func pgEraseRows(ctx context.Context, tx pgx.Tx, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE bookings SET patient_name = '', patient_email = '', patient_phone = '',
		email_key = '', phone_key = '', token_hash = NULL, revision = revision + 1, erased_at = $1
		WHERE id = ANY($2)`, at.UTC(), ids); err != nil {
		return wrapPgError(err, "cannot erase patient data")
	}
	if _, err := tx.Exec(ctx, `DELETE FROM outbox WHERE booking_id = ANY($1)`, ids); err != nil {
		return wrapPgError(err, "cannot erase the messages of erased bookings")
	}
	if _, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE booking_id = ANY($1)`, ids); err != nil {
		return wrapPgError(err, "cannot erase the idempotency keys of erased bookings")
	}
	return nil
}

// PatientRecords implements booking.Store.
func (s *Postgres) PatientRecords(ctx context.Context, emailKey string) (booking.PatientRecords, error) {
	out := booking.PatientRecords{Bookings: []*booking.Booking{}, Messages: []booking.MessageRecord{}, Keys: []booking.KeyRecord{}}
	if emailKey == "" || !pgText(emailKey) {
		return out, nil
	}
	// One snapshot, so that the three lists agree.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return out, wrapPgError(err, "cannot read a patient's records")
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT `+pgBookingColumns+` FROM bookings
		WHERE email_key = $1 AND erased_at IS NULL ORDER BY start_at, start_ns, id`, emailKey)
	if err != nil {
		return out, wrapPgError(err, "cannot read a patient's bookings")
	}
	for rows.Next() {
		b, err := scanPgBooking(rows)
		if err != nil {
			rows.Close()
			return out, wrapPgError(err, "cannot read a patient's bookings")
		}
		out.Bookings = append(out.Bookings, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, wrapPgError(err, "cannot read a patient's bookings")
	}
	const mine = `booking_id IN (SELECT id FROM bookings WHERE email_key = $1 AND erased_at IS NULL)`
	rows, err = tx.Query(ctx, `SELECT id, booking_id, kind, recipient, created_at, attempts,
		sent_at, failed_at, dropped_at FROM outbox WHERE `+mine+` ORDER BY created_at, id`, emailKey)
	if err != nil {
		return out, wrapPgError(err, "cannot read a patient's messages")
	}
	for rows.Next() {
		var m booking.MessageRecord
		var sent, failed, dropped *time.Time
		if err := rows.Scan(&m.ID, &m.BookingID, &m.Kind, &m.Recipient, &m.CreatedAt, &m.Attempts, &sent, &failed, &dropped); err != nil {
			rows.Close()
			return out, wrapPgError(err, "cannot read a patient's messages")
		}
		m.CreatedAt = m.CreatedAt.UTC()
		for _, f := range []struct {
			t  *time.Time
			to *time.Time
		}{{sent, &m.SentAt}, {failed, &m.FailedAt}, {dropped, &m.DroppedAt}} {
			if f.t != nil {
				*f.to = f.t.UTC()
			}
		}
		out.Messages = append(out.Messages, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, wrapPgError(err, "cannot read a patient's messages")
	}
	rows, err = tx.Query(ctx, `SELECT booking_id, created_at FROM idempotency_keys WHERE `+mine+`
		ORDER BY created_at, booking_id`, emailKey)
	if err != nil {
		return out, wrapPgError(err, "cannot read a patient's idempotency keys")
	}
	defer rows.Close()
	for rows.Next() {
		var k booking.KeyRecord
		if err := rows.Scan(&k.BookingID, &k.CreatedAt); err != nil {
			return out, wrapPgError(err, "cannot read a patient's idempotency keys")
		}
		k.CreatedAt = k.CreatedAt.UTC()
		out.Keys = append(out.Keys, k)
	}
	if err := rows.Err(); err != nil {
		return out, wrapPgError(err, "cannot read a patient's idempotency keys")
	}
	return out, nil
}

// pgQueryIDs returns the first column of the rows of q on tx.
func pgQueryIDs(ctx context.Context, tx pgx.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	return ids, nil
}

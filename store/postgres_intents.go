package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rdvlibre/rdv/booking"
)

// Write intents in PostgreSQL, as intents.go for SQLite.

// AddIntent records in, in a transaction of its own. See booking.Store.
func (s *Postgres) AddIntent(ctx context.Context, in booking.Intent) error {
	if err := checkIntent(in); err != nil {
		return err
	}
	for _, t := range []string{in.ID, in.BookingID, in.PractitionerID, in.Href, in.Process} {
		if !pgText(t) {
			return booking.Errorf(booking.EInvalid, "store: write intent has text with a NUL byte or invalid UTF-8")
		}
	}
	var start, end *time.Time
	var startNS, endNS int16
	if !in.Start.IsZero() {
		s0, n0 := splitTime(in.Start)
		e0, n1 := splitTime(in.End)
		start, end, startNS, endNS = &s0, &e0, n0, n1
	}
	created, createdNS := splitTime(in.CreatedAt)
	const q = `INSERT INTO write_intents (id, booking_id, practitioner_id, op, href, revision,
		start_at, start_ns, end_at, end_ns, status, sequence, created_at, created_ns, process)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`
	_, err := s.pool.Exec(ctx, q, in.ID, in.BookingID, in.PractitionerID, string(in.Op), in.Href, in.Revision,
		start, startNS, end, endNS, string(in.Status), in.Sequence, created, createdNS, in.Process)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return booking.WrapError(booking.EConflict, err, "store: write intent "+in.ID+" already exists")
		}
		return wrapPgError(err, "cannot record the write intent of booking %s", in.BookingID)
	}
	return nil
}

// DeleteIntents deletes the intents with these ids; missing ones are
// ignored.
func (s *Postgres) DeleteIntents(ctx context.Context, ids ...string) error {
	return pgDeleteIntents(ctx, s.pool, ids)
}

func pgDeleteIntents(ctx context.Context, ex pgExecer, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := ex.Exec(ctx, `DELETE FROM write_intents WHERE id = ANY($1)`, ids); err != nil {
		return wrapPgError(err, "cannot delete write intents")
	}
	return nil
}

// Intents returns the intents of the practitioner (every practitioner's
// when practitionerID is "") recorded before before, oldest first.
func (s *Postgres) Intents(ctx context.Context, practitionerID string, before time.Time) ([]booking.Intent, error) {
	if !pgText(practitionerID) {
		return nil, nil
	}
	b, bNS := splitBound(before)
	const q = `SELECT id, booking_id, practitioner_id, op, href, revision, start_at, start_ns,
		end_at, end_ns, status, sequence, created_at, created_ns, process FROM write_intents
		WHERE ($1 = '' OR practitioner_id = $1) AND (created_at, created_ns) < ($2, $3)
		ORDER BY created_at, created_ns, id`
	rows, err := s.pool.Query(ctx, q, practitionerID, b, bNS)
	if err != nil {
		return nil, wrapPgError(err, "cannot list write intents")
	}
	defer rows.Close()
	var out []booking.Intent
	for rows.Next() {
		var in booking.Intent
		var op, status string
		var start, end *time.Time
		var startNS, endNS, createdNS int16
		var created time.Time
		if err := rows.Scan(&in.ID, &in.BookingID, &in.PractitionerID, &op, &in.Href, &in.Revision,
			&start, &startNS, &end, &endNS, &status, &in.Sequence, &created, &createdNS, &in.Process); err != nil {
			return nil, wrapPgError(err, "cannot list write intents")
		}
		in.Op, in.Status = booking.IntentOp(op), booking.Status(status)
		in.CreatedAt = joinTime(created, createdNS)
		if start != nil && end != nil {
			in.Start, in.End = joinTime(*start, startNS), joinTime(*end, endNS)
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapPgError(err, "cannot list write intents")
	}
	return out, nil
}

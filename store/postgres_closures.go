package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rdvlibre/rdv/booking"
)

// Closures added at runtime, in PostgreSQL, as closures.go for SQLite.

// AddClosure records c, a closure of the practitioner, under c.ID. See
// booking.Store for the errors.
func (s *Postgres) AddClosure(ctx context.Context, practitionerID string, c booking.Closure) error {
	if err := checkClosure(practitionerID, c); err != nil {
		return err
	}
	if !pgText(c.ID) || !pgText(practitionerID) || !pgText(c.Label) {
		return booking.Errorf(booking.EInvalid, "store: closure has text with a NUL byte or invalid UTF-8")
	}
	const q = `INSERT INTO closures (id, practitioner_id, from_date, to_date, label)
		VALUES ($1, $2, $3::date, $4::date, $5)`
	_, err := s.pool.Exec(ctx, q, c.ID, practitionerID, c.From.String(), c.To.String(), c.Label)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return booking.WrapError(booking.EConflict, err, "store: closure "+c.ID+" already exists")
		}
		return wrapPgError(err, "cannot add closure %s", c.ID)
	}
	return nil
}

// DeleteClosure removes the closure id of the practitioner, or returns an
// ENotFound error.
func (s *Postgres) DeleteClosure(ctx context.Context, practitionerID, id string) error {
	if !pgText(id) || !pgText(practitionerID) {
		return booking.Errorf(booking.ENotFound, "store: closure not found")
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM closures WHERE id = $1 AND practitioner_id = $2`, id, practitionerID)
	if err != nil {
		return wrapPgError(err, "cannot delete closure %s", id)
	}
	if tag.RowsAffected() == 0 {
		return booking.Errorf(booking.ENotFound, "store: closure %s not found", id)
	}
	return nil
}

// Closures returns the closures of the practitioner that cover a day of
// [from, to], both included, ordered by from, to, then id (byte order, as
// SQLite).
func (s *Postgres) Closures(ctx context.Context, practitionerID string, from, to booking.Date) ([]booking.Closure, error) {
	if to.Before(from) || !pgText(practitionerID) {
		return nil, nil
	}
	const q = `SELECT id, from_date, to_date, label FROM closures
		WHERE practitioner_id = $1 AND to_date >= $2::date AND from_date <= $3::date
		ORDER BY from_date, to_date, id COLLATE "C"`
	rows, err := s.pool.Query(ctx, q, practitionerID, dateBound(from), dateBound(to))
	if err != nil {
		return nil, wrapPgError(err, "cannot list closures of %s", practitionerID)
	}
	defer rows.Close()
	var out []booking.Closure
	for rows.Next() {
		var c booking.Closure
		var f, t time.Time
		if err := rows.Scan(&c.ID, &f, &t, &c.Label); err != nil {
			return nil, wrapPgError(err, "cannot list closures of %s", practitionerID)
		}
		c.From, c.To = booking.DateOf(f), booking.DateOf(t)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapPgError(err, "cannot list closures of %s", practitionerID)
	}
	return out, nil
}

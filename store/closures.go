package store

import (
	"context"
	"fmt"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rdvlibre/rdv/booking"
)

// Closures added at runtime (see booking.Service.AddClosure), in SQLite.
// Dates are stored as YYYY-MM-DD text, whose order is the dates' order.

// AddClosure records c, a closure of the practitioner, under c.ID. See
// booking.Store for the errors.
func (s *SQLite) AddClosure(ctx context.Context, practitionerID string, c booking.Closure) error {
	if err := checkClosure(practitionerID, c); err != nil {
		return err
	}
	const q = `INSERT INTO closures (id, practitioner_id, from_date, to_date, label) VALUES (?, ?, ?, ?, ?)`
	_, err := s.w.ExecContext(ctx, q, c.ID, practitionerID, c.From.String(), c.To.String(), c.Label)
	if err != nil {
		if code, ok := sqliteCode(err); ok && (code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || code == sqlite3.SQLITE_CONSTRAINT_UNIQUE) {
			return booking.WrapError(booking.EConflict, err, "store: closure "+c.ID+" already exists")
		}
		return wrapError(err, "cannot add closure %s", c.ID)
	}
	return nil
}

// DeleteClosure removes the closure id of the practitioner, or returns an
// ENotFound error.
func (s *SQLite) DeleteClosure(ctx context.Context, practitionerID, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM closures WHERE id = ? AND practitioner_id = ?`, id, practitionerID)
	if err != nil {
		return wrapError(err, "cannot delete closure %s", id)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrapError(err, "cannot delete closure %s", id)
	}
	if n == 0 {
		return booking.Errorf(booking.ENotFound, "store: closure %s not found", id)
	}
	return nil
}

// Closures returns the closures of the practitioner that cover a day of
// [from, to], both included, ordered by from, to, then id.
func (s *SQLite) Closures(ctx context.Context, practitionerID string, from, to booking.Date) ([]booking.Closure, error) {
	if to.Before(from) {
		return nil, nil
	}
	const q = `SELECT id, from_date, to_date, label FROM closures
		WHERE practitioner_id = ? AND to_date >= ? AND from_date <= ?
		ORDER BY from_date, to_date, id`
	rows, err := s.r.QueryContext(ctx, q, practitionerID, dateBound(from), dateBound(to))
	if err != nil {
		return nil, wrapError(err, "cannot list closures of %s", practitionerID)
	}
	defer rows.Close()
	var out []booking.Closure
	for rows.Next() {
		var c booking.Closure
		var f, t string
		if err := rows.Scan(&c.ID, &f, &t, &c.Label); err != nil {
			return nil, wrapError(err, "cannot list closures of %s", practitionerID)
		}
		if c.From, err = booking.ParseDate(f); err == nil {
			c.To, err = booking.ParseDate(t)
		}
		if err != nil {
			return nil, booking.WrapError(booking.EInternal, err, "store: closure "+c.ID+" has a malformed date")
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapError(err, "cannot list closures of %s", practitionerID)
	}
	return out, nil
}

// checkClosure refuses a closure that can't be stored: no id or
// practitioner, dates that are not real dates of years 0001–9999, or not in
// order.
func checkClosure(practitionerID string, c booking.Closure) error {
	switch {
	case c.ID == "":
		return booking.Errorf(booking.EInvalid, "store: closure has no id")
	case practitionerID == "":
		return booking.Errorf(booking.EInvalid, "store: closure %s has no practitioner", c.ID)
	case !storableDate(c.From) || !storableDate(c.To):
		return booking.Errorf(booking.EInvalid, "store: closure %s has a date that is not a date of years 0001-9999", c.ID)
	case c.To.Before(c.From):
		return booking.Errorf(booking.EInvalid, "store: closure %s ends before it starts", c.ID)
	}
	return nil
}

// storableDate reports whether d is a real date of years 0001–9999.
func storableDate(d booking.Date) bool {
	if d.Year < 1 || d.Year > 9999 {
		return false
	}
	t := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)
	return booking.DateOf(t) == d
}

// dateBound returns the stored form of d clamped to years 0001–9999, for
// comparisons in queries.
func dateBound(d booking.Date) string {
	switch {
	case d.Year < 1:
		return "0001-01-01"
	case d.Year > 9999:
		return "9999-12-31"
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rdvlibre/rdv/booking"
)

// bookingColumns are the columns scanBooking reads, in its order.
const bookingColumns = `id, practitioner_id, type_id, start_at, end_at, status,
	patient_name, patient_email, patient_phone, token_hash,
	event_href, event_etag, sequence, created_at, updated_at, revision, moves, lang`

// execer is a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// createBooking inserts a new booking on ex, at revision b.Revision (the
// create of Record). EConflict if a booking with b.ID, or with b.TokenHash,
// exists; EInvalid if b lacks an id, a practitioner or a type, has an
// unknown status, a negative sequence or revision, or does not end after it
// starts.
func createBooking(ctx context.Context, ex execer, b *booking.Booking) error {
	if err := checkBooking(b); err != nil {
		return err
	}
	// ON CONFLICT makes a duplicate id a conflict whatever else collides, so
	// that a retried create reads as one.
	const q = `INSERT INTO bookings (` + bookingColumns + `, email_key, phone_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`
	res, err := ex.ExecContext(ctx, q,
		b.ID, b.PractitionerID, b.TypeID, formatTime(b.Start), formatTime(b.End), string(b.Status),
		b.Patient.Name, b.Patient.Email, b.Patient.Phone, nullString(b.TokenHash),
		b.EventHref, b.EventETag, b.Sequence, formatTime(b.CreatedAt), formatTime(b.UpdatedAt), b.Revision, b.Moves, b.Lang,
		booking.EmailKey(b.Patient.Email), booking.PhoneKey(b.Patient.Phone))
	if err != nil {
		if code, ok := sqliteCode(err); ok && code == sqlite3.SQLITE_CONSTRAINT_UNIQUE && strings.Contains(err.Error(), "token_hash") {
			return booking.WrapError(booking.EConflict, err, "store: booking "+b.ID+": manage token already in use")
		}
		return wrapError(err, "cannot create booking %s", b.ID)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrapError(err, "cannot create booking %s", b.ID)
	}
	if n == 0 {
		return booking.Errorf(booking.EConflict, "store: booking %s already exists", b.ID)
	}
	return nil
}

// updateBooking saves on ex b's status, start and end, event href and ETag,
// sequence, UpdatedAt, manage token hash and moves, if the stored booking still has
// revision b.Revision, and makes its revision b.Revision+1 (the
// compare-and-set update of Record, see booking.Change); the other fields of
// the stored booking are left as they were, and so is b. ENotFound if there
// is no booking with b.ID, EConflict if it has another revision, EInvalid as
// createBooking.
func updateBooking(ctx context.Context, ex execer, b *booking.Booking) error {
	if err := checkBooking(b); err != nil {
		return err
	}
	const q = `UPDATE bookings
		SET status = ?, start_at = ?, end_at = ?, event_href = ?, event_etag = ?,
			sequence = ?, updated_at = ?, token_hash = ?, moves = ?, revision = revision + 1
		WHERE id = ? AND revision = ?`
	res, err := ex.ExecContext(ctx, q,
		string(b.Status), formatTime(b.Start), formatTime(b.End), b.EventHref, b.EventETag,
		b.Sequence, formatTime(b.UpdatedAt), nullString(b.TokenHash), b.Moves, b.ID, b.Revision)
	if err != nil {
		return wrapError(err, "cannot update booking %s", b.ID)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrapError(err, "cannot update booking %s", b.ID)
	}
	if n == 0 {
		// Missing, or changed since it was read.
		var rev int64
		err := ex.QueryRowContext(ctx, `SELECT revision FROM bookings WHERE id = ?`, b.ID).Scan(&rev)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return booking.Errorf(booking.ENotFound, "store: booking %s not found", b.ID)
		case err != nil:
			return wrapError(err, "cannot update booking %s", b.ID)
		}
		return staleError(b, rev)
	}
	return nil
}

// staleError is the EConflict error of an update of b refused because the
// row has revision rev.
func staleError(b *booking.Booking, rev int64) error {
	return booking.Errorf(booking.EConflict, "store: booking %s was changed meanwhile (revision %d, not %d)", b.ID, rev, b.Revision)
}

// Booking returns the booking with this id, or an ENotFound error. Its times
// are in UTC.
func (s *SQLite) Booking(ctx context.Context, id string) (*booking.Booking, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+bookingColumns+` FROM bookings WHERE id = ?`, id)
	b, err := scanBooking(row)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, booking.Errorf(booking.ENotFound, "store: booking %s not found", id)
	case err != nil:
		return nil, wrapError(err, "cannot read booking %s", id)
	}
	return b, nil
}

// BookingByTokenHash returns the booking whose manage token has this hash, or
// an ENotFound error. Its times are in UTC.
func (s *SQLite) BookingByTokenHash(ctx context.Context, hash string) (*booking.Booking, error) {
	if hash == "" {
		return nil, booking.Errorf(booking.ENotFound, "store: booking not found")
	}
	row := s.r.QueryRowContext(ctx, `SELECT `+bookingColumns+` FROM bookings WHERE token_hash = ?`, hash)
	b, err := scanBooking(row)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, booking.Errorf(booking.ENotFound, "store: booking not found")
	case err != nil:
		return nil, wrapError(err, "cannot read booking by token")
	}
	return b, nil
}

// BookingsBetween returns the bookings of the practitioner whose [Start, End)
// overlaps [from, to), whatever their status, ordered by start (then id). A
// booking that ends at from or starts at to does not overlap, and an empty
// range (from equal to to) overlaps nothing. Times are in UTC.
// It returns an EInvalid error if to is before from.
func (s *SQLite) BookingsBetween(ctx context.Context, practitionerID string, from, to time.Time) ([]*booking.Booking, error) {
	if to.Before(from) {
		return nil, booking.Errorf(booking.EInvalid, "store: range ends before it starts")
	}
	if !from.Before(to) {
		return nil, nil // an empty range overlaps nothing
	}
	const q = `SELECT ` + bookingColumns + ` FROM bookings
		WHERE practitioner_id = ? AND start_at < ? AND end_at > ?
		ORDER BY start_at, id`
	rows, err := s.r.QueryContext(ctx, q, practitionerID, formatBound(to), formatBound(from))
	if err != nil {
		return nil, wrapError(err, "cannot list bookings of %s", practitionerID)
	}
	defer rows.Close()
	var bs []*booking.Booking
	for rows.Next() {
		b, err := scanBooking(rows)
		if err != nil {
			return nil, wrapError(err, "cannot list bookings of %s", practitionerID)
		}
		bs = append(bs, b)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapError(err, "cannot list bookings of %s", practitionerID)
	}
	return bs, nil
}

// checkBooking refuses what the schema would refuse, with a clearer error.
func checkBooking(b *booking.Booking) error {
	if b == nil {
		return booking.Errorf(booking.EInvalid, "store: nil booking")
	}
	switch {
	case b.ID == "":
		return booking.Errorf(booking.EInvalid, "store: booking has no id")
	case b.PractitionerID == "" || b.TypeID == "":
		return booking.Errorf(booking.EInvalid, "store: booking %s has no practitioner or type", b.ID)
	case !knownStatus(b.Status):
		return booking.Errorf(booking.EInvalid, "store: booking %s has an unknown status", b.ID)
	case !b.End.After(b.Start):
		return booking.Errorf(booking.EInvalid, "store: booking %s does not end after it starts", b.ID)
	case b.Sequence < 0:
		return booking.Errorf(booking.EInvalid, "store: booking %s has a negative sequence", b.ID)
	case b.Revision < 0:
		return booking.Errorf(booking.EInvalid, "store: booking %s has a negative revision", b.ID)
	case b.Moves < 0:
		return booking.Errorf(booking.EInvalid, "store: booking %s has a negative count of moves", b.ID)
	case !booking.ValidLang(b.Lang):
		return booking.Errorf(booking.EInvalid, "store: booking %s has an unknown language", b.ID)
	}
	for _, t := range []time.Time{b.Start, b.End, b.CreatedAt, b.UpdatedAt} {
		if !storable(t) {
			return booking.Errorf(booking.EInvalid, "store: booking %s has a time outside years 0000-9999", b.ID)
		}
	}
	return nil
}

func knownStatus(s booking.Status) bool {
	switch s {
	case booking.StatusPending, booking.StatusConfirmed, booking.StatusCancelled, booking.StatusExpired:
		return true
	}
	return false
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// scanBooking reads the bookingColumns of one row.
func scanBooking(row rowScanner) (*booking.Booking, error) {
	var (
		b                                booking.Booking
		status                           string
		token                            sql.NullString
		start, end, createdAt, updatedAt string
	)
	err := row.Scan(&b.ID, &b.PractitionerID, &b.TypeID, &start, &end, &status,
		&b.Patient.Name, &b.Patient.Email, &b.Patient.Phone, &token,
		&b.EventHref, &b.EventETag, &b.Sequence, &createdAt, &updatedAt, &b.Revision, &b.Moves, &b.Lang)
	if err != nil {
		return nil, err
	}
	b.Status = booking.Status(status)
	b.TokenHash = token.String
	for _, f := range []struct {
		dst *time.Time
		src string
	}{{&b.Start, start}, {&b.End, end}, {&b.CreatedAt, createdAt}, {&b.UpdatedAt, updatedAt}} {
		if *f.dst, err = parseTime(f.src); err != nil {
			return nil, booking.WrapError(booking.EInternal, err, "store: booking "+b.ID+" has a malformed time")
		}
	}
	return &b, nil
}

// nullString maps "" to NULL, so that bookings without a token don't collide
// on the unique index.
func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

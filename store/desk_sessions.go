package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rdvlibre/rdv/booking"
)

// The sessions of the practice's desk (booking.DeskSessions), in the
// desk_sessions table: the hash of each session's id, never the id, so that
// a copy of the database opens no session. They hold no patient data.

var (
	_ booking.DeskSessions = (*SQLite)(nil)
	_ booking.DeskSessions = (*Postgres)(nil)
)

// checkDeskSession refuses a session that can't be stored.
func checkDeskSession(d booking.DeskSession) error {
	switch {
	case len(d.IDHash) == 0 || d.CSRF == "":
		return booking.Errorf(booking.EInvalid, "store: desk session without id hash or CSRF token")
	case !storable(d.Created) || !storable(d.LastSeen) || !storable(d.Expires):
		return booking.Errorf(booking.EInvalid, "store: desk session with a time out of range")
	}
	return nil
}

// CreateDeskSession records d; EConflict if its id hash is taken.
func (s *SQLite) CreateDeskSession(ctx context.Context, d booking.DeskSession) error {
	if err := checkDeskSession(d); err != nil {
		return err
	}
	const q = `INSERT INTO desk_sessions (id_hash, csrf, user_name, token_print, created_at, last_seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	_, err := s.w.ExecContext(ctx, q, hex.EncodeToString(d.IDHash), d.CSRF, d.User, d.TokenPrint,
		formatTime(d.Created), formatTime(d.LastSeen), formatTime(d.Expires))
	if err != nil {
		if code, ok := sqliteCode(err); ok && (code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || code == sqlite3.SQLITE_CONSTRAINT_UNIQUE) {
			return booking.WrapError(booking.EConflict, err, "store: desk session already exists")
		}
		return wrapError(err, "cannot create a desk session")
	}
	return nil
}

// DeskSession returns the session whose id has this hash, or ENotFound.
func (s *SQLite) DeskSession(ctx context.Context, idHash []byte) (booking.DeskSession, error) {
	const q = `SELECT csrf, user_name, token_print, created_at, last_seen_at, expires_at FROM desk_sessions WHERE id_hash = ?`
	d := booking.DeskSession{IDHash: idHash}
	var created, seen, expires string
	err := s.r.QueryRowContext(ctx, q, hex.EncodeToString(idHash)).Scan(&d.CSRF, &d.User, &d.TokenPrint, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return booking.DeskSession{}, booking.Errorf(booking.ENotFound, "store: no such desk session")
	}
	if err != nil {
		return booking.DeskSession{}, wrapError(err, "cannot read a desk session")
	}
	if d.Created, err = parseTime(created); err == nil {
		if d.LastSeen, err = parseTime(seen); err == nil {
			d.Expires, err = parseTime(expires)
		}
	}
	if err != nil {
		return booking.DeskSession{}, booking.WrapError(booking.EInternal, err, "store: desk session with a malformed time")
	}
	return d, nil
}

// TouchDeskSession sets the last use of the session to at.
func (s *SQLite) TouchDeskSession(ctx context.Context, idHash []byte, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE desk_sessions SET last_seen_at = ? WHERE id_hash = ?`,
		formatBound(at), hex.EncodeToString(idHash)); err != nil {
		return wrapError(err, "cannot update a desk session")
	}
	return nil
}

// DeleteDeskSession deletes the session (a logout).
func (s *SQLite) DeleteDeskSession(ctx context.Context, idHash []byte) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM desk_sessions WHERE id_hash = ?`, hex.EncodeToString(idHash)); err != nil {
		return wrapError(err, "cannot delete a desk session")
	}
	return nil
}

// PurgeDeskSessions deletes the sessions that expire before now or were
// last seen before idleBefore.
func (s *SQLite) PurgeDeskSessions(ctx context.Context, now, idleBefore time.Time) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM desk_sessions WHERE expires_at < ? OR last_seen_at < ?`,
		formatBound(now), formatBound(idleBefore)); err != nil {
		return wrapError(err, "cannot purge the desk sessions")
	}
	return nil
}

package store

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rdvlibre/rdv/booking"
)

// CreateDeskSession: see SQLite.CreateDeskSession.
func (s *Postgres) CreateDeskSession(ctx context.Context, d booking.DeskSession) error {
	if err := checkDeskSession(d); err != nil {
		return err
	}
	if !pgText(d.CSRF) || !pgText(d.TokenPrint) || !pgText(d.User) {
		return booking.Errorf(booking.EInvalid, "store: desk session with a NUL byte or invalid UTF-8")
	}
	const q = `INSERT INTO desk_sessions (id_hash, csrf, user_name, token_print, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`
	_, err := s.pool.Exec(ctx, q, hex.EncodeToString(d.IDHash), d.CSRF, d.User, d.TokenPrint,
		d.Created.UTC(), d.LastSeen.UTC(), d.Expires.UTC())
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return booking.WrapError(booking.EConflict, err, "store: desk session already exists")
		}
		return wrapPgError(err, "cannot create a desk session")
	}
	return nil
}

// DeskSession: see SQLite.DeskSession. Its times are to the microsecond.
func (s *Postgres) DeskSession(ctx context.Context, idHash []byte) (booking.DeskSession, error) {
	const q = `SELECT csrf, user_name, token_print, created_at, last_seen_at, expires_at FROM desk_sessions WHERE id_hash = $1`
	d := booking.DeskSession{IDHash: idHash}
	err := s.pool.QueryRow(ctx, q, hex.EncodeToString(idHash)).Scan(&d.CSRF, &d.User, &d.TokenPrint, &d.Created, &d.LastSeen, &d.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return booking.DeskSession{}, booking.Errorf(booking.ENotFound, "store: no such desk session")
	}
	if err != nil {
		return booking.DeskSession{}, wrapPgError(err, "cannot read a desk session")
	}
	d.Created, d.LastSeen, d.Expires = d.Created.UTC(), d.LastSeen.UTC(), d.Expires.UTC()
	return d, nil
}

// TouchDeskSession: see SQLite.TouchDeskSession.
func (s *Postgres) TouchDeskSession(ctx context.Context, idHash []byte, at time.Time) error {
	at, _ = splitBound(at)
	if _, err := s.pool.Exec(ctx, `UPDATE desk_sessions SET last_seen_at = $1 WHERE id_hash = $2`, at, hex.EncodeToString(idHash)); err != nil {
		return wrapPgError(err, "cannot update a desk session")
	}
	return nil
}

// DeleteDeskSession: see SQLite.DeleteDeskSession.
func (s *Postgres) DeleteDeskSession(ctx context.Context, idHash []byte) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM desk_sessions WHERE id_hash = $1`, hex.EncodeToString(idHash)); err != nil {
		return wrapPgError(err, "cannot delete a desk session")
	}
	return nil
}

// PurgeDeskSessions: see SQLite.PurgeDeskSessions.
func (s *Postgres) PurgeDeskSessions(ctx context.Context, now, idleBefore time.Time) error {
	now, _ = splitBound(now)
	idleBefore, _ = splitBound(idleBefore)
	if _, err := s.pool.Exec(ctx, `DELETE FROM desk_sessions WHERE expires_at < $1 OR last_seen_at < $2`, now, idleBefore); err != nil {
		return wrapPgError(err, "cannot purge the desk sessions")
	}
	return nil
}

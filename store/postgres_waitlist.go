package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rdvlibre/rdv/booking"
)

// The waiting list (booking.WaitStore) in PostgreSQL: see waitlist.go.

// AddWaitEntry: see SQLite.AddWaitEntry.
// The transaction first takes an advisory lock on the email key
// (pg_advisory_xact_lock, released at its end), so that two joins of one
// address, whatever the replicas, count and insert one after the other.
func (s *Postgres) AddWaitEntry(ctx context.Context, e *booking.WaitEntry, m booking.WaitMessage, max int) error {
	if err := checkWaitEntry(e); err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return wrapPgError(err, "cannot record waiting-list entry %s", e.ID)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", advisoryKey("rdv:waitlist/email:"+e.EmailKey)); err != nil {
		return wrapPgError(err, "cannot record waiting-list entry %s", e.ID)
	}
	var n int
	if err := tx.QueryRow(ctx, liveWaitEntries("$1", "$2", "$3"), e.EmailKey, e.CreatedAt.UTC(), e.CreatedAt.Add(-booking.WaitUnconfirmed).UTC()).Scan(&n); err != nil {
		return wrapPgError(err, "cannot count waiting-list entries")
	}
	if n >= max {
		return perEmailError(e.ID)
	}
	const q = `INSERT INTO waitlist_entries (id, practitioner_id, type_id, shared_id, name, email, phone, email_key, lang,
		from_day, until_day, part, weekdays, status, token_hash, created_at, expires_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`
	if _, err := tx.Exec(ctx, q, e.ID, e.PractitionerID, e.TypeID, e.SharedID, e.Patient.Name, e.Patient.Email, e.Patient.Phone,
		e.EmailKey, e.Lang, e.Window.From.String(), e.Window.Until.String(), string(e.Window.Part), weekdayBits(e.Window.Weekdays),
		string(e.Status), e.TokenHash, e.CreatedAt.UTC(), e.ExpiresAt.UTC(), e.UpdatedAt.UTC()); err != nil {
		return wrapPgError(err, "cannot record waiting-list entry %s", e.ID)
	}
	if _, err := pgInsertWaitMessages(ctx, tx, []booking.WaitMessage{m}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return wrapPgError(err, "cannot record waiting-list entry %s", e.ID)
	}
	return nil
}

func pgInsertWaitMessages(ctx context.Context, tx pgx.Tx, ms []booking.WaitMessage) (int, error) {
	const q = `INSERT INTO waitlist_messages (entry_id, kind, slot_at, created_at, due_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (entry_id, kind, slot_at) DO NOTHING`
	n := 0
	for _, m := range ms {
		if !storable(m.Slot) || !storable(m.CreatedAt) || !pgText(m.Kind) || !pgText(m.EntryID) {
			return 0, booking.Errorf(booking.EInvalid, "store: waiting-list message of entry %s can't be stored", m.EntryID)
		}
		tag, err := tx.Exec(ctx, q, m.EntryID, m.Kind, m.Slot.UTC(), m.CreatedAt.UTC(), m.CreatedAt.UTC().Add(-time.Microsecond))
		if err != nil {
			return 0, wrapPgError(err, "cannot record a waiting-list message of entry %s", m.EntryID)
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}

func pgScanWaitEntry(r pgx.Row) (*booking.WaitEntry, error) {
	var e booking.WaitEntry
	var from, until, part, status string
	var bits int
	if err := r.Scan(&e.ID, &e.PractitionerID, &e.TypeID, &e.SharedID, &e.Patient.Name, &e.Patient.Email, &e.Patient.Phone, &e.EmailKey,
		&e.Lang, &from, &until, &part, &bits, &status, &e.TokenHash, &e.CreatedAt, &e.ExpiresAt, &e.UpdatedAt); err != nil {
		return nil, err
	}
	var err error
	if e.Window.From, err = booking.ParseDate(from); err != nil {
		return nil, err
	}
	if e.Window.Until, err = booking.ParseDate(until); err != nil {
		return nil, err
	}
	e.Window.Part, e.Window.Weekdays, e.Status = booking.DayPart(part), weekdaysOf(bits), booking.WaitStatus(status)
	e.CreatedAt, e.ExpiresAt, e.UpdatedAt = e.CreatedAt.UTC(), e.ExpiresAt.UTC(), e.UpdatedAt.UTC()
	return &e, nil
}

func (s *Postgres) waitEntryWhere(ctx context.Context, where string, arg string) (*booking.WaitEntry, error) {
	if !pgText(arg) {
		return nil, booking.Errorf(booking.ENotFound, "store: no such waiting-list entry")
	}
	e, err := pgScanWaitEntry(s.pool.QueryRow(ctx, `SELECT `+waitEntryColumns+` FROM waitlist_entries WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, booking.Errorf(booking.ENotFound, "store: no such waiting-list entry")
	}
	if err != nil {
		return nil, wrapPgError(err, "cannot read a waiting-list entry")
	}
	return e, nil
}

// WaitEntry: see booking.WaitStore.
func (s *Postgres) WaitEntry(ctx context.Context, id string) (*booking.WaitEntry, error) {
	return s.waitEntryWhere(ctx, "id = $1", id)
}

// WaitEntryByTokenHash: see booking.WaitStore.
func (s *Postgres) WaitEntryByTokenHash(ctx context.Context, hash string) (*booking.WaitEntry, error) {
	return s.waitEntryWhere(ctx, "token_hash = $1", hash)
}

// LiveWaitEntries: see booking.WaitStore.
func (s *Postgres) LiveWaitEntries(ctx context.Context, emailKey string, now time.Time) (int, error) {
	if !pgText(emailKey) {
		return 0, nil
	}
	var n int
	err := s.pool.QueryRow(ctx, liveWaitEntries("$1", "$2", "$3"), emailKey, now.UTC(), now.Add(-booking.WaitUnconfirmed).UTC()).Scan(&n)
	if err != nil {
		return 0, wrapPgError(err, "cannot count waiting-list entries")
	}
	return n, nil
}

// SetWaitStatus: see booking.WaitStore.
func (s *Postgres) SetWaitStatus(ctx context.Context, id string, from, to booking.WaitStatus, expiresAt, at time.Time) (bool, error) {
	var exp *time.Time
	if !expiresAt.IsZero() {
		u := expiresAt.UTC()
		exp = &u
	}
	tag, err := s.pool.Exec(ctx, `UPDATE waitlist_entries SET status = $1, updated_at = $2,
		expires_at = COALESCE($3, expires_at)
		WHERE id = $4 AND status = $5 AND expires_at > $2`,
		string(to), at.UTC(), exp, id, string(from))
	if err != nil {
		return false, wrapPgError(err, "cannot update waiting-list entry %s", id)
	}
	return tag.RowsAffected() == 1, nil
}

// ActiveWaitEntries: see booking.WaitStore.
func (s *Postgres) ActiveWaitEntries(ctx context.Context, now time.Time) ([]*booking.WaitEntry, error) {
	return s.waitEntries(ctx, `status = 'active' AND expires_at > $1`, now.UTC())
}

// WaitRecords: see booking.WaitStore.
func (s *Postgres) WaitRecords(ctx context.Context, emailKey string) ([]*booking.WaitEntry, error) {
	if !pgText(emailKey) {
		return nil, nil
	}
	return s.waitEntries(ctx, `email_key = $1 AND email_key <> ''`, emailKey)
}

func (s *Postgres) waitEntries(ctx context.Context, where string, arg any) ([]*booking.WaitEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+waitEntryColumns+` FROM waitlist_entries WHERE `+where+` ORDER BY created_at, id`, arg)
	if err != nil {
		return nil, wrapPgError(err, "cannot list waiting-list entries")
	}
	defer rows.Close()
	var out []*booking.WaitEntry
	for rows.Next() {
		e, err := pgScanWaitEntry(rows)
		if err != nil {
			return nil, wrapPgError(err, "cannot list waiting-list entries")
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapPgError(err, "cannot list waiting-list entries")
	}
	return out, nil
}

func pgWaitMessages(rows pgx.Rows) ([]booking.WaitMessage, error) {
	defer rows.Close()
	var out []booking.WaitMessage
	for rows.Next() {
		var m booking.WaitMessage
		if err := rows.Scan(&m.Seq, &m.EntryID, &m.Kind, &m.Slot, &m.CreatedAt, &m.Attempts); err != nil {
			return nil, err
		}
		m.Slot, m.CreatedAt = m.Slot.UTC(), m.CreatedAt.UTC()
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b booking.WaitMessage) int { return int(a.Seq - b.Seq) })
	return out, nil
}

// WaitAlerts: see booking.WaitStore.
func (s *Postgres) WaitAlerts(ctx context.Context, entryIDs []string) ([]booking.WaitMessage, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, entry_id, kind, slot_at, created_at, attempts FROM waitlist_messages
		WHERE kind = $1 AND entry_id = ANY($2) ORDER BY seq`, booking.WaitAlert, entryIDs)
	if err != nil {
		return nil, wrapPgError(err, "cannot list waiting-list alerts")
	}
	out, err := pgWaitMessages(rows)
	if err != nil {
		return nil, wrapPgError(err, "cannot list waiting-list alerts")
	}
	return out, nil
}

// RecordWaitAlerts: see booking.WaitStore.
func (s *Postgres) RecordWaitAlerts(ctx context.Context, ms []booking.WaitMessage) (int, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, wrapPgError(err, "cannot record waiting-list alerts")
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	n, err := pgInsertWaitMessages(ctx, tx, ms)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, wrapPgError(err, "cannot record waiting-list alerts")
	}
	return n, nil
}

// ClaimWaitMessages: see booking.WaitStore.
func (s *Postgres) ClaimWaitMessages(ctx context.Context, now, until time.Time, limit int) ([]booking.WaitMessage, error) {
	rows, err := s.pool.Query(ctx, `UPDATE waitlist_messages SET due_at = $1, attempts = attempts + 1
		WHERE seq IN (SELECT seq FROM waitlist_messages WHERE sent_at IS NULL AND failed_at IS NULL AND due_at < $2
			ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING seq, entry_id, kind, slot_at, created_at, attempts`, until.UTC(), now.UTC(), limit)
	if err != nil {
		return nil, wrapPgError(err, "cannot claim waiting-list messages")
	}
	out, err := pgWaitMessages(rows)
	if err != nil {
		return nil, wrapPgError(err, "cannot claim waiting-list messages")
	}
	return out, nil
}

// WaitMessageDone: see booking.WaitStore.
func (s *Postgres) WaitMessageDone(ctx context.Context, seq int64, at time.Time, failed bool) error {
	col := "sent_at"
	if failed {
		col = "failed_at"
	}
	if _, err := s.pool.Exec(ctx, `UPDATE waitlist_messages SET `+col+` = $1 WHERE seq = $2`, at.UTC(), seq); err != nil {
		return wrapPgError(err, "cannot mark waiting-list message %d done", seq)
	}
	return nil
}

// WaitMessageRetry: see booking.WaitStore.
func (s *Postgres) WaitMessageRetry(ctx context.Context, seq int64, at time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE waitlist_messages SET due_at = $1 WHERE seq = $2`, at.UTC().Add(-time.Microsecond), seq); err != nil {
		return wrapPgError(err, "cannot release waiting-list message %d", seq)
	}
	return nil
}

// EraseWaitEntries: see booking.WaitStore.
func (s *Postgres) EraseWaitEntries(ctx context.Context, before time.Time, limit int) ([]string, error) {
	return s.eraseWaitEntries(ctx, `UPDATE waitlist_entries SET name = '', email = '', phone = '', email_key = '',
		token_hash = NULL, erased_at = $1
		WHERE id IN (SELECT id FROM waitlist_entries WHERE erased_at IS NULL
			AND CASE WHEN status IN ('booked', 'left') THEN updated_at ELSE expires_at END < $1
			ORDER BY created_at, id LIMIT $2 FOR UPDATE)
		RETURNING id`, before.UTC(), limit)
}

// EraseWaitEntriesOf: see booking.WaitStore.
func (s *Postgres) EraseWaitEntriesOf(ctx context.Context, emailKey string, at time.Time) ([]string, error) {
	if emailKey == "" || !pgText(emailKey) {
		return nil, nil
	}
	return s.eraseWaitEntries(ctx, `UPDATE waitlist_entries SET name = '', email = '', phone = '', email_key = '',
		token_hash = NULL, erased_at = $1,
		status = CASE WHEN status IN ('pending', 'active') THEN 'left' ELSE status END,
		updated_at = CASE WHEN status IN ('pending', 'active') THEN $1 ELSE updated_at END
		WHERE email_key = $2 RETURNING id`, at.UTC(), emailKey)
}

// eraseWaitEntries runs q, an UPDATE that erases entries and returns their
// ids, and deletes their messages, in one transaction.
func (s *Postgres) eraseWaitEntries(ctx context.Context, q string, args ...any) ([]string, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, wrapPgError(err, "cannot erase waiting-list entries")
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, wrapPgError(err, "cannot erase waiting-list entries")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, wrapPgError(err, "cannot erase waiting-list entries")
	}
	if _, err := tx.Exec(ctx, `DELETE FROM waitlist_messages WHERE entry_id = ANY($1)`, ids); err != nil {
		return nil, wrapPgError(err, "cannot erase waiting-list entries")
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, wrapPgError(err, "cannot erase waiting-list entries")
	}
	slices.Sort(ids)
	return ids, nil
}

// WaitingEntries: see booking.WaitStore.
func (s *Postgres) WaitingEntries(ctx context.Context, now time.Time) ([]*booking.WaitEntry, error) {
	return s.waitEntries(ctx, `status IN ('pending', 'active') AND expires_at > $1`, now.UTC())
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// The waiting list (booking.WaitStore) in SQLite: the waitlist_entries and
// waitlist_messages tables of migration 0011.

var (
	_ booking.WaitStore = (*SQLite)(nil)
	_ booking.WaitStore = (*Postgres)(nil)
)

// weekdayBits returns the weekdays as a bit set (bit d for time.Weekday d).
func weekdayBits(ds []time.Weekday) int {
	b := 0
	for _, d := range ds {
		b |= 1 << d
	}
	return b
}

// weekdaysOf is the inverse of weekdayBits.
func weekdaysOf(b int) []time.Weekday {
	var ds []time.Weekday
	for d := time.Sunday; d <= time.Saturday; d++ {
		if b&(1<<d) != 0 {
			ds = append(ds, d)
		}
	}
	return ds
}

// checkWaitEntry refuses an entry that can't be stored.
func checkWaitEntry(e *booking.WaitEntry) error {
	for _, s := range []string{e.ID, e.PractitionerID, e.TypeID, e.SharedID, e.Patient.Name, e.Patient.Email, e.Patient.Phone, e.EmailKey, e.Lang, string(e.Status), e.TokenHash, string(e.Window.Part)} {
		if !pgText(s) {
			return booking.Errorf(booking.EInvalid, "store: waiting-list entry %s has a field with a NUL byte or invalid UTF-8", e.ID)
		}
	}
	if e.ID == "" || e.TokenHash == "" || !storable(e.CreatedAt) || !storable(e.ExpiresAt) || !storable(e.UpdatedAt) {
		return booking.Errorf(booking.EInvalid, "store: waiting-list entry %s can't be stored", e.ID)
	}
	return nil
}

const waitEntryColumns = `id, practitioner_id, type_id, shared_id, name, email, phone, email_key, lang, from_day, until_day,
	part, weekdays, status, COALESCE(token_hash, ''), created_at, expires_at, updated_at`

// AddWaitEntry records e and its first message m in one transaction. See
// booking.WaitStore.
// The count and the insert are one transaction of the single writing
// connection (BEGIN IMMEDIATE): two joins can't both pass the count.
func (s *SQLite) AddWaitEntry(ctx context.Context, e *booking.WaitEntry, m booking.WaitMessage, max int) error {
	if err := checkWaitEntry(e); err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return wrapError(err, "cannot record waiting-list entry %s", e.ID)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var n int
	if err := tx.QueryRowContext(ctx, liveWaitEntries("?", "?", "?"), e.EmailKey, formatBound(e.CreatedAt), formatBound(e.CreatedAt.Add(-booking.WaitUnconfirmed))).Scan(&n); err != nil {
		return wrapError(err, "cannot count waiting-list entries")
	}
	if n >= max {
		return perEmailError(e.ID)
	}
	const q = `INSERT INTO waitlist_entries (id, practitioner_id, type_id, shared_id, name, email, phone, email_key, lang,
		from_day, until_day, part, weekdays, status, token_hash, created_at, expires_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if _, err := tx.ExecContext(ctx, q, e.ID, e.PractitionerID, e.TypeID, e.SharedID, e.Patient.Name, e.Patient.Email, e.Patient.Phone,
		e.EmailKey, e.Lang, e.Window.From.String(), e.Window.Until.String(), string(e.Window.Part), weekdayBits(e.Window.Weekdays),
		string(e.Status), e.TokenHash, formatTime(e.CreatedAt), formatTime(e.ExpiresAt), formatTime(e.UpdatedAt)); err != nil {
		if code, ok := sqliteCode(err); ok && code&0xff == 19 { // SQLITE_CONSTRAINT
			return booking.WrapError(booking.EConflict, err, "store: waiting-list entry "+e.ID+" already exists")
		}
		return wrapError(err, "cannot record waiting-list entry %s", e.ID)
	}
	if _, err := insertWaitMessages(ctx, tx, []booking.WaitMessage{m}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return wrapError(err, "cannot record waiting-list entry %s", e.ID)
	}
	return nil
}

// liveWaitEntries is the query that counts the entries that hold a place
// of an email key (placeholder key) at an instant (placeholder now; made
// is now less booking.WaitUnconfirmed): see booking.WaitStore.
func liveWaitEntries(key, now, made string) string {
	return `SELECT count(*) FROM waitlist_entries
		WHERE email_key = ` + key + ` AND email_key <> '' AND status IN ('pending', 'active')
		AND (expires_at > ` + now + ` OR (status = 'pending' AND created_at > ` + made + `))`
}

// perEmailError is the error of an entry refused as its address holds as
// many live entries as allowed.
func perEmailError(id string) error {
	return &booking.Error{Code: booking.ELimit, Limit: booking.LimitWaitPerEmail,
		Message: "store: waiting-list entry " + id + ": the address holds as many live entries as allowed"}
}

// insertWaitMessages inserts ms, leaving out those recorded already, and
// returns how many it inserted.
func insertWaitMessages(ctx context.Context, tx *sql.Tx, ms []booking.WaitMessage) (int, error) {
	const q = `INSERT INTO waitlist_messages (entry_id, kind, slot_at, created_at, due_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (entry_id, kind, slot_at) DO NOTHING`
	n := 0
	for _, m := range ms {
		if !storable(m.Slot) || !storable(m.CreatedAt) || !pgText(m.Kind) {
			return 0, booking.Errorf(booking.EInvalid, "store: waiting-list message of entry %s can't be stored", m.EntryID)
		}
		res, err := tx.ExecContext(ctx, q, m.EntryID, m.Kind, formatTime(m.Slot), formatTime(m.CreatedAt), formatTime(m.CreatedAt.Add(-time.Nanosecond)))
		if err != nil {
			return 0, wrapError(err, "cannot record a waiting-list message of entry %s", m.EntryID)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, wrapError(err, "cannot record a waiting-list message of entry %s", m.EntryID)
		}
		n += int(k)
	}
	return n, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanWaitEntry(r scanner) (*booking.WaitEntry, error) {
	var e booking.WaitEntry
	var from, until, part, status, created, expires, updated string
	var bits int
	if err := r.Scan(&e.ID, &e.PractitionerID, &e.TypeID, &e.SharedID, &e.Patient.Name, &e.Patient.Email, &e.Patient.Phone, &e.EmailKey,
		&e.Lang, &from, &until, &part, &bits, &status, &e.TokenHash, &created, &expires, &updated); err != nil {
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
	for _, p := range []struct {
		s string
		t *time.Time
	}{{created, &e.CreatedAt}, {expires, &e.ExpiresAt}, {updated, &e.UpdatedAt}} {
		if *p.t, err = parseTime(p.s); err != nil {
			return nil, err
		}
	}
	return &e, nil
}

func (s *SQLite) waitEntryWhere(ctx context.Context, where string, arg any) (*booking.WaitEntry, error) {
	e, err := scanWaitEntry(s.r.QueryRowContext(ctx, `SELECT `+waitEntryColumns+` FROM waitlist_entries WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, booking.Errorf(booking.ENotFound, "store: no such waiting-list entry")
	}
	if err != nil {
		return nil, wrapError(err, "cannot read a waiting-list entry")
	}
	return e, nil
}

// WaitEntry: see booking.WaitStore.
func (s *SQLite) WaitEntry(ctx context.Context, id string) (*booking.WaitEntry, error) {
	return s.waitEntryWhere(ctx, "id = ?", id)
}

// WaitEntryByTokenHash: see booking.WaitStore.
func (s *SQLite) WaitEntryByTokenHash(ctx context.Context, hash string) (*booking.WaitEntry, error) {
	return s.waitEntryWhere(ctx, "token_hash = ?", hash)
}

// LiveWaitEntries: see booking.WaitStore.
func (s *SQLite) LiveWaitEntries(ctx context.Context, emailKey string, now time.Time) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, liveWaitEntries("?", "?", "?"), emailKey, formatBound(now), formatBound(now.Add(-booking.WaitUnconfirmed))).Scan(&n)
	if err != nil {
		return 0, wrapError(err, "cannot count waiting-list entries")
	}
	return n, nil
}

// SetWaitStatus: see booking.WaitStore.
func (s *SQLite) SetWaitStatus(ctx context.Context, id string, from, to booking.WaitStatus, expiresAt, at time.Time) (bool, error) {
	exp := ""
	if !expiresAt.IsZero() {
		exp = formatBound(expiresAt)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE waitlist_entries SET status = ?, updated_at = ?,
		expires_at = CASE WHEN ? = '' THEN expires_at ELSE ? END
		WHERE id = ? AND status = ? AND expires_at > ?`,
		string(to), formatBound(at), exp, exp, id, string(from), formatBound(at))
	if err != nil {
		return false, wrapError(err, "cannot update waiting-list entry %s", id)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrapError(err, "cannot update waiting-list entry %s", id)
	}
	return n == 1, nil
}

// ActiveWaitEntries: see booking.WaitStore.
func (s *SQLite) ActiveWaitEntries(ctx context.Context, now time.Time) ([]*booking.WaitEntry, error) {
	return s.waitEntries(ctx, `status = 'active' AND expires_at > ?`, formatBound(now))
}

// WaitRecords: see booking.WaitStore.
func (s *SQLite) WaitRecords(ctx context.Context, emailKey string) ([]*booking.WaitEntry, error) {
	return s.waitEntries(ctx, `email_key = ? AND email_key <> ''`, emailKey)
}

func (s *SQLite) waitEntries(ctx context.Context, where string, args ...any) ([]*booking.WaitEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+waitEntryColumns+` FROM waitlist_entries WHERE `+where+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, wrapError(err, "cannot list waiting-list entries")
	}
	defer rows.Close()
	var out []*booking.WaitEntry
	for rows.Next() {
		e, err := scanWaitEntry(rows)
		if err != nil {
			return nil, wrapError(err, "cannot list waiting-list entries")
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapError(err, "cannot list waiting-list entries")
	}
	return out, nil
}

func scanWaitMessage(r scanner) (booking.WaitMessage, error) {
	var m booking.WaitMessage
	var slot, created string
	if err := r.Scan(&m.Seq, &m.EntryID, &m.Kind, &slot, &created, &m.Attempts); err != nil {
		return m, err
	}
	var err error
	if m.Slot, err = parseTime(slot); err != nil {
		return m, err
	}
	m.CreatedAt, err = parseTime(created)
	return m, err
}

// WaitAlerts: see booking.WaitStore.
func (s *SQLite) WaitAlerts(ctx context.Context, entryIDs []string) ([]booking.WaitMessage, error) {
	var out []booking.WaitMessage
	for ids := range slices.Chunk(entryIDs, 500) {
		args := []any{booking.WaitAlert}
		for _, id := range ids {
			args = append(args, id)
		}
		rows, err := s.r.QueryContext(ctx, `SELECT seq, entry_id, kind, slot_at, created_at, attempts FROM waitlist_messages
			WHERE kind = ? AND entry_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) ORDER BY seq`, args...)
		if err != nil {
			return nil, wrapError(err, "cannot list waiting-list alerts")
		}
		for rows.Next() {
			m, err := scanWaitMessage(rows)
			if err != nil {
				rows.Close()
				return nil, wrapError(err, "cannot list waiting-list alerts")
			}
			out = append(out, m)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, wrapError(err, "cannot list waiting-list alerts")
		}
	}
	slices.SortFunc(out, func(a, b booking.WaitMessage) int { return int(a.Seq - b.Seq) })
	return out, nil
}

// RecordWaitAlerts: see booking.WaitStore.
func (s *SQLite) RecordWaitAlerts(ctx context.Context, ms []booking.WaitMessage) (int, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, wrapError(err, "cannot record waiting-list alerts")
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	n, err := insertWaitMessages(ctx, tx, ms)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, wrapError(err, "cannot record waiting-list alerts")
	}
	return n, nil
}

// ClaimWaitMessages: see booking.WaitStore.
func (s *SQLite) ClaimWaitMessages(ctx context.Context, now, until time.Time, limit int) ([]booking.WaitMessage, error) {
	rows, err := s.w.QueryContext(ctx, `UPDATE waitlist_messages SET due_at = ?, attempts = attempts + 1
		WHERE seq IN (SELECT seq FROM waitlist_messages WHERE sent_at IS NULL AND failed_at IS NULL AND due_at < ? ORDER BY seq LIMIT ?)
		RETURNING seq, entry_id, kind, slot_at, created_at, attempts`, formatBound(until), formatBound(now), limit)
	if err != nil {
		return nil, wrapError(err, "cannot claim waiting-list messages")
	}
	defer rows.Close()
	var out []booking.WaitMessage
	for rows.Next() {
		m, err := scanWaitMessage(rows)
		if err != nil {
			return nil, wrapError(err, "cannot claim waiting-list messages")
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapError(err, "cannot claim waiting-list messages")
	}
	slices.SortFunc(out, func(a, b booking.WaitMessage) int { return int(a.Seq - b.Seq) })
	return out, nil
}

// WaitMessageDone: see booking.WaitStore.
func (s *SQLite) WaitMessageDone(ctx context.Context, seq int64, at time.Time, failed bool) error {
	col := "sent_at"
	if failed {
		col = "failed_at"
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE waitlist_messages SET `+col+` = ? WHERE seq = ?`, formatBound(at), seq); err != nil {
		return wrapError(err, "cannot mark waiting-list message %d done", seq)
	}
	return nil
}

// WaitMessageRetry: see booking.WaitStore.
func (s *SQLite) WaitMessageRetry(ctx context.Context, seq int64, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE waitlist_messages SET due_at = ? WHERE seq = ?`, formatBound(at.Add(-time.Nanosecond)), seq); err != nil {
		return wrapError(err, "cannot release waiting-list message %d", seq)
	}
	return nil
}

// EraseWaitEntries: see booking.WaitStore.
func (s *SQLite) EraseWaitEntries(ctx context.Context, before time.Time, limit int) ([]string, error) {
	return s.eraseWaitEntries(ctx, `UPDATE waitlist_entries SET name = '', email = '', phone = '', email_key = '',
		token_hash = NULL, erased_at = ?
		WHERE id IN (SELECT id FROM waitlist_entries WHERE erased_at IS NULL
			AND CASE WHEN status IN ('booked', 'left') THEN updated_at ELSE expires_at END < ?
			ORDER BY created_at, id LIMIT ?)
		RETURNING id`, formatBound(before), formatBound(before), limit)
}

// EraseWaitEntriesOf: see booking.WaitStore.
func (s *SQLite) EraseWaitEntriesOf(ctx context.Context, emailKey string, at time.Time) ([]string, error) {
	if emailKey == "" {
		return nil, nil
	}
	return s.eraseWaitEntries(ctx, `UPDATE waitlist_entries SET name = '', email = '', phone = '', email_key = '',
		token_hash = NULL, erased_at = ?1,
		status = CASE WHEN status IN ('pending', 'active') THEN 'left' ELSE status END,
		updated_at = CASE WHEN status IN ('pending', 'active') THEN ?1 ELSE updated_at END
		WHERE email_key = ?2 RETURNING id`, formatBound(at), emailKey)
}

// eraseWaitEntries runs q, an UPDATE that erases entries and returns their
// ids, and deletes their messages, in one transaction.
func (s *SQLite) eraseWaitEntries(ctx context.Context, q string, args ...any) ([]string, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, wrapError(err, "cannot erase waiting-list entries")
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrapError(err, "cannot erase waiting-list entries")
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, wrapError(err, "cannot erase waiting-list entries")
		}
		ids = append(ids, id)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, wrapError(err, "cannot erase waiting-list entries")
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `DELETE FROM waitlist_messages WHERE entry_id = ?`, id); err != nil {
			return nil, wrapError(err, "cannot erase waiting-list entry %s", id)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, wrapError(err, "cannot erase waiting-list entries")
	}
	slices.Sort(ids)
	return ids, nil
}

// WaitingEntries: see booking.WaitStore.
func (s *SQLite) WaitingEntries(ctx context.Context, now time.Time) ([]*booking.WaitEntry, error) {
	return s.waitEntries(ctx, `status IN ('pending', 'active') AND expires_at > ?`, formatBound(now))
}

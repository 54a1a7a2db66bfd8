package store

import (
	"context"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rdvlibre/rdv/booking"
)

// Write intents (booking.Intent) in SQLite: recorded before a calendar
// write, deleted by the Record that follows it.

// AddIntent records in, in a transaction of its own. See booking.Store.
func (s *SQLite) AddIntent(ctx context.Context, in booking.Intent) error {
	if err := checkIntent(in); err != nil {
		return err
	}
	const q = `INSERT INTO write_intents (id, booking_id, practitioner_id, op, href, revision,
		start_at, end_at, status, sequence, created_at, process)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	var start, end string
	if !in.Start.IsZero() {
		start, end = formatTime(in.Start), formatTime(in.End)
	}
	_, err := s.w.ExecContext(ctx, q, in.ID, in.BookingID, in.PractitionerID, string(in.Op), in.Href,
		in.Revision, start, end, string(in.Status), in.Sequence, formatTime(in.CreatedAt), in.Process)
	if err != nil {
		if code, ok := sqliteCode(err); ok && code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
			return booking.WrapError(booking.EConflict, err, "store: write intent "+in.ID+" already exists")
		}
		return wrapError(err, "cannot record the write intent of booking %s", in.BookingID)
	}
	return nil
}

// DeleteIntents deletes the intents with these ids; missing ones are
// ignored.
func (s *SQLite) DeleteIntents(ctx context.Context, ids ...string) error {
	return deleteIntents(ctx, s.w, ids)
}

func deleteIntents(ctx context.Context, ex execer, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	q := `DELETE FROM write_intents WHERE id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
	if _, err := ex.ExecContext(ctx, q, args...); err != nil {
		return wrapError(err, "cannot delete write intents")
	}
	return nil
}

// Intents returns the intents of the practitioner (every practitioner's
// when practitionerID is "") recorded before before, oldest first.
func (s *SQLite) Intents(ctx context.Context, practitionerID string, before time.Time) ([]booking.Intent, error) {
	const q = `SELECT id, booking_id, practitioner_id, op, href, revision, start_at, end_at,
		status, sequence, created_at, process FROM write_intents
		WHERE (? = '' OR practitioner_id = ?) AND created_at < ?
		ORDER BY created_at, id`
	rows, err := s.r.QueryContext(ctx, q, practitionerID, practitionerID, formatBound(before))
	if err != nil {
		return nil, wrapError(err, "cannot list write intents")
	}
	defer rows.Close()
	var out []booking.Intent
	for rows.Next() {
		var in booking.Intent
		var op, start, end, status, created string
		if err := rows.Scan(&in.ID, &in.BookingID, &in.PractitionerID, &op, &in.Href, &in.Revision,
			&start, &end, &status, &in.Sequence, &created, &in.Process); err != nil {
			return nil, wrapError(err, "cannot list write intents")
		}
		in.Op, in.Status = booking.IntentOp(op), booking.Status(status)
		if in.CreatedAt, err = parseTime(created); err != nil {
			return nil, wrapError(err, "cannot list write intents")
		}
		if start != "" {
			if in.Start, err = parseTime(start); err != nil {
				return nil, wrapError(err, "cannot list write intents")
			}
			if in.End, err = parseTime(end); err != nil {
				return nil, wrapError(err, "cannot list write intents")
			}
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapError(err, "cannot list write intents")
	}
	return out, nil
}

// checkIntent refuses an intent that can't be stored.
func checkIntent(in booking.Intent) error {
	switch {
	case in.ID == "" || in.BookingID == "" || in.PractitionerID == "":
		return booking.Errorf(booking.EInvalid, "store: write intent without id, booking or practitioner")
	case in.Op != booking.IntentCreate && in.Op != booking.IntentUpdate && in.Op != booking.IntentDelete:
		return booking.Errorf(booking.EInvalid, "store: write intent of booking %s: unknown operation %q", in.BookingID, in.Op)
	case in.Revision < 0 || in.Sequence < 0:
		return booking.Errorf(booking.EInvalid, "store: write intent of booking %s: negative revision or sequence", in.BookingID)
	case !storable(in.CreatedAt) || !in.Start.IsZero() && (!storable(in.Start) || !storable(in.End)):
		return booking.Errorf(booking.EInvalid, "store: write intent of booking %s: time outside years 0000-9999", in.BookingID)
	}
	return nil
}

package store

import (
	"context"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// The practitioners' daily agenda emails (rdv's digest job): one row per
// practitioner and local day in the digests table, claimed by the replica
// that sends it, so that it is sent once whatever the number of replicas.

// MaxDigestAttempts is how many times a day's digest is claimed before it
// is left unsent.
const MaxDigestAttempts = 10

// ClaimDigest claims the digest of the practitioner for day, at now, until
// until: it reports true if the caller may send it, that is, if no one
// claimed it yet, or its last claim ran out (before now) without it being
// sent and it was claimed fewer than MaxDigestAttempts times. Another
// caller's claim that has not run out, or a digest sent, makes it false.
func (s *SQLite) ClaimDigest(ctx context.Context, practitionerID string, day booking.Date, now, until time.Time) (bool, error) {
	const q = `INSERT INTO digests (practitioner_id, day, claimed_until) VALUES (?, ?, ?)
		ON CONFLICT (practitioner_id, day) DO UPDATE SET claimed_until = excluded.claimed_until, attempts = digests.attempts + 1
		WHERE digests.sent_at IS NULL AND digests.claimed_until < ? AND digests.attempts < ?`
	res, err := s.w.ExecContext(ctx, q, practitionerID, day.String(), formatBound(until), formatBound(now), MaxDigestAttempts)
	if err != nil {
		return false, wrapError(err, "cannot claim the digest of practitioner %s", practitionerID)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrapError(err, "cannot claim the digest of practitioner %s", practitionerID)
	}
	return n == 1, nil
}

// DigestSent marks the digest of the practitioner for day sent at at.
func (s *SQLite) DigestSent(ctx context.Context, practitionerID string, day booking.Date, at time.Time) error {
	const q = `UPDATE digests SET sent_at = ? WHERE practitioner_id = ? AND day = ?`
	if _, err := s.w.ExecContext(ctx, q, formatBound(at), practitionerID, day.String()); err != nil {
		return wrapError(err, "cannot mark the digest of practitioner %s sent", practitionerID)
	}
	return nil
}

// PurgeDigests deletes the records of the digests of days before before
// (retention: rdv.App runs it with booking.Service.Retain).
func (s *SQLite) PurgeDigests(ctx context.Context, before booking.Date) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM digests WHERE day < ?`, before.String()); err != nil {
		return wrapError(err, "cannot purge the digests")
	}
	return nil
}

// PurgeDigests: see SQLite.PurgeDigests.
func (s *Postgres) PurgeDigests(ctx context.Context, before booking.Date) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM digests WHERE day < $1`, before.String()); err != nil {
		return wrapPgError(err, "cannot purge the digests")
	}
	return nil
}

// ClaimDigest: see SQLite.ClaimDigest.
func (s *Postgres) ClaimDigest(ctx context.Context, practitionerID string, day booking.Date, now, until time.Time) (bool, error) {
	if !pgText(practitionerID) {
		return false, booking.Errorf(booking.EInvalid, "store: practitioner id with a NUL byte or invalid UTF-8")
	}
	const q = `INSERT INTO digests (practitioner_id, day, claimed_until) VALUES ($1, $2, $3)
		ON CONFLICT (practitioner_id, day) DO UPDATE SET claimed_until = excluded.claimed_until, attempts = digests.attempts + 1
		WHERE digests.sent_at IS NULL AND digests.claimed_until < $4 AND digests.attempts < $5`
	tag, err := s.pool.Exec(ctx, q, practitionerID, day.String(), until.UTC(), now.UTC(), MaxDigestAttempts)
	if err != nil {
		return false, wrapPgError(err, "cannot claim the digest of practitioner %s", practitionerID)
	}
	return tag.RowsAffected() == 1, nil
}

// DigestSent: see SQLite.DigestSent.
func (s *Postgres) DigestSent(ctx context.Context, practitionerID string, day booking.Date, at time.Time) error {
	const q = `UPDATE digests SET sent_at = $1 WHERE practitioner_id = $2 AND day = $3`
	if _, err := s.pool.Exec(ctx, q, at.UTC(), practitionerID, day.String()); err != nil {
		return wrapPgError(err, "cannot mark the digest of practitioner %s sent", practitionerID)
	}
	return nil
}

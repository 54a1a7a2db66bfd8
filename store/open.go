package store

import (
	"context"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// DB is a store as the service uses it, whatever its backend: the booking
// ledger (booking.Store), the practitioner's bookings in a range, a readiness
// probe and Close. *SQLite and *Postgres implement it; Open chooses one.
type DB interface {
	booking.Store
	// The waiting list and its messages (migration 0011).
	booking.WaitStore
	// BookingsBetween returns the bookings of the practitioner whose
	// [Start, End) overlaps [from, to), whatever their status, ordered by
	// start then id. EInvalid if to is before from.
	BookingsBetween(ctx context.Context, practitionerID string, from, to time.Time) ([]*booking.Booking, error)
	// ClaimDigest claims the daily agenda email of the practitioner for
	// day (see SQLite.ClaimDigest), DigestSent marks it sent: each is sent
	// by one replica.
	ClaimDigest(ctx context.Context, practitionerID string, day booking.Date, now, until time.Time) (bool, error)
	DigestSent(ctx context.Context, practitionerID string, day booking.Date, at time.Time) error
	// PurgeDigests deletes the records of the digests of the days before
	// before (they hold no patient data, only a practitioner and a day).
	PurgeDigests(ctx context.Context, before booking.Date) error
	// Ping reports whether the database can be read.
	Ping(ctx context.Context) error
	// Close closes the database.
	Close() error
}

var (
	_ DB = (*SQLite)(nil)
	_ DB = (*Postgres)(nil)
)

// Open opens the store at addr: the PostgreSQL database it names when addr
// is a URL starting with postgres:// or postgresql:// (see OpenPostgres),
// else the SQLite file at path addr (see OpenSQLite). PostgreSQL's
// keyword/value form ("host=… dbname=…") is not recognised: use the URL form.
func Open(ctx context.Context, addr string) (DB, error) {
	// A nil *SQLite or *Postgres in a DB would not be a nil DB.
	if isPostgresURL(addr) {
		if s, err := OpenPostgres(ctx, addr); err != nil {
			return nil, err
		} else {
			return s, nil
		}
	}
	if s, err := OpenSQLite(ctx, addr); err != nil {
		return nil, err
	} else {
		return s, nil
	}
}

// NewLocker returns the booking.Locker that serialises bookings among all
// the processes that use db: for a *Postgres, its advisory-lock locker
// (Postgres.Locker); for any other store, SQLite included, a
// booking.MutexLocker, which serialises one process only — SQLite serves one
// replica of the service.
func NewLocker(db DB) booking.Locker {
	if pg, ok := db.(*Postgres); ok {
		return pg.Locker()
	}
	return &booking.MutexLocker{}
}

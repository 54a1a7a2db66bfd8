// Package store keeps what rdv must remember and the calendar does not: the
// booking ledger (each booking's status, its place in the calendar and the
// hash of its manage token), the outbox of notifications and the
// Idempotency-Keys of booking requests.
//
// The practitioner's calendar stays the source of truth for time: a booking is
// an event there, and the ledger only records what rdv needs to find the event
// again, check a patient's manage token and tell the patient what happened.
//
// # What is stored
//
// A booking row holds the ids of the practitioner and the appointment type, the
// start and end instants, the status, the patient's name, email and phone, the
// SHA-256 of the manage token (never the token), the event's href and ETag and
// its iCalendar SEQUENCE, the creation and update instants, and the row's
// revision (0 when created, one more with each update). Nothing else:
// no free-text reason for the visit, no IP address. The patient fields are
// personal data in a health context; this package never puts them in an error
// message (messages name booking ids only), and they are meant to be purged
// after a retention period.
//
// Record writes a booking change with the notifications it causes (the
// outbox) and, for a new booking, its Idempotency-Key, in one transaction:
// nothing is lost if the mail server is down, and a retried request finds
// its first result. An outbox message keeps a snapshot of the booking's time
// and status and, for a new booking, the manage token sealed with the
// service's secret (wiped once sent); an idempotency record keeps only
// keyed hashes and a result sealed with a key derived from the
// Idempotency-Key: the database alone reveals no token.
//
// Every update of a booking row is a compare-and-set on its revision: it
// applies only if the row still has the revision the caller read, so that
// two processes whose per-practitioner lock failed (PGLocker's lock goes
// with its session) can't both write a change; the one that comes second
// gets EConflict and nothing of its change (row, messages) is recorded. A
// create that meets an existing id or key records nothing either.
//
// The closures a practitioner adds at runtime (booking.Service.AddClosure)
// are kept too, as rows of a practitioner id, two dates and a label.
//
// The database file is created readable and writable by its owner only (0600),
// and SQLite gives its -wal and -shm files the same permissions.
//
// # Times
//
// Instants are stored in UTC with nanoseconds: in SQLite, in a fixed-width
// text form whose order is the order of the instants; in PostgreSQL, as a
// timestamptz (microseconds) and the nanoseconds below it in a column beside
// (the outbox's and idempotency keys' times, only compared and shown, keep
// microseconds there). A booking's instants round-trip exactly
// (time.Time.Equal holds), but the times a method returns are in UTC,
// whatever location they were saved with: callers convert them to the
// practitioner's zone with time.Time.In. Years outside 0000–9999 are refused.
//
// # Backends
//
// SQLite, embedded (modernc.org/sqlite, pure Go, no cgo), is the default: one
// file, WAL mode, foreign keys on, synchronous=NORMAL. Writes go through a
// single connection, so writers in one process queue in Go instead of meeting
// SQLITE_BUSY; reads use a pool of read-only connections and never block on
// writes. A busy timeout covers other processes opening the same file. This
// suits one replica of the service.
//
// PostgreSQL (pgx), for several replicas sharing one database: a pool of
// connections for queries, and a second one for the locks of PGLocker,
// session-level advisory locks that serialise bookings across processes.
//
// Both implement DB (booking.Store, and Ping and Close for the service) with
// the same semantics and errors, checked by one test suite run against both.
// Open chooses by address: postgres:// or postgresql:// URLs name PostgreSQL,
// anything else an SQLite file; NewLocker gives the matching booking.Locker.
// The two are mirrored file by file, X.go for SQLite beside postgres_X.go:
// sqlite.go and postgres.go open, bookings.go the booking queries, record.go
// the lifecycle (Record, outbox, idempotency keys), closures.go the
// closures, migrate.go the migrations, errors.go the error mapping, times.go
// the storage of instants. A method added to one is added to the other, and
// its test to the shared suite (see helpers_test.go).
//
// # Schema
//
// The schema is created and upgraded by numbered SQL files embedded from
// migrations/sqlite and migrations/postgres (0001_bookings.sql, 0002_….sql,
// …; the same numbers and names in both). Opening applies those not yet
// recorded in the schema_migrations table, each in its own transaction, so
// opening a database again is harmless; with PostgreSQL, an advisory lock
// (pg_advisory_xact_lock) makes replicas starting together apply each once. A
// file, once released, is never edited: a change to the schema is a new
// file, in both directories.
//
// # Errors
//
// Methods return *booking.Error values: ENotFound for a missing booking,
// EConflict for a duplicate id, token hash or idempotency key or for an update
// of a row whose revision changed since it was read, EInvalid for a booking that can't
// be stored, EUnavailable when the database can't be used for now (locked,
// disk full or failing, server unreachable or restarting, connection lost,
// context done), EInternal for anything else. The cause,
// for logs, is kept in the error's chain.
package store

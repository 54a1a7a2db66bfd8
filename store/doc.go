// Package store keeps what rdv must remember and the calendar does not: the
// booking ledger, the outbox of notifications, the Idempotency-Keys of
// booking requests, the closures added at runtime and the write intents of
// calendar writes (booking.Store), in SQLite (one replica, embedded) or
// PostgreSQL (several replicas, with advisory locks: PGLocker). Open chooses
// by address. Methods return *booking.Error values.
//
// What is stored, for how long, the storage of instants, the migrations and
// the errors: docs/store.md.
package store

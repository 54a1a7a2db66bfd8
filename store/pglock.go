package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rdvlibre/rdv/booking"
)

// unlockTimeout bounds the release of a lock; past it the session is closed,
// which releases the lock as well.
const unlockTimeout = 5 * time.Second

// PGLocker is a booking.Locker for several processes sharing a PostgreSQL
// database, built on session-level advisory locks (pg_advisory_lock).
//
// Lock(ctx, key) first queues behind the other holders of key in this
// process (a booking.MutexLocker), so that a process spends at most one
// database session per key; then it takes a connection of its own from the
// pool and waits in PostgreSQL's queue for the advisory lock whose 64-bit id
// is the first 8 bytes of SHA-256("rdv:"+key) (see advisoryKey). The unlock
// function releases the advisory lock (pg_advisory_unlock), gives the
// connection back and lets the next local waiter in; calling it again does
// nothing.
//
// Guarantees:
//
//   - Mutual exclusion among every process using the same database (advisory
//     lock ids are per database), as long as each holder's session lives.
//     PostgreSQL grants waiters in the order they asked, so a busy replica
//     can't starve another.
//   - A wait cut short by ctx returns at once with an EUnavailable error and
//     leaves no lock: pgx answers ctx by closing the connection, which cancels
//     the wait on the server and ends the session, and PostgreSQL releases a
//     session's locks when it ends, even if the lock was granted at the last
//     moment. Lock never returns an error while holding the lock.
//   - The lock lasts as long as its session. If the connection dies while the
//     lock is held (the server restarts or fails over, the network breaks,
//     pg_terminate_backend, a pooler drops it), PostgreSQL releases the lock
//     and another process may take it while the holder still runs its
//     critical section, unaware: the holder finds out only when it unlocks.
//     What runs under the lock must not rest on it alone: rdv writes events
//     conditionally (If-None-Match, If-Match) and the ledger in transactions.
//     A process that crashes releases its locks at once (its sockets close);
//     a host that vanishes is noticed through TCP keepalives, which the
//     sessions of OpenPostgres's locker set to about 25 seconds.
//
// Each lock held or awaited uses a connection of the pool for its whole
// duration: give the locker a pool of its own (as OpenPostgres does), or the
// queries made under the locks may find no connection left. The pool must
// reach PostgreSQL directly or through a pooler in session mode.
type PGLocker struct {
	pool  *pgxpool.Pool
	local booking.MutexLocker
}

var _ booking.Locker = (*PGLocker)(nil)

// NewPGLocker returns a locker whose sessions come from pool. OpenPostgres
// makes one on a pool of its own, with the session settings described in
// lockPoolConfig; use it through (*Postgres).Locker.
func NewPGLocker(pool *pgxpool.Pool) *PGLocker { return &PGLocker{pool: pool} }

// Lock implements booking.Locker. It returns an EUnavailable error when ctx
// is done before the lock is held or when the database can't be reached.
func (l *PGLocker) Lock(ctx context.Context, key string) (func(), error) {
	unlockLocal, err := l.local.Lock(ctx, key)
	if err != nil {
		return nil, err
	}
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		unlockLocal()
		return nil, lockError(ctx, err, key)
	}
	id := advisoryKey("rdv:" + key)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", id); err != nil {
		// Whether or not the server granted the lock before the wait was
		// cut short, ending the session releases it.
		closeConn(conn)
		conn.Release()
		unlockLocal()
		return nil, lockError(ctx, err, key)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
			defer cancel()
			var released bool
			err := conn.QueryRow(ctx, "SELECT pg_advisory_unlock($1)", id).Scan(&released)
			if err != nil || !released {
				// The session is broken, or lost the lock already: don't
				// give it back to the pool.
				closeConn(conn)
			}
			conn.Release()
			unlockLocal()
		})
	}, nil
}

// closeConn ends the session of c, releasing every lock it holds; the pool
// drops a closed connection when it is released.
func closeConn(c *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c.Conn().Close(ctx)
}

// lockError is the error of a Lock that failed with err.
func lockError(ctx context.Context, err error, key string) error {
	if ctx.Err() != nil {
		return booking.WrapError(booking.EUnavailable, err, "the practitioner's agenda is busy, try again")
	}
	return wrapPgError(err, "cannot lock %s", key)
}

// advisoryKey returns the 64-bit id of the advisory lock named name: the
// first 8 bytes of its SHA-256, big-endian. Every version of rdv must compute
// the same ids, or two versions running side by side during an upgrade would
// not exclude each other. Two names with the same id only wait for each
// other for nothing.
func advisoryKey(name string) int64 {
	sum := sha256.Sum256([]byte(name))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// lockPoolConfig returns the configuration of the pool of lock sessions,
// derived from the store's. Its sessions:
//   - never time out by themselves (statement_timeout, lock_timeout and
//     idle_session_timeout off): only ctx ends a wait, only unlock a hold;
//   - set TCP keepalives (10 s idle, then 3 probes 5 s apart), so that the
//     server ends the session, and releases its locks, about 25 s after the
//     process's host vanished, instead of the system's default two hours;
//   - are named "<application_name> locks" in pg_stat_activity.
func lockPoolConfig(cfg *pgxpool.Config) *pgxpool.Config {
	c := cfg.Copy()
	p := c.ConnConfig.RuntimeParams
	p["application_name"] += " locks"
	p["statement_timeout"] = "0"
	p["lock_timeout"] = "0"
	p["idle_in_transaction_session_timeout"] = "0"
	p["tcp_keepalives_idle"] = "10"
	p["tcp_keepalives_interval"] = "5"
	p["tcp_keepalives_count"] = "3"
	after := c.AfterConnect
	c.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		if after != nil {
			if err := after(ctx, conn); err != nil {
				return err
			}
		}
		// PostgreSQL 14 and later; older servers have no such timeout.
		_, err := conn.Exec(ctx, "SET idle_session_timeout = 0")
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "42704" { // undefined_object
			return nil
		}
		return err
	}
	return c
}

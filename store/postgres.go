package store

import (
	"context"
	"embed"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rdvlibre/rdv/booking"
)

// closeGrace is how long Close waits for the locks still held to be released.
const closeGrace = 5 * time.Second

// defaultConnectTimeout bounds a connection attempt when the address sets no
// connect_timeout, so that an unreachable server fails a call instead of
// hanging it until the TCP timeout.
const defaultConnectTimeout = 10 * time.Second

//go:embed migrations/postgres/*.sql
var postgresMigrations embed.FS

// Postgres is a store in a PostgreSQL database, for several replicas of the
// service sharing one database. It is safe for concurrent use by many
// goroutines, and by many processes on the same database.
//
// Queries run on a pool of connections (pgx). Locks taken through Locker use
// a second pool, so that sessions holding or awaiting a lock never starve the
// queries made under it.
type Postgres struct {
	pool       *pgxpool.Pool // queries
	locks      *pgxpool.Pool // one session per lock held or awaited
	locker     *PGLocker
	closeGrace time.Duration
}

var _ booking.Store = (*Postgres)(nil)

// OpenPostgres connects to the PostgreSQL database at dsn, a URL
// (postgres://user:password@host:port/database?sslmode=verify-full) with the
// parameters of libpq and pgxpool (pool_max_conns, …), and brings its schema
// up to date. Replicas starting together are safe: one applies the
// migrations while the others wait, then find them applied. Close it when
// done.
//
// Each of the two pools (queries and locks) opens at most pool_max_conns
// connections (default: the greater of 4 and the number of CPUs). A
// connection attempt gives up after connect_timeout (default 10 s). The
// address must reach PostgreSQL itself or a pooler in session mode: the locks
// are session-level advisory locks, which a pooler in transaction mode breaks.
//
// It returns an EInvalid error for an address it can't read, EUnavailable when
// the server can't be reached, and EInternal when it refuses the connection
// (authentication, unknown database) or the schema is newer than this program.
func OpenPostgres(ctx context.Context, dsn string) (*Postgres, error) {
	if !isPostgresURL(dsn) {
		return nil, booking.Errorf(booking.EInvalid, "store: PostgreSQL address must start with postgres:// or postgresql://")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The cause may quote the address, password included: keep it out of
		// the message.
		return nil, booking.WrapError(booking.EInvalid, err, "store: bad PostgreSQL address")
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "rdv"
	}

	s := &Postgres{closeGrace: closeGrace}
	// Neither pool connects before it is used.
	if s.pool, err = pgxpool.NewWithConfig(context.Background(), cfg); err != nil {
		return nil, wrapPgError(err, "cannot open database")
	}
	if s.locks, err = pgxpool.NewWithConfig(context.Background(), lockPoolConfig(cfg)); err != nil {
		s.pool.Close()
		return nil, wrapPgError(err, "cannot open database")
	}
	s.locker = NewPGLocker(s.locks)

	if err := s.init(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// isPostgresURL reports whether dsn is a PostgreSQL URL rather than a file name.
func isPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// init applies the migrations.
func (s *Postgres) init(ctx context.Context) error {
	ms, err := loadMigrations(postgresMigrations, "migrations/postgres")
	if err != nil {
		return err
	}
	if err := migratePostgres(ctx, s.pool, ms); err != nil {
		return err
	}
	return s.Ping(ctx)
}

// Locker returns the locker that serialises bookings across every process
// using this database, with PostgreSQL advisory locks. See PGLocker.
func (s *Postgres) Locker() *PGLocker { return s.locker }

// Close closes the database: it waits for the calls in flight, then for the
// locks still held to be released, at most 5 seconds. Past that it returns an
// EInternal error and leaves the sessions of those locks open until they are
// released or the process exits: release every lock before Close.
func (s *Postgres) Close() error {
	if s.pool != nil {
		s.pool.Close()
	}
	if s.locks == nil {
		return nil
	}
	done := make(chan struct{})
	go func() {
		s.locks.Close()
		close(done)
	}()
	timer := time.NewTimer(s.closeGrace)
	defer timer.Stop()
	select {
	case <-done:
		return nil
	case <-timer.C:
		return booking.Errorf(booking.EInternal, "store: locks still held %v after Close", s.closeGrace)
	}
}

// Ping reports whether the database can be read, for a readiness probe.
func (s *Postgres) Ping(ctx context.Context) error {
	var v int
	err := s.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v)
	if err != nil {
		return wrapPgError(err, "database unreachable")
	}
	return nil
}

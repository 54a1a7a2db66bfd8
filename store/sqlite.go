package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rdvlibre/rdv/booking"
)

// busyTimeoutMS is how long a statement waits for a lock held by another
// process on the same file before it fails with SQLITE_BUSY. Within one
// process writers never wait on SQLite's lock: they share one connection.
const busyTimeoutMS = 5000

//go:embed migrations/sqlite/*.sql
var sqliteMigrations embed.FS

// SQLite is a store in an SQLite database file. It is safe for concurrent use
// by many goroutines.
//
// Writes are serialised on one connection; reads run on a pool of read-only
// connections, concurrently with each other and with the writer (WAL mode).
type SQLite struct {
	w *sql.DB // the single writing connection
	r *sql.DB // read-only connections
}

var _ booking.Store = (*SQLite)(nil)

// OpenSQLite opens the SQLite database at path, creating the file (mode 0600)
// and its directory (mode 0700) if they don't exist, and brings its schema up
// to date. The database is put in WAL mode, with foreign keys enforced and
// synchronous=NORMAL. Close it when done.
//
// path is a file name, never a URI nor ":memory:" (a relative ":memory:" names
// a file in the working directory). It must not contain '?'.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	if path == "" {
		return nil, booking.Errorf(booking.EInvalid, "store: database path is empty")
	}
	if strings.ContainsRune(path, '?') {
		return nil, booking.Errorf(booking.EInvalid, "store: database path must not contain '?'")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, booking.WrapError(booking.EInvalid, err, "store: bad database path")
	}
	if err := createFile(abs); err != nil {
		return nil, booking.WrapError(booking.EUnavailable, err, "store: cannot create database file")
	}
	// Several processes opening a new file at once race to switch it to WAL;
	// the loser gets SQLITE_BUSY, which busy_timeout does not cover. Retry.
	for attempt := 1; ; attempt++ {
		s, err := openSQLite(ctx, abs)
		if err == nil || !isBusy(err) || attempt == 40 || ctx.Err() != nil {
			return s, err
		}
		select {
		case <-time.After(time.Duration(attempt) * 10 * time.Millisecond):
		case <-ctx.Done():
			return nil, wrapError(ctx.Err(), "cannot open database")
		}
	}
}

// isBusy reports whether err is SQLite's "database is busy" or "locked".
func isBusy(err error) bool {
	code, ok := sqliteCode(err)
	return ok && (code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED)
}

// openSQLite opens the two pools on the file at abs and initialises it.
func openSQLite(ctx context.Context, abs string) (*SQLite, error) {
	var err error
	s := &SQLite{}
	s.w, err = sql.Open("sqlite", sqliteDSN(abs, true))
	if err != nil {
		return nil, wrapError(err, "cannot open database")
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)

	s.r, err = sql.Open("sqlite", sqliteDSN(abs, false))
	if err != nil {
		s.w.Close()
		return nil, wrapError(err, "cannot open database")
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.r.SetMaxOpenConns(n)
	s.r.SetMaxIdleConns(n)
	s.r.SetConnMaxLifetime(0)
	s.r.SetConnMaxIdleTime(0)

	if err := s.init(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// init checks the journal mode and applies the migrations.
func (s *SQLite) init(ctx context.Context) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return wrapError(err, "cannot open database")
	}
	if !strings.EqualFold(mode, "wal") {
		// SQLite keeps the old mode when the file system can't do WAL.
		return booking.Errorf(booking.EUnavailable, "store: database is in journal mode %q, not wal (a network file system?)", mode)
	}
	ms, err := loadMigrations(sqliteMigrations, "migrations/sqlite")
	if err != nil {
		return err
	}
	if err := migrate(ctx, s.w, ms); err != nil {
		return err
	}
	return s.Ping(ctx)
}

// Close closes the database. Calls in flight may fail.
func (s *SQLite) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return wrapError(err, "cannot close database")
	}
	return nil
}

// Ping reports whether the database can be read, for a readiness probe. It
// runs a query on a reading connection, so it does not wait for writes.
func (s *SQLite) Ping(ctx context.Context) error {
	var v int
	err := s.r.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v)
	if err != nil {
		return wrapError(err, "database unreachable")
	}
	return nil
}

// createFile creates the database file with mode 0600 if it doesn't exist
// (SQLite would use 0644, less the umask), and its directory with mode 0700.
// SQLite gives the -wal and -shm files the permissions of the database file.
func createFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// sqliteDSN returns the data source name of the file at path, an absolute file
// name without '?', for the modernc.org/sqlite driver: the pragmas run on each
// new connection. The writer starts its transactions with BEGIN IMMEDIATE, so
// that a transaction that reads before it writes can't fail to upgrade its lock.
func sqliteDSN(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.Itoa(busyTimeoutMS)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if writer {
		q.Add("_pragma", "journal_mode(WAL)")
		// Content deleted or overwritten (a patient's data erased) is
		// zeroed in the file, not left in free space.
		q.Add("_pragma", "secure_delete(1)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return path + "?" + q.Encode()
}

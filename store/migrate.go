package store

import (
	"context"
	"database/sql"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/rdvlibre/rdv/booking"
)

// A migration is one numbered SQL file: NNNN_what.sql, applied in the order of
// NNNN. Its statements run in one transaction, with the row that records it in
// schema_migrations. SQLite ignores PRAGMA foreign_keys inside a transaction: a
// migration that rebuilds a table must not count on turning it off.
type migration struct {
	version int
	name    string // file name
	sql     string
}

// loadMigrations reads the *.sql files of dir in fsys, sorted by version.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, booking.WrapError(booking.EInternal, err, "store: cannot read migrations")
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || strings.TrimLeft(num, "0123456789") != "" {
			return nil, booking.Errorf(booking.EInternal, "store: migration %s: name must be NNNN_what.sql", name)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, booking.WrapError(booking.EInternal, err, "store: cannot read migration "+name)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, booking.Errorf(booking.EInternal, "store: migrations %s and %s have the same number", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

// migrate applies to db the migrations not yet recorded in schema_migrations.
// It refuses a database that has a migration this program does not know (made
// by a newer version of rdv, or a file renamed since).
func migrate(ctx context.Context, db *sql.DB, ms []migration) error {
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at TEXT    NOT NULL
	) STRICT`
	if _, err := db.ExecContext(ctx, create); err != nil {
		return wrapError(err, "cannot create schema_migrations")
	}
	applied, err := appliedMigrations(ctx, db)
	if err != nil {
		return err
	}
	if err := checkApplied(applied, ms); err != nil {
		return err
	}
	for _, m := range ms {
		if _, ok := applied[m.version]; ok {
			continue
		}
		if err := applyMigration(ctx, db, m); err != nil {
			return err
		}
	}
	return nil
}

// checkApplied refuses a database that has recorded a migration this program
// does not know: one made by a newer version of rdv, or a file renamed since.
func checkApplied(applied map[int]string, ms []migration) error {
	known := make(map[int]string, len(ms))
	for _, m := range ms {
		known[m.version] = m.name
	}
	for v, name := range applied {
		if known[v] != name {
			return booking.Errorf(booking.EInternal, "store: database has migration %s, unknown to this version of rdv", name)
		}
	}
	return nil
}

// appliedMigrations returns the name of each recorded migration by version.
func appliedMigrations(ctx context.Context, db *sql.DB) (map[int]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT version, name FROM schema_migrations")
	if err != nil {
		return nil, wrapError(err, "cannot read schema_migrations")
	}
	defer rows.Close()
	applied := make(map[int]string)
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			return nil, wrapError(err, "cannot read schema_migrations")
		}
		applied[v] = name
	}
	if err := rows.Err(); err != nil {
		return nil, wrapError(err, "cannot read schema_migrations")
	}
	return applied, nil
}

// applyMigration runs m and records it, in one transaction. It does nothing if
// another process recorded m in the meantime.
func applyMigration(ctx context.Context, db *sql.DB, m migration) error {
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one migrator at a time
	if err != nil {
		return wrapError(err, "cannot apply migration %s", m.name)
	}
	defer tx.Rollback() // an error after Commit is sql.ErrTxDone, nothing to undo

	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", m.version).Scan(&n); err != nil {
		return wrapError(err, "cannot apply migration %s", m.name)
	}
	if n == 0 {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return wrapError(err, "migration %s failed", m.name)
		}
		const record = `INSERT INTO schema_migrations (version, name, applied_at)
			VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`
		if _, err := tx.ExecContext(ctx, record, m.version, m.name); err != nil {
			return wrapError(err, "cannot record migration %s", m.name)
		}
	}
	if err := tx.Commit(); err != nil {
		return wrapError(err, "cannot commit migration %s", m.name)
	}
	return nil
}

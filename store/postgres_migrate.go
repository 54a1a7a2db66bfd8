package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationLock is the advisory lock that serialises migrations across the
// processes sharing a database. Its name can't be a Locker key's, which all
// start with "rdv:".
var migrationLock = advisoryKey("rdv/schema_migrations")

// migratePostgres applies to the database the migrations not yet recorded in
// schema_migrations, as migrate does for SQLite: each in its own transaction
// with the row that records it, so that a failed migration leaves the ones
// before it applied. It refuses a database that has a migration this program
// does not know.
//
// Every transaction first takes migrationLock (pg_advisory_xact_lock, released
// at its end), so that replicas starting together apply each migration once:
// the others wait, then find it recorded. Creating schema_migrations is under
// the lock too: two CREATE TABLE IF NOT EXISTS at once can fail in PostgreSQL.
//
// A migration runs in a transaction: it must not use what can't run in one
// (CREATE INDEX CONCURRENTLY, VACUUM).
func migratePostgres(ctx context.Context, pool *pgxpool.Pool, ms []migration) error {
	var applied map[int]string
	err := lockedTx(ctx, pool, func(tx pgx.Tx) error {
		const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     NOT NULL PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`
		if _, err := tx.Exec(ctx, create); err != nil {
			return wrapPgError(err, "cannot create schema_migrations")
		}
		var err error
		applied, err = pgAppliedMigrations(ctx, tx)
		return err
	})
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
		if err := applyPgMigration(ctx, pool, m); err != nil {
			return err
		}
	}
	return nil
}

// pgAppliedMigrations returns the name of each recorded migration by version.
func pgAppliedMigrations(ctx context.Context, tx pgx.Tx) (map[int]string, error) {
	rows, err := tx.Query(ctx, "SELECT version, name FROM schema_migrations")
	if err != nil {
		return nil, wrapPgError(err, "cannot read schema_migrations")
	}
	defer rows.Close()
	applied := make(map[int]string)
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			return nil, wrapPgError(err, "cannot read schema_migrations")
		}
		applied[v] = name
	}
	if err := rows.Err(); err != nil {
		return nil, wrapPgError(err, "cannot read schema_migrations")
	}
	return applied, nil
}

// applyPgMigration runs m and records it, in one transaction. It does nothing
// if another process recorded m in the meantime.
func applyPgMigration(ctx context.Context, pool *pgxpool.Pool, m migration) error {
	return lockedTx(ctx, pool, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM schema_migrations WHERE version = $1", m.version).Scan(&n); err != nil {
			return wrapPgError(err, "cannot apply migration %s", m.name)
		}
		if n > 0 {
			return nil
		}
		// Without arguments, pgx sends the file in one simple query: it may
		// hold several statements.
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return wrapPgError(err, "migration %s failed", m.name)
		}
		const record = `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`
		if _, err := tx.Exec(ctx, record, m.version, m.name); err != nil {
			return wrapPgError(err, "cannot record migration %s", m.name)
		}
		return nil
	})
}

// lockedTx runs f in a transaction that holds migrationLock, and commits if f
// returns nil.
func lockedTx(ctx context.Context, pool *pgxpool.Pool, f func(pgx.Tx) error) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return wrapPgError(err, "cannot migrate database")
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // after Commit, a no-op
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
		return wrapPgError(err, "cannot lock database for migrations")
	}
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return wrapPgError(err, "cannot commit migrations")
	}
	return nil
}

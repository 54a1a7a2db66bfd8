package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/rdvlibre/rdv/internal/testservers"
)

// TestWaitSharedMigration: migration 0013 gives the waiting-list entries
// made before it an empty shared_id (a practitioner's type).
func TestWaitSharedMigration(t *testing.T) {
	ctx := context.Background()
	const insert = `INSERT INTO waitlist_entries (id, practitioner_id, type_id, name, email, phone, email_key, lang,
		from_day, until_day, part, weekdays, status, token_hash, created_at, expires_at, updated_at)
		VALUES ('e1', 'demo', 'consultation', 'Marie Curie', 'marie@example.org', '', 'marie@example.org', 'fr',
		'2026-12-01', '2026-12-04', 'any', 0, 'active', 'h1', '2026-11-30T08:00:00.000000000Z', '2026-12-04T23:00:00.000000000Z', '2026-11-30T08:00:00.000000000Z')`
	t.Run("sqlite", func(t *testing.T) {
		ms, err := loadMigrations(sqliteMigrations, "migrations/sqlite")
		if err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite", sqliteDSN(filepath.Join(t.TempDir(), "old.db"), true))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		if err := migrate(ctx, db, ms[:12]); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(insert); err != nil {
			t.Fatal(err)
		}
		if err := migrate(ctx, db, ms); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := db.QueryRow(`SELECT shared_id FROM waitlist_entries WHERE id = 'e1'`).Scan(&got); err != nil || got != "" {
			t.Fatalf("shared_id %q, %v; want ''", got, err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		pool := newPool(t, testservers.StartPostgres(t))
		ms, err := loadMigrations(postgresMigrations, "migrations/postgres")
		if err != nil {
			t.Fatal(err)
		}
		if err := migratePostgres(ctx, pool, ms[:12]); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, insert); err != nil {
			t.Fatal(err)
		}
		if err := migratePostgres(ctx, pool, ms); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := pool.QueryRow(ctx, `SELECT shared_id FROM waitlist_entries WHERE id = 'e1'`).Scan(&got); err != nil || got != "" {
			t.Fatalf("shared_id %q, %v; want ''", got, err)
		}
	})
}

package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/rdvlibre/rdv/internal/testservers"
)

// The booking of a ledger made before migration 0006, and the keys the
// migration must give it.
const (
	oldBookingSQLite = `INSERT INTO bookings (id, practitioner_id, type_id, start_at, end_at, status,
		patient_name, patient_email, patient_phone, token_hash, event_href, event_etag, sequence, created_at, updated_at)
		VALUES ('b1', 'demo', 'consultation', '2026-12-01T08:00:00.000000000Z', '2026-12-01T08:20:00.000000000Z', 'confirmed',
		'Marie Curie', 'Marie@Example.org', '+33 (0)6 12.34-56 78', 'h1', '/b1.ics', '', 0,
		'2026-11-20T08:00:00.000000000Z', '2026-11-20T08:00:00.000000000Z')`
	oldBookingPostgres = `INSERT INTO bookings (id, practitioner_id, type_id, start_at, start_ns, end_at, end_ns, status,
		patient_name, patient_email, patient_phone, token_hash, event_href, event_etag, sequence, created_at, created_ns, updated_at, updated_ns)
		VALUES ('b1', 'demo', 'consultation', '2026-12-01T08:00:00Z', 0, '2026-12-01T08:20:00Z', 0, 'confirmed',
		'Marie Curie', 'Marie@Example.org', '+33 (0)6 12.34-56 78', 'h1', '/b1.ics', '', 0,
		'2026-11-20T08:00:00Z', 0, '2026-11-20T08:00:00Z', 0)`
	wantEmailKey, wantPhoneKey = "marie@example.org", "612345678"
)

// TestLimitsMigrationBackfill: migration 0006 gives the rows already in a
// ledger the contact keys the limits compare.
func TestLimitsMigrationBackfill(t *testing.T) {
	ctx := context.Background()
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
		if err := migrate(ctx, db, ms[:5]); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(oldBookingSQLite); err != nil {
			t.Fatal(err)
		}
		if err := migrate(ctx, db, ms); err != nil {
			t.Fatal(err)
		}
		var email, phone string
		var moves int
		if err := db.QueryRow(`SELECT email_key, phone_key, moves FROM bookings WHERE id = 'b1'`).Scan(&email, &phone, &moves); err != nil {
			t.Fatal(err)
		}
		if email != wantEmailKey || phone != wantPhoneKey || moves != 0 {
			t.Errorf("keys = %q, %q, moves %d; want %q, %q, 0", email, phone, moves, wantEmailKey, wantPhoneKey)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		pool := newPool(t, testservers.StartPostgres(t))
		ms, err := loadMigrations(postgresMigrations, "migrations/postgres")
		if err != nil {
			t.Fatal(err)
		}
		if err := migratePostgres(ctx, pool, ms[:5]); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, oldBookingPostgres); err != nil {
			t.Fatal(err)
		}
		if err := migratePostgres(ctx, pool, ms); err != nil {
			t.Fatal(err)
		}
		var email, phone string
		if err := pool.QueryRow(ctx, `SELECT email_key, phone_key FROM bookings WHERE id = 'b1'`).Scan(&email, &phone); err != nil {
			t.Fatal(err)
		}
		if email != wantEmailKey || phone != wantPhoneKey {
			t.Errorf("keys = %q, %q; want %q, %q", email, phone, wantEmailKey, wantPhoneKey)
		}
	})
}

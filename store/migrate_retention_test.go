package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/rdvlibre/rdv/internal/testservers"
)

// TestRetentionMigrationKeys: migration 0010 takes off the +tag that
// migration 0006 left in the email keys of older rows, as booking.EmailKey
// does, so that an export or an erasure by address finds them; other keys
// are left as they are.
func TestRetentionMigrationKeys(t *testing.T) {
	ctx := context.Background()
	keys := map[string]string{ // email_key before, after
		"marie+rdv@example.org": "marie@example.org",
		"marie@example.org":     "marie@example.org",
		"+tag@example.org":      "+tag@example.org", // a + first is not a tag
		"marie@ex+ample.org":    "marie@ex+ample.org",
	}
	check := func(t *testing.T, query func(before string) string) {
		for before, want := range keys {
			if got := query(before); got != want {
				t.Errorf("email_key %q became %q, want %q", before, got, want)
			}
		}
	}
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
		if err := migrate(ctx, db, ms[:9]); err != nil {
			t.Fatal(err)
		}
		i := 0
		for before := range keys {
			i++
			if _, err := db.Exec(`INSERT INTO bookings (id, practitioner_id, type_id, start_at, end_at, status,
				patient_name, patient_email, email_key, created_at, updated_at)
				VALUES (?, 'demo', 'consultation', '2026-12-01T08:00:00.000000000Z', '2026-12-01T08:20:00.000000000Z', 'confirmed',
				'Marie Curie', ?, ?, '2026-11-20T08:00:00.000000000Z', '2026-11-20T08:00:00.000000000Z')`,
				"b"+string(rune('0'+i)), before, before); err != nil {
				t.Fatal(err)
			}
		}
		if err := migrate(ctx, db, ms); err != nil {
			t.Fatal(err)
		}
		check(t, func(before string) string {
			var got string
			var erased sql.NullString
			if err := db.QueryRow(`SELECT email_key, erased_at FROM bookings WHERE patient_email = ?`, before).Scan(&got, &erased); err != nil {
				t.Fatal(err)
			}
			if erased.Valid {
				t.Errorf("an old row is marked erased")
			}
			return got
		})
	})
	t.Run("postgres", func(t *testing.T) {
		pool := newPool(t, testservers.StartPostgres(t))
		ms, err := loadMigrations(postgresMigrations, "migrations/postgres")
		if err != nil {
			t.Fatal(err)
		}
		if err := migratePostgres(ctx, pool, ms[:9]); err != nil {
			t.Fatal(err)
		}
		i := 0
		for before := range keys {
			i++
			if _, err := pool.Exec(ctx, `INSERT INTO bookings (id, practitioner_id, type_id, start_at, end_at, status,
				patient_name, patient_email, email_key, created_at, updated_at)
				VALUES ($1, 'demo', 'consultation', '2026-12-01T08:00:00Z', '2026-12-01T08:20:00Z', 'confirmed',
				'Marie Curie', $2, $2, '2026-11-20T08:00:00Z', '2026-11-20T08:00:00Z')`,
				"b"+string(rune('0'+i)), before); err != nil {
				t.Fatal(err)
			}
		}
		if err := migratePostgres(ctx, pool, ms); err != nil {
			t.Fatal(err)
		}
		check(t, func(before string) string {
			var got string
			if err := pool.QueryRow(ctx, `SELECT email_key FROM bookings WHERE patient_email = $1 AND erased_at IS NULL`, before).Scan(&got); err != nil {
				t.Fatal(err)
			}
			return got
		})
	})
}

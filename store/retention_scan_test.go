package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rdvlibre/rdv/booking"
)

// patientTraces returns the forms in which b's patient could be stored:
// name, email, phone, and the keys the limits compare.
func patientTraces(b *booking.Booking) []string {
	p := b.Patient
	return []string{p.Name, p.Email, strings.ToLower(p.Email), booking.EmailKey(p.Email), p.Phone, booking.PhoneKey(p.Phone)}
}

// dump returns every value of every table of the database at addr, as
// text, one row a line, prefixed with its table's name.
func dump(t *testing.T, be backend, addr string) string {
	t.Helper()
	ctx := context.Background()
	var out strings.Builder
	switch be.name {
	case "sqlite":
		db, err := sql.Open("sqlite", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		tables := queryStrings(t, db, `SELECT name FROM sqlite_master WHERE type = 'table'`)
		if len(tables) < 5 {
			t.Fatalf("only tables %v", tables)
		}
		for _, table := range tables {
			rows, err := db.Query(`SELECT * FROM "` + table + `"`)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&out, "%s:", table)
				for _, v := range vals {
					if b, ok := v.([]byte); ok {
						v = string(b)
					}
					fmt.Fprintf(&out, " %v", v)
				}
				out.WriteByte('\n')
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
		}
	case "postgres":
		conn, err := pgx.Connect(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`)
		if err != nil {
			t.Fatal(err)
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if len(tables) < 5 {
			t.Fatalf("only tables %v", tables)
		}
		for _, table := range tables {
			// A row as text holds every column; bytea in hex, so the
			// sealed payloads are also read with convert_from below.
			rows, err := conn.Query(ctx, `SELECT r::text FROM "`+table+`" r`)
			if err != nil {
				t.Fatal(err)
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range lines {
				fmt.Fprintf(&out, "%s: %s\n", table, l)
			}
		}
		for _, q := range []string{`SELECT coalesce(sealed, '') FROM outbox`, `SELECT response FROM idempotency_keys`} {
			rows, err := conn.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			blobs, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range blobs {
				fmt.Fprintf(&out, "blob: %s\n", b)
			}
		}
	default:
		t.Fatalf("no dump for backend %s", be.name)
	}
	return out.String()
}

func queryStrings(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestRetentionLeavesNoTrace(t *testing.T) { forEachBackend(t, testRetentionLeavesNoTrace) }

// testRetentionLeavesNoTrace: once their bookings are erased, no table of
// the store holds any of their patients' name, email or phone, in any
// form; the patient whose booking is kept is still found (so that the
// scan is seen to work).
func testRetentionLeavesNoTrace(t *testing.T, be backend) {
	ctx := context.Background()
	s, addr := openTest(t, be)
	erased := []*booking.Booking{
		aged(1, booking.StatusConfirmed, days(-100), days(-100)),
		aged(2, booking.StatusCancelled, days(5), days(-40)),
		aged(3, booking.StatusExpired, days(-50), days(-50)),
		aged(4, booking.StatusConfirmed, days(-2), days(-3)), // erased on request
	}
	erased[0].Patient = booking.Patient{Name: "Marie Sklodowska", Email: "Marie.Sklodowska+rdv@Example.org", Phone: "06 11 22 33 44"}
	erased[1].Patient = booking.Patient{Name: "Pierre Curie", Email: "pierre@example.net", Phone: "+33 7 55 66 77 88"}
	erased[2].Patient = booking.Patient{Name: "Irène Joliot", Email: "irene@example.com", Phone: ""}
	erased[3].Patient = booking.Patient{Name: "Ève Curie", Email: "eve@example.fr", Phone: "0699887766"}
	kept := aged(5, booking.StatusConfirmed, days(10), days(-1))
	kept.Patient = booking.Patient{Name: "Paul Langevin", Email: "paul@example.org", Phone: "0612121212"}
	for _, b := range append(erased, kept) {
		recordWithTraces(t, s, b)
	}
	before := dump(t, be, addr)
	for _, b := range append(erased, kept) {
		p := b.Patient
		for _, v := range []string{p.Name, p.Email, p.Phone, booking.EmailKey(p.Email), booking.PhoneKey(p.Phone)} {
			if v != "" && !strings.Contains(before, v) {
				t.Fatalf("the scan does not see %q before the erasure", v)
			}
		}
	}

	if _, err := s.EraseExpired(ctx, retentionCut, retentionNow, booking.MaxEraseBatch); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EraseBookings(ctx, []string{erased[3].ID}, retentionNow); err != nil {
		t.Fatal(err)
	}
	after := dump(t, be, addr)
	for _, b := range erased {
		for _, v := range patientTraces(b) {
			if v != "" && strings.Contains(after, v) {
				t.Errorf("%q still in the store after the erasure of booking %d", v, numOf(b))
			}
		}
	}
	for _, v := range []string{kept.Patient.Name, kept.Patient.Email, kept.Patient.Phone} {
		if !strings.Contains(after, v) {
			t.Errorf("%q of a booking not erased is gone", v)
		}
	}
	if be.name == "sqlite" {
		assertNotInFiles(t, addr, erased)
	}
}

// assertNotInFiles fails if the SQLite database file or its WAL holds any
// trace of the patients of bs, in the pages freed or rewritten by the
// erasure: secure_delete zeroes them.
func assertNotInFiles(t *testing.T, path string, bs []*booking.Booking) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal"} {
		data, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			for _, v := range patientTraces(b) {
				if v != "" && bytes.Contains(data, []byte(v)) {
					t.Errorf("%q still in %s after the erasure of booking %d", v, f, numOf(b))
				}
			}
		}
	}
}

package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/testservers"
	"github.com/rdvlibre/rdv/store"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		addr func(t testing.TB) string
		want string // type of the store, "" for an error
		code string
	}{
		{"file name", func(testing.TB) string { return filepath.Join(dir, "rdv.db") }, "*store.SQLite", ""},
		{"relative file name", func(t testing.TB) string { t.Chdir(t.TempDir()); return "rdv.db" }, "*store.SQLite", ""},
		{"postgres URL", testservers.StartPostgres, "*store.Postgres", ""},
		{"postgresql URL", func(t testing.TB) string {
			return "postgresql" + testservers.StartPostgres(t)[len("postgres"):]
		}, "*store.Postgres", ""},
		{"empty", func(testing.TB) string { return "" }, "", booking.EInvalid},
		{"postgres URL, bad port", func(testing.TB) string { return "postgres://h:x/db" }, "", booking.EInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := store.Open(ctx, tt.addr(t))
			if tt.code != "" {
				assertCode(t, err, tt.code)
				if s != nil { // not a typed nil either
					t.Errorf("store %#v with the error", s)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var got string
			switch s.(type) {
			case *store.SQLite:
				got = "*store.SQLite"
			case *store.Postgres:
				got = "*store.Postgres"
			}
			if got != tt.want {
				t.Errorf("store %T, want %s", s, tt.want)
			}
		})
	}
}

func TestNewLocker(t *testing.T) { forEachBackend(t, testNewLocker) }

func testNewLocker(t *testing.T, be backend) {
	s, _ := openTest(t, be)
	l := store.NewLocker(s)
	switch s.(type) {
	case *store.Postgres:
		if _, ok := l.(*store.PGLocker); !ok {
			t.Errorf("locker %T for PostgreSQL", l)
		}
	default:
		if _, ok := l.(*booking.MutexLocker); !ok {
			t.Errorf("locker %T for %T", l, s)
		}
	}
	unlock, err := l.Lock(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
}

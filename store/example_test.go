package store_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/store"
)

func ExampleOpenSQLite() {
	dir, err := os.MkdirTemp("", "rdv")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	s, err := store.OpenSQLite(ctx, filepath.Join(dir, "rdv.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	paris := time.FixedZone("CET", 3600)
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, paris)
	token := booking.NewToken() // given to the patient, never stored
	err = s.Record(ctx, booking.Change{Create: true, Booking: &booking.Booking{
		ID:             "0b8f6c1e-3d4a-4f6b-9a51-2c7d8e9f0a1b",
		PractitionerID: "demo",
		TypeID:         "consultation",
		Start:          start,
		End:            start.Add(20 * time.Minute),
		Status:         booking.StatusPending,
		Patient:        booking.Patient{Name: "Marie Curie", Email: "marie@example.org"},
		TokenHash:      booking.HashToken(token),
		CreatedAt:      start.AddDate(0, 0, -7),
		UpdatedAt:      start.AddDate(0, 0, -7),
	}})
	if err != nil {
		log.Fatal(err)
	}

	// The patient comes back with the token.
	b, err := s.BookingByTokenHash(ctx, booking.HashToken(token))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.Status, b.Start.Format(time.RFC3339), b.Start.In(paris).Format(time.RFC3339))

	_, err = s.Booking(ctx, "no-such-id")
	fmt.Println(booking.ErrorCode(err))
	// Output:
	// pending 2026-12-01T08:00:00Z 2026-12-01T09:00:00+01:00
	// not_found
}

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "rdv")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// The configuration names the store: a file for SQLite, or
	// "postgres://rdv:secret@db.example.org/rdv?sslmode=verify-full" for
	// PostgreSQL, shared by several replicas.
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "rdv.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	// The locker serialises bookings among every process using db: advisory
	// locks with PostgreSQL, a mutex of this process with SQLite.
	locker := store.NewLocker(db)
	unlock, err := locker.Lock(ctx, "demo")
	if err != nil {
		log.Fatal(err)
	}
	defer unlock()

	fmt.Printf("%T %T\n", db, locker)
	// Output:
	// *store.SQLite *booking.MutexLocker
}

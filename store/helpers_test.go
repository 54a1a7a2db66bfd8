package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
	"github.com/rdvlibre/rdv/internal/testservers"
	"github.com/rdvlibre/rdv/store"
)

// A backend is a kind of database the shared suite runs against. Each test
// of the suite is a function of a backend, run once per backend by
// forEachBackend as a subtest named after it:
//
//	func TestX(t *testing.T) { forEachBackend(t, testX) }
//	func testX(t *testing.T, be backend) { s, _ := openTest(t, be); … }
type backend struct {
	name string
	// newAddr returns the address of a new, empty database, for store.Open:
	// a file path or a postgres:// URL. It skips t if the backend can't run
	// here.
	newAddr func(t testing.TB) string
}

var backends = []backend{
	{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "rdv.db") }},
	// A new database on a server shared by the tests of the package.
	{"postgres", testservers.StartPostgres},
}

// forEachBackend runs test once for each backend, as a subtest.
func forEachBackend(t *testing.T, test func(t *testing.T, be backend)) {
	t.Helper()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) { test(t, be) })
	}
}

// openTest opens a fresh database of backend be, closed at the end of the
// test, and returns it with its address.
func openTest(t *testing.T, be backend) (store.DB, string) {
	t.Helper()
	addr := be.newAddr(t)
	s, err := store.Open(context.Background(), addr)
	if err != nil {
		t.Fatalf("open %s: %v", be.name, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, addr
}

// paris is a fixed +01:00 zone, so that tests don't depend on the system's
// time zone database.
var paris = time.FixedZone("CET", 3600)

// newBooking returns a valid pending booking numbered i, starting at 9:00 Paris
// on 1 December 2026 plus i times 20 minutes, with a time zone other than UTC
// and nanoseconds in its times.
func newBooking(i int) *booking.Booking {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, paris).Add(time.Duration(i) * 20 * time.Minute)
	created := time.Date(2026, 11, 20, 17, 3, 4, 123456789, paris)
	return &booking.Booking{
		ID:             fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
		PractitionerID: "demo",
		TypeID:         "consultation",
		Start:          start,
		End:            start.Add(20 * time.Minute),
		Status:         booking.StatusPending,
		Patient: booking.Patient{
			Name:  bookingtest.PatientName(i),
			Email: fmt.Sprintf("marie%d@example.org", i),
			Phone: "+33 6 12 34 56 78",
		},
		Lang:      "en",
		TokenHash: booking.HashToken(fmt.Sprintf("token-%d", i)),
		EventHref: fmt.Sprintf("/dav/calendars/demo/bookings/%d.ics", i),
		EventETag: `"etag-1"`,
		Sequence:  0,
		CreatedAt: created,
		UpdatedAt: created,
	}
}

// assertSameBooking fails unless got has every field of want, times being
// equal instants and in UTC.
func assertSameBooking(t *testing.T, got, want *booking.Booking) {
	t.Helper()
	if got == nil {
		t.Fatal("got nil booking")
	}
	g, w := *got, *want
	for _, tt := range []struct {
		name      string
		got, want time.Time
	}{
		{"Start", g.Start, w.Start},
		{"End", g.End, w.End},
		{"CreatedAt", g.CreatedAt, w.CreatedAt},
		{"UpdatedAt", g.UpdatedAt, w.UpdatedAt},
	} {
		if !tt.got.Equal(tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
		if tt.got.Location() != time.UTC {
			t.Errorf("%s in %v, want UTC", tt.name, tt.got.Location())
		}
	}
	g.Start, g.End, g.CreatedAt, g.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	w.Start, w.End, w.CreatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if g != w {
		t.Errorf("booking = %+v\nwant %+v", g, w)
	}
}

// assertCode fails unless err has the booking error code want ("" for nil).
func assertCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := booking.ErrorCode(err); got != want {
		t.Fatalf("error %v: code %q, want %q", err, got, want)
	}
}

// recordNew records a new booking alone (a Record with no messages nor key).
func recordNew(s booking.Store, ctx context.Context, b *booking.Booking) error {
	return s.Record(ctx, booking.Change{Booking: b, Create: true})
}

// recordUpdate records a change of a booking alone (a Record with no
// messages), compare-and-set on b.Revision.
func recordUpdate(s booking.Store, ctx context.Context, b *booking.Booking) error {
	return s.Record(ctx, booking.Change{Booking: b})
}

package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/rdvlibre/rdv/booking"
)

func decodeBase64(data []byte) ([]byte, error) {
	s := strings.NewReplacer("\r", "", "\n", "").Replace(string(data))
	return base64.StdEncoding.DecodeString(s)
}

// openLedgerForCount counts the rows of the booking ledger.
func openLedgerForCount(path string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	err = db.QueryRow("SELECT count(*) FROM bookings").Scan(&n)
	return n, err
}

// mustNewService is booking.NewService, failing tb on error.
//
// Without Limits set, it turns the limits off: these tests book many times
// for one patient or practitioner; the limits have their own tests. It
// delivers inline.
func mustNewService(tb testing.TB, cfg booking.ServiceConfig) *booking.Service {
	tb.Helper()
	if cfg.Limits == (booking.Limits{}) {
		cfg.Limits = booking.NoLimits()
	}
	cfg.InlineDelivery = true // the tests read what was sent right after a call
	svc, err := booking.NewService(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return svc
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

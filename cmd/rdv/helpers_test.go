package main

import (
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
func mustNewService(tb testing.TB, cfg booking.ServiceConfig) *booking.Service {
	tb.Helper()
	svc, err := booking.NewService(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/davserver"
	"github.com/rdvlibre/rdv/ics"
	"github.com/rdvlibre/rdv/store"
)

// A host lost its store: the demo calendar still holds the booking events
// of its patients. rdv check reports them, without failing; rdv adopt
// -dry-run says what adopting would rebuild and records nothing; rdv adopt
// rebuilds the rows, tells no one and leaves the calendar as it is.

const (
	adoptLostID  = "3d8f6c1a-5b2e-4f7a-9c0d-8e1b2a3c4d5e" // a consultation: adoptable
	adoptOtherID = "9e7d6c5b-4a3f-4e2d-8c1b-0a9f8e7d6c5b" // a type not configured here
)

// runCLI runs rdv with args and returns what it printed.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, &out, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return out.String(), err
}

// putLostEvent writes into the demo calendar of the data directory the
// event rdv wrote for a booking that its store no longer has.
func putLostEvent(t *testing.T, data, id, typ string, start time.Time, p booking.Patient) string {
	t.Helper()
	pc := demoPractitioner()
	pract, err := pc.Practitioner()
	if err != nil {
		t.Fatal(err)
	}
	b := &booking.Booking{
		ID: id, PractitionerID: "demo", TypeID: typ, Start: start, End: start.Add(20 * time.Minute),
		Status: booking.StatusConfirmed, Patient: p, Sequence: 1,
	}
	obj, err := ics.Encode(ics.Appointment(booking.Appointment{Booking: b, Practitioner: &pract}, "", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	backend, err := davserver.NewFileBackend(filepath.Join(data, "dav"), "demo") // the embedded server's user
	if err != nil {
		t.Fatal(err)
	}
	if err := backend.PutObject("demo", id+".ics", obj); err != nil {
		t.Fatal(err)
	}
	stored, err := os.ReadFile(filepath.Join(data, "dav", "demo", id+".ics"))
	if err != nil {
		t.Fatal(err)
	}
	return string(stored)
}

func TestAdoptEmbedded(t *testing.T) {
	for _, env := range []string{"RDV_CONFIG", "RDV_ADDR", "RDV_DATA_DIR", "RDV_STORE"} {
		t.Setenv(env, "")
	}
	data := t.TempDir()
	dataArgs := []string{"-data", data}
	rows := func() int {
		t.Helper()
		n, err := openLedgerForCount(filepath.Join(data, "rdv.db"))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// A first run makes the data directory and the demo calendar.
	out, err := runCLI(t, append([]string{"check"}, dataArgs...)...)
	if err != nil {
		t.Fatalf("check on a new data directory: %v\n%s", err, out)
	}
	if strings.Contains(out, "unknown to this install") {
		t.Errorf("check reports unknown events on a new calendar:\n%s", out)
	}

	d := time.Now().In(parisLoc).AddDate(0, 0, 2)
	start := time.Date(d.Year(), d.Month(), d.Day(), 10, 0, 0, 0, parisLoc)
	patient := booking.Patient{Name: "Marie Curie", Email: "marie.curie@example.org", Phone: "+33 6 12 34 56 78"}
	lost := putLostEvent(t, data, adoptLostID, "consultation", start, patient)
	other := putLostEvent(t, data, adoptOtherID, "massage", start.Add(time.Hour),
		booking.Patient{Name: "Irène Joliot", Email: "irene@example.org"})
	untouched := func() {
		t.Helper()
		for id, want := range map[string]string{adoptLostID: lost, adoptOtherID: other} {
			got, err := os.ReadFile(filepath.Join(data, "dav", "demo", id+".ics"))
			if err != nil || string(got) != want {
				t.Errorf("the event of %s was changed or removed (%v)", id, err)
			}
		}
	}
	noPatientData := func(out string) {
		t.Helper()
		for _, secret := range []string{"Curie", "marie", "12 34", "Irène", "irene"} {
			if strings.Contains(out, secret) {
				t.Errorf("the output shows patient data %q:\n%s", secret, out)
			}
		}
	}

	// rdv check reports them, and does not fail for them.
	out, err = runCLI(t, append([]string{"check"}, dataArgs...)...)
	if err != nil {
		t.Errorf("check fails because of unknown events: %v\n%s", err, out)
	}
	if !strings.Contains(out, "booking events unknown to this install: 2 (left as they are; `rdv adopt -practitioner demo -dry-run`") {
		t.Errorf("check does not report the unknown events:\n%s", out)
	}
	noPatientData(out)
	untouched()

	// A dry run records nothing.
	out, err = runCLI(t, append([]string{"adopt", "-dry-run"}, dataArgs...)...)
	if err != nil {
		t.Fatalf("adopt -dry-run: %v\n%s", err, out)
	}
	for _, want := range []string{
		"practitioner demo: 2 booking event(s) unknown to this install (times in Europe/Paris)",
		adoptLostID, start.Format("2006-01-02 15:04"), "consultation", "confirmed", "would adopt",
		adoptOtherID, "massage", "skipped: its appointment type (X-RDV-TYPE) is not configured",
		"dry run: 1 booking(s) would be adopted; nothing recorded",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("adopt -dry-run does not say %q:\n%s", want, out)
		}
	}
	if strings.Index(out, adoptLostID) > strings.Index(out, adoptOtherID) {
		t.Errorf("the events are not listed by start:\n%s", out)
	}
	noPatientData(out)
	if n := rows(); n != 0 {
		t.Errorf("a dry run recorded %d rows", n)
	}
	untouched()

	// Adopting records the row and tells no one.
	out, err = runCLI(t, append([]string{"adopt", "-practitioner", "demo"}, dataArgs...)...)
	if err != nil {
		t.Fatalf("adopt: %v\n%s", err, out)
	}
	for _, want := range []string{adoptLostID + "  ", "adopted", "1 booking(s) adopted; no one was told", "resend-link", "skipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("adopt does not say %q:\n%s", want, out)
		}
	}
	noPatientData(out)
	if n := rows(); n != 1 {
		t.Fatalf("%d rows after adopting, want 1", n)
	}
	db, err := store.OpenSQLite(context.Background(), filepath.Join(data, "rdv.db"))
	if err != nil {
		t.Fatal(err)
	}
	row, err := db.Booking(context.Background(), adoptLostID)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if row.PractitionerID != "demo" || row.TypeID != "consultation" || row.Status != booking.StatusConfirmed ||
		!row.Start.Equal(start) || row.Patient != patient || row.TokenHash != "" || row.Sequence != 1 {
		t.Errorf("adopted row %+v", row)
	}
	if entries, _ := os.ReadDir(filepath.Join(data, "outbox")); len(entries) != 0 {
		t.Errorf("adopting sent %d email(s)", len(entries))
	}
	untouched()

	// Again: only the skipped one is left, and check says so.
	out, err = runCLI(t, append([]string{"adopt"}, dataArgs...)...)
	if err != nil || !strings.Contains(out, "1 booking event(s) unknown") || strings.Contains(out, adoptLostID) {
		t.Errorf("adopt again: %v\n%s", err, out)
	}
	if n := rows(); n != 1 {
		t.Errorf("%d rows after adopting again", n)
	}
	out, err = runCLI(t, append([]string{"check"}, dataArgs...)...)
	if err != nil || !strings.Contains(out, "booking events unknown to this install: 1 ") {
		t.Errorf("check once adopted: %v\n%s", err, out)
	}

	// An unknown practitioner, a stray argument.
	if out, err := runCLI(t, append([]string{"adopt", "-practitioner", "nobody"}, dataArgs...)...); err == nil || !strings.Contains(err.Error(), "nobody") {
		t.Errorf("adopt -practitioner nobody: %v\n%s", err, out)
	}
	if _, err := runCLI(t, append([]string{"adopt", "now"}, dataArgs...)...); err == nil {
		t.Error("adopt takes a stray argument")
	}
}

func TestCheckPrintHold(t *testing.T) {
	ids := func(n int) []string { return make([]string, n) }
	for _, tt := range []struct {
		name      string
		hold      booking.SyncHold
		want, not []string
		maxCancel int
	}{
		{name: "events missing", hold: booking.SyncHold{Missing: ids(6), Active: 8},
			want: []string{"HELD: 6 or more of the 8 active bookings"}, not: []string{"disagree"}},
		{name: "events rewritten", hold: booking.SyncHold{Missing: ids(1), Rewrites: ids(7), Active: 8},
			want: []string{"HELD: the events of 7 bookings to come disagree with the ledger"}, not: []string{"no event"}},
		{name: "both", hold: booking.SyncHold{Missing: ids(3), Rewrites: ids(4), Active: 5}, maxCancel: 2,
			want: []string{"HELD: 3 or more of the 5", "HELD: the events of 4 bookings"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			printHold(&out, tt.hold, tt.maxCancel)
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("no %q in:\n%s", w, out.String())
				}
			}
			for _, w := range tt.not {
				if strings.Contains(out.String(), w) {
					t.Errorf("%q in:\n%s", w, out.String())
				}
			}
		})
	}
}

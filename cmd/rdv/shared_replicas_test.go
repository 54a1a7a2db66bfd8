package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/internal/testservers"
)

// centreGPs are the practitioners of TestReplicasSharedMotive: each with
// their own hours, visit length and Radicale calendar.
var centreGPs = []struct {
	id, hours, duration string
}{
	{"martin", `["08:00-12:00"]`, "20m"},
	{"durand", `["10:00-16:00"]`, "30m"},
	{"petit", `["08:00-09:00", "14:00-15:00"]`, "20m"},
}

// writeCentreConfig writes the configuration of a centre of the three
// centreGPs on PostgreSQL store and Radicale r, with the shared motive
// "generaliste", and returns its path.
func writeCentreConfig(tb testing.TB, dir, store string, r *testservers.Radicale) string {
	tb.Helper()
	secretFile := filepath.Join(dir, "secret.key")
	if err := os.WriteFile(secretFile, []byte(base64.RawURLEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "secret_file = %q\nstore = %q\n[limits]\noff = true\n", secretFile, store)
	for _, gp := range centreGPs {
		fmt.Fprintf(&b, "[[practitioners]]\nid = %q\nname = \"Dr %s\"\ntimezone = \"Europe/Paris\"\nopen_on_holidays = true\n", gp.id, gp.id)
		b.WriteString("[practitioners.hours]\n")
		for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
			fmt.Fprintf(&b, "%s = %s\n", d, gp.hours)
		}
		fmt.Fprintf(&b, "[practitioners.calendar]\nurl = %q\nusername = %q\npassword = %q\nbookings = %q\n",
			r.URL, r.User, r.Password, "Agenda "+gp.id)
		fmt.Fprintf(&b, "[[practitioners.types]]\nid = \"consultation\"\nname = \"Consultation\"\nduration = %q\nhorizon_days = 365\n", gp.duration)
	}
	b.WriteString("[[shared_types]]\nid = \"generaliste\"\nname = \"Consultation de médecine générale\"\ntype = \"consultation\"\npractitioners = [\"martin\", \"durand\", \"petit\"]\n")
	path := filepath.Join(dir, "rdv.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestReplicasSharedMotive runs two rdv processes on one PostgreSQL and
// one Radicale, serving three GPs who share a motive. 200 "first
// available" bookings at once, split between the two, over the merged
// slots of a day: each start gets exactly as many bookings as
// practitioners were free then, the others 409; read straight from
// PostgreSQL and Radicale, no practitioner holds two overlapping
// bookings, and each practitioner's ledger rows and calendar agree. Then
// one Idempotency-Key sent to both at once books once.
func TestReplicasSharedMotive(t *testing.T) {
	skipHeavy(t)
	bin := rdvBinary(t, "")
	r := testservers.StartRadicale(t)
	for _, gp := range centreGPs {
		r.MkCalendar(t, "rdv-"+gp.id, "Agenda "+gp.id)
	}
	pg := testservers.StartPostgres(t)
	dir := t.TempDir()
	config := writeCentreConfig(t, dir, pg, r)
	replicas := make([]*rdvProcess, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, name := range []string{"A", "B"} {
		wg.Go(func() { replicas[i], errs[i] = spawnRdv(t, "replica "+name, bin, config, filepath.Join(dir, name)) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	day := localDay(3, 0, 0)
	var slots struct {
		Slots []struct {
			Start string `json:"start"`
			Free  int    `json:"free"`
		} `json:"slots"`
	}
	replicas[0].mustCall(http.MethodGet, "/v1/shared/generaliste/slots?from="+day.Format("2006-01-02")+"&to="+day.AddDate(0, 0, 1).Format("2006-01-02"), nil, http.StatusOK, &slots)
	// martin 12 + durand 12 + petit 6 visits, on 24 distinct starts.
	capacity := 0
	for _, s := range slots.Slots {
		capacity += s.Free
	}
	if len(slots.Slots) != 24 || capacity != 30 {
		t.Fatalf("%d merged slots for %d visits, want 24 for 30: %+v", len(slots.Slots), capacity, slots.Slots)
	}

	body := func(start string, i int) map[string]any {
		return map[string]any{
			"shared": "generaliste", "start": start,
			"patient": map[string]any{"name": fmt.Sprintf("Patient %c", 'A'+i%26), "email": fmt.Sprintf("p%d@example.org", i)},
		}
	}
	const n = 200
	began := time.Now()
	res := send(replicas, n, func(i int) (any, []string) {
		return body(slots.Slots[i%len(slots.Slots)].Start, i), []string{"Idempotency-Key", fmt.Sprintf("shared-%d", i)}
	})
	t.Logf("%d first-available bookings on %d replicas in %v", n, len(replicas), time.Since(began).Round(time.Millisecond))
	won := map[string]int{}     // by start
	told := map[string]string{} // booking id → practitioner the patient was told
	for i, res := range res {
		start := slots.Slots[i%len(slots.Slots)].Start
		switch {
		case res.err != nil:
			t.Errorf("attempt %d: %v", i, res.err)
		case res.status == http.StatusCreated:
			var b struct{ ID, Practitioner, Start string }
			if err := json.Unmarshal(res.body, &b); err != nil || b.ID == "" || b.Start != start {
				t.Errorf("attempt %d: 201 with %s", i, res.body)
			}
			won[start]++
			told[b.ID] = b.Practitioner
		case res.status != http.StatusConflict:
			t.Errorf("attempt %d at %s: %d %s", i, start, res.status, res.body)
		}
	}
	for _, s := range slots.Slots {
		if won[s.Start] != s.Free {
			t.Errorf("%s: %d bookings, %d practitioners were free", s.Start, won[s.Start], s.Free)
		}
	}

	checkCentre := func(wantActive int) {
		t.Helper()
		rows := readLedger(t, pg)
		active := activeRows(rows)
		if len(active) != wantActive {
			t.Errorf("ledger: %d active bookings, want %d", len(active), wantActive)
		}
		for _, gp := range centreGPs {
			mine := map[string]ledgerRow{}
			var prev *ledgerRow
			for _, row := range active {
				if row.Practitioner != gp.id {
					continue
				}
				if prev != nil && row.Start.Before(prev.End) {
					t.Errorf("%s double-booked: %s and %s", gp.id, prev.Start.In(paris), row.Start.In(paris))
				}
				if p, ok := told[row.ID]; ok && p != gp.id {
					t.Errorf("booking %s: the patient was told %s, the ledger says %s", row.ID, p, gp.id)
				}
				mine[row.ID] = row
				prev = &row
			}
			checkAgreement(t, mine, radicaleEvents(t, r, "rdv-"+gp.id))
		}
	}
	checkCentre(capacity)

	// A retry sent to both replicas at once, before any answer: one
	// booking, the same for all.
	next := day.AddDate(0, 0, 1).Add(8 * time.Hour).Format(time.RFC3339)
	copies := send(replicas, 10, func(int) (any, []string) {
		return body(next, 999), []string{"Idempotency-Key", "shared-retry"}
	})
	var first string
	for i, c := range copies {
		var b struct{ ID string }
		if c.err != nil || c.status != http.StatusCreated || json.Unmarshal(c.body, &b) != nil {
			t.Fatalf("copy %d: %d %s %v", i, c.status, c.body, c.err)
		}
		if i == 0 {
			first = b.ID
			told[b.ID] = "martin"
		} else if b.ID != first {
			t.Errorf("copy %d booked %s, copy 0 %s", i, b.ID, first)
		}
	}
	checkCentre(capacity + 1)
}

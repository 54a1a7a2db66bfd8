package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/internal/testservers"
)

// TestReplicasDailyQuotas runs two rdv processes on one PostgreSQL ledger
// (whose advisory locks they share) and one Radicale calendar, with daily
// quotas: consultation at most 4 a day, atelier (3 patients a session) at
// most 5 patients a day, martin at most 12 bookings a day. 200 requests at
// once, split between the two, over 5 days: per day 12 consultations at
// starts that do not overlap, 12 suivis on 4 slots and 16 ateliers on 4
// sessions. The type quotas and the slots allow 4 + 4 + 5 = 13 a day, so
// the practitioner's 12 binds: every day ends with exactly 12 bookings,
// 4 consultations at most and 5 ateliers at most, read from PostgreSQL;
// every refusal is a 409; ledger and calendar agree.
func TestReplicasDailyQuotas(t *testing.T) {
	skipHeavy(t)
	bin := rdvBinary(t, "")
	r := testservers.StartRadicale(t)
	r.MkCalendar(t, "rdv-bookings", "Rendez-vous")
	pg := testservers.StartPostgres(t)
	dir := t.TempDir()
	config := writeConfig(t, dir, procConfig{
		store: pg, radicale: r, bookings: "Rendez-vous",
		maxPerDay: 12, typeMaxPerDay: map[string]int{"consultation": 4, "atelier": 5},
	})
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

	const days = 5
	var attempts []attempt
	for d := range days {
		day := 3 + d
		for i := range 12 {
			attempts = append(attempts, attempt{group: d, typ: "consultation", start: localDay(day, 8, 20*i)})
			attempts = append(attempts, attempt{group: d, typ: "suivi", start: localDay(day, 12, 30*(i%4))})
		}
		for i := range 16 {
			attempts = append(attempts, attempt{group: d, typ: "atelier", start: localDay(day, 14+i%4, 0)})
		}
	}
	start := time.Now()
	results := send(replicas, len(attempts), func(i int) (any, []string) {
		return bookingBody(attempts[i].typ, attempts[i].start, i), nil
	})
	t.Logf("%d attempts on %d replicas in %v", len(attempts), len(replicas), time.Since(start).Round(time.Millisecond))
	won := map[string]attempt{}
	for i, res := range results {
		switch {
		case res.err != nil:
			t.Errorf("attempt %d: %v", i, res.err)
		case res.status == http.StatusCreated:
			var b bookingResponse
			if err := json.Unmarshal(res.body, &b); err != nil || b.ID == "" {
				t.Errorf("attempt %d: 201 with %s", i, res.body)
			}
			won[b.ID] = attempts[i]
		case res.status == http.StatusConflict:
		default:
			t.Errorf("attempt %d (%s at %s, replica %d): %d %s", i, attempts[i].typ,
				attempts[i].start.Format("02 15:04"), i%len(replicas), res.status, res.body)
		}
	}
	if len(won) != days*12 {
		t.Errorf("%d winners, want %d", len(won), days*12)
	}

	// Straight from PostgreSQL and Radicale.
	rows := readLedger(t, pg)
	checkAgreement(t, rows, radicaleEvents(t, r, "rdv-bookings"))
	active := activeRows(rows)
	if len(active) != len(won) {
		t.Errorf("ledger: %d active bookings, %d winners", len(active), len(won))
	}
	for d := range days {
		day := localDay(3+d, 0, 0)
		byType := map[string][]ledgerRow{}
		for _, row := range active {
			if onDay([]ledgerRow{row}, day) == 1 {
				byType[row.Type] = append(byType[row.Type], row)
			}
		}
		total := len(byType["consultation"]) + len(byType["suivi"]) + len(byType["atelier"])
		t.Logf("%s: %d consultations, %d suivis, %d ateliers", day.Format(time.DateOnly),
			len(byType["consultation"]), len(byType["suivi"]), len(byType["atelier"]))
		if total != 12 {
			t.Errorf("%s: %d bookings, want martin's 12", day.Format(time.DateOnly), total)
		}
		if n := len(byType["consultation"]); n > 4 {
			t.Errorf("%s: %d consultations, over their 4", day.Format(time.DateOnly), n)
		}
		if n := len(byType["atelier"]); n > 5 {
			t.Errorf("%s: %d atelier patients, over their 5", day.Format(time.DateOnly), n)
		}
	}
}

package rdv

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/testcal"
)

// BenchmarkWaitlistAlert times the waiting list's job (booking.Waitlist.
// Alert, what runs every jobs_interval under the replicas' lock) for a
// centre: 3 practitioners, each with testcal.Bench's 2,000 objects on the
// embedded CalDAV server, SQLite, and RDV_WAITLIST_ENTRIES active entries
// (default 300) spread over them, each with a 14-day window (mornings,
// afternoons or the whole day) starting 0 to 29 days ahead. It reports the
// first round (cold calendar caches; it records up to Batch alerts per free
// slot, so about 490 over the calendars' free slots however many entries
// wait), then times the rounds after it: each free slot was told of less
// than an interval ago, so a round reads the entries, their past alerts
// and the free slots, and records nothing.
//
//	RDV_WAITLIST_ENTRIES=3000 go test -run '^$' -bench WaitlistAlert -benchtime 20x .
func BenchmarkWaitlistAlert(b *testing.B) {
	n := 300
	if v := os.Getenv("RDV_WAITLIST_ENTRIES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("RDV_WAITLIST_ENTRIES=%q", v)
		}
	}
	seed := map[string][]byte{}
	for _, o := range testcal.Bench(b) {
		seed[path.Base(o.Href)] = []byte(o.Data)
	}
	paris := testcal.Now.Location()
	dir := b.TempDir()
	o := Options{
		DataDir: dir, BaseURL: "http://rdv.test", Now: func() time.Time { return testcal.Now }, Calendars: map[string]Calendar{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), NoRateLimits: true,
		JobsInterval: time.Hour, SyncInterval: time.Hour,
		Waitlist: &booking.WaitlistConfig{Batch: 3, Interval: 30 * time.Minute},
	}
	const practitioners = 3
	for i := range practitioners {
		p := booking.Practitioner{ID: fmt.Sprintf("p%03d", i), Name: fmt.Sprintf("Dr %d", i), Location: paris,
			Types: []booking.AppointmentType{{ID: "consultation", Name: "Consultation", Duration: 20 * time.Minute}}}
		for d := time.Monday; d <= time.Friday; d++ {
			p.Schedule.Weekly.Set(d, booking.ClockRange{Start: 8*60 + 30, End: 12 * 60}, booking.ClockRange{Start: 14 * 60, End: 18 * 60})
		}
		o.Practitioners = append(o.Practitioners, p)
		o.Calendars[p.ID] = Calendar{Seed: seed}
	}
	ctx := context.Background()
	a, err := New(ctx, o)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	for a.Ready(ctx) != nil {
		time.Sleep(10 * time.Millisecond)
	}

	today := booking.DateOf(testcal.Now)
	parts := []booking.DayPart{booking.PartAny, booking.PartMorning, booking.PartAfternoon}
	for i := range n {
		from := today.AddDays(i % 30)
		until := from.AddDays(13)
		en := &booking.WaitEntry{
			ID: uuid.NewString(), PractitionerID: fmt.Sprintf("p%03d", i%practitioners), TypeID: "consultation",
			Patient:  booking.Patient{Name: "Patient " + strconv.Itoa(i), Email: fmt.Sprintf("p%d@example.org", i)},
			EmailKey: booking.EmailKey(fmt.Sprintf("p%d@example.org", i)), Lang: "fr",
			Window: booking.Window{From: from, Until: until, Part: parts[i%len(parts)]},
			Status: booking.WaitActive, TokenHash: booking.HashToken(uuid.NewString()),
			CreatedAt: testcal.Now.Add(time.Duration(i-n) * time.Minute), UpdatedAt: testcal.Now,
			ExpiresAt: until.AddDays(1).Midnight(paris),
		}
		if err := a.store.AddWaitEntry(ctx, en, booking.WaitMessage{EntryID: en.ID, Kind: booking.WaitConfirm, CreatedAt: en.CreatedAt}, 1); err != nil {
			b.Fatal(err)
		}
	}

	start := time.Now()
	recorded, err := a.waitlist.Alert(ctx)
	if err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	if recorded == 0 {
		b.Fatalf("the first round recorded %d alerts for %d entries", recorded, n)
	}
	for b.Loop() {
		if k, err := a.waitlist.Alert(ctx); err != nil || k != 0 {
			b.Fatalf("a steady round recorded %d alerts: %v", k, err)
		}
	}
	b.ReportMetric(float64(first.Microseconds())/1000, "ms-first-round")
	b.ReportMetric(float64(recorded), "alerts-first-round")
}

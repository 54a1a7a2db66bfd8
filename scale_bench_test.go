package rdv

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/testcal"
)

// BenchmarkScale runs the app a host would run for a large centre: N
// practitioners (RDV_SCALE_PRACTITIONERS, default 2 so that the test
// command's single run stays short; the figures of docs/BENCHMARKS.md are
// for 100), each with testcal.Bench's 2,000 objects in their calendar on
// the embedded CalDAV server, SQLite. It reports the cold start (New until
// Ready, the calendars' files on disk from an earlier run), the first slot
// query of each practitioner (cold caches), then times warm slot queries
// (a week of one motive, each practitioner in turn through the HTTP
// handler) and reports the process's resident memory after them.
//
//	RDV_SCALE_PRACTITIONERS=100 go test -run '^$' -bench Scale -benchtime 2000x .
func BenchmarkScale(b *testing.B) {
	n := 2
	if v := os.Getenv("RDV_SCALE_PRACTITIONERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("RDV_SCALE_PRACTITIONERS=%q", v)
		}
	}
	seed := map[string][]byte{}
	for _, o := range testcal.Bench(b) {
		seed[path.Base(o.Href)] = []byte(o.Data)
	}
	paris := testcal.Now.Location()
	now := func() time.Time { return testcal.Now }
	dir := b.TempDir()
	options := func(n int) Options {
		o := Options{
			DataDir: dir, BaseURL: "http://rdv.test", Now: now, Calendars: map[string]Calendar{},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), NoRateLimits: true,
			// The jobs and the sync would run during the timing.
			JobsInterval: time.Hour, SyncInterval: time.Hour,
		}
		for i := range n {
			p := booking.Practitioner{ID: fmt.Sprintf("p%03d", i), Name: fmt.Sprintf("Dr %d", i), Location: paris,
				Types: []booking.AppointmentType{{ID: "consultation", Name: "Consultation", Duration: 20 * time.Minute}}}
			for d := time.Monday; d <= time.Friday; d++ {
				p.Schedule.Weekly.Set(d, booking.ClockRange{Start: 8*60 + 30, End: 12 * 60}, booking.ClockRange{Start: 14 * 60, End: 18 * 60})
			}
			o.Practitioners = append(o.Practitioners, p)
			o.Calendars[p.ID] = Calendar{Seed: seed}
		}
		return o
	}
	ctx := context.Background()

	// First run: the first calendar is created and seeded; the others are
	// copies of its files (faster than seeding each through the server).
	a, err := New(ctx, options(1))
	if err != nil {
		b.Fatal(err)
	}
	a.Close()
	first := os.DirFS(filepath.Join(dir, "dav", "p000"))
	for i := 1; i < n; i++ {
		if err := os.CopyFS(filepath.Join(dir, "dav", fmt.Sprintf("p%03d", i)), first); err != nil {
			b.Fatal(err)
		}
	}

	runtime.GC()
	start := time.Now()
	a, err = New(ctx, options(n))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	for a.Ready(ctx) != nil {
		time.Sleep(10 * time.Millisecond)
	}
	coldStart := time.Since(start)

	h := a.Handler()
	query := func(i int) {
		target := fmt.Sprintf("/v1/practitioners/p%03d/slots?type=consultation&from=2027-01-04&to=2027-01-11", i%n)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
		if w.Code != http.StatusOK {
			b.Fatalf("GET %s = %d: %s", target, w.Code, w.Body)
		}
	}
	var firsts []time.Duration
	for i := range n {
		t0 := time.Now()
		query(i)
		firsts = append(firsts, time.Since(t0))
	}
	slices.Sort(firsts)

	i := 0
	for b.Loop() {
		query(i)
		i++
	}
	b.ReportMetric(float64(coldStart.Milliseconds()), "ms-cold-start")
	b.ReportMetric(float64(firsts[len(firsts)/2].Microseconds())/1000, "ms-first-query-p50")
	b.ReportMetric(float64(rssKiB(b))/1024, "MiB-RSS")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MiB-heap-inuse")
	// RDV_SCALE_HEAP=FILE writes the live heap of the running app, for
	// go tool pprof -sample_index=inuse_space.
	if p := os.Getenv("RDV_SCALE_HEAP"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.WriteHeapProfile(f); err != nil {
			b.Fatal(err)
		}
	}
}

// rssKiB is the resident memory of this process, from /proc/self/status.
func rssKiB(b *testing.B) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb
		}
	}
	return 0
}

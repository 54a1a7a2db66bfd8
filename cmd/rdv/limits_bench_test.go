package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/internal/testservers"
)

// limitsUnreached is a [limits] table that keeps every limit on, business
// and rate alike, but out of reach of a benchmark that books one slot after
// the other from one address for distinct patients: only the rate of
// bookings per address and the new bookings per minute are raised; the
// limits per patient (active_per_contact, pending_per_email,
// messages_per_hour) keep their defaults, and each patient books once.
const limitsUnreached = `book = { every = "1ms", burst = 100000 }
new_per_minute = 100000
`

// BenchmarkBookingLimits measures the latency of a legitimate patient with
// the limits off and on (never reached, limitsUnreached), side by side in
// one run: one rdv process, the ledger in SQLite, the bookings calendar on
// the embedded CalDAV server (no Radicale: its 30 ms per booking would hide
// what the limits cost), one client booking one free slot after the other,
// each for a patient of its own. The business limits read the
// practitioner's future bookings under the lock, so their cost grows with
// the agenda: ledger=N makes N bookings before the timed ones. The figures
// are in docs/BENCHMARKS.md; run it with a fixed count, sub-benchmarks
// alternating:
//
//	go test -run '^$' -bench BookingLimits -benchtime 300x -count 3 ./cmd/rdv/
func BenchmarkBookingLimits(b *testing.B) {
	skipHeavy(b)
	bin := rdvBinary(b, "")
	for _, ledger := range []int{0, 1000} {
		for _, limits := range []string{"off", "on"} {
			bc := benchCase{store: "sqlite", replicas: 1, clients: 1, ledger: ledger}
			if limits == "on" {
				bc.limits = limitsUnreached
			}
			b.Run(fmt.Sprintf("ledger=%d/limits=%s", ledger, limits), func(b *testing.B) {
				if ledger > 0 && benchOnce() {
					b.Skip("makes 1,000 bookings before the timed ones: not with -benchtime 1x")
				}
				benchBooking(b, bin, nil, "", bc)
			})
		}
	}
}

// benchOnce reports whether the benchmarks run once each (-benchtime 1x,
// as scripts/test runs them, to check that they work).
func benchOnce() bool {
	f := flag.Lookup("test.benchtime")
	return f != nil && f.Value.String() == "1x"
}

// BenchmarkFlashCrowd is a measurement tool, not a check: it compares how
// a flash crowd is served by the rdv binary of this tree ("after") and by
// an older one ("before": built from a24afd3, before the gate of
// booking/gate.go and the ledger's check before the lock), whose path is
// in RDV_BEFORE_BIN (skipped without it). 200 POST /v1/bookings at once for
// one practitioner, in 20 groups of 10 overlapping attempts (groups=20:
// 20-minute consultations at a group's start or 10 minutes later; groups
// 30 minutes apart) or in one group of 200 (groups=1), split between two
// replicas sharing PostgreSQL (or one on SQLite), the bookings calendar in
// Radicale, limits off. Exactly one attempt per group can win. Without
// RDV_BEFORE_BIN and with -benchtime 1x (as scripts/test runs the
// benchmarks) only the first case runs, "after" alone, to check that it
// works. Each op is one crowd (on a day of its own);
// reported: the wall time of a crowd (ns/op), the p50 and p95 latency of
// all requests and of the 409s alone, and the 201s, 409s and other answers
// per crowd. Only more than one winner in a group fails it. Run it with:
//
//	RDV_BEFORE_BIN=/tmp/rdv-before go test -run '^$' -bench FlashCrowd -benchtime 1x -count 3 ./cmd/rdv/
func BenchmarkFlashCrowd(b *testing.B) {
	skipHeavy(b)
	r := testservers.StartRadicale(b)
	calendars := 0
	for _, store := range []string{"postgres/replicas=2", "sqlite/replicas=1"} {
		for _, groups := range []int{20, 1} {
			for _, binary := range []string{"before", "after"} {
				name := fmt.Sprintf("%s/groups=%d/binary=%s", store, groups, binary)
				b.Run(name, func(b *testing.B) {
					if benchOnce() && os.Getenv("RDV_BEFORE_BIN") == "" && (store != "postgres/replicas=2" || groups != 20) {
						b.Skip("with -benchtime 1x, one case only: this benchmark is a measurement tool")
					}
					flashCrowd(b, r, &calendars, store, groups, binary)
				})
			}
		}
	}
}

// flashCrowd runs one case of BenchmarkFlashCrowd.
func flashCrowd(b *testing.B, r *testservers.Radicale, calendars *int, store string, groups int, binary string) {
	var bin string
	if binary == "before" {
		if bin = os.Getenv("RDV_BEFORE_BIN"); bin == "" {
			b.Skip("RDV_BEFORE_BIN is not set: no binary to compare with")
		}
	} else {
		bin = rdvBinary(b, "")
	}
	*calendars++
	calName := fmt.Sprintf("crowd-%d", *calendars)
	r.MkCalendar(b, calName, calName)
	dir := b.TempDir()
	cfg := procConfig{radicale: r, bookings: r.CalendarPath(calName), noLimitsTable: binary == "before"}
	replicas := 1
	if store == "postgres/replicas=2" {
		cfg.store, replicas = testservers.StartPostgres(b), 2
	}
	config := writeConfig(b, dir, cfg)
	var procs []*rdvProcess
	for i := range replicas {
		procs = append(procs, startRdv(b, fmt.Sprintf("replica %d", i+1), bin, config, filepath.Join(dir, fmt.Sprintf("data%d", i))))
	}
	// One booking per replica before the timer, so that the
	// crowd finds the caches warm.
	for i, p := range procs {
		p.mustCall(http.MethodPost, "/v1/bookings", bookingBody("consultation", localDay(1, 8, 0).Add(time.Duration(i)*20*time.Minute), i), http.StatusCreated, nil)
	}
	benchCrowd(b, procs, groups)
}

// benchCrowd sends a crowd of 200 overlapping attempts per op to procs
// and reports what BenchmarkFlashCrowd says.
func benchCrowd(b *testing.B, procs []*rdvProcess, groups int) {
	perGroup := 200 / groups
	var all, conflicts []time.Duration
	var created, conflicted, other, crowds int
	var firstOther string
	for b.Loop() {
		crowds++
		day := 1 + crowds // a day of its own for each crowd
		type outcome struct {
			group   int
			status  int
			took    time.Duration
			problem string
		}
		out := make([]outcome, groups*perGroup)
		ready := make(chan struct{})
		var wg sync.WaitGroup
		for k := range out {
			g, j := k%groups, k/groups
			start := localDay(day, 8, 0).Add(time.Duration(g)*30*time.Minute + time.Duration(j/2%2)*10*time.Minute)
			body := bookingBody("consultation", start, crowds*1000+k)
			p := procs[j%len(procs)]
			wg.Go(func() {
				<-ready
				t0 := time.Now()
				st, data, err := p.call(http.MethodPost, "/v1/bookings", body)
				o := outcome{group: g, status: st, took: time.Since(t0)}
				if err != nil {
					o.problem = err.Error()
				} else if st != http.StatusCreated && st != http.StatusConflict {
					o.problem = fmt.Sprintf("%d %s", st, data)
				}
				out[k] = o
			})
		}
		close(ready)
		wg.Wait()
		winners := make([]int, groups)
		for _, o := range out {
			all = append(all, o.took)
			switch {
			case o.problem != "":
				other++
				if firstOther == "" {
					firstOther = o.problem
				}
			case o.status == http.StatusCreated:
				created++
				winners[o.group]++
			default:
				conflicted++
				conflicts = append(conflicts, o.took)
			}
		}
		for g, w := range winners {
			if w > 1 {
				b.Errorf("crowd %d, group %d: %d winners", crowds, g, w)
			}
		}
	}
	n := float64(crowds)
	b.ReportMetric(percentileMs(all, 0.50), "p50-ms")
	b.ReportMetric(percentileMs(all, 0.95), "p95-ms")
	b.ReportMetric(percentileMs(conflicts, 0.50), "409-p50-ms")
	b.ReportMetric(percentileMs(conflicts, 0.95), "409-p95-ms")
	b.ReportMetric(float64(created)/n, "201/op")
	b.ReportMetric(float64(conflicted)/n, "409/op")
	b.ReportMetric(float64(other)/n, "other/op")
	if firstOther != "" {
		b.Logf("%d answers neither 201 nor 409; the first: %s", other, firstOther)
	}
}

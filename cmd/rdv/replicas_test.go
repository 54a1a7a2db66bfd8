package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/testservers"
)

// TestReplicasOverlappingBookings runs two rdv processes, built from this
// package, with one configuration file: one PostgreSQL database for the
// ledger and its advisory locks, one Radicale calendar for the bookings,
// one secret. 200 booking requests at once, split between the two, fall in
// overlap groups; each group must have exactly as many winners as its slot
// takes (201) and only refusals for the rest (409, never a 5xx); then the
// calendar, read from Radicale, must hold no two overlapping active
// bookings, and the ledger, read from PostgreSQL, must match it by UID.
// Then the same Idempotency-Key sent to both at once, and a third replica
// killed (SIGKILL) in the middle of 200 attempts.
func TestReplicasOverlappingBookings(t *testing.T) {
	skipHeavy(t)
	bin := rdvBinary(t, "")
	r := testservers.StartRadicale(t)
	r.MkCalendar(t, "rdv-bookings", "Rendez-vous")
	pg := testservers.StartPostgres(t)
	dir := t.TempDir()
	// The calendar sync every second, for the replica killed at the end.
	config := writeConfig(t, dir, procConfig{store: pg, radicale: r, bookings: "Rendez-vous", syncInterval: "1s", jobsInterval: "1s", intentGrace: "2s"})
	c := cluster{
		store:  pg,
		events: func(tb testing.TB) map[string]calEvent { return radicaleEvents(tb, r, "rdv-bookings") },
	}
	// Both start at once on the empty database, as replicas of a
	// deployment do: migrations and reconciliation run side by side.
	c.replicas = make([]*rdvProcess, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, name := range []string{"A", "B"} {
		wg.Go(func() { c.replicas[i], errs[i] = spawnRdv(t, "replica "+name, bin, config, filepath.Join(dir, name)) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	// The same start, or starts 10 minutes apart, of 20- and 30-minute
	// visits: in each group every attempt overlaps every other.
	t.Run("capacity 1", func(t *testing.T) {
		fire(t, c, overlapGroups(3), 1)
	})
	// A group session of 3 patients, 1 hour, a start every 30 minutes:
	// attempts at the same start share it up to 3, those 30 minutes later
	// overlap it.
	t.Run("capacity 3", func(t *testing.T) {
		var attempts []attempt
		for g := range 5 {
			base := localDay(4, 8+2*g, 0)
			for i := range 40 {
				attempts = append(attempts, attempt{group: g, typ: "atelier", start: base.Add(time.Duration(i%2) * 30 * time.Minute)})
			}
		}
		fire(t, c, attempts, 3)
	})
	// A client that retries, through the load balancer, while its first
	// request still runs: 20 copies of one request with one
	// Idempotency-Key, at once, on both replicas, book once; all get the
	// same booking and manage token.
	t.Run("one Idempotency-Key", func(t *testing.T) {
		body := bookingBody("consultation", localDay(5, 8, 0), 1)
		res := send(c.replicas, 20, func(int) (any, []string) { return body, []string{"Idempotency-Key", "replicas-key-1"} })
		var first bookingResponse
		for i, r := range res {
			var b bookingResponse
			if r.err != nil || r.status != http.StatusCreated || json.Unmarshal(r.body, &b) != nil {
				t.Fatalf("copy %d: %d %s %v, want 201", i, r.status, r.body, r.err)
			}
			b.ManageURL = "" // each replica links to its own address: no base_url here
			if i == 0 {
				first = b
			} else if b != first {
				t.Errorf("copy %d: %+v, copy 0: %+v", i, b, first)
			}
		}
		rows := readLedger(t, c.store)
		checkAgreement(t, rows, c.events(t))
		if onDay(activeRows(rows), localDay(5, 0, 0)) != 1 {
			t.Errorf("%d bookings made, want 1", onDay(activeRows(rows), localDay(5, 0, 0)))
		}
		// The same key for another request is refused, on either replica.
		other := bookingBody("consultation", localDay(5, 9, 0), 1)
		for _, p := range c.replicas {
			if st, data, err := p.call(http.MethodPost, "/v1/bookings", other, "Idempotency-Key", "replicas-key-1"); err != nil || st != http.StatusUnprocessableEntity {
				t.Errorf("%s: the key again for another slot: %d %s %v, want 422", p.name, st, data, err)
			}
		}
	})
	// A third replica dies (SIGKILL) while 200 attempts are under way:
	// no acknowledged booking is lost, no group gets two, and once the
	// survivors' sync has cleaned up what the dead one left half done,
	// ledger and calendar agree.
	t.Run("a replica killed", func(t *testing.T) {
		victim := startRdv(t, "replica C", bin, config, filepath.Join(dir, "C"))
		replicas := append(c.replicas[:2:2], victim)
		attempts := overlapGroups(6)
		killed := time.AfterFunc(250*time.Millisecond, func() { victim.cmd.Process.Kill() })
		defer killed.Stop()
		res := send(replicas, len(attempts), func(i int) (any, []string) {
			return bookingBody(attempts[i].typ, attempts[i].start, i), nil
		})
		victim.waitKilled(5 * time.Second)
		won := map[string]attempt{}
		wins, lost := make([]int, 5), 0
		for i, r := range res {
			switch {
			case r.err != nil && i%3 == 2:
				lost++ // the victim's
			case r.err != nil:
				t.Errorf("attempt %d on a survivor: %v", i, r.err)
			case r.status == http.StatusCreated:
				var b bookingResponse
				json.Unmarshal(r.body, &b)
				won[b.ID] = attempts[i]
				wins[attempts[i].group]++
			case r.status != http.StatusConflict:
				t.Errorf("attempt %d: %d %s", i, r.status, r.body)
			}
		}
		t.Logf("winners by group: %v; %d attempts got no answer", wins, lost)
		if lost == 0 {
			t.Logf("the victim answered everything before it was killed")
		}
		for g, w := range wins {
			if w > 1 {
				t.Errorf("group %d: %d winners", g, w)
			}
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			rows := readLedger(t, c.store)
			problems := disagreements(rows, c.events(t))
			if len(problems) == 0 {
				for id := range won {
					if r, ok := rows[id]; !ok || r.Status != "confirmed" && r.Status != "pending" {
						t.Errorf("acknowledged booking %s: %+v in the ledger", id, r)
					}
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("ledger and calendar still disagree 20 s after the kill: %s", strings.Join(problems, "; "))
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	checkAgreement(t, readLedger(t, pg), radicaleEvents(t, r, "rdv-bookings"))
}

// overlapGroups returns 200 attempts in 5 groups, on the day d days from
// today, two hours apart: 20- and 30-minute visits at the same start or 10
// minutes apart, so that in each group every attempt overlaps every other.
func overlapGroups(d int) []attempt {
	var attempts []attempt
	for g := range 5 {
		base := localDay(d, 8+2*g, 0)
		for i := range 40 {
			typ := []string{"consultation", "suivi"}[i%2]
			attempts = append(attempts, attempt{group: g, typ: typ, start: base.Add(time.Duration(i/2%2) * 10 * time.Minute)})
		}
	}
	return attempts
}

// onDay counts the rows that start on the local day of day.
func onDay(rows []ledgerRow, day time.Time) int {
	n := 0
	for _, r := range rows {
		if y, m, d := r.Start.In(paris).Date(); y == day.Year() && m == day.Month() && d == day.Day() {
			n++
		}
	}
	return n
}

// attempt is a booking request of an overlap group.
type attempt struct {
	group int
	typ   string
	start time.Time
}

// cluster is rdv processes sharing a ledger and a calendar.
type cluster struct {
	replicas []*rdvProcess
	store    string                               // the ledger: a postgres:// URL or a SQLite file
	events   func(testing.TB) map[string]calEvent // the bookings calendar
}

// result is the outcome of a request.
type result struct {
	status int
	body   []byte
	err    error
}

// send posts n booking requests all at once, request i to replica i mod
// len(replicas), with the body and header fields request(i) returns.
func send(replicas []*rdvProcess, n int, request func(i int) (body any, header []string)) []result {
	results := make([]result, n)
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		body, header := request(i)
		wg.Go(func() {
			<-ready
			st, data, err := replicas[i%len(replicas)].call(http.MethodPost, "/v1/bookings", body, header...)
			results[i] = result{st, data, err}
		})
	}
	close(ready)
	wg.Wait()
	return results
}

// fire sends the attempts all at once, attempt i to replica i mod
// len(replicas), and checks that each group has exactly want winners, all
// at the same start, and the others 409; then that ledger and calendar
// agree (checkAgreement) and hold exactly the winners.
func fire(t *testing.T, c cluster, attempts []attempt, want int) {
	replicas := c.replicas
	start := time.Now()
	results := send(replicas, len(attempts), func(i int) (any, []string) {
		return bookingBody(attempts[i].typ, attempts[i].start, i), nil
	})
	t.Logf("%d attempts on %d replicas in %v", len(attempts), len(replicas), time.Since(start).Round(time.Millisecond))

	groups := map[int][]int{} // winners by group
	won := map[string]attempt{}
	perReplica := make([]int, len(replicas))
	for i, res := range results {
		switch {
		case res.err != nil:
			t.Errorf("attempt %d: %v", i, res.err)
		case res.status == http.StatusCreated:
			var b bookingResponse
			if err := json.Unmarshal(res.body, &b); err != nil || b.ID == "" {
				t.Errorf("attempt %d: 201 with %s", i, res.body)
			}
			groups[attempts[i].group] = append(groups[attempts[i].group], i)
			won[b.ID] = attempts[i]
			perReplica[i%len(replicas)]++
		case res.status == http.StatusConflict:
		default:
			t.Errorf("attempt %d (%s at %s, replica %d): %d %s", i, attempts[i].typ,
				attempts[i].start.Format("15:04"), i%len(replicas), res.status, res.body)
		}
	}
	t.Logf("winners by replica: %v", perReplica)
	ngroups := 0
	for _, a := range attempts {
		ngroups = max(ngroups, a.group+1)
	}
	for g := range ngroups {
		w := groups[g]
		if len(w) != want {
			t.Errorf("group %d: %d winners, want %d", g, len(w), want)
		}
		for _, i := range w {
			if !attempts[i].start.Equal(attempts[w[0]].start) {
				t.Errorf("group %d: winners at %s and %s", g, attempts[w[0]].start.Format("15:04"), attempts[i].start.Format("15:04"))
			}
		}
	}
	if t.Failed() {
		return
	}

	// Straight from PostgreSQL and Radicale: ledger and calendar agree,
	// and hold what the winners were told, no more.
	rows := readLedger(t, c.store)
	checkAgreement(t, rows, c.events(t))
	active := activeRows(rows)
	for _, r := range active {
		if onDay([]ledgerRow{r}, attempts[0].start) == 0 {
			continue
		}
		if a, ok := won[r.ID]; !ok {
			t.Errorf("ledger: active booking %s that no winner was told of", r.ID)
		} else if !a.start.Equal(r.Start) || a.typ != r.Type {
			t.Errorf("ledger: booking %s %s at %s, its winner asked for %s at %s", r.ID, r.Type, r.Start, a.typ, a.start)
		}
	}
	if n := onDay(active, attempts[0].start); n != len(won) {
		t.Errorf("ledger: %d active bookings that day, %d winners", n, len(won))
	}
}

// TestReplicaCrashSurvivorRepairs kills one of two replicas sharing
// PostgreSQL and Radicale at a step of a change (the rdvfault build, see
// TestCrashAtEachStep) while the other keeps serving. The survivor is not
// restarted: the dead replica's advisory lock must not hold it up, and its
// jobs (every second here) must settle the half state once the dead
// replica's write intent is older than the grace period (2 s here), as the
// reconciliation on start would: what the patient was told wins (the
// change no request was answered with is undone), ledger and calendar
// agree again and the slot or the booking can be used.
func TestReplicaCrashSurvivorRepairs(t *testing.T) {
	skipHeavy(t)
	fault, normal := rdvBinary(t, "rdvfault"), rdvBinary(t, "")
	r := testservers.StartRadicale(t)
	r.MkCalendar(t, "rdv-bookings", "Rendez-vous")
	pg := testservers.StartPostgres(t)
	dir := t.TempDir()
	config := writeConfig(t, dir, procConfig{store: pg, radicale: r, bookings: "Rendez-vous", jobsInterval: "1s", syncInterval: "1s", intentGrace: "2s"})
	survivor := startRdv(t, "survivor", normal, config, filepath.Join(dir, "survivor"))
	events := func() map[string]calEvent { return radicaleEvents(t, r, "rdv-bookings") }

	for i, tc := range []struct {
		step  string
		setup string // the type of the booking made first, "" for none
		act   string // book, confirm, reschedule or cancel
		want  string // the status of the row once repaired, "" for no row
	}{
		{booking.StepBookAfterEvent, "", "book", ""},
		{booking.StepConfirmAfterEvent, "suivi", "confirm", "pending"},
		{booking.StepRescheduleAfterEvent, "consultation", "reschedule", "confirmed"},
		{booking.StepCancelAfterEvent, "consultation", "cancel", "confirmed"},
	} {
		t.Run(tc.step, func(t *testing.T) {
			slot, moved := localDay(5, 8+2*i, 0), localDay(5, 9+2*i, 0)
			p := startRdv(t, "replica "+tc.step, fault, config, filepath.Join(dir, "fault-"+itoa(i)), "RDV_FAULT="+tc.step)
			var b bookingResponse
			if tc.setup != "" {
				p.mustCall(http.MethodPost, "/v1/bookings", bookingBody(tc.setup, slot, i), http.StatusCreated, &b)
			}
			method, path, body := http.MethodPost, "/v1/bookings", any(bookingBody("consultation", slot, 100+i))
			if tc.act != "book" {
				path = "/v1/bookings/" + b.ManageToken + "/" + tc.act
				body = nil
				if tc.act == "reschedule" {
					body = map[string]any{"start": moved.Format(time.RFC3339)}
				}
			}
			if st, data, err := p.call(method, path, body); err == nil {
				t.Fatalf("%s %s: %d %s, want no answer (the replica dies)", method, path, st, data)
			}
			p.waitKilled(15 * time.Second)

			// The survivor books at once: the dead replica's lock is gone.
			start := time.Now()
			survivor.mustCall(http.MethodPost, "/v1/bookings", bookingBody("consultation", slot.Add(40*time.Minute), 200+i), http.StatusCreated, nil)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the survivor took %v to book", d)
			}

			// Its sync repairs the half state.
			deadline := time.Now().Add(20 * time.Second)
			for {
				rows, evs := readLedger(t, pg), events()
				var row ledgerRow
				for _, r := range rows {
					if r.Start.Equal(slot) || r.Start.Equal(moved) {
						row = r
					}
				}
				problems := disagreements(rows, evs)
				if row.Status == tc.want && (tc.want == "" || row.Start.Equal(slot)) && len(problems) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("not repaired after 20 s: row %+v; %s", row, strings.Join(problems, "; "))
				}
				time.Sleep(200 * time.Millisecond)
			}
			switch tc.act {
			case "book":
				survivor.mustCall(http.MethodPost, "/v1/bookings", bookingBody("consultation", slot, 300+i), http.StatusCreated, nil)
			default:
				survivor.mustCall(http.MethodPost, "/v1/bookings/"+b.ManageToken+"/cancel", nil, http.StatusOK, nil)
			}
			checkAgreement(t, readLedger(t, pg), events())
		})
	}
}

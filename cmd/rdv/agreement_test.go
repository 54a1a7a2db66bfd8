package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/jackc/pgx/v5"

	"github.com/rdvlibre/rdv/internal/testservers"
)

// What the tests of real processes (binary_test.go) read straight from the
// database and the CalDAV server's storage, and how they compare ledger and
// calendar.

// ledgerRow is a booking as the ledger holds it.
type ledgerRow struct {
	ID, Type, Status string
	Start, End       time.Time
	Practitioner     string
}

// readLedger reads every booking of the ledger, straight from the
// database: store is a postgres:// URL or the path of a SQLite file.
func readLedger(tb testing.TB, store string) map[string]ledgerRow {
	tb.Helper()
	const q = `SELECT id, type_id, status, start_at, end_at, practitioner_id FROM bookings`
	out := map[string]ledgerRow{}
	if strings.HasPrefix(store, "postgres://") {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, store)
		if err != nil {
			tb.Fatal(err)
		}
		defer conn.Close(ctx)
		rows, err := conn.Query(ctx, q)
		if err != nil {
			tb.Fatal(err)
		}
		for rows.Next() {
			var r ledgerRow
			if err := rows.Scan(&r.ID, &r.Type, &r.Status, &r.Start, &r.End, &r.Practitioner); err != nil {
				tb.Fatal(err)
			}
			out[r.ID] = r
		}
		if err := rows.Err(); err != nil {
			tb.Fatal(err)
		}
		return out
	}
	db, err := sql.Open("sqlite", "file:"+store+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(q)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r ledgerRow
		var start, end string
		if err := rows.Scan(&r.ID, &r.Type, &r.Status, &start, &end, &r.Practitioner); err != nil {
			tb.Fatal(err)
		}
		// The SQLite store keeps instants as fixed-width UTC text.
		const layout = "2006-01-02T15:04:05.000000000Z"
		if r.Start, err = time.Parse(layout, start); err != nil {
			tb.Fatal(err)
		}
		if r.End, err = time.Parse(layout, end); err != nil {
			tb.Fatal(err)
		}
		out[r.ID] = r
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// calEvent is a VEVENT of the bookings calendar.
type calEvent struct {
	UID, Booking, Type string // Booking and Type: X-RDV-BOOKING, X-RDV-TYPE
	Status             string // STATUS: TENTATIVE, CONFIRMED or CANCELLED
	Start, End         time.Time
}

// parseEvents reads the VEVENTs of iCalendar data (one VCALENDAR) into
// events, by UID; it fails the test on a UID seen twice.
func parseEvents(tb testing.TB, data []byte, events map[string]calEvent) {
	tb.Helper()
	dec := ical.NewDecoder(bytes.NewReader(data))
	for {
		cal, err := dec.Decode()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			tb.Fatalf("calendar data does not parse: %v\n%s", err, data)
		}
		for _, ev := range cal.Events() {
			text := func(name string) string {
				if p := ev.Props.Get(name); p != nil {
					return p.Value
				}
				return ""
			}
			e := calEvent{UID: text(ical.PropUID), Booking: text("X-RDV-BOOKING"), Type: text("X-RDV-TYPE"), Status: text(ical.PropStatus)}
			if e.Start, err = ev.DateTimeStart(paris); err != nil {
				tb.Fatalf("event %s: DTSTART: %v", e.UID, err)
			}
			if e.End, err = ev.DateTimeEnd(paris); err != nil {
				tb.Fatalf("event %s: DTEND: %v", e.UID, err)
			}
			if _, dup := events[e.UID]; dup {
				tb.Errorf("two events with UID %s", e.UID)
			}
			events[e.UID] = e
		}
	}
}

// embeddedEvents reads the events of the embedded CalDAV server's calendar
// of a practitioner straight from its files (DATA/dav/ID/*.ics), whether or
// not rdv runs.
func embeddedEvents(tb testing.TB, data, practitioner string) map[string]calEvent {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(data, "dav", practitioner, "*.ics"))
	if err != nil {
		tb.Fatal(err)
	}
	events := map[string]calEvent{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		parseEvents(tb, b, events)
	}
	return events
}

// radicaleEvents reads the events of a Radicale calendar (its path name)
// with a GET on the collection, which Radicale answers with all its objects.
func radicaleEvents(tb testing.TB, r *testservers.Radicale, calendar string) map[string]calEvent {
	tb.Helper()
	events := map[string]calEvent{}
	parseEvents(tb, r.Do(tb, http.MethodGet, r.CalendarPath(calendar), "", nil, http.StatusOK), events)
	return events
}

// eventStatuses maps the statuses of the ledger to the STATUS of their
// booking's event.
var eventStatuses = map[string]string{"pending": "TENTATIVE", "confirmed": "CONFIRMED", "cancelled": "CANCELLED", "expired": "CANCELLED"}

// checkAgreement fails tb unless ledger and calendar agree by UID: every
// event is one of rdv's (UID = X-RDV-BOOKING) with a ledger row of its
// type; an active row (pending, confirmed) has an event at the same times
// with the matching STATUS; an ended row (cancelled, expired) has no event
// or a cancelled one; and no two active events overlap, but those of a
// group type that share their exact slot, at most its capacity of them.
func checkAgreement(tb testing.TB, rows map[string]ledgerRow, events map[string]calEvent) {
	tb.Helper()
	for _, p := range disagreements(rows, events) {
		tb.Error(p)
	}
}

// opaqueTypeRef is the form of a private type's X-RDV-TYPE
// (booking.AppointmentType.CalendarRef).
var opaqueTypeRef = regexp.MustCompile(`^t-[0-9a-f]{16}$`)

// disagreements returns what checkAgreement reports.
func disagreements(rows map[string]ledgerRow, events map[string]calEvent) []string {
	var out []string
	errorf := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	for id, r := range rows {
		ev, found := events[id]
		switch r.Status {
		case "pending", "confirmed":
			switch {
			case !found:
				errorf("ledger: %s booking %s at %s has no event", r.Status, id, r.Start.In(paris))
			case ev.Status != eventStatuses[r.Status] || !ev.Start.Equal(r.Start) || !ev.End.Equal(r.End):
				errorf("ledger: %s booking %s %s–%s, but its event is %s %s–%s", r.Status, id,
					r.Start.In(paris), r.End.In(paris), ev.Status, ev.Start.In(paris), ev.End.In(paris))
			}
		default:
			if found && ev.Status != "CANCELLED" {
				errorf("ledger: %s booking %s, but its event is %s", r.Status, id, ev.Status)
			}
		}
	}
	var active []calEvent
	// A private type's events name it by an opaque ref (t-…, keyed by the
	// secret): one ref per type, and one type per ref.
	refOf, typeOf := map[string]string{}, map[string]string{}
	for uid, ev := range events {
		r, found := rows[uid]
		switch {
		case ev.Booking != uid:
			errorf("calendar: event %s is not rdv's (X-RDV-BOOKING %q)", uid, ev.Booking)
		case !found:
			errorf("calendar: %s event %s at %s has no ledger row", ev.Status, uid, ev.Start.In(paris))
		case ev.Type == r.Type:
		case !opaqueTypeRef.MatchString(ev.Type):
			errorf("calendar: event %s of type %q, ledger row of type %q", uid, ev.Type, r.Type)
		case refOf[r.Type] != "" && refOf[r.Type] != ev.Type, typeOf[ev.Type] != "" && typeOf[ev.Type] != r.Type:
			errorf("calendar: event %s of type ref %q, ledger row of type %q: refs %v", uid, ev.Type, r.Type, refOf)
		default:
			refOf[r.Type], typeOf[ev.Type] = ev.Type, r.Type
		}
		if ev.Status != "CANCELLED" {
			active = append(active, ev)
		}
	}
	slices.SortFunc(active, func(a, b calEvent) int { return a.Start.Compare(b.Start) })
	shared := map[string]int{} // active events by exact span and type
	// capacity is the capacity of the type an event's X-RDV-TYPE names,
	// its id or its opaque ref.
	capacity := func(ref string) int {
		if t, ok := typeOf[ref]; ok {
			return capacities[t]
		}
		return capacities[ref]
	}
	for i, a := range active {
		k := a.Type + " " + a.Start.String() + " " + a.End.String()
		if shared[k]++; shared[k] > max(capacity(a.Type), 1) {
			errorf("calendar: %d active %s events at %s, capacity %d", shared[k], a.Type, a.Start.In(paris), capacity(a.Type))
		}
		for _, b := range active[i+1:] {
			if !b.Start.Before(a.End) {
				break
			}
			if a.Type == b.Type && capacity(a.Type) > 1 && a.Start.Equal(b.Start) && a.End.Equal(b.End) {
				continue
			}
			errorf("calendar: active events overlap: %s %s %s–%s and %s %s %s–%s",
				a.UID, a.Type, a.Start.In(paris).Format("Jan 2 15:04"), a.End.In(paris).Format("15:04"),
				b.UID, b.Type, b.Start.In(paris).Format("Jan 2 15:04"), b.End.In(paris).Format("15:04"))
		}
	}
	return out
}

// activeRows returns the active (pending or confirmed) rows of the ledger.
func activeRows(rows map[string]ledgerRow) []ledgerRow {
	var out []ledgerRow
	for _, r := range rows {
		if r.Status == "pending" || r.Status == "confirmed" {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b ledgerRow) int { return a.Start.Compare(b.Start) })
	return out
}

// TestDisagreementsTypeRefs: an event of a private type names it by an
// opaque ref, one per type.
func TestDisagreementsTypeRefs(t *testing.T) {
	start := time.Date(2027, 3, 2, 9, 0, 0, 0, paris)
	row := func(id, typ string) ledgerRow {
		return ledgerRow{ID: id, Type: typ, Status: "confirmed", Start: start, End: start.Add(20 * time.Minute)}
	}
	event := func(id, typ string) calEvent {
		return calEvent{UID: id, Booking: id, Type: typ, Status: "CONFIRMED", Start: start, End: start.Add(20 * time.Minute)}
	}
	const refA, refB = "t-0123456789abcdef", "t-fedcba9876543210"
	tests := []struct {
		name   string
		events [3]string // the X-RDV-TYPE of bookings 1 (type a), 2 (type a), 3 (type b)
		bad    bool
	}{
		{"ids", [3]string{"a", "a", "b"}, false},
		{"refs", [3]string{refA, refA, refB}, false},
		{"an id and a ref", [3]string{"a", refA, "b"}, false},
		{"another id", [3]string{"a", "a", "a"}, true},
		{"two refs for a type", [3]string{refA, refB, "b"}, true},
		{"one ref for two types", [3]string{refA, refA, refA}, true},
		{"not a ref", [3]string{"t-x", "a", "b"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := map[string]ledgerRow{"1": row("1", "a"), "2": row("2", "a"), "3": row("3", "b")}
			events := map[string]calEvent{}
			for i, typ := range tt.events {
				id := strconv.Itoa(i + 1)
				events[id] = event(id, typ)
			}
			// Overlapping visits are another check's matter: keep only
			// the type problems.
			var got []string
			for _, p := range disagreements(rows, events) {
				if strings.Contains(p, "type") {
					got = append(got, p)
				}
			}
			if (len(got) > 0) != tt.bad {
				t.Errorf("disagreements %q, want some: %v", got, tt.bad)
			}
		})
	}
}

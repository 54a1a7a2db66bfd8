package booking

import (
	"testing"
	"time"
)

// TestSlotsCapacity checks how bookings of the type itself (SlotQuery.Held)
// use a slot: while fewer than the capacity hold it, their own slot stays
// free and every other slot that overlaps it is busy; once full it is busy.
func TestSlotsCapacity(t *testing.T) {
	open := []Interval{{at("2026-12-01 09:00"), at("2026-12-01 11:00")}}
	held := func(n int, start string, minutes int) []Interval {
		var out []Interval
		for range n {
			s := at(start)
			out = append(out, Interval{s, s.Add(time.Duration(minutes) * time.Minute)})
		}
		return out
	}
	starts := func(slots []Slot) []string {
		var out []string
		for _, s := range slots {
			out = append(out, s.Start.Format("15:04"))
		}
		return out
	}
	tests := []struct {
		name     string
		capacity int
		step     time.Duration
		held     []Interval
		busy     []Interval
		want     []string
	}{
		{"nothing held", 3, 0, nil, nil, []string{"09:00", "09:30", "10:00", "10:30"}},
		{"one of three", 3, 0, held(1, "2026-12-01 09:30", 30), nil, []string{"09:00", "09:30", "10:00", "10:30"}},
		{"full", 3, 0, held(3, "2026-12-01 09:30", 30), nil, []string{"09:00", "10:00", "10:30"}},
		{"more than full", 2, 0, held(3, "2026-12-01 09:30", 30), nil, []string{"09:00", "10:00", "10:30"}},
		{"capacity 1 is busy", 0, 0, held(1, "2026-12-01 09:30", 30), nil, []string{"09:00", "10:00", "10:30"}},
		{"a shared slot blocks the slots that overlap it", 3, 15 * time.Minute, held(1, "2026-12-01 09:30", 30), nil,
			[]string{"09:00", "09:30", "10:00", "10:15", "10:30"}},
		{"other busy time still counts", 3, 0, held(1, "2026-12-01 09:30", 30),
			[]Interval{{at("2026-12-01 09:45"), at("2026-12-01 09:50")}}, []string{"09:00", "10:00", "10:30"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ := &AppointmentType{ID: "atelier", Duration: 30 * time.Minute, Step: tt.step, Capacity: tt.capacity}
			got := starts(Slots(SlotQuery{
				Location: paris, Open: open, Type: typ, Held: tt.held, Busy: tt.busy,
				From: at("2026-12-01 00:00"), To: at("2026-12-02 00:00"), Now: at("2026-11-30 08:00"),
			}))
			if len(got) != len(tt.want) {
				t.Fatalf("slots %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("slots %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestSplitBusy(t *testing.T) {
	iv := func(h int) Interval {
		return Interval{at("2026-12-01 09:00").Add(time.Duration(h) * time.Hour), at("2026-12-01 09:30").Add(time.Duration(h) * time.Hour)}
	}
	cal := []BusyInterval{
		{Interval: iv(0)}, // the practitioner's own event
		{Interval: iv(1), Booking: "a", Type: "atelier"},    // a booking of the type
		{Interval: iv(2), Booking: "b", Type: "consult"},    // a booking of another type
		{Interval: iv(3), Booking: "self", Type: "atelier"}, // the booking being moved
	}
	ledger := []*Booking{
		{ID: "a", TypeID: "atelier", Start: iv(1).Start, End: iv(1).End, Status: StatusConfirmed},    // also in the calendar
		{ID: "c", TypeID: "atelier", Start: iv(4).Start, End: iv(4).End, Status: StatusPending},      // not (yet) in the calendar
		{ID: "d", TypeID: "consult", Start: iv(5).Start, End: iv(5).End, Status: StatusConfirmed},    // another type
		{ID: "e", TypeID: "atelier", Start: iv(6).Start, End: iv(6).End, Status: StatusCancelled},    // not active
		{ID: "self", TypeID: "atelier", Start: iv(3).Start, End: iv(3).End, Status: StatusConfirmed}, // excluded
	}
	busy, held := splitBusy(cal, ledger, "atelier", "self")
	if want := []Interval{iv(0), iv(2), iv(5)}; !sameIntervals(busy, want) {
		t.Errorf("busy = %v, want %v", busy, want)
	}
	if want := []Interval{iv(1), iv(4)}; !sameIntervals(held, want) {
		t.Errorf("held = %v, want %v", held, want)
	}
}

func sameIntervals(a, b []Interval) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Start.Equal(b[i].Start) || !a[i].End.Equal(b[i].End) {
			return false
		}
	}
	return true
}

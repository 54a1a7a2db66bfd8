package booking

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestSlotsQuotas checks that a day that has reached a quota offers no
// slot, and that the day is the local one, 25 hours long on 25 October
// 2026 in Paris.
func TestSlotsQuotas(t *testing.T) {
	typ := &AppointmentType{ID: "consultation", Duration: time.Hour}
	open := []Interval{
		{at("2026-10-24 22:00"), at("2026-10-25 01:00")}, // across the midnight that starts the DST day
		{at("2026-10-25 22:00"), at("2026-10-26 02:00")}, // across the midnight that ends it
	}
	d24, d25, d26 := Date{2026, 10, 24}, Date{2026, 10, 25}, Date{2026, 10, 26}
	tests := []struct {
		name   string
		quotas []DayQuota
		want   []string
	}{
		{"no quota", nil, []string{"24 22:00", "24 23:00", "25 00:00", "25 22:00", "25 23:00", "26 00:00", "26 01:00"}},
		{"a cap not reached", []DayQuota{{Max: 3, Booked: map[Date]int{d25: 2}}},
			[]string{"24 22:00", "24 23:00", "25 00:00", "25 22:00", "25 23:00", "26 00:00", "26 01:00"}},
		{"the DST day full, midnight to midnight", []DayQuota{{Max: 3, Booked: map[Date]int{d25: 3}}},
			[]string{"24 22:00", "24 23:00", "26 00:00", "26 01:00"}},
		{"the second quota full", []DayQuota{{Max: 9, Booked: map[Date]int{d25: 8}}, {Max: 1, Booked: map[Date]int{d24: 1, d26: 1}}},
			[]string{"25 00:00", "25 22:00", "25 23:00"}},
		{"over the cap", []DayQuota{{Max: 1, Booked: map[Date]int{d26: 5}}},
			[]string{"24 22:00", "24 23:00", "25 00:00", "25 22:00", "25 23:00"}},
		{"no cap, whatever the counts", []DayQuota{{Max: 0, Booked: map[Date]int{d25: 100}}},
			[]string{"24 22:00", "24 23:00", "25 00:00", "25 22:00", "25 23:00", "26 00:00", "26 01:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range Slots(SlotQuery{
				Location: paris, Open: open, Type: typ, Quotas: tt.quotas,
				From: at("2026-10-24 00:00"), To: at("2026-10-27 00:00"), Now: at("2026-10-20 08:00"),
			}) {
				got = append(got, s.Start.Format("02 15:04"))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("slots %v, want %v", got, tt.want)
			}
		})
	}
}

// TestQuotasCount checks what counts against the quotas: active rows by the
// local date of their start, events the ledger has no row for yet, each
// booking once, the excluded booking not at all.
func TestQuotasCount(t *testing.T) {
	p := &Practitioner{ID: "demo", Location: paris, MaxBookingsPerDay: 10}
	typ := &AppointmentType{ID: "atelier", Duration: time.Hour, Capacity: 3, MaxPerDay: 4}
	row := func(id, typeID, start string, st Status) *Booking {
		return &Booking{ID: id, TypeID: typeID, Start: at(start), End: at(start).Add(time.Hour), Status: st}
	}
	ev := func(id, typeID, start string) BusyInterval {
		return BusyInterval{Interval: Interval{at(start), at(start).Add(time.Hour)}, Booking: id, Type: typeID}
	}
	ledger := []*Booking{
		row("a", "atelier", "2026-10-25 00:30", StatusConfirmed), // the first hour of the DST day
		row("b", "atelier", "2026-10-25 00:30", StatusPending),   // the same slot: another patient
		row("c", "atelier", "2026-10-25 23:30", StatusConfirmed), // its 25th hour
		row("d", "consult", "2026-10-25 10:00", StatusConfirmed), // another type
		row("e", "atelier", "2026-10-25 11:00", StatusCancelled),
		row("f", "atelier", "2026-10-25 12:00", StatusExpired),
		row("g", "atelier", "2026-10-26 00:00", StatusConfirmed), // the next day
		row("self", "atelier", "2026-10-25 15:00", StatusConfirmed),
	}
	cal := []BusyInterval{
		ev("a", "atelier", "2026-10-25 00:30"),                               // also a row: once
		ev("e", "atelier", "2026-10-25 11:00"),                               // a row cancelled meanwhile: by the row
		ev("h", "atelier", "2026-10-25 16:00"),                               // no row yet
		ev("self", "atelier", "2026-10-25 15:00"),                            // excluded
		{Interval: Interval{at("2026-10-25 17:00"), at("2026-10-25 18:00")}}, // not a booking
	}
	q := quotas(p, typ, cal, ledger, "self")
	d25, d26 := Date{2026, 10, 25}, Date{2026, 10, 26}
	if len(q) != 2 || q[0].Max != 4 || q[1].Max != 10 {
		t.Fatalf("quotas %+v, want the type's 4 and the practitioner's 10", q)
	}
	if got := q[0].Booked[d25]; got != 4 { // a, b, c, h
		t.Errorf("the type's count on the 25th = %d, want 4", got)
	}
	if got := q[1].Booked[d25]; got != 5 { // and d
		t.Errorf("the practitioner's count on the 25th = %d, want 5", got)
	}
	if got := q[0].Booked[d26]; got != 1 {
		t.Errorf("the type's count on the 26th = %d, want 1", got)
	}
	if q := quotas(p, &AppointmentType{ID: "x"}, cal, ledger, ""); q == nil || q[0].Max != 0 {
		t.Errorf("with the practitioner's cap only: %+v", q)
	}
	if q := quotas(&Practitioner{ID: "demo", Location: paris}, &AppointmentType{ID: "x"}, cal, ledger, ""); q != nil {
		t.Errorf("with no cap: %+v, want nil", q)
	}
}

// TestQuotaValidate checks that a negative quota is refused.
func TestQuotaValidate(t *testing.T) {
	typ := AppointmentType{ID: "consultation", Duration: time.Hour, MaxPerDay: -1}
	if ErrorCode(typ.Validate()) != EInvalid {
		t.Error("a negative MaxPerDay is accepted")
	}
	typ.MaxPerDay = 4
	if err := typ.Validate(); err != nil {
		t.Errorf("MaxPerDay 4: %v", err)
	}
	p := Practitioner{ID: "demo", Location: paris, Types: []AppointmentType{typ}, MaxBookingsPerDay: -1}
	if ErrorCode(p.Validate()) != EInvalid {
		t.Error("a negative MaxBookingsPerDay is accepted")
	}
	p.MaxBookingsPerDay = 8
	if err := p.Validate(); err != nil {
		t.Errorf("MaxBookingsPerDay 8: %v", err)
	}
}

// BenchmarkSlotsQuotas is BenchmarkSlots with both quotas set (18 a day of
// the type, 36 a day in all, for about 33 a day: some days are full): the 2,000 busy
// intervals are bookings, half of them the type's, shown by the calendar
// and the ledger alike, and counted in the loop as a query does.
func BenchmarkSlotsQuotas(b *testing.B) {
	w := hours(map[time.Weekday]string{
		time.Monday: "08:30-12:00,14:00-18:30", time.Tuesday: "08:30-12:00,14:00-18:30",
		time.Wednesday: "08:30-12:00,14:00-18:30", time.Thursday: "08:30-12:00,14:00-18:30",
		time.Friday: "08:30-12:00,14:00-18:30", time.Saturday: "09:00-12:00",
	})
	now := at("2026-12-01 07:00")
	rng := rand.New(rand.NewPCG(3, 4))
	typ := &AppointmentType{ID: "c", Duration: 20 * time.Minute, BufferAfter: 5 * time.Minute, MaxPerDay: 18}
	p := &Practitioner{ID: "demo", Location: paris, MaxBookingsPerDay: 36}
	cal := make([]BusyInterval, 2000)
	rows := make([]*Booking, 2000)
	busy := make([]Interval, 2000)
	for i := range cal {
		s := now.Add(time.Duration(rng.IntN(60*24*60)) * time.Minute)
		iv := Interval{s, s.Add(time.Duration(10+rng.IntN(80)) * time.Minute)}
		id, typeID := fmt.Sprintf("b%d", i), []string{"c", "other"}[i%2]
		cal[i] = BusyInterval{Interval: iv, Booking: id, Type: typeID}
		rows[i] = &Booking{ID: id, TypeID: typeID, Start: iv.Start, End: iv.End, Status: StatusConfirmed}
		busy[i] = iv
	}
	sched := Schedule{Weekly: w, OpenOnHolidays: true}
	q := SlotQuery{Location: paris, Type: typ, Busy: busy, From: now, To: now.Add(60 * 24 * time.Hour), Now: now}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		q.Open = sched.Open(paris, q.From, q.To)
		q.Quotas = quotas(p, typ, cal, rows, "")
		n = len(Slots(q))
	}
	b.ReportMetric(float64(n), "slots")
}

package booking

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func TestSlotsWithSchedule(t *testing.T) {
	monday := hours(map[time.Weekday]string{time.Monday: "08:30-12:00"})
	longAgo := at("2026-11-01 00:00")
	tests := []struct {
		name     string
		s        Schedule
		typ      *AppointmentType
		from, to string
		want     []string
	}{
		{
			name: "the template alone: the last 40-minute slot starts at 11:10",
			s:    Schedule{Weekly: monday},
			typ:  &AppointmentType{ID: "l", Duration: 40 * time.Minute, Step: 20 * time.Minute},
			from: "2026-11-30 10:00", to: "2026-12-01 00:00",
			want: []string{"2026-11-30 10:10 +01:00", "2026-11-30 10:30 +01:00", "2026-11-30 10:50 +01:00", "2026-11-30 11:10 +01:00"},
		},
		{
			name: "slots across an extra opening right after the template",
			s:    Schedule{Weekly: monday, Available: []Interval{{at("2026-11-30 12:00"), at("2026-11-30 13:00")}}},
			typ:  &AppointmentType{ID: "l", Duration: 40 * time.Minute, Step: 20 * time.Minute},
			from: "2026-11-30 10:00", to: "2026-12-01 00:00",
			want: []string{
				"2026-11-30 10:10 +01:00", "2026-11-30 10:30 +01:00", "2026-11-30 10:50 +01:00", "2026-11-30 11:10 +01:00",
				"2026-11-30 11:30 +01:00", "2026-11-30 11:50 +01:00", "2026-11-30 12:10 +01:00",
			},
		},
		{
			name: "slots of an extra opening cut by a holiday",
			s:    Schedule{Weekly: monday, Available: []Interval{{at("2026-12-24 18:00"), at("2026-12-25 10:00")}}},
			typ:  &AppointmentType{ID: "h", Duration: time.Hour},
			from: "2026-12-24 00:00", to: "2026-12-26 00:00",
			want: []string{
				"2026-12-24 18:00 +01:00", "2026-12-24 19:00 +01:00", "2026-12-24 20:00 +01:00",
				"2026-12-24 21:00 +01:00", "2026-12-24 22:00 +01:00", "2026-12-24 23:00 +01:00",
			},
		},
		{
			// 50-minute steps from 22:00 reach 23:40, which runs past midnight;
			// from midnight starts are counted again from 00:00.
			name: "across midnight: a slot may span it, starts realign at it",
			s:    Schedule{Available: []Interval{{at("2026-11-30 22:00"), at("2026-12-01 02:00")}}},
			typ:  &AppointmentType{ID: "n", Duration: 50 * time.Minute},
			from: "2026-11-30 00:00", to: "2026-12-02 00:00",
			want: []string{
				"2026-11-30 22:00 +01:00", "2026-11-30 22:50 +01:00", "2026-11-30 23:40 +01:00",
				"2026-12-01 00:00 +01:00", "2026-12-01 00:50 +01:00",
			},
		},
		{
			name: "an override closing a day leaves its neighbours",
			s: Schedule{Weekly: everyDay("09:00-10:00"),
				Overrides: []DateOverride{{Date: date("2026-12-01")}}},
			typ:  &AppointmentType{ID: "h", Duration: time.Hour},
			from: "2026-11-30 00:00", to: "2026-12-03 00:00",
			want: []string{"2026-11-30 09:00 +01:00", "2026-12-02 09:00 +01:00"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from, to := at(tc.from), at(tc.to)
			q := SlotQuery{Location: paris, Open: tc.s.Open(paris, from, to), Type: tc.typ, From: from, To: to, Now: longAgo}
			got := starts(Slots(q))
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("starts:\n got %v\nwant %v", got, tc.want)
			}
			// Each listed slot is accepted by IsSlot given the open time of
			// its own days, as Service.Book checks it.
			for _, s := range Slots(q) {
				q := q
				q.Open = tc.s.Open(paris, s.Start, s.End)
				if !IsSlot(q, s.Start) {
					t.Errorf("IsSlot(%s) = false for a listed slot", s.Start)
				}
			}
		})
	}
}

// TestSlotsWindowIndependent checks that the slots of a window are the slots
// of any wider window that start in it, and that IsSlot accepts each of them
// with the open time of the slot's own days: what the slots list shows can be
// booked, whatever window the list was asked for.
func TestSlotsWindowIndependent(t *testing.T) {
	s := Schedule{
		Weekly: hours(map[time.Weekday]string{
			time.Monday: "08:30-12:00,14:00-18:30", time.Wednesday: "09:10-12:00",
			time.Saturday: "20:00-24:00", time.Sunday: "00:00-03:00,22:45-24:00",
		}),
		Overrides: []DateOverride{{Date: date("2027-03-31"), Hours: ranges("07:00-24:00")}},
		Closures:  []Closure{{From: date("2027-04-12"), To: date("2027-04-14")}},
		Available: []Interval{
			{at("2027-03-23 21:00"), at("2027-03-24 10:00")},
			{at("2027-04-01 00:00"), at("2027-04-01 01:30")},
			{at("2027-04-05 18:30"), at("2027-04-06 01:00")},
		},
	}
	base := at("2027-03-20 00:00")
	wide := [2]time.Time{base, base.Add(30 * 24 * time.Hour)}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, typ := range []*AppointmentType{
		{ID: "a", Duration: 25 * time.Minute, Horizon: MaxHorizon},
		{ID: "b", Duration: 50 * time.Minute, Step: 35 * time.Minute, BufferBefore: 5 * time.Minute, Horizon: MaxHorizon},
		{ID: "c", Duration: 90 * time.Minute, Step: 45 * time.Minute, Horizon: MaxHorizon},
	} {
		t.Run(typ.ID, func(t *testing.T) {
			busy := []Interval{{at("2027-03-22 10:00"), at("2027-03-22 11:00")}, {at("2027-03-28 01:30"), at("2027-03-28 02:00")}}
			q := SlotQuery{Location: paris, Type: typ, Busy: busy, Now: at("2027-03-01 00:00"), From: wide[0], To: wide[1]}
			q.Open = s.Open(paris, q.From, q.To)
			all := Slots(q)
			if len(all) == 0 {
				t.Fatal("no slot at all")
			}
			for _, sl := range all {
				b := q
				b.Open = s.Open(paris, sl.Start, sl.End)
				if !IsSlot(b, sl.Start) {
					t.Fatalf("IsSlot(%s) = false for a listed slot", sl.Start.Format(time.RFC3339))
				}
			}
			for n := 0; n < 300; n++ {
				from := base.Add(time.Duration(rng.IntN(28*24*60)) * time.Minute)
				to := Interval{from, from.Add(time.Duration(1+rng.IntN(3*24*60)) * time.Minute)}.Intersect(Interval{from, wide[1]}).End
				w := q
				w.From, w.To = from, to
				w.Open = s.Open(paris, from, to)
				var want []Slot
				for _, sl := range all {
					if !sl.Start.Before(from) && sl.Start.Before(to) {
						want = append(want, sl)
					}
				}
				if got := Slots(w); fmt.Sprint(starts(got)) != fmt.Sprint(starts(want)) {
					t.Fatalf("window %s..%s:\n got %v\nwant %v", from.Format(time.RFC3339), to.Format(time.RFC3339), starts(got), starts(want))
				}
			}
		})
	}
}

// TestSlotsTwoYears asks for two years of slots at once, the longest horizon,
// and counts them against a day-by-day reckoning.
func TestSlotsTwoYears(t *testing.T) {
	s := Schedule{
		Weekly: hours(map[time.Weekday]string{
			time.Monday: "08:30-12:00", time.Tuesday: "08:30-12:00", time.Wednesday: "08:30-12:00",
			time.Thursday: "08:30-12:00", time.Friday: "08:30-12:00",
		}),
		Closures: []Closure{{From: date("2027-08-02"), To: date("2027-08-20")}, {From: date("2028-07-31"), To: date("2028-08-18")}},
	}
	now := at("2026-12-01 07:00")
	from, to := date("2026-12-01"), date("2028-11-30")
	typ := &AppointmentType{ID: "c", Duration: 30 * time.Minute, Horizon: MaxHorizon}
	q := SlotQuery{Location: paris, Open: s.Open(paris, from.Midnight(paris), to.Midnight(paris)), Type: typ,
		From: from.Midnight(paris), To: to.Midnight(paris), Now: now}
	got := Slots(q)

	holiday := map[Date]bool{}
	for y := 2026; y <= 2028; y++ {
		for _, h := range FrenchHolidays(y, false) {
			holiday[h.Date] = true
		}
	}
	days := 0
	for d := from; d.Before(to); d = d.AddDays(1) {
		wd := d.Weekday()
		if wd == time.Saturday || wd == time.Sunday || holiday[d] || closedOn(s.Closures, d) {
			continue
		}
		days++
	}
	if want := days * 7; len(got) != want {
		t.Fatalf("got %d slots, want %d (%d open days of 7 slots)", len(got), want, days)
	}
	for _, sl := range got {
		d := DateOf(sl.Start)
		if holiday[d] || closedOn(s.Closures, d) {
			t.Fatalf("slot %s on a closed day", sl.Start)
		}
		if h, m, _ := sl.Start.Clock(); h*60+m < 8*60+30 || h*60+m > 11*60+30 {
			t.Fatalf("slot %s outside the hours", sl.Start)
		}
	}
	if first, last := starts(got[:1])[0], starts(got[len(got)-1:])[0]; first != "2026-12-01 08:30 +01:00" || last != "2028-11-29 11:30 +01:00" {
		t.Errorf("first %s, last %s", first, last)
	}
}

// BenchmarkSlotsNineMonths5Min: nine months of a GP's year (weekdays and
// Saturday morning, public holidays, two closures, an override), 15-minute
// visits every 5 minutes, 2,000 busy intervals; the open time is resolved in
// the loop, as a query does.
func BenchmarkSlotsNineMonths5Min(b *testing.B) {
	s := Schedule{
		Weekly: hours(map[time.Weekday]string{
			time.Monday: "08:30-12:00,14:00-18:30", time.Tuesday: "08:30-12:00,14:00-18:30",
			time.Wednesday: "08:30-12:00", time.Thursday: "08:30-12:00,14:00-18:30",
			time.Friday: "08:30-12:00,14:00-18:30", time.Saturday: "09:00-12:00",
		}),
		Closures: []Closure{
			{From: date("2026-12-24"), To: date("2027-01-02")},
			{From: date("2027-08-02"), To: date("2027-08-22")},
		},
		Overrides: []DateOverride{{Date: date("2027-05-08"), Hours: ranges("09:00-12:00")}},
	}
	now := at("2026-12-01 07:00")
	to := now.AddDate(0, 9, 0)
	rng := rand.New(rand.NewPCG(7, 8))
	busy := make([]Interval, 2000)
	span := int(to.Sub(now) / time.Minute)
	for i := range busy {
		st := now.Add(time.Duration(rng.IntN(span)) * time.Minute)
		busy[i] = Interval{st, st.Add(time.Duration(10+rng.IntN(80)) * time.Minute)}
	}
	q := SlotQuery{Location: paris,
		Type: &AppointmentType{ID: "c", Duration: 15 * time.Minute, Step: 5 * time.Minute, Horizon: MaxHorizon},
		Busy: busy, From: now, To: to, Now: now}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		q.Open = s.Open(paris, q.From, q.To)
		n = len(Slots(q))
	}
	b.ReportMetric(float64(n), "slots")
}

package booking

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

var paris = mustLoad("Europe/Paris")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at returns the instant the wall clock in Paris shows "YYYY-MM-DD HH:MM".
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
	if err != nil {
		panic(err)
	}
	return t
}

func hours(spec map[time.Weekday]string) WeeklyHours {
	var w WeeklyHours
	for d, s := range spec {
		var rs []ClockRange
		for _, part := range splitComma(s) {
			r, err := ParseClockRange(part)
			if err != nil {
				panic(err)
			}
			rs = append(rs, r)
		}
		w.Set(d, rs...)
	}
	return w
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// weeklyOpen returns the open time of the weekly template w alone, public
// holidays included, over [from, to).
func weeklyOpen(w WeeklyHours, from, to time.Time) []Interval {
	s := Schedule{Weekly: w, OpenOnHolidays: true}
	return s.Open(paris, from, to)
}

func starts(slots []Slot) []string {
	out := make([]string, len(slots))
	for i, s := range slots {
		out[i] = s.Start.Format("2006-01-02 15:04 -07:00")
	}
	return out
}

func TestSlots(t *testing.T) {
	weekdays := map[time.Weekday]string{
		time.Monday: "08:30-12:00,14:00-18:00", time.Tuesday: "08:30-12:00,14:00-18:00",
	}
	consult := &AppointmentType{ID: "c", Duration: 20 * time.Minute, Step: 20 * time.Minute}
	monday := "2026-11-30"
	longAgo := at("2026-11-01 00:00")

	tests := []struct {
		name  string
		hours WeeklyHours // open time: the weekly template alone
		q     SlotQuery
		want  []string // all starts, if set
		count int      // number of slots, if want is nil
		first string
		last  string
	}{
		{
			name:  "two ranges a day",
			hours: hours(weekdays),
			q: SlotQuery{Type: consult,
				From: at(monday + " 00:00"), To: at("2026-12-01 00:00"), Now: longAgo},
			count: 10 + 12, first: "2026-11-30 08:30 +01:00", last: "2026-11-30 17:40 +01:00",
		},
		{
			name:  "buffers before and after differ",
			hours: hours(map[time.Weekday]string{time.Monday: "09:00-12:00"}),
			q: SlotQuery{
				Type: &AppointmentType{ID: "b", Duration: 20 * time.Minute, Step: 10 * time.Minute,
					BufferBefore: 10 * time.Minute, BufferAfter: 5 * time.Minute},
				Busy: []Interval{{at(monday + " 10:00"), at(monday + " 10:30")}},
				From: at(monday + " 00:00"), To: at("2026-12-01 00:00"), Now: longAgo,
			},
			want: []string{
				"2026-11-30 09:00 +01:00", "2026-11-30 09:10 +01:00", "2026-11-30 09:20 +01:00", "2026-11-30 09:30 +01:00",
				"2026-11-30 10:40 +01:00", "2026-11-30 10:50 +01:00", "2026-11-30 11:00 +01:00", "2026-11-30 11:10 +01:00",
				"2026-11-30 11:20 +01:00", "2026-11-30 11:30 +01:00", "2026-11-30 11:40 +01:00",
			},
		},
		{
			name:  "minimum notice",
			hours: hours(weekdays),
			q: SlotQuery{Type: &AppointmentType{ID: "n", Duration: 20 * time.Minute, MinNotice: time.Hour},
				From: at(monday + " 00:00"), To: at("2026-12-01 00:00"), Now: at(monday + " 09:05")},
			count: 5 + 12, first: "2026-11-30 10:10 +01:00",
		},
		{
			name:  "horizon bounds the last start inclusively",
			hours: hours(weekdays),
			q: SlotQuery{Type: &AppointmentType{ID: "h", Duration: 20 * time.Minute, Horizon: 24 * time.Hour},
				From: at(monday + " 00:00"), To: at("2026-12-03 00:00"), Now: at(monday + " 10:10")},
			first: "2026-11-30 10:10 +01:00", last: "2026-12-01 10:10 +01:00",
			count: 5 + 12 + 6,
		},
		{
			name:  "step aligned on the opening time, window starting mid-step",
			hours: hours(map[time.Weekday]string{time.Monday: "08:30-10:00"}),
			q: SlotQuery{Type: &AppointmentType{ID: "s", Duration: 30 * time.Minute, Step: 15 * time.Minute},
				From: at(monday + " 08:37"), To: at("2026-12-01 00:00"), Now: longAgo},
			want: []string{"2026-11-30 08:45 +01:00", "2026-11-30 09:00 +01:00", "2026-11-30 09:15 +01:00", "2026-11-30 09:30 +01:00"},
		},
		{
			name:  "busy event overlapping the window start",
			hours: hours(map[time.Weekday]string{time.Monday: "08:00-10:00"}),
			q: SlotQuery{Type: consult,
				Busy: []Interval{{at(monday + " 07:00"), at(monday + " 09:00")}},
				From: at(monday + " 08:00"), To: at(monday + " 23:00"), Now: longAgo},
			want: []string{"2026-11-30 09:00 +01:00", "2026-11-30 09:20 +01:00", "2026-11-30 09:40 +01:00"},
		},
		{
			name:  "busy intervals unsorted and overlapping",
			hours: hours(map[time.Weekday]string{time.Monday: "08:10-10:00"}),
			q: SlotQuery{Type: consult,
				Busy: []Interval{
					{at(monday + " 09:10"), at(monday + " 09:30")},
					{at(monday + " 08:10"), at(monday + " 08:30")},
					{at(monday + " 08:20"), at(monday + " 08:50")},
				},
				From: at(monday + " 00:00"), To: at(monday + " 23:00"), Now: longAgo},
			want: []string{"2026-11-30 08:50 +01:00", "2026-11-30 09:30 +01:00"},
		},
		{
			name:  "a busy interval ending exactly at the start does not block",
			hours: hours(map[time.Weekday]string{time.Monday: "08:00-09:00"}),
			q: SlotQuery{Type: consult,
				Busy: []Interval{{at(monday + " 07:00"), at(monday + " 08:00")}, {at(monday + " 08:40"), at(monday + " 09:30")}},
				From: at(monday + " 00:00"), To: at(monday + " 23:00"), Now: longAgo},
			want: []string{"2026-11-30 08:00 +01:00", "2026-11-30 08:20 +01:00"},
		},
		{
			name:  "spring forward 2027-03-28: the range 01:00-05:00 has three hours",
			hours: hours(map[time.Weekday]string{time.Sunday: "01:00-05:00"}),
			q: SlotQuery{Type: &AppointmentType{ID: "d", Duration: time.Hour},
				From: at("2027-03-28 00:00"), To: at("2027-03-29 00:00"), Now: at("2027-03-01 00:00")},
			want: []string{"2027-03-28 01:00 +01:00", "2027-03-28 03:00 +02:00", "2027-03-28 04:00 +02:00"},
		},
		{
			name:  "fall back 2027-10-31: the range 01:00-05:00 has five hours",
			hours: hours(map[time.Weekday]string{time.Sunday: "01:00-05:00"}),
			q: SlotQuery{Type: &AppointmentType{ID: "d", Duration: time.Hour},
				From: at("2027-10-31 00:00"), To: at("2027-11-01 00:00"), Now: at("2027-10-01 00:00")},
			want: []string{"2027-10-31 01:00 +02:00", "2027-10-31 02:00 +02:00", "2027-10-31 02:00 +01:00",
				"2027-10-31 03:00 +01:00", "2027-10-31 04:00 +01:00"},
		},
		{
			name:  "spring forward: day hours keep their wall clock",
			hours: hours(map[time.Weekday]string{time.Saturday: "08:30-09:30", time.Sunday: "08:30-09:30", time.Monday: "08:30-09:30"}),
			q:     SlotQuery{Type: consult, From: at("2027-03-27 00:00"), To: at("2027-03-30 00:00"), Now: at("2027-03-01 00:00")},
			want: []string{
				"2027-03-27 08:30 +01:00", "2027-03-27 08:50 +01:00", "2027-03-27 09:10 +01:00",
				"2027-03-28 08:30 +02:00", "2027-03-28 08:50 +02:00", "2027-03-28 09:10 +02:00",
				"2027-03-29 08:30 +02:00", "2027-03-29 08:50 +02:00", "2027-03-29 09:10 +02:00",
			},
		},
		{
			name:  "fall back: day hours keep their wall clock",
			hours: hours(map[time.Weekday]string{time.Saturday: "17:00-18:00", time.Sunday: "17:00-18:00"}),
			q:     SlotQuery{Type: consult, From: at("2027-10-30 00:00"), To: at("2027-11-01 00:00"), Now: at("2027-10-01 00:00")},
			want: []string{
				"2027-10-30 17:00 +02:00", "2027-10-30 17:20 +02:00", "2027-10-30 17:40 +02:00",
				"2027-10-31 17:00 +01:00", "2027-10-31 17:20 +01:00", "2027-10-31 17:40 +01:00",
			},
		},
		{
			name:  "closed day and empty window",
			hours: hours(weekdays),
			q: SlotQuery{Type: consult,
				From: at("2026-12-05 00:00"), To: at("2026-12-07 00:00"), Now: longAgo},
			want: []string{},
		},
		{
			name:  "inverted window",
			hours: hours(weekdays),
			q: SlotQuery{Type: consult,
				From: at("2026-12-07 00:00"), To: at("2026-12-01 00:00"), Now: longAgo},
			want: []string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Location = paris
			tc.q.Open = weeklyOpen(tc.hours, tc.q.From, tc.q.To)
			got := Slots(tc.q)
			gs := starts(got)
			if tc.want != nil {
				if fmt.Sprint(gs) != fmt.Sprint(tc.want) {
					t.Fatalf("starts:\n got %v\nwant %v", gs, tc.want)
				}
			} else if len(got) != tc.count {
				t.Fatalf("got %d slots, want %d: %v", len(got), tc.count, gs)
			}
			if tc.first != "" && (len(gs) == 0 || gs[0] != tc.first) {
				t.Errorf("first slot: got %v, want %s", gs, tc.first)
			}
			if tc.last != "" && (len(gs) == 0 || gs[len(gs)-1] != tc.last) {
				t.Errorf("last slot: got %v, want %s", gs, tc.last)
			}
			for i, s := range got {
				if s.End.Sub(s.Start) != tc.q.Type.Duration {
					t.Errorf("slot %d lasts %v, want %v", i, s.End.Sub(s.Start), tc.q.Type.Duration)
				}
				if i > 0 && !got[i-1].Start.Before(s.Start) {
					t.Errorf("slots not strictly increasing at %d", i)
				}
				if s.Start.Location() != paris {
					t.Errorf("slot %d not in the practitioner's zone", i)
				}
			}
		})
	}
}

// TestSlotsDSTWholeDay checks that a 24-hour opening yields one slot per real
// hour on both DST days of 2027: 23 in March, 25 in October.
func TestSlotsDSTWholeDay(t *testing.T) {
	for _, tc := range []struct {
		day  string
		want int
	}{{"2027-03-28", 23}, {"2027-10-31", 25}, {"2027-06-06", 24}} {
		t.Run(tc.day, func(t *testing.T) {
			d, _ := ParseDate(tc.day)
			from, to := d.Midnight(paris), d.AddDays(1).Midnight(paris)
			q := SlotQuery{Location: paris, Open: weeklyOpen(hours(map[time.Weekday]string{time.Sunday: "00:00-24:00"}), from, to),
				Type: &AppointmentType{ID: "h", Duration: time.Hour, Horizon: MaxHorizon},
				From: from, To: to, Now: at("2027-01-01 00:00")}
			got := Slots(q)
			if len(got) != tc.want {
				t.Fatalf("got %d slots, want %d", len(got), tc.want)
			}
			seen := map[int64]bool{}
			for i, s := range got {
				if seen[s.Start.Unix()] {
					t.Fatalf("slot %s doubled", s.Start)
				}
				seen[s.Start.Unix()] = true
				if i > 0 && s.Start.Sub(got[i-1].Start) != time.Hour {
					t.Fatalf("gap of %v before %s", s.Start.Sub(got[i-1].Start), s.Start)
				}
				if s.Start.Minute() != 0 {
					t.Fatalf("slot %s not on the hour", s.Start)
				}
			}
		})
	}
}

func TestIsSlot(t *testing.T) {
	w := hours(map[time.Weekday]string{time.Monday: "08:30-12:00"})
	q := SlotQuery{Location: paris, Open: weeklyOpen(w, at("2026-11-30 00:00"), at("2026-12-02 00:00")),
		Type: &AppointmentType{ID: "c", Duration: 20 * time.Minute},
		Busy: []Interval{{at("2026-11-30 09:00"), at("2026-11-30 09:30")}},
		Now:  at("2026-11-01 00:00")}
	for _, tc := range []struct {
		start string
		want  bool
	}{
		{"2026-11-30 08:30", true},
		{"2026-11-30 08:40", false}, // not aligned
		{"2026-11-30 08:50", false}, // busy
		{"2026-11-30 11:30", true},
		{"2026-11-30 11:50", false}, // ends after closing
		{"2026-11-30 12:00", false}, // closed
		{"2026-12-01 08:30", false}, // Tuesday closed
	} {
		if got := IsSlot(q, at(tc.start)); got != tc.want {
			t.Errorf("IsSlot(%s) = %v, want %v", tc.start, got, tc.want)
		}
	}
}

func TestMergeIntervals(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := at("2026-12-01 00:00")
	for n := 0; n < 200; n++ {
		var in []Interval
		for i := 0; i < 30; i++ {
			s := base.Add(time.Duration(rng.IntN(1000)) * time.Minute)
			in = append(in, Interval{s, s.Add(time.Duration(rng.IntN(60)-5) * time.Minute)})
		}
		out := Intervals(in).Merge()
		// Every minute is covered by out iff it is covered by some interval of in.
		for m := 0; m < 1100; m++ {
			p := base.Add(time.Duration(m) * time.Minute)
			covered := func(is []Interval) bool {
				for _, i := range is {
					if !p.Before(i.Start) && p.Before(i.End) {
						return true
					}
				}
				return false
			}
			if covered(in) != covered(out) {
				t.Fatalf("case %d: minute %d covered %v by input, %v by merge", n, m, covered(in), covered(out))
			}
		}
		for i := 1; i < len(out); i++ {
			if !out[i-1].End.Before(out[i].Start) {
				t.Fatalf("case %d: merged intervals touch or overlap", n)
			}
		}
	}
}

// BenchmarkSlots: a 60-day horizon, 2,000 busy intervals, a 20-minute type;
// the open time of the weekly template is resolved in the loop, as a query does.
func BenchmarkSlots(b *testing.B) {
	w := hours(map[time.Weekday]string{
		time.Monday: "08:30-12:00,14:00-18:30", time.Tuesday: "08:30-12:00,14:00-18:30",
		time.Wednesday: "08:30-12:00,14:00-18:30", time.Thursday: "08:30-12:00,14:00-18:30",
		time.Friday: "08:30-12:00,14:00-18:30", time.Saturday: "09:00-12:00",
	})
	now := at("2026-12-01 07:00")
	rng := rand.New(rand.NewPCG(3, 4))
	busy := make([]Interval, 2000)
	for i := range busy {
		s := now.Add(time.Duration(rng.IntN(60*24*60)) * time.Minute)
		busy[i] = Interval{s, s.Add(time.Duration(10+rng.IntN(80)) * time.Minute)}
	}
	sched := Schedule{Weekly: w, OpenOnHolidays: true}
	q := SlotQuery{Location: paris,
		Type: &AppointmentType{ID: "c", Duration: 20 * time.Minute, BufferAfter: 5 * time.Minute},
		Busy: busy, From: now, To: now.Add(60 * 24 * time.Hour), Now: now}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		q.Open = sched.Open(paris, q.From, q.To)
		n = len(Slots(q))
	}
	b.ReportMetric(float64(n), "slots")
}

package booking_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

func TestIntervalsTable(t *testing.T) {
	h := func(hh int) time.Time { return time.Date(2027, 3, 1, hh, 0, 0, 0, time.UTC) }
	iv := func(a, b int) booking.Interval { return booking.Interval{Start: h(a), End: h(b)} }
	is := func(x ...booking.Interval) booking.Intervals { return x }
	tests := []struct {
		name string
		got  booking.Intervals
		want booking.Intervals
	}{
		{"merge: empty set", is().Merge(), nil},
		{"merge: empty and inverted dropped", is(iv(9, 9), iv(10, 8)).Merge(), nil},
		{"merge: touching become one", is(iv(14, 16), iv(8, 12), iv(12, 14)).Merge(), is(iv(8, 16))},
		{"merge: overlapping and nested", is(iv(8, 12), iv(9, 10), iv(11, 13)).Merge(), is(iv(8, 13))},
		{"subtract: unmerged arguments", is(iv(14, 18), iv(8, 12), iv(10, 13)).Subtract(is(iv(16, 17), iv(9, 11), iv(10, 11))), is(iv(8, 9), iv(11, 13), iv(14, 16), iv(17, 18))},
		{"subtract: nothing", is(iv(8, 12)).Subtract(nil), is(iv(8, 12))},
		{"intersect: disjoint", is(iv(8, 10)).Intersect(is(iv(10, 12))), nil},
		{"intersect: several", is(iv(8, 12), iv(14, 18)).Intersect(is(iv(10, 15), iv(17, 20))), is(iv(10, 12), iv(14, 15), iv(17, 18))},
		{"intersect: with nothing", is(iv(8, 12)).Intersect(nil), nil},
		{"clip", is(iv(6, 9), iv(10, 11), iv(12, 20)).Clip(iv(8, 14)), is(iv(8, 9), iv(10, 11), iv(12, 14))},
		{"cover: disjoint", is(iv(8, 9).Cover(iv(12, 14))), is(iv(8, 14))},
		{"cover: nested", is(iv(8, 16).Cover(iv(10, 12))), is(iv(8, 16))},
		{"cover: overlapping", is(iv(10, 12).Cover(iv(8, 11))), is(iv(8, 12))},
		{"clip: empty window", is(iv(6, 9)).Clip(iv(8, 8)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !equalIntervals(tt.got, tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
	if x := iv(8, 10).Intersect(iv(11, 12)); !x.Empty() {
		t.Errorf("Intersect of disjoint intervals = %v, want empty", x)
	}
	if !is(iv(8, 9), iv(10, 11)).Merged() || is(iv(8, 9), iv(9, 11)).Merged() || is(iv(9, 9)).Merged() || is(iv(10, 11), iv(8, 9)).Merged() {
		t.Error("Merged is wrong")
	}
	// The arguments are left as they are.
	a, b := is(iv(14, 18), iv(8, 12)), is(iv(10, 16))
	a0, b0 := slices.Clone(a), slices.Clone(b)
	a.Subtract(b)
	a.Intersect(b)
	a.Merge()
	if !slices.Equal(a, a0) || !slices.Equal(b, b0) {
		t.Error("an operation changed its arguments")
	}
	// Locations are kept.
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	w := booking.Interval{Start: h(8).In(paris), End: h(10).In(paris)}
	if x := iv(7, 9).Intersect(w); x.Start.Location() != paris || x.End.Location() != time.UTC {
		t.Errorf("Intersect lost the locations: %v", x)
	}
}

func equalIntervals(a, b booking.Intervals) bool {
	return slices.EqualFunc(a, b, func(x, y booking.Interval) bool {
		return x.Start.Equal(y.Start) && x.End.Equal(y.End)
	})
}

// The operations agree, minute by minute, with their definition on sets of
// instants, and return merged sets.
func TestIntervalsAlgebra(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	random := func() booking.Intervals {
		var out booking.Intervals
		for range rng.IntN(12) {
			s := base.Add(time.Duration(rng.IntN(600)) * time.Minute)
			out = append(out, booking.Interval{Start: s, End: s.Add(time.Duration(rng.IntN(90)-10) * time.Minute)})
		}
		return out
	}
	covered := func(s booking.Intervals, p time.Time) bool {
		for _, i := range s {
			if !p.Before(i.Start) && p.Before(i.End) {
				return true
			}
		}
		return false
	}
	for n := range 300 {
		a, b := random(), random()
		w := booking.Interval{Start: base.Add(time.Duration(rng.IntN(300)) * time.Minute), End: base.Add(time.Duration(200+rng.IntN(500)) * time.Minute)}
		sub, inter, clip := a.Subtract(b), a.Intersect(b), a.Clip(w)
		for _, r := range []booking.Intervals{sub, inter, clip, a.Merge()} {
			if !r.Merged() {
				t.Fatalf("case %d: %v is not merged", n, r)
			}
		}
		for m := range 720 {
			p := base.Add(time.Duration(m) * time.Minute)
			inA, inB, inW := covered(a, p), covered(b, p), covered(booking.Intervals{w}, p)
			if covered(sub, p) != (inA && !inB) || covered(inter, p) != (inA && inB) || covered(clip, p) != (inA && inW) {
				t.Fatalf("case %d: minute %d: a %v b %v w %v; a−b %v, a∩b %v, clip %v", n, m, inA, inB, inW, covered(sub, p), covered(inter, p), covered(clip, p))
			}
		}
	}
}

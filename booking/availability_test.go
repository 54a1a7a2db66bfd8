package booking

import (
	"testing"
	"time"
)

func TestSubtractIntervals(t *testing.T) {
	h := func(hh int) time.Time { return time.Date(2027, 3, 1, hh, 0, 0, 0, time.UTC) }
	iv := func(a, b int) Interval { return Interval{h(a), h(b)} }
	tests := []struct {
		name string
		a, b []Interval
		want []Interval
	}{
		{"nothing to take", []Interval{iv(8, 12)}, nil, []Interval{iv(8, 12)}},
		{"all of it", []Interval{iv(8, 12)}, []Interval{iv(7, 13)}, nil},
		{"the middle", []Interval{iv(8, 18)}, []Interval{iv(12, 14)}, []Interval{iv(8, 12), iv(14, 18)}},
		{"both ends", []Interval{iv(8, 18)}, []Interval{iv(6, 9), iv(17, 20)}, []Interval{iv(9, 17)}},
		{"touching only", []Interval{iv(8, 12), iv(14, 18)}, []Interval{iv(12, 14)}, []Interval{iv(8, 12), iv(14, 18)}},
		{"one b over two a", []Interval{iv(8, 12), iv(14, 18)}, []Interval{iv(10, 16)}, []Interval{iv(8, 10), iv(16, 18)}},
		{"several b in one a", []Interval{iv(8, 20)}, []Interval{iv(9, 10), iv(11, 12), iv(19, 21)}, []Interval{iv(8, 9), iv(10, 11), iv(12, 19)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Intervals(tc.a).Subtract(tc.b)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if !got[i].Start.Equal(tc.want[i].Start) || !got[i].End.Equal(tc.want[i].End) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

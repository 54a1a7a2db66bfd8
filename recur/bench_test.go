package recur

import (
	"strings"
	"testing"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/internal/testcal"
)

// benchObjects returns the text of the objects of the benchmark's calendar
// (testcal.Bench).
func benchObjects(tb testing.TB) []string {
	objs := testcal.Bench(tb)
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Data
	}
	return out
}

func benchSize(objs []string) int {
	n := 0
	for _, o := range objs {
		n += len(o)
	}
	return n
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// BenchmarkDecode parses the benchmark's calendar: with rdv's decoder, with
// what the cache keeps of it, and with go-ical's.
func BenchmarkDecode(b *testing.B) {
	objs := benchObjects(b)
	var zones sharedTable
	for _, d := range []struct {
		name   string
		decode func(string) (*ical.Calendar, error)
	}{
		{"rdv", Decode},
		{"rdv-busy", func(s string) (*ical.Calendar, error) { return decodeForBusy(s, nil) }},
		{"rdv-busy-zones", func(s string) (*ical.Calendar, error) { return decodeForBusy(s, &zones) }},
		{"go-ical", func(s string) (*ical.Calendar, error) { return ical.NewDecoder(strings.NewReader(s)).Decode() }},
	} {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(int64(benchSize(objs)))
			b.ReportAllocs()
			for b.Loop() {
				for _, o := range objs {
					if _, err := d.decode(o); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkExpand expands the benchmark's calendar, parsed beforehand, over
// 60 days, object by object, like a read without the cache would.
func BenchmarkExpand(b *testing.B) {
	objs := benchObjects(b)
	cals := make([]*ical.Calendar, len(objs))
	for i, o := range objs {
		cals[i] = must(decodeForBusy(o, nil))
	}
	exp := Expander{Location: testcal.Now.Location()}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = 0
		for _, cal := range cals {
			iv, _ := exp.Expand(cal, testcal.Now, testcal.Now.AddDate(0, 0, 60))
			n += len(iv)
		}
	}
	b.ReportMetric(float64(n), "intervals")
}

package caldav

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/recur"
)

// BenchmarkPublicParseBusy is the busy time of the benchmark's calendar
// (testcal.Bench: 2,000 objects, 1.6 MB) over the 60 days of the slot
// benchmarks, from its bytes, by the three paths a host has:
//
//   - ParseBusy/…: the public fast path, on the calendar as a stream of its
//     objects one after the other (what a CalDAV server holds) and as one
//     exported VCALENDAR (one VTIMEZONE, every VEVENT);
//   - go-ical+Expand/…: go-ical's decoder, then recur.Expand, on the same
//     two files (the objects one Decode each; the export one Decode, one
//     Expand);
//   - service: what Calendar.Busy does on its first read, once the server
//     has answered: decode each object (recur.BusyDecoder), fill the cache,
//     expand and merge (build, cachedBusy), without the network.
//
// File.Busy/warm and service-warm are the reads that follow: the window
// moves by a second, the File or the cache is already filled.
func BenchmarkPublicParseBusy(b *testing.B) {
	objs := benchCalendar(b)
	var texts []string
	for _, o := range objs {
		texts = append(texts, o.data)
	}
	files := []struct {
		name string
		data []byte
	}{
		{"objects", []byte(benchStream(objs))},
		{"export", []byte(exportStream(b, texts))},
	}
	loc := benchNow.Location()
	from, to := benchNow, benchNow.AddDate(0, 0, 60)
	want := len(serviceBusy(b, objs, from, to))

	for _, f := range files {
		b.Run("ParseBusy/"+f.name, func(b *testing.B) {
			b.SetBytes(int64(len(f.data)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				busy, err := ParseBusy(bytes.NewReader(f.data), from, to, loc)
				if err != nil {
					b.Fatal(err)
				}
				n = len(busy)
			}
			reportIntervals(b, n, want)
		})
	}
	for _, f := range files {
		b.Run("go-ical+Expand/"+f.name, func(b *testing.B) {
			b.SetBytes(int64(len(f.data)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				var busy []booking.Interval
				dec := ical.NewDecoder(bytes.NewReader(f.data))
				for {
					cal, err := dec.Decode()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					iv, err := recur.Expand(cal, loc, from, to)
					if err != nil {
						b.Fatal(err)
					}
					busy = append(busy, iv...)
				}
				n = len(busy)
			}
			// The count differs from the others' only if the paths do:
			// recur.Expand drops what the service keeps, never adds.
			reportIntervals(b, n, want)
		})
	}
	b.Run("service", func(b *testing.B) {
		b.SetBytes(int64(benchSize(objs)))
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			n = len(serviceBusy(b, objs, from, to))
		}
		reportIntervals(b, n, want)
	})

	b.Run("File.Busy/warm", func(b *testing.B) {
		f, err := ReadFile(bytes.NewReader(files[0].data), recur.Expander{Location: loc})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		n, at := 0, from
		for b.Loop() {
			at = at.Add(time.Second)
			busy, err := f.Busy(at, at.AddDate(0, 0, 60))
			if err != nil {
				b.Fatal(err)
			}
			n = len(busy)
		}
		b.ReportMetric(float64(n), "intervals")
	})
	b.Run("service-warm", func(b *testing.B) {
		c := offlineCalendar(b, loc)
		cc := newCalCache(CalendarInfo{Path: "/cal/"})
		cc.objects = c.build(cc, objs)
		b.ReportAllocs()
		n, at := 0, from
		for b.Loop() {
			at = at.Add(time.Second)
			n = len(c.cachedBusy(cc, at, at.AddDate(0, 0, 60), nil))
		}
		b.ReportMetric(float64(n), "intervals")
	})
}

// serviceBusy is Calendar.Busy's computation on its first read of objs,
// as BenchmarkColdSlots times it: the cache filled from the objects' text,
// then the busy time of the window.
func serviceBusy(tb testing.TB, objs []fetched, from, to time.Time) []booking.BusyInterval {
	c := offlineCalendar(tb, from.Location())
	cc := newCalCache(CalendarInfo{Path: "/cal/"})
	cc.objects = c.build(cc, objs)
	return c.cachedBusy(cc, from, to, nil)
}

// reportIntervals reports the number of busy intervals found, and fails if
// it is not what the service finds.
func reportIntervals(b *testing.B, n, want int) {
	b.Helper()
	if n != want {
		b.Errorf("%d busy intervals, the service finds %d", n, want)
	}
	b.ReportMetric(float64(n), "intervals")
}

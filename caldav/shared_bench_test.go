package caldav

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/davserver"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// BenchmarkEmbeddedSharedSlots is the slot query of a shared motive
// (booking.Service.SharedSlots) over 60 days, on warm caches: three
// practitioners, each with their own calendar of the benchmark's 2,000
// objects in rdv's embedded server (validated by sync-collection), their
// free slots merged. "one" is Service.Slots of one of them, the same way,
// for comparison.
func BenchmarkEmbeddedSharedSlots(b *testing.B) {
	objs := benchCalendar(b)
	fb, err := davserver.NewFileBackend(b.TempDir(), "alice")
	if err != nil {
		b.Fatal(err)
	}
	ids := []string{"martin", "durand", "petit"}
	for _, id := range ids {
		if err := fb.CreateCalendar(id, "Agenda "+id); err != nil {
			b.Fatal(err)
		}
		for _, o := range objs {
			if err := fb.PutObject(id, strings.TrimPrefix(o.href, "/cal/"), []byte(o.data)); err != nil {
				b.Fatal(err)
			}
		}
	}
	h := davserver.NewHandler(fb, "/dav/")
	ctx := context.Background()
	svc, err := booking.NewService(booking.ServiceConfig{
		Store: bookingtest.NewStore(), Notifier: &bookingtest.Notifier{}, Now: func() time.Time { return benchNow },
	})
	if err != nil {
		b.Fatal(err)
	}
	sched, typ := benchPractitioner(b)
	for _, id := range ids {
		c, err := New(ctx, Config{URL: "http://rdv.embedded/dav/", BookingsCalendar: id,
			Location: benchNow.Location(), HTTPClient: &http.Client{Transport: davserver.InProcessTransport(h)}})
		if err != nil {
			b.Fatal(err)
		}
		p := booking.Practitioner{ID: id, Name: id, Location: benchNow.Location(), Schedule: sched, Types: []booking.AppointmentType{*typ}}
		if err := svc.AddPractitioner(p, c); err != nil {
			b.Fatal(err)
		}
	}
	if err := svc.AddSharedType(booking.SharedType{ID: "generaliste", TypeID: typ.ID, Practitioners: ids}); err != nil {
		b.Fatal(err)
	}
	from, to := benchNow, benchNow.AddDate(0, 0, 60)
	start := time.Now()
	if _, err := svc.SharedSlots(ctx, "generaliste", from, to); err != nil {
		b.Fatal(err)
	}
	b.Logf("cold read of the three calendars: %v", time.Since(start))

	b.Run("shared", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			slots, err := svc.SharedSlots(ctx, "generaliste", from, to)
			if err != nil {
				b.Fatal(err)
			}
			n = len(slots)
		}
		b.ReportMetric(float64(n), "slots")
	})
	b.Run("one", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			slots, err := svc.Slots(ctx, "martin", typ.ID, from, to)
			if err != nil {
				b.Fatal(err)
			}
			n = len(slots)
		}
		b.ReportMetric(float64(n), "slots")
	})
}

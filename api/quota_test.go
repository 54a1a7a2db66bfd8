package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// TestDailyQuota: once the consultation's daily quota is reached, the day
// offers no consultation (the other type still), the days page says it is
// full as for a day whose slots are all taken, and a booking there is the
// 409 of a slot just taken, in the API and on the pages: nothing says a
// quota, nor a count.
func TestDailyQuota(t *testing.T) {
	store, cal := newFakeStore(t), newFakeCalendar()
	e := newEnvConfig(t, func(c *Config) {
		svc := mustNewService(t, booking.ServiceConfig{Store: store, Notifier: &bookingtest.Notifier{}, Now: func() time.Time { return testNow }, Logger: c.Logger})
		p := demoPractitioner()
		p.Type("consultation").MaxPerDay = 1
		if err := svc.AddPractitioner(p, cal); err != nil {
			t.Fatal(err)
		}
		c.Service = svc
	})
	e.store, e.cal = store, cal

	// The caps are in the practitioners' list; a type without one has none.
	var list struct {
		Practitioners []struct {
			MaxPerDay *int `json:"max_per_day"`
			Types     []struct {
				ID        string `json:"id"`
				MaxPerDay *int   `json:"max_per_day"`
			} `json:"appointment_types"`
		} `json:"practitioners"`
	}
	if w := e.do(http.MethodGet, "/v1/practitioners", nil); w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &list) != nil || len(list.Practitioners) != 1 {
		t.Fatalf("practitioners: %d %s", w.Code, w.Body)
	}
	if p := list.Practitioners[0]; p.MaxPerDay != nil {
		t.Errorf("practitioner's max_per_day = %d, want none", *p.MaxPerDay)
	}
	for _, ty := range list.Practitioners[0].Types {
		switch {
		case ty.ID == "consultation" && (ty.MaxPerDay == nil || *ty.MaxPerDay != 1):
			t.Errorf("consultation's max_per_day = %v, want 1", ty.MaxPerDay)
		case ty.ID != "consultation" && ty.MaxPerDay != nil:
			t.Errorf("%s's max_per_day = %d, want none", ty.ID, *ty.MaxPerDay)
		}
	}

	e.book("consultation", slotStart)

	// suivi: 09:00 is the consultation's.
	for typ, want := range map[string]int{"consultation": 0, "suivi": 11} {
		w := e.do(http.MethodGet, "/v1/practitioners/demo/slots?type="+typ+"&from=2026-12-01&to=2026-12-02", nil)
		if w.Code != http.StatusOK {
			t.Fatalf("slots of %s: %d %s", typ, w.Code, w.Body)
		}
		if starts, _ := slotsOf(t, decode(t, w)); len(starts) != want {
			t.Errorf("%s: %d slots on the full day, want %d", typ, len(starts), want)
		}
	}
	wantPage(t, e.do(http.MethodGet, "/p/demo/consultation?day=2026-12-01", nil), http.StatusOK, "Plus aucun créneau libre ce jour-là.")

	detail := wantProblem(t, e.postJSON("/v1/bookings", bookingBody("consultation", "2026-12-01T10:00:00+01:00")), http.StatusConflict, "no longer free")
	w := e.postForm("/book", bookForm("consultation", "2026-12-01T10:00:00+01:00", "Pierre Curie", "pierre@example.org", ""))
	page := wantPage(t, w, http.StatusConflict, "Ce créneau vient d&#39;être pris")
	for _, s := range []string{detail, page} {
		if low := strings.ToLower(s); strings.Contains(low, "quota") || strings.Contains(low, "per day") || strings.Contains(low, "par jour") {
			t.Errorf("the refusal tells of the quota: %s", s)
		}
	}
	if store.count() != 1 {
		t.Errorf("%d bookings, want 1", store.count())
	}
}

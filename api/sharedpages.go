package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// The pages of a shared motive (booking.SharedType): listed first on the
// practice page, its days and times at /s/{shared} (the merged slots of
// its practitioners, the calendar step of calendar.go), its form at
// /book?shared=…&start=…; the done page names the practitioner chosen.

// sharedItem is a shared motive on the practice page.
type sharedItem struct {
	Name, Href, Minutes string
}

func (s *Server) sharedHref(st *booking.SharedType) string {
	return s.basePath + "/s/" + url.PathEscape(st.ID)
}

// sharedTypes returns the types st stands for, one per practitioner.
func (s *Server) sharedTypes(st *booking.SharedType) []*booking.AppointmentType {
	var out []*booking.AppointmentType
	for _, id := range st.Practitioners {
		if p, err := s.svc.Practitioner(id); err == nil {
			if t := p.Type(st.TypeID); t != nil {
				out = append(out, t)
			}
		}
	}
	return out
}

// sharedMinutes is how long a visit of st lasts: one length, or the
// shortest to the longest of its practitioners'.
func (s *Server) sharedMinutes(tx *text, st *booking.SharedType) string {
	lo, hi := 0, 0
	for _, t := range s.sharedTypes(st) {
		m := int(t.Duration / time.Minute)
		if lo == 0 || m < lo {
			lo = m
		}
		hi = max(hi, m)
	}
	if lo == hi {
		return fmt.Sprintf(tx.MinutesF, lo)
	}
	return fmt.Sprintf(tx.MinutesRangeF, lo, hi)
}

// sharedPlace is where a visit of st takes place, when all its
// practitioners say the same ("" otherwise).
func (s *Server) sharedPlace(st *booking.SharedType) string {
	place := ""
	for i, t := range s.sharedTypes(st) {
		if i > 0 && t.Location != place {
			return ""
		}
		place = t.Location
	}
	return place
}

// sharedHorizon is the farthest horizon of the practitioners of st.
func (s *Server) sharedHorizon(st *booking.SharedType) time.Duration {
	var h time.Duration
	for _, t := range s.sharedTypes(st) {
		h = max(h, horizonOf(t))
	}
	return h
}

// sharedCrumbs returns the steps back to the shared motive st and, if
// withSelf, to its own step.
func (s *Server) sharedCrumbs(tx *text, st *booking.SharedType, withSelf bool) []crumb {
	cs := []crumb{{Href: s.basePath + "/", Label: tx.Home}}
	if withSelf {
		cs = append(cs, crumb{Href: s.sharedHref(st), Label: st.Name})
	}
	return cs
}

// sharedDaysPage is the day and time step of a shared motive: the days
// and times at which at least one of its practitioners is free.
func (s *Server) sharedDaysPage(w http.ResponseWriter, r *http.Request) {
	tx := s.text(r)
	st, err := s.svc.SharedType(r.PathValue("shared"))
	if err != nil {
		s.problem(r.Context(), err)
		v := tx.NotFound["type"]
		s.errorPage(w, r, http.StatusNotFound, &v)
		return
	}
	loc, err := s.svc.SharedLocation(st.ID)
	if err != nil {
		s.errorPage(w, r, http.StatusInternalServerError, nil)
		return
	}
	base := s.sharedHref(st)
	src := &calendarSource{
		loc: loc, t: tx, horizon: s.sharedHorizon(st), now: s.now(), contact: s.practice.view.Phone,
		days: func(ctx context.Context, from, to booking.Date) ([]booking.Day, error) {
			defer s.metrics.timeSlots(st.ID, "shared-days", time.Now())
			return s.svc.SharedDays(ctx, st.ID, from, to)
		},
		page: func(q map[string]string) string { return withQuery(base, q) },
		slot: func(sl booking.Slot) string {
			return s.basePath + "/book?" + url.Values{
				"shared": {st.ID}, "start": {sl.Start.In(loc).Format(time.RFC3339)},
			}.Encode()
		},
	}
	v := daysStep{Practitioner: tx.FirstAvailable, Type: st.Name, Minutes: s.sharedMinutes(tx, st), Place: s.sharedPlace(st)}
	if s.sharedWaitlist(st) {
		v.WaitHref, v.WaitLabel = waitHref(base, r), waitTextOf(tx.Lang).Link
	}
	s.calendarPage(w, r, tx, src, base, st.Name, s.sharedCrumbs(tx, st, false), v)
}

// sharedForm is slotForm for a slot of the shared motive v names.
func (s *Server) sharedForm(tx *text, v url.Values) (*formView, time.Time, error) {
	st, err := s.svc.SharedType(v.Get("shared"))
	if err != nil {
		return nil, time.Time{}, err
	}
	loc, err := s.svc.SharedLocation(st.ID)
	if err != nil {
		return nil, time.Time{}, err
	}
	start, err := formStart(v)
	if err != nil {
		return nil, time.Time{}, err
	}
	f := s.newFormView(tx, start.In(loc), withQuery(s.sharedHref(st), map[string]string{"day": booking.DateOf(start.In(loc)).String()}))
	f.SharedID = st.ID
	f.Practitioner, f.Type = tx.AnyPractitioner, st.Name
	f.Minutes, f.Place = s.sharedMinutes(tx, st), s.sharedPlace(st)
	f.crumbs = s.sharedCrumbs(tx, st, true)
	return f, start, nil
}

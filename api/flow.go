package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// practiceStep is the first step: the practitioners.
type practiceStep struct {
	Shared        []sharedItem // the shared motives, listed first
	Practitioners []practitionerItem
}

type practitionerItem struct {
	Name, Href string
	Types      []typeItem
}

// practitionerStep is the second: the motives of one practitioner.
type practitionerStep struct {
	Name    string
	Types   []typeItem
	NoTypes string
}

type typeItem struct {
	Name, Href, Minutes, Place string
}

// daysStep is the day and time step of a new booking.
type daysStep struct {
	Practitioner, Type, Minutes, Place string
	Calendar                           *calendarView
	// WaitHref is the waiting-list form ("" when there is no waiting
	// list), which WaitLabel names.
	WaitHref, WaitLabel string
}

// visibleTypes returns the types of p listed on the pages.
func visibleTypes(p *booking.Practitioner) []*booking.AppointmentType {
	var out []*booking.AppointmentType
	for i := range p.Types {
		if !p.Types[i].Unlisted {
			out = append(out, &p.Types[i])
		}
	}
	return out
}

func (s *Server) practitionerHref(p *booking.Practitioner) string {
	return s.basePath + "/p/" + url.PathEscape(p.ID)
}

func (s *Server) typeHref(p *booking.Practitioner, t *booking.AppointmentType) string {
	return s.practitionerHref(p) + "/" + url.PathEscape(t.ID)
}

func (s *Server) typeItem(tx *text, p *booking.Practitioner, t *booking.AppointmentType) typeItem {
	return typeItem{Name: t.Name, Href: s.typeHref(p, t), Minutes: fmt.Sprintf(tx.MinutesF, int(t.Duration/time.Minute)), Place: t.Location}
}

// found sends the browser on to the only choice of a step.
func (s *Server) found(w http.ResponseWriter, r *http.Request, path string) {
	s.setPageHeaders(w.Header())
	w.Header().Set("Cache-Control", "no-cache")
	if l := r.URL.Query().Get("lang"); l == "fr" || l == "en" {
		s.rememberLang(w, r)
		// Carried on too: in a frame whose cookies the browser blocks,
		// the next page would forget it.
		path = withLang(path, l)
	}
	http.Redirect(w, r, path, http.StatusFound)
}

// practicePage is the first step: the practitioners, and their motives.
// The addresses of the former slots page (?p=&type=) lead to their step.
func (s *Server) practicePage(w http.ResponseWriter, r *http.Request) {
	tx := s.text(r)
	ps := s.svc.Practitioners()
	q := r.URL.Query()
	if pid := q.Get("p"); pid != "" {
		target := s.basePath + "/p/" + url.PathEscape(pid)
		if tid := q.Get("type"); tid != "" {
			target += "/" + url.PathEscape(tid)
		}
		s.found(w, r, target)
		return
	}
	sts := s.svc.SharedTypes()
	if len(ps) == 1 && len(sts) == 0 {
		s.found(w, r, s.practitionerHref(&ps[0]))
		return
	}
	var v practiceStep
	for i := range sts {
		st := &sts[i]
		v.Shared = append(v.Shared, sharedItem{Name: st.Name, Href: s.sharedHref(st), Minutes: s.sharedMinutes(tx, st)})
	}
	for i := range ps {
		p := &ps[i]
		it := practitionerItem{Name: p.Name, Href: s.practitionerHref(p)}
		for _, t := range visibleTypes(p) {
			it.Types = append(it.Types, s.typeItem(tx, p, t))
		}
		v.Practitioners = append(v.Practitioners, it)
	}
	w.Header().Set("Cache-Control", "no-cache")
	s.render(w, r, http.StatusOK, page{Name: "practice", Title: tx.BookTitle, View: v})
}

// crumbs returns the steps back to practitioner p (nil for none) and, if
// withType, to its type t, leaving out the steps that had a single choice
// (an unlisted type had none: the practitioner's page leads back to the
// listed ones).
func (s *Server) crumbs(tx *text, p *booking.Practitioner, t *booking.AppointmentType, withType bool) []crumb {
	var cs []crumb
	if len(s.svc.Practitioners()) > 1 {
		cs = append(cs, crumb{Href: s.basePath + "/", Label: tx.Home})
	}
	if p == nil {
		return cs
	}
	if len(visibleTypes(p)) > 1 || (t != nil && t.Unlisted && len(visibleTypes(p)) > 0) {
		cs = append(cs, crumb{Href: s.practitionerHref(p), Label: p.Name})
	}
	if t != nil && withType {
		cs = append(cs, crumb{Href: s.typeHref(p, t), Label: t.Name})
	}
	return cs
}

// pathPractitioner returns the practitioner of the path; when there is
// none, it has written the error page.
func (s *Server) pathPractitioner(w http.ResponseWriter, r *http.Request, tx *text) (*booking.Practitioner, bool) {
	p, err := s.svc.Practitioner(r.PathValue("practitioner"))
	if err != nil {
		s.problem(r.Context(), err)
		v := tx.NotFound["practitioner"]
		s.errorPage(w, r, http.StatusNotFound, &v)
		return nil, false
	}
	return p, true
}

// practitionerPage is the second step: the motives of a practitioner.
func (s *Server) practitionerPage(w http.ResponseWriter, r *http.Request) {
	tx := s.text(r)
	p, ok := s.pathPractitioner(w, r, tx)
	if !ok {
		return
	}
	types := visibleTypes(p)
	if len(types) == 1 {
		s.found(w, r, s.typeHref(p, types[0]))
		return
	}
	v := practitionerStep{Name: p.Name}
	for _, t := range types {
		v.Types = append(v.Types, s.typeItem(tx, p, t))
	}
	if len(types) == 0 {
		contact := ""
		if p.Contact != "" {
			contact = fmt.Sprintf(tx.CutoffContactF, p.Contact)
		}
		v.NoTypes = fmt.Sprintf(tx.NoTypeF, contact)
	}
	w.Header().Set("Cache-Control", "no-cache")
	s.render(w, r, http.StatusOK, page{Name: "practitioner", Title: p.Name, Crumbs: s.crumbs(tx, nil, nil, false), View: v})
}

// daysPage is the day and time step of a new booking.
func (s *Server) daysPage(w http.ResponseWriter, r *http.Request) {
	tx := s.text(r)
	p, ok := s.pathPractitioner(w, r, tx)
	if !ok {
		return
	}
	t := p.Type(r.PathValue("type"))
	if t == nil {
		v := tx.NotFound["type"]
		s.errorPage(w, r, http.StatusNotFound, &v)
		return
	}
	base := s.typeHref(p, t)
	src := &calendarSource{
		loc: p.Location, t: tx, horizon: horizonOf(t), now: s.now(), contact: p.Contact,
		days: func(ctx context.Context, from, to booking.Date) ([]booking.Day, error) {
			defer s.metrics.timeSlots(p.ID, "days", time.Now())
			return s.svc.Days(ctx, p.ID, t.ID, from, to)
		},
		page: func(q map[string]string) string { return withQuery(base, q) },
		slot: func(sl booking.Slot) string {
			return s.basePath + "/book?" + url.Values{
				"practitioner": {p.ID}, "type": {t.ID}, "start": {sl.Start.In(p.Location).Format(time.RFC3339)},
			}.Encode()
		},
	}
	v := daysStep{Practitioner: p.Name, Type: t.Name, Minutes: fmt.Sprintf(tx.MinutesF, int(t.Duration/time.Minute)), Place: t.Location}
	if s.waitlist != nil && !t.NoWaitlist {
		v.WaitHref, v.WaitLabel = waitHref(base, r), waitTextOf(tx.Lang).Link
	}
	s.calendarPage(w, r, tx, src, base, t.Name, s.crumbs(tx, p, t, false), v)
}

// waitHref is the waiting-list form of the day step base, on the day of
// r's ?day= if it has a valid one.
func waitHref(base string, r *http.Request) string {
	q := map[string]string{}
	if d := r.URL.Query().Get("day"); d != "" {
		if _, err := booking.ParseDate(d); err == nil {
			q["day"] = d
		}
	}
	return withQuery(base+"/waitlist", q)
}

// calendarPage writes the day and time step v, its calendar read from src;
// base is the step's own address, name its title.
func (s *Server) calendarPage(w http.ResponseWriter, r *http.Request, tx *text, src *calendarSource, base, name string, crumbs []crumb, v daysStep) {
	q := r.URL.Query()
	cal, err := src.calendar(r.Context(), q.Get("month"), q.Get("day"))
	if err != nil {
		status, _ := s.problem(r.Context(), err)
		if status == http.StatusUnprocessableEntity || status == http.StatusBadRequest {
			ev := tx.NotFound["date"]
			ev.LinkHref, ev.LinkText = base, tx.BackToList
			s.errorPage(w, r, http.StatusUnprocessableEntity, &ev)
			return
		}
		if status != http.StatusServiceUnavailable {
			s.errorPage(w, r, status, nil)
			return
		}
		// The calendar can't be read: say so on the step itself.
		cal = &calendarView{Unavailable: true}
		w.Header().Set("Retry-After", "60")
		w.Header().Set("Cache-Control", "no-store")
		v.Calendar = cal
		s.render(w, r, status, page{Name: "days", Title: name, Crumbs: crumbs, Error: true, View: v})
		return
	}
	v.Calendar = cal
	w.Header().Set("Cache-Control", "no-cache")
	title := name
	if cal.Selected != "" {
		title += " — " + cal.Selected
	}
	s.render(w, r, http.StatusOK, page{Name: "days", Title: title, Crumbs: crumbs, View: v})
}

// horizonOf is how far ahead t can be booked.
func horizonOf(t *booking.AppointmentType) time.Duration {
	if t.Horizon > 0 {
		return t.Horizon
	}
	return booking.DefaultHorizon
}

// withQuery returns path with the query q, in a fixed order.
func withQuery(path string, q map[string]string) string {
	v := url.Values{}
	for k, x := range q {
		v.Set(k, x)
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// withLang adds lang=l to the query of path.
func withLang(path, l string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "lang=" + l
}

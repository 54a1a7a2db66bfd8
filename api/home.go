package api

import (
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// homeView is the slots page: for each practitioner and type, a week of free
// slots grouped by local day.
type homeView struct {
	Filtered      bool // showing one practitioner or type, not all
	Practitioners []practitionerView
}

type practitionerView struct {
	Name  string
	Zone  string
	Types []typeView
}

type typeView struct {
	Name        string
	Minutes     int
	Place       string
	Week        string // "du mardi 1er décembre au lundi 7 décembre 2026"
	Unavailable bool   // the calendar could not be read
	Days        []dayView
	Prev, Next  string // links to the previous and next weeks, "" if none
}

type dayView struct {
	Label string
	Slots []slotView
}

type slotView struct {
	Time  string
	Label string // date and time, for assistive technologies
	Href  string
}

// slotQuery is one practitioner and type whose slots the page shows.
type slotQuery struct {
	p        *booking.Practitioner
	t        *booking.AppointmentType
	from, to booking.Date
	slots    []booking.Slot
	err      error
}

// homeConcurrency bounds the calendars read at once for one page.
const homeConcurrency = 4

// home lists free slots. Query parameters: p (a practitioner id) and type (an
// appointment type id) narrow the list; from (YYYY-MM-DD) starts the week
// elsewhere than today.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pid, tid := q.Get("p"), q.Get("type")
	var fromDate *booking.Date
	if f := q.Get("from"); f != "" {
		d, err := booking.ParseDate(f)
		if err != nil {
			s.errorPage(w, r, http.StatusUnprocessableEntity, &errorView{Heading: "Date invalide", Message: "La date demandée n'est pas valide."})
			return
		}
		fromDate = &d
	}

	ps := s.svc.Practitioners()
	if pid != "" {
		p, err := s.svc.Practitioner(pid)
		if err != nil {
			status, _ := s.problem(r.Context(), err)
			s.errorPage(w, r, status, &errorView{Heading: "Praticien introuvable", Message: "Ce praticien n'existe pas ou ne prend plus de rendez-vous en ligne."})
			return
		}
		ps = []booking.Practitioner{*p}
	}

	now := s.now()
	var queries []*slotQuery
	for i := range ps {
		p := &ps[i]
		today := booking.DateOf(now.In(p.Location))
		from := today
		if fromDate != nil && today.Before(*fromDate) {
			from = *fromDate
		}
		for j := range p.Types {
			t := &p.Types[j]
			if tid != "" && t.ID != tid {
				continue
			}
			queries = append(queries, &slotQuery{p: p, t: t, from: from, to: from.AddDays(defaultWindowDays)})
		}
	}
	if len(queries) == 0 && tid != "" {
		s.errorPage(w, r, http.StatusNotFound, &errorView{Heading: "Motif introuvable", Message: "Ce motif de rendez-vous n'existe pas."})
		return
	}

	var wg sync.WaitGroup
	sem := make(chan struct{}, homeConcurrency)
	for _, sq := range queries {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			loc := sq.p.Location
			sq.slots, sq.err = s.svc.Slots(r.Context(), sq.p.ID, sq.t.ID, sq.from.Midnight(loc), sq.to.Midnight(loc))
		})
	}
	wg.Wait()

	// One unreadable calendar must not hide the others; if none can be read,
	// say so with the status of the first error.
	failed, status := 0, 0
	for _, sq := range queries {
		if sq.err != nil {
			st, _ := s.problem(r.Context(), sq.err) // logs it
			if failed == 0 {
				status = st
			}
			failed++
		}
	}
	if failed > 0 && failed == len(queries) {
		s.errorPage(w, r, status, nil)
		return
	}

	view := homeView{Filtered: pid != "" || tid != ""}
	var last *booking.Practitioner
	for _, sq := range queries {
		if sq.p != last {
			view.Practitioners = append(view.Practitioners, practitionerView{Name: sq.p.Name, Zone: sq.p.Location.String()})
			last = sq.p
		}
		pv := &view.Practitioners[len(view.Practitioners)-1]
		pv.Types = append(pv.Types, s.typeView(sq, now))
	}
	w.Header().Set("Cache-Control", "no-cache")
	s.render(w, r, http.StatusOK, "home", "Prendre rendez-vous", view)
}

func (s *Server) typeView(sq *slotQuery, now time.Time) typeView {
	loc := sq.p.Location
	tv := typeView{
		Name:        sq.t.Name,
		Minutes:     int(sq.t.Duration / time.Minute),
		Place:       sq.t.Location,
		Week:        "du " + frenchDate(sq.from.Midnight(loc)) + " au " + frenchDate(sq.to.AddDays(-1).Midnight(loc)),
		Unavailable: sq.err != nil,
	}
	for _, sl := range sq.slots {
		start := sl.Start.In(loc)
		label := frenchDate(start)
		if n := len(tv.Days); n == 0 || tv.Days[n-1].Label != label {
			tv.Days = append(tv.Days, dayView{Label: label})
		}
		d := &tv.Days[len(tv.Days)-1]
		d.Slots = append(d.Slots, slotView{
			Time:  frenchTime(start),
			Label: label + " à " + frenchTime(start),
			Href: s.basePath + "/book?" + url.Values{
				"practitioner": {sq.p.ID},
				"type":         {sq.t.ID},
				"start":        {start.Format(time.RFC3339)},
			}.Encode(),
		})
	}
	week := func(d booking.Date) string {
		return s.basePath + "/?" + url.Values{"p": {sq.p.ID}, "type": {sq.t.ID}, "from": {d.String()}}.Encode()
	}
	if today := booking.DateOf(now.In(loc)); today.Before(sq.from) {
		prev := sq.from.AddDays(-defaultWindowDays)
		if prev.Before(today) {
			prev = today
		}
		tv.Prev = week(prev)
	}
	horizon := sq.t.Horizon
	if horizon <= 0 {
		horizon = booking.DefaultHorizon
	}
	if sq.to.Midnight(loc).Before(now.Add(horizon)) {
		tv.Next = week(sq.to)
	}
	return tv
}

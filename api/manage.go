package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/ics"
	"github.com/rdvlibre/rdv/internal/locale"
)

// summaryView is a booking as its pages show it.
type summaryView struct {
	Practitioner, Type, Minutes, When, Zone, Place, Patient, Status string
}

// manageView is the page of one booking, for the holder of its token.
type manageView struct {
	Summary       summaryView
	Pending       bool
	Deadline      string // for a pending booking: when it is released unless confirmed
	Active        bool
	Changeable    bool   // cancel and move are offered
	CutoffNote    string // why they are not, past the cut-off
	ConfirmAction string
	CancelHref    string
	MoveHref      string
	ICSHref       string
	BookAnother   string
	// After a change (?done=): what happened.
	Banner    string
	Booked    bool   // just booked: the email sent, the link to keep
	Assigned  string // just booked with the first available: who it is
	EmailSent string // "We sent an email to m***@example.org…"
	Link      string // the manage link itself
}

// bookingPage is the booking that the path's token opens, with the
// language of its pages; on error it has written the error page.
func (s *Server) bookingPage(w http.ResponseWriter, r *http.Request) (booking.Appointment, *text, bool) {
	w.Header().Set("Cache-Control", "no-store")
	a, err := s.svc.BookingByToken(r.Context(), r.PathValue("token"))
	if err != nil {
		s.manageError(w, r, err, "")
		return a, nil, false
	}
	return a, textOf(s.langOf(r, a.Booking.Lang)), true
}

func (s *Server) manageBase(r *http.Request) string {
	return s.basePath + "/manage/" + r.PathValue("token")
}

func summaryOf(tx *text, a booking.Appointment) summaryView {
	b, loc := a.Booking, a.Practitioner.Location
	start := b.Start.In(loc)
	return summaryView{
		Practitioner: a.Practitioner.Name,
		Type:         a.Type.Name,
		Minutes:      fmt.Sprintf(tx.MinutesF, int(b.End.Sub(b.Start)/time.Minute)),
		When:         locale.DateTime(tx.Lang, start),
		Zone:         locale.Zone(tx.Lang, start),
		Place:        a.Type.Location,
		Patient:      b.Patient.Name,
		Status:       tx.Statuses[b.Status],
	}
}

// manage shows the booking that the token of the path opens. It changes
// nothing, so that a mail scanner following the link does nothing:
// confirming, cancelling and moving are POST forms.
func (s *Server) manage(w http.ResponseWriter, r *http.Request) {
	a, tx, ok := s.bookingPage(w, r)
	if !ok {
		return
	}
	b := a.Booking
	loc := a.Practitioner.Location
	base := s.manageBase(r)
	now := s.now()
	v := manageView{
		Summary:       summaryOf(tx, a),
		Pending:       b.Status == booking.StatusPending,
		Active:        b.Status.Active(),
		Changeable:    a.Changeable(now),
		ConfirmAction: base + "/confirm",
		CancelHref:    base + "/cancel",
		MoveHref:      base + "/move",
		ICSHref:       base + "/event.ics",
		BookAnother:   s.basePath + "/",
	}
	if v.Pending {
		v.Deadline = locale.Deadline(tx.Lang, s.svc.Deadline(a).In(loc))
	}
	if v.Active && !v.Changeable {
		v.CutoffNote = cutoffNote(tx, a)
	}
	switch done := r.URL.Query().Get("done"); done {
	case "booked", "assigned":
		if v.Active {
			if done == "assigned" {
				v.Assigned = fmt.Sprintf(tx.AssignedF, a.Practitioner.Name)
			}
			v.Booked = true
			v.Banner = tx.BookedHeading
			if v.Pending {
				v.Banner = tx.BookedPendingHeading
			}
			v.EmailSent = fmt.Sprintf(tx.EmailSentF, maskEmail(b.Patient.Email))
			v.Link = s.manageURL(r.PathValue("token"))
		}
	case "confirmed":
		if b.Status == booking.StatusConfirmed {
			v.Banner = tx.ConfirmedBanner
		}
	case "moved":
		if v.Active {
			v.Banner = fmt.Sprintf(tx.MovedBannerF, locale.DateTime(tx.Lang, b.Start.In(loc)))
		}
	case "cancelled":
		if b.Status == booking.StatusCancelled {
			v.Banner = tx.CancelledBanner
		}
	}
	s.render(w, r, http.StatusOK, page{Name: "manage", Title: tx.ManageTitle, Lang: tx.Lang, View: v})
}

// maskEmail hides most of an address's local part, keeping it
// recognisable to its owner: "marie.curie@example.org" is
// "m***e@example.org", "ab@example.org" "a***@example.org".
func maskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return "***"
	}
	masked := local[:1] + "***"
	if len(local) >= 5 {
		masked += local[len(local)-1:]
	}
	return masked + "@" + domain
}

// manageICS is the booking as an iCalendar file (METHOD:PUBLISH) for the
// patient's own calendar: the patient's copy, as the invitation of the
// emails, with the motive only if the type discloses it.
func (s *Server) manageICS(w http.ResponseWriter, r *http.Request) {
	a, _, ok := s.bookingPage(w, r)
	if !ok {
		return
	}
	data, err := ics.Encode(ics.Appointment(a, ics.MethodPublish, s.now()))
	if err != nil {
		s.problem(r.Context(), err)
		s.errorPage(w, r, http.StatusInternalServerError, nil)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="rendez-vous.ics"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(data)
}

// cutoffNote tells why a booking can't be changed online any more and how
// to reach the practice.
func cutoffNote(tx *text, a booking.Appointment) string {
	before, contact := "", ""
	if c := a.Type.CancelCutoff; c > 0 {
		before = fmt.Sprintf(tx.CutoffBeforeF, locale.Duration(tx.Lang, c))
	}
	if a.Practitioner.Contact != "" {
		contact = fmt.Sprintf(tx.CutoffContactF, a.Practitioner.Contact)
	}
	return fmt.Sprintf(tx.CutoffF, before, contact)
}

// cancelView is the confirmation step before cancelling.
type cancelView struct {
	Summary summaryView
	Action  string
	Back    string
}

// cancelPage asks the patient to confirm the cancelling.
func (s *Server) cancelPage(w http.ResponseWriter, r *http.Request) {
	a, tx, ok := s.bookingPage(w, r)
	if !ok {
		return
	}
	base := s.manageBase(r)
	if !a.Changeable(s.now()) {
		s.manageError(w, r, booking.Errorf(booking.EConflict, "booking can't be cancelled online"), base)
		return
	}
	s.render(w, r, http.StatusOK, page{Name: "cancel", Title: tx.CancelTitle, Lang: tx.Lang,
		Crumbs: []crumb{{Href: base, Label: tx.ManageTitle}},
		View:   cancelView{Summary: summaryOf(tx, a), Action: base + "/cancel", Back: base}})
}

// moveView is the day and time step of a move.
type moveView struct {
	Current  string
	Calendar *calendarView
}

// moveConfirmView is the confirmation step of a move.
type moveConfirmView struct {
	Summary    summaryView
	From, To   string
	StartParam string
	Action     string
	Other      string // back to the day of the new slot
	Back       string
}

// movePage is the day and time step of moving a booking, within its type's
// rules; with ?start= it is the confirmation of the move to that slot.
func (s *Server) movePage(w http.ResponseWriter, r *http.Request) {
	a, tx, ok := s.bookingPage(w, r)
	if !ok {
		return
	}
	base := s.manageBase(r)
	now := s.now()
	if !a.Changeable(now) {
		s.manageError(w, r, booking.Errorf(booking.EConflict, "booking can't be moved online"), base)
		return
	}
	loc := a.Practitioner.Location
	token := r.PathValue("token")
	crumbs := []crumb{{Href: base, Label: tx.ManageTitle}}
	q := r.URL.Query()
	if st := q.Get("start"); st != "" {
		start, err := time.Parse(time.RFC3339, strings.Replace(st, " ", "+", 1))
		if err != nil {
			v := tx.Conflict["invalid"]
			v.LinkHref, v.LinkText = base+"/move", tx.MoveOther
			s.errorPageIn(w, r, tx.Lang, http.StatusUnprocessableEntity, &v)
			return
		}
		local := start.In(loc)
		crumbs = append(crumbs, crumb{Href: base + "/move", Label: tx.MoveTitle})
		s.render(w, r, http.StatusOK, page{Name: "moveconfirm", Title: tx.MoveConfirmTitle, Lang: tx.Lang, Crumbs: crumbs,
			View: moveConfirmView{
				Summary:    summaryOf(tx, a),
				From:       locale.DateTime(tx.Lang, a.Booking.Start.In(loc)),
				To:         locale.DateTime(tx.Lang, local),
				StartParam: start.Format(time.RFC3339),
				Action:     base + "/reschedule",
				Other:      withQuery(base+"/move", map[string]string{"day": booking.DateOf(local).String()}),
				Back:       base,
			}})
		return
	}
	src := &calendarSource{
		loc: loc, t: tx, horizon: horizonOf(a.Type), now: now, contact: a.Practitioner.Contact,
		days: func(ctx context.Context, from, to booking.Date) ([]booking.Day, error) {
			return s.svc.RescheduleDays(ctx, token, from, to)
		},
		page: func(q map[string]string) string { return withQuery(base+"/move", q) },
		slot: func(sl booking.Slot) string {
			return base + "/move?" + url.Values{"start": {sl.Start.In(loc).Format(time.RFC3339)}}.Encode()
		},
	}
	v := moveView{Current: fmt.Sprintf(tx.MoveCurrentF, locale.DateTime(tx.Lang, a.Booking.Start.In(loc)))}
	cal, err := src.calendar(r.Context(), q.Get("month"), q.Get("day"))
	if err != nil {
		status, _ := s.problem(r.Context(), err)
		if status == http.StatusUnprocessableEntity {
			ev := tx.NotFound["date"]
			ev.LinkHref, ev.LinkText = base+"/move", tx.MoveOther
			s.errorPageIn(w, r, tx.Lang, status, &ev)
			return
		}
		if status != http.StatusServiceUnavailable {
			// The booking gone meanwhile, or anything but the calendar.
			s.manageError(w, r, err, "")
			return
		}
		v.Calendar = &calendarView{Unavailable: true}
		w.Header().Set("Retry-After", "60")
		s.render(w, r, status, page{Name: "move", Title: tx.MoveTitle, Lang: tx.Lang, Crumbs: crumbs, Error: true, View: v})
		return
	}
	v.Calendar = cal
	title := tx.MoveTitle
	if cal.Selected != "" {
		title += " — " + cal.Selected
	}
	s.render(w, r, http.StatusOK, page{Name: "move", Title: title, Lang: tx.Lang, Crumbs: crumbs, View: v})
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	s.manageAction(w, r, "confirmed", s.svc.Confirm)
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	s.manageAction(w, r, "cancelled", s.svc.Cancel)
}

// reschedule moves the booking to the slot chosen in the form's "start".
func (s *Server) reschedule(w http.ResponseWriter, r *http.Request) {
	back := s.manageBase(r)
	start, err := time.Parse(time.RFC3339, strings.Replace(r.PostForm.Get("start"), " ", "+", 1))
	if err != nil {
		tx := s.text(r)
		v := tx.Conflict["none"]
		v.LinkHref, v.LinkText = back+"/move", tx.MoveOther
		s.errorPage(w, r, http.StatusUnprocessableEntity, &v)
		return
	}
	s.manageAction(w, r, "moved", func(ctx context.Context, token string) (booking.Appointment, error) {
		return s.svc.Reschedule(ctx, token, start)
	})
}

// manageAction applies action to the booking of the path's token, then sends
// the browser back to the booking's page, which says what was done.
func (s *Server) manageAction(w http.ResponseWriter, r *http.Request, done string, action func(context.Context, string) (booking.Appointment, error)) {
	w.Header().Set("Cache-Control", "no-store")
	token := r.PathValue("token")
	back := s.manageBase(r)
	if _, err := action(r.Context(), token); err != nil {
		s.manageError(w, r, err, back)
		return
	}
	s.redirect(w, r, back+"?done="+done)
}

// manageError shows the page for an error about a booking; back, if set, links
// to the booking's page.
func (s *Server) manageError(w http.ResponseWriter, r *http.Request, err error, back string) {
	status, _ := s.problem(r.Context(), err)
	a, aerr := s.svc.BookingByToken(r.Context(), r.PathValue("token"))
	lang := ""
	if aerr == nil {
		lang = s.langOf(r, a.Booking.Lang)
	}
	tx := textOf(s.langOf(r, lang))
	if status == http.StatusTooManyRequests {
		contact := ""
		if aerr == nil {
			contact = a.Practitioner.Contact
		}
		s.limitPage(w, r, tx.Lang, err, contact, &errorView{LinkHref: back, LinkText: tx.BackToBooking})
		return
	}
	v := tx.Errors[status]
	switch status {
	case http.StatusNotFound:
		v = tx.NotFound["booking"]
	case http.StatusConflict:
		v = tx.Conflict["booking"]
		if aerr == nil && a.Booking.Status.Active() && !a.Changeable(s.now()) {
			v.Message = cutoffNote(tx, a)
		}
	case http.StatusUnprocessableEntity:
		v = tx.Conflict["offered"]
	}
	if back != "" {
		v.LinkHref, v.LinkText = back, tx.BackToBooking
	}
	s.errorPageIn(w, r, tx.Lang, status, &v)
}

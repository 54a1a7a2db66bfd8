package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/locale"
)

// The waiting list's pages: the form of the day step's "none of these
// times suit you" link, and the pages the links of its emails open.

// waitFormView is the waiting-list form of a practitioner's type, or of a
// shared motive (sharedID).
type waitFormView struct {
	W                      *waitText
	Action                 string
	Practitioner, Type     string
	Name, Email, Phone     string
	From, Until, Min, Max  string // dates YYYY-MM-DD
	Parts                  []choice
	Days                   []choice
	Fields                 map[string]string
	Summary                []fieldProblem
	Free, FreeHref         string // a free slot lies in the window: where
	Challenge              string
	practitionerID, typeID string
	sharedID               string
	crumbs                 []crumb
	contact                string
	loc                    *time.Location
	today, last            booking.Date
	part                   booking.DayPart
	weekdays               []time.Weekday
}

// choice is a radio button or a checkbox.
type choice struct {
	Value, Label string
	Checked      bool
}

// waitNoticeView is a page of the waiting list that tells something, and
// may ask for a button to be pressed (a link followed from an email changes
// nothing by itself: a mail scanner that opens it must not confirm).
type waitNoticeView struct {
	Done               bool // the outcome of an action: the notice takes the focus
	Heading, Message   string
	Action, Button     string
	LinkHref, LinkText string
}

func (f *waitFormView) fail(field, msg string) {
	if f.Fields == nil {
		f.Fields = map[string]string{}
	}
	if _, ok := f.Fields[field]; ok && field != "" {
		return
	}
	if field != "" {
		f.Fields[field] = msg
	}
	f.Summary = append(f.Summary, fieldProblem{Field: field, Message: msg})
}

func (s *Server) registerWaitlistPages() {
	s.mux.HandleFunc("GET /p/{practitioner}/{type}/waitlist", s.waitForm)
	s.mux.HandleFunc("POST /p/{practitioner}/{type}/waitlist", s.pageForm(s.waitJoin))
	s.mux.HandleFunc("GET /s/{shared}/waitlist", s.waitForm)
	s.mux.HandleFunc("POST /s/{shared}/waitlist", s.pageForm(s.waitJoin))
	s.mux.HandleFunc("GET /waitlist/confirm/{token}", s.waitConfirmPage)
	s.mux.HandleFunc("POST /waitlist/confirm/{token}", s.pageForm(s.waitConfirm))
	s.mux.HandleFunc("GET /waitlist/leave/{token}", s.waitLeavePage)
	s.mux.HandleFunc("POST /waitlist/leave/{token}", s.pageForm(s.waitLeave))
}

// newWaitForm returns the form of the practitioner and type of r's path,
// or of its shared motive, or writes the error page and returns nil.
func (s *Server) newWaitForm(w http.ResponseWriter, r *http.Request, tx *text) *waitFormView {
	if s.waitlist == nil {
		s.errorPage(w, r, http.StatusNotFound, nil)
		return nil
	}
	if id := r.PathValue("shared"); id != "" {
		return s.newSharedWaitForm(w, r, tx, id)
	}
	p, ok := s.pathPractitioner(w, r, tx)
	if !ok {
		return nil
	}
	t := p.Type(r.PathValue("type"))
	if t == nil || t.NoWaitlist {
		v := tx.NotFound["type"]
		s.errorPage(w, r, http.StatusNotFound, &v)
		return nil
	}
	now := s.now().In(p.Location)
	f := &waitFormView{
		W: waitTextOf(tx.Lang), Action: s.typeHref(p, t) + "/waitlist", Practitioner: p.Name, Type: t.Name,
		practitionerID: p.ID, typeID: t.ID, crumbs: append(s.crumbs(tx, p, t, false), crumb{Href: s.typeHref(p, t), Label: t.Name}),
		contact: p.Contact, loc: p.Location, today: booking.DateOf(now), last: booking.DateOf(now.Add(horizonOf(t))),
		Challenge: s.challengeURL(), part: booking.PartAny,
	}
	f.Min, f.Max = f.today.String(), f.last.String()
	return f
}

// newSharedWaitForm is newWaitForm for the shared motive id: its window
// within the shortest horizon of its practitioners (booking.Waitlist.Join).
func (s *Server) newSharedWaitForm(w http.ResponseWriter, r *http.Request, tx *text, id string) *waitFormView {
	st, err := s.svc.SharedType(id)
	if err != nil || !s.sharedWaitlist(st) {
		v := tx.NotFound["type"]
		s.errorPage(w, r, http.StatusNotFound, &v)
		return nil
	}
	loc, err := s.svc.SharedLocation(st.ID)
	if err != nil {
		s.errorPage(w, r, http.StatusInternalServerError, nil)
		return nil
	}
	var horizon time.Duration
	for _, t := range s.sharedTypes(st) {
		if horizon == 0 || horizonOf(t) < horizon {
			horizon = horizonOf(t)
		}
	}
	now := s.now().In(loc)
	f := &waitFormView{
		W: waitTextOf(tx.Lang), Action: s.sharedHref(st) + "/waitlist", Practitioner: tx.FirstAvailable, Type: st.Name,
		sharedID: st.ID, crumbs: s.sharedCrumbs(tx, st, true), contact: s.practice.view.Phone, loc: loc,
		today: booking.DateOf(now), last: booking.DateOf(now.Add(horizon)), Challenge: s.challengeURL(), part: booking.PartAny,
	}
	f.Min, f.Max = f.today.String(), f.last.String()
	return f
}

// sharedWaitlist reports whether the shared motive st has a waiting list:
// none when the type of any of its practitioners opts out (NoWaitlist).
func (s *Server) sharedWaitlist(st *booking.SharedType) bool {
	if s.waitlist == nil {
		return false
	}
	for _, t := range s.sharedTypes(st) {
		if t.NoWaitlist {
			return false
		}
	}
	return true
}

// choices fills the radio buttons and checkboxes from f's part and weekdays.
func (f *waitFormView) choices(lang string) {
	f.Parts = []choice{
		{Value: string(booking.PartAny), Label: f.W.PartAny},
		{Value: string(booking.PartMorning), Label: f.W.PartMorning},
		{Value: string(booking.PartAfternoon), Label: f.W.PartAfternoon},
	}
	for i := range f.Parts {
		f.Parts[i].Checked = f.Parts[i].Value == string(f.part)
	}
	f.Days = nil
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		f.Days = append(f.Days, choice{Value: strconv.Itoa(int(d)), Label: locale.Weekday(lang, d, false), Checked: slices.Contains(f.weekdays, d)})
	}
}

func (s *Server) renderWaitForm(w http.ResponseWriter, r *http.Request, status int, tx *text, f *waitFormView) {
	f.choices(tx.Lang)
	s.render(w, r, status, page{Name: "waitlist", Title: f.W.Title, Crumbs: f.crumbs, Error: len(f.Summary) > 0, View: f})
}

// waitForm is the form, its window from the day of ?day= (or today) for
// two weeks, within the horizon.
func (s *Server) waitForm(w http.ResponseWriter, r *http.Request) {
	tx := s.text(r)
	f := s.newWaitForm(w, r, tx)
	if f == nil {
		return
	}
	from := f.today
	if d, err := booking.ParseDate(r.URL.Query().Get("day")); err == nil && !d.Before(f.today) && !f.last.Before(d) {
		from = d
	}
	until := from.AddDays(13)
	if f.last.Before(until) {
		until = f.last
	}
	f.From, f.Until = from.String(), until.String()
	w.Header().Set("Cache-Control", "no-store")
	s.renderWaitForm(w, r, http.StatusOK, tx, f)
}

// waitJoin puts the patient of the form on the list (pageForm refused a
// filled honeypot).
func (s *Server) waitJoin(w http.ResponseWriter, r *http.Request) {
	tx := s.text(r)
	f := s.newWaitForm(w, r, tx)
	if f == nil {
		return
	}
	v := r.PostForm
	f.Name, f.Email, f.Phone, f.From, f.Until = v.Get("name"), v.Get("email"), v.Get("phone"), v.Get("from"), v.Get("until")
	switch p := booking.DayPart(v.Get("part")); p {
	case booking.PartMorning, booking.PartAfternoon:
		f.part = p
	}
	for _, d := range v["weekday"] {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 && n <= 6 && !slices.Contains(f.weekdays, time.Weekday(n)) {
			f.weekdays = append(f.weekdays, time.Weekday(n))
		}
	}
	if reason, _ := s.checkChallenge(v.Get("altcha")); reason != "" {
		status := http.StatusUnprocessableEntity
		switch reason {
		case "missing":
			f.fail("", tx.ChallengeMissing)
		case "busy":
			status = http.StatusServiceUnavailable
			f.fail("", tx.ChallengeBusy)
		default:
			f.fail("", tx.ChallengeFailed)
		}
		s.renderWaitForm(w, r, status, tx, f)
		return
	}
	patient := booking.Patient{Name: f.Name, Email: f.Email, Phone: f.Phone}
	for _, err := range patient.FieldErrors(false) {
		f.fail(formErrorText(tx, err, booking.ErrorMessage(err)))
	}
	from, errFrom := booking.ParseDate(f.From)
	until, errUntil := booking.ParseDate(f.Until)
	if errFrom != nil || errUntil != nil {
		f.fail("from", f.W.WindowError)
	}
	if len(f.Summary) > 0 {
		s.renderWaitForm(w, r, http.StatusUnprocessableEntity, tx, f)
		return
	}
	en, err := s.waitlist.Join(r.Context(), booking.JoinRequest{
		PractitionerID: f.practitionerID, TypeID: f.typeID, SharedID: f.sharedID, Patient: patient, Lang: tx.Lang,
		Window: booking.Window{From: from, Until: until, Part: f.part, Weekdays: f.weekdays},
	})
	if err != nil {
		status, msg := s.problem(r.Context(), err)
		var fs *booking.FreeSlotsError
		switch {
		case errors.As(err, &fs):
			noon := time.Date(fs.Day.Year, fs.Day.Month, fs.Day.Day, 12, 0, 0, 0, f.loc)
			f.Free = fmt.Sprintf(f.W.FreeF, locale.WeekdayDayMonth(tx.Lang, noon))
			f.FreeHref = withQuery(f.Action[:len(f.Action)-len("/waitlist")], map[string]string{"day": fs.Day.String()})
			s.renderWaitForm(w, r, http.StatusConflict, tx, f)
		case status == http.StatusUnprocessableEntity:
			field, text := formErrorText(tx, err, msg)
			if fld, _ := booking.ErrorField(err); fld == booking.FieldWindow {
				field, text = "from", f.W.WindowError
			}
			f.fail(field, text)
			s.renderWaitForm(w, r, status, tx, f)
		case status == http.StatusTooManyRequests:
			f.fail("", f.W.TooMany)
			s.renderWaitForm(w, r, status, tx, f)
		default:
			s.errorPage(w, r, status, nil)
		}
		return
	}
	s.render(w, r, http.StatusOK, page{Name: "waitnotice", Title: f.W.Title, Crumbs: f.crumbs, View: waitNoticeView{
		Done: true, Heading: f.W.JoinedHeading, Message: fmt.Sprintf(f.W.JoinedF, locale.When(tx.Lang, en.ExpiresAt.In(f.loc))),
	}})
}

// waitEntryPage writes the page of the entry that the path's token opens:
// the question and its button when the entry is live, else why not.
func (s *Server) waitEntryPage(w http.ResponseWriter, r *http.Request, confirm bool) {
	tx := s.text(r)
	wt := waitTextOf(tx.Lang)
	w.Header().Set("Cache-Control", "no-store")
	if s.waitlist == nil {
		s.errorPage(w, r, http.StatusNotFound, nil)
		return
	}
	e, err := s.waitlist.Entry(r.Context(), r.PathValue("token"))
	if err != nil {
		status, _ := s.problem(r.Context(), err)
		if status != http.StatusNotFound { // the store is down: the link may be fine
			s.errorPage(w, r, status, nil)
			return
		}
		s.render(w, r, status, page{Name: "waitnotice", Title: wt.Title, Error: true, View: waitNoticeView{
			Heading: wt.Title, Message: wt.NotFound, LinkHref: s.basePath + "/", LinkText: wt.BookLink}})
		return
	}
	st := e.State(s.now())
	name, _, open := s.waitEntryTarget(e)
	if !open {
		st = booking.WaitExpired // the type was taken off the list since: it ended
	}
	v := waitNoticeView{Action: s.basePath + "/waitlist/" + map[bool]string{true: "confirm", false: "leave"}[confirm] + "/" + url.PathEscape(r.PathValue("token"))}
	switch {
	case st != booking.WaitPending && st != booking.WaitActive:
		v = waitNoticeView{Heading: wt.Title, Message: wt.Ended, LinkHref: s.basePath + "/", LinkText: wt.BookLink}
	case confirm && st == booking.WaitActive:
		v = s.waitConfirmedView(wt, tx, e)
	case confirm:
		q := wt.ConfirmQuestionF
		if e.SharedID != "" {
			q = wt.ConfirmSharedQuestionF
		}
		v.Heading, v.Message, v.Button = wt.ConfirmTitle, fmt.Sprintf(q, name), wt.ConfirmButton
	default:
		v.Heading, v.Message, v.Button = wt.LeaveTitle, wt.LeaveQuestion, wt.LeaveButton
	}
	s.render(w, r, http.StatusOK, page{Name: "waitnotice", Title: v.Heading, View: v})
}

// waitEntryTarget returns the name of what the entry e waits for (its
// practitioner, or its shared motive), the zone of its days, and whether
// its waiting list is still open (the type still offered, without
// NoWaitlist).
func (s *Server) waitEntryTarget(e *booking.WaitEntry) (string, *time.Location, bool) {
	if e.SharedID != "" {
		st, err := s.svc.SharedType(e.SharedID)
		if err != nil {
			return e.SharedID, time.UTC, false
		}
		loc, err := s.svc.SharedLocation(st.ID)
		if err != nil {
			return st.Name, time.UTC, false
		}
		return st.Name, loc, s.sharedWaitlist(st)
	}
	p, err := s.svc.Practitioner(e.PractitionerID)
	if err != nil {
		return e.PractitionerID, time.UTC, false
	}
	t := p.Type(e.TypeID)
	return p.Name, p.Location, t != nil && !t.NoWaitlist
}

func (s *Server) waitConfirmedView(wt *waitText, tx *text, e *booking.WaitEntry) waitNoticeView {
	_, loc, _ := s.waitEntryTarget(e)
	noon := time.Date(e.Window.Until.Year, e.Window.Until.Month, e.Window.Until.Day, 12, 0, 0, 0, loc)
	return waitNoticeView{Done: true, Heading: wt.ConfirmedHeading, Message: fmt.Sprintf(wt.ConfirmedF, locale.WeekdayDayMonth(tx.Lang, noon))}
}

func (s *Server) waitConfirmPage(w http.ResponseWriter, r *http.Request) { s.waitEntryPage(w, r, true) }
func (s *Server) waitLeavePage(w http.ResponseWriter, r *http.Request)   { s.waitEntryPage(w, r, false) }

// waitConfirm confirms the entry of the path's token.
func (s *Server) waitConfirm(w http.ResponseWriter, r *http.Request) {
	if s.waitlist == nil {
		s.errorPage(w, r, http.StatusNotFound, nil)
		return
	}
	e, err := s.waitlist.Confirm(r.Context(), r.PathValue("token"))
	if err != nil {
		s.waitActionFailed(w, r, err, true)
		return
	}
	tx := s.text(r)
	v := s.waitConfirmedView(waitTextOf(tx.Lang), tx, e)
	s.render(w, r, http.StatusOK, page{Name: "waitnotice", Title: v.Heading, View: v})
}

// waitActionFailed writes the page of a confirm or leave that failed: the
// entry's page, which says why, for an unknown token or an entry that
// ended; else the error page (the question again would hide the failure).
func (s *Server) waitActionFailed(w http.ResponseWriter, r *http.Request, err error, confirm bool) {
	switch status, _ := s.problem(r.Context(), err); status {
	case http.StatusNotFound, http.StatusConflict:
		s.waitEntryPage(w, r, confirm)
	default:
		s.errorPage(w, r, status, nil)
	}
}

// waitLeave takes the entry of the path's token off the list.
func (s *Server) waitLeave(w http.ResponseWriter, r *http.Request) {
	if s.waitlist == nil {
		s.errorPage(w, r, http.StatusNotFound, nil)
		return
	}
	if _, err := s.waitlist.Leave(r.Context(), r.PathValue("token")); err != nil {
		s.waitActionFailed(w, r, err, false)
		return
	}
	wt := waitTextOf(s.text(r).Lang)
	s.render(w, r, http.StatusOK, page{Name: "waitnotice", Title: wt.LeftHeading, View: waitNoticeView{
		Done: true, Heading: wt.LeftHeading, Message: wt.Left, LinkHref: s.basePath + "/", LinkText: wt.BookLink}})
}

package api

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/locale"
)

//go:embed templates/desk/*.html
var deskTemplateFS embed.FS

// deskPageNames are the desk's pages, each templates/desk/NAME.html on
// templates/desk/layout.html.
var deskPageNames = []string{"login", "agenda", "book", "move", "cancel", "closures", "unknown", "messages", "waitlist", "error"}

func parseDeskPages(funcs template.FuncMap) (map[string]*template.Template, error) {
	funcs["dict"] = dict
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(deskTemplateFS, "templates/desk/layout.html")
	if err != nil {
		return nil, fmt.Errorf("api: desk layout template: %w", err)
	}
	pages := make(map[string]*template.Template, len(deskPageNames))
	for _, name := range deskPageNames {
		t, err := template.Must(layout.Clone()).ParseFS(deskTemplateFS, "templates/desk/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("api: desk template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// deskPage is a desk page to render.
type deskPage struct {
	Name  string
	Title string
	Error bool
	Nav   string // the entry of the menu this page is under
	View  any
}

// deskData is what every desk template gets.
type deskData struct {
	Title, Base, Lang, Switch, CSRF, Nav string
	T                                    *text
	D                                    *deskText
	LoggedIn                             bool
	Everyone                             bool // the session sees every practitioner
	Waitlist                             bool // the waiting list is on: its page is in the menu
	View                                 any
}

// deskRender writes the desk page p with status.
func (s *Server) deskRender(w http.ResponseWriter, r *http.Request, status int, sess *deskSession, p deskPage) {
	lang := s.langOf(r, "")
	tx, dt := textOf(lang), deskTexts[lang]
	title := p.Title
	if p.Error {
		title = tx.ErrorPrefix + title
	}
	data := deskData{Title: title + " · " + dt.Brand, Base: s.basePath, Lang: lang, Nav: p.Nav, T: tx, D: dt, View: p.View,
		Switch: s.deskSwitch(r, tx.OtherLang)}
	if sess != nil {
		data.CSRF, data.LoggedIn, data.Everyone = sess.CSRF, true, sess.scope == nil
		data.Waitlist = s.waitlist != nil
	}
	var buf bytes.Buffer
	err := s.deskPages[p.Name].ExecuteTemplate(&buf, "layout", data)
	s.deskHeaders(w.Header())
	s.rememberLang(w, r)
	if err != nil {
		s.log.ErrorContext(r.Context(), "desk: page not rendered", "page", p.Name, "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(tx.Internal + "\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", lang)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// deskSwitch is the address of r's page in language lang: for a form
// posted, the page the form belongs to, without what was typed.
func (s *Server) deskSwitch(r *http.Request, lang string) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return s.switchHref(r, lang)
	}
	path := "/desk/"
	switch {
	case r.URL.Path == "/desk/login" || r.URL.Path == "/desk/book" || r.URL.Path == "/desk/closures":
		path = r.URL.Path
	case strings.HasPrefix(r.URL.Path, "/desk/unknown/"):
		path = "/desk/unknown"
	case strings.HasPrefix(r.URL.Path, "/desk/waitlist/"):
		path = "/desk/waitlist"
	}
	return s.basePath + path + "?lang=" + lang
}

// deskError writes the desk's error page for status, with the message of
// problem ("" for the status's own).
func (s *Server) deskError(w http.ResponseWriter, r *http.Request, status int, problem string) {
	tx, dt := s.text(r), s.deskText(r)
	v, ok := tx.Errors[status]
	if !ok {
		v = tx.Errors[http.StatusInternalServerError]
	}
	if m, ok := dt.Problems[problem]; ok {
		v.Message = m
	}
	v.LinkHref, v.LinkText = s.deskPath(""), dt.AgendaTitle
	if problem == "session" || problem == "crosssite" {
		v.LinkHref, v.LinkText = s.deskPath("login"), dt.LoginTitle
	}
	s.deskRender(w, r, status, nil, deskPage{Name: "error", Title: v.Heading, Error: true, View: v})
}

// deskFailure shows the page of a booking error err, logged if it is not
// the client's fault.
func (s *Server) deskFailure(w http.ResponseWriter, r *http.Request, err error) {
	status, _ := s.problem(r.Context(), err)
	problem := ""
	if status == http.StatusConflict {
		problem = "state"
	}
	s.deskError(w, r, status, problem)
}

// option is a choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// deskPractitioners are the practitioners the session sees.
func (s *Server) deskPractitioners(sess *deskSession) []booking.Practitioner {
	var out []booking.Practitioner
	for _, p := range s.svc.Practitioners() {
		if sess.may(p.ID) {
			out = append(out, p)
		}
	}
	return out
}

// practitionerOptions are the practitioners the session sees, sel
// selected.
func (s *Server) practitionerOptions(sess *deskSession, sel string) []option {
	var out []option
	for _, p := range s.deskPractitioners(sess) {
		out = append(out, option{Value: p.ID, Label: p.Name, Selected: p.ID == sel})
	}
	return out
}

// agendaView is the agenda of a week.
type agendaView struct {
	Practitioners    []option
	All              bool // every practitioner: a column says whose
	PractitionerID   string
	Week             string
	Prev, Next, This string
	Days             []agendaDay
	Done             string
	Unavailable      bool
}

type agendaDay struct {
	Label string
	Today bool
	Rows  []agendaRow
}

type agendaRow struct {
	ID, Time, Practitioner, Motive, Status string
	Name, Email, Phone                     string
	Active, Cancelled                      bool
	Move, Cancel, Link                     string
}

// deskZone is the zone of the desk's dates: the practitioner's, or the
// first practitioner's.
func (s *Server) deskZone(pid string) *time.Location {
	ps := s.svc.Practitioners()
	for _, p := range ps {
		if p.ID == pid {
			return p.Location
		}
	}
	if len(ps) > 0 {
		return ps[0].Location
	}
	return time.UTC
}

// deskAgenda is the week's bookings, day by day, of one practitioner or
// all (?p=), today marked; ?week= is a day of the week to show.
func (s *Server) deskAgenda(w http.ResponseWriter, r *http.Request, sess *deskSession) {
	tx, dt := s.text(r), s.deskText(r)
	q := r.URL.Query()
	pid := q.Get("p")
	if pid != "" {
		if _, err := s.svc.Practitioner(pid); err != nil || !sess.may(pid) {
			s.deskError(w, r, http.StatusNotFound, "")
			return
		}
	}
	loc := s.deskZone(pid)
	today := booking.DateOf(s.now().In(loc))
	day := today
	if wk := q.Get("week"); wk != "" {
		d, err := booking.ParseDate(wk)
		if err != nil {
			s.deskError(w, r, http.StatusNotFound, "")
			return
		}
		day = d
	}
	monday := day.AddDays(-((int(day.Midnight(loc).Weekday()) + 6) % 7))
	from, to := monday.Midnight(loc), monday.AddDays(7).Midnight(loc)
	v := &agendaView{Practitioners: s.practitionerOptions(sess, pid), All: pid == "", PractitionerID: pid,
		Week: fmt.Sprintf(dt.WeekOfF, locale.DayMonth(tx.Lang, from)), Done: dt.Done[q.Get("done")]}
	link := func(d booking.Date) string {
		vals := url.Values{"week": {d.String()}}
		if pid != "" {
			vals.Set("p", pid)
		}
		return s.deskPath("") + "?" + vals.Encode()
	}
	v.Prev, v.Next, v.This = link(monday.AddDays(-7)), link(monday.AddDays(7)), link(today)
	byDay := map[booking.Date][]agendaRow{}
	for _, p := range s.deskPractitioners(sess) {
		if pid != "" && p.ID != pid {
			continue
		}
		bs, err := s.svc.Bookings(r.Context(), p.ID, from, to)
		if err != nil {
			s.problem(r.Context(), err)
			v.Unavailable = true
			continue
		}
		for _, b := range bs {
			row := s.agendaRow(tx, dt, &p, b)
			d := booking.DateOf(b.Start.In(loc))
			byDay[d] = append(byDay[d], row)
		}
	}
	for i := range 7 {
		d := monday.AddDays(i)
		rows := byDay[d]
		sortRows(rows)
		v.Days = append(v.Days, agendaDay{Label: locale.WeekdayDayMonth(tx.Lang, d.Midnight(loc)), Today: d == today, Rows: rows})
	}
	s.deskLog(r.Context(), sess, "agenda", "practitioner", pid)
	s.deskRender(w, r, http.StatusOK, sess, deskPage{Name: "agenda", Title: dt.AgendaTitle, Nav: "agenda", View: v})
}

// sortRows orders the rows of a day by time (the practitioners' lists are
// each in order already).
func sortRows(rows []agendaRow) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && rows[j].Time < rows[j-1].Time; j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

func (s *Server) agendaRow(tx *text, dt *deskText, p *booking.Practitioner, b *booking.Booking) agendaRow {
	motive := b.TypeID
	if t := p.Type(b.TypeID); t != nil {
		motive = t.Name
	}
	st := dt.Statuses[b.Status]
	if st == "" {
		st = string(b.Status)
	}
	id := url.PathEscape(b.ID)
	return agendaRow{
		ID: b.ID, Time: locale.Time(b.Start) + "–" + locale.Time(b.End), Practitioner: p.Name, Motive: motive, Status: st,
		Name: b.Patient.Name, Email: b.Patient.Email, Phone: b.Patient.Phone,
		Active: b.Status.Active(), Cancelled: b.Status == booking.StatusCancelled || b.Status == booking.StatusExpired,
		Move: s.deskPath("bookings/" + id + "/move"), Cancel: s.deskPath("bookings/" + id + "/cancel"), Link: s.deskPath("bookings/" + id + "/link"),
	}
}

// bookView is the phone booking: a motive and a day, then a time and the
// patient.
type bookView struct {
	Groups      []motiveGroup
	Motive, Day string
	Chosen      bool // a motive and a day: the times are shown
	Times       []option
	Unavailable bool
	Name, Email string
	Phone, Key  string
	// PatientLang is the language of the patient's emails: the page's
	// until the secretary picks the other.
	PatientLang string
	Fields      map[string]string
	Summary     []fieldProblem
}

type motiveGroup struct {
	Label   string
	Options []option
}

func (v *bookView) fail(field, msg string) {
	if field == "" {
		v.Summary = append(v.Summary, fieldProblem{Field: "", Message: msg})
		return
	}
	if v.Fields == nil {
		v.Fields = map[string]string{}
	}
	if _, ok := v.Fields[field]; ok {
		return
	}
	v.Fields[field] = msg
	v.Summary = append(v.Summary, fieldProblem{Field: field, Message: msg})
}

// deskMotive reads a motive "PRACTITIONER/TYPE" of a practitioner the
// session sees.
func (s *Server) deskMotive(sess *deskSession, v string) (*booking.Practitioner, *booking.AppointmentType, bool) {
	pid, tid, ok := strings.Cut(v, "/")
	if !ok || !sess.may(pid) {
		return nil, nil, false
	}
	p, err := s.svc.Practitioner(pid)
	if err != nil {
		return nil, nil, false
	}
	t := p.Type(tid)
	return p, t, t != nil
}

// bookView returns the phone booking form for the values of a GET or POST.
func (s *Server) deskBookView(r *http.Request, sess *deskSession, vals url.Values) *bookView {
	tx := s.text(r)
	v := &bookView{Motive: vals.Get("motive"), Day: vals.Get("day"), PatientLang: tx.Lang}
	for _, p := range s.deskPractitioners(sess) {
		g := motiveGroup{Label: p.Name}
		for _, t := range p.Types {
			val := p.ID + "/" + t.ID
			g.Options = append(g.Options, option{Value: val, Label: t.Name + " (" + fmt.Sprintf(tx.MinutesF, int(t.Duration/time.Minute)) + ")", Selected: val == v.Motive})
		}
		v.Groups = append(v.Groups, g)
	}
	p, t, ok := s.deskMotive(sess, v.Motive)
	if v.Day == "" {
		v.Day = booking.DateOf(s.now().In(s.deskZone(""))).String()
	}
	day, err := booking.ParseDate(v.Day)
	if !ok || err != nil {
		return v
	}
	v.Chosen = true
	from := day.Midnight(p.Location)
	slots, err := s.svc.Slots(r.Context(), p.ID, t.ID, from, day.AddDays(1).Midnight(p.Location))
	if err != nil {
		s.problem(r.Context(), err)
		v.Unavailable = true
		return v
	}
	start := vals.Get("start")
	for _, sl := range slots {
		val := sl.Start.In(p.Location).Format(time.RFC3339)
		v.Times = append(v.Times, option{Value: val, Label: locale.Time(sl.Start.In(p.Location)), Selected: val == start})
	}
	return v
}

func (s *Server) deskBookPage(w http.ResponseWriter, r *http.Request, sess *deskSession) {
	v := s.deskBookView(r, sess, r.URL.Query())
	v.Key = "desk-" + booking.NewToken()
	s.deskRender(w, r, http.StatusOK, sess, deskPage{Name: "book", Title: s.deskText(r).BookTitle, Nav: "book", View: v})
}

// deskBook books the time chosen for the patient of the form. The type's
// rules apply as for a patient (a confirmation email when it asks for one).
func (s *Server) deskBook(w http.ResponseWriter, r *http.Request, sess *deskSession) {
	tx, dt := s.text(r), s.deskText(r)
	v := s.deskBookView(r, sess, r.PostForm)
	v.Name, v.Email, v.Phone = r.PostForm.Get("name"), r.PostForm.Get("email"), r.PostForm.Get("phone")
	v.Key = r.PostForm.Get("key")
	if len(v.Key) > booking.MaxIdempotencyKeyLen {
		v.Key = ""
	}
	if v.PatientLang = r.PostForm.Get("patient_lang"); v.PatientLang != "fr" && v.PatientLang != "en" {
		v.PatientLang = tx.Lang
	}
	p, t, ok := s.deskMotive(sess, v.Motive)
	if !ok {
		s.deskError(w, r, http.StatusNotFound, "")
		return
	}
	again := func(status int) {
		s.deskRender(w, r, status, sess, deskPage{Name: "book", Title: dt.BookTitle, Nav: "book", Error: true, View: v})
	}
	start, err := time.Parse(time.RFC3339, r.PostForm.Get("start"))
	if err != nil {
		v.fail("time", dt.ChooseTime)
	}
	patient := booking.Patient{Name: v.Name, Email: v.Email, Phone: v.Phone}
	for _, err := range patient.FieldErrors(false) {
		v.fail(formErrorText(tx, err, booking.ErrorMessage(err)))
	}
	if len(v.Summary) > 0 {
		again(http.StatusUnprocessableEntity)
		return
	}
	b, _, err := s.svc.Book(r.Context(), booking.BookRequest{
		IdempotencyKey: v.Key, PractitionerID: p.ID, TypeID: t.ID, Start: start, Patient: patient, Lang: v.PatientLang,
		ByPractice: true,
	})
	if err != nil {
		status, msg := s.problem(r.Context(), err)
		switch status {
		case http.StatusConflict:
			v.fail("time", dt.Problems["taken"])
			v = s.refreshTimes(r, sess, v)
			again(status)
		case http.StatusUnprocessableEntity:
			v.fail(formErrorText(tx, err, msg))
			again(status)
		default:
			s.deskError(w, r, status, "")
		}
		return
	}
	s.deskLog(r.Context(), sess, "book", "practitioner", p.ID, "booking", b.ID, "status", string(b.Status))
	s.deskRedirect(w, r, s.deskPath("")+"?"+url.Values{"p": {p.ID}, "week": {booking.DateOf(b.Start.In(p.Location)).String()}, "done": {"booked"}}.Encode())
}

// refreshTimes lists the day's free times again in v (one was just taken).
func (s *Server) refreshTimes(r *http.Request, sess *deskSession, v *bookView) *bookView {
	fresh := s.deskBookView(r, sess, url.Values{"motive": {v.Motive}, "day": {v.Day}})
	v.Times, v.Unavailable = fresh.Times, fresh.Unavailable
	return v
}

// deskRedirect answers a desk POST with 303 See Other to path.
func (s *Server) deskRedirect(w http.ResponseWriter, r *http.Request, path string) {
	s.deskHeaders(w.Header())
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// bookingView is a booking the desk moves or cancels.
type bookingView struct {
	ID, Patient, Practitioner, Motive, When, Action string
	Day                                             string
	Times                                           []option
	Reasons                                         []option
	Unavailable                                     bool
	Summary                                         []fieldProblem
}

// deskAppointment reads the booking of the path, of a practitioner the
// session sees; when it can't, it has written the error page.
func (s *Server) deskAppointment(w http.ResponseWriter, r *http.Request, sess *deskSession) (booking.Appointment, *bookingView, bool) {
	a, err := s.svc.DeskBooking(r.Context(), r.PathValue("id"))
	if err == nil && !sess.may(a.Practitioner.ID) {
		err = booking.Errorf(booking.ENotFound, "no booking %s", r.PathValue("id"))
	}
	if err != nil {
		s.deskFailure(w, r, err)
		return booking.Appointment{}, nil, false
	}
	tx := s.text(r)
	b := a.Booking
	return a, &bookingView{ID: b.ID, Patient: b.Patient.Name, Practitioner: a.Practitioner.Name, Motive: a.Type.Name,
		When: locale.DateTime(tx.Lang, b.Start)}, true
}

// deskMoveView adds to v the free times of day for the booking of a.
func (s *Server) deskMoveTimes(r *http.Request, a booking.Appointment, v *bookingView, day string) {
	loc := a.Practitioner.Location
	d, err := booking.ParseDate(day)
	if err != nil {
		d = booking.DateOf(a.Booking.Start)
	}
	v.Day = d.String()
	v.Action = s.deskPath("bookings/" + url.PathEscape(a.Booking.ID) + "/move")
	slots, err := s.svc.MoveSlots(r.Context(), a.Booking.ID, d.Midnight(loc), d.AddDays(1).Midnight(loc))
	if err != nil {
		s.problem(r.Context(), err)
		v.Unavailable = true
		return
	}
	for _, sl := range slots {
		v.Times = append(v.Times, option{Value: sl.Start.In(loc).Format(time.RFC3339), Label: locale.Time(sl.Start.In(loc))})
	}
}

func (s *Server) deskMovePage(w http.ResponseWriter, r *http.Request, sess *deskSession) {
	a, v, ok := s.deskAppointment(w, r, sess)
	if !ok {
		return
	}
	if !a.Booking.Status.Active() {
		s.deskError(w, r, http.StatusConflict, "state")
		return
	}
	s.deskMoveTimes(r, a, v, r.URL.Query().Get("day"))
	s.deskRender(w, r, http.StatusOK, sess, deskPage{Name: "move", Title: fmt.Sprintf(s.deskText(r).MoveTitleF, v.Patient), Nav: "agenda", View: v})
}

func (s *Server) deskMove(w http.ResponseWriter, r *http.Request, sess *deskSession) {
	dt := s.deskText(r)
	a, v, ok := s.deskAppointment(w, r, sess)
	if !ok {
		return
	}
	if !a.Booking.Status.Active() { // cancelled or expired since the page
		s.deskError(w, r, http.StatusConflict, "state")
		return
	}
	again := func(status int, msg string) {
		v.Summary = append(v.Summary, fieldProblem{Field: "time", Message: msg})
		s.deskMoveTimes(r, a, v, r.PostForm.Get("day"))
		s.deskRender(w, r, status, sess, deskPage{Name: "move", Title: fmt.Sprintf(dt.MoveTitleF, v.Patient), Nav: "agenda", Error: true, View: v})
	}
	start, err := time.Parse(time.RFC3339, r.PostForm.Get("start"))
	if err != nil {
		again(http.StatusUnprocessableEntity, dt.ChooseTime)
		return
	}
	a, err = s.svc.PractitionerMove(r.Context(), a.Booking.ID, start)
	if err != nil {
		status, _ := s.problem(r.Context(), err)
		switch status {
		case http.StatusConflict, http.StatusUnprocessableEntity:
			again(status, dt.Problems["taken"])
		default:
			s.deskError(w, r, status, "")
		}
		return
	}
	s.deskLog(r.Context(), sess, "move", "practitioner", a.Practitioner.ID, "booking", a.Booking.ID)
	s.deskRedirect(w, r, s.deskPath("")+"?"+url.Values{"p": {a.Practitioner.ID}, "week": {booking.DateOf(a.Booking.Start).String()}, "done": {"moved"}}.Encode())
}

func (s *Server) deskCancelPage(w http.ResponseWriter, r *http.Request, sess *deskSession) {
	dt := s.deskText(r)
	a, v, ok := s.deskAppointment(w, r, sess)
	if !ok {
		return
	}
	if !a.Booking.Status.Active() {
		s.deskError(w, r, http.StatusConflict, "state")
		return
	}
	v.Action = s.deskPath("bookings/" + url.PathEscape(a.Booking.ID) + "/cancel")
	for i, k := range deskReasons {
		v.Reasons = append(v.Reasons, option{Value: k, Label: dt.Reasons[k], Selected: i == 0})
	}
	s.deskRender(w, r, http.StatusOK, sess, deskPage{Name: "cancel", Title: fmt.Sprintf(dt.CancelTitleF, v.Patient), Nav: "agenda", View: v})
}

// deskCancel cancels the booking; the reason, one of deskReasons, is
// logged, not sent to the patient.
func (s *Server) deskCancel(w http.ResponseWriter, r *http.Request, sess *deskSession) {
	reason := r.PostForm.Get("reason")
	known := false
	for _, k := range deskReasons {
		known = known || k == reason
	}
	if !known {
		s.deskError(w, r, http.StatusUnprocessableEntity, "")
		return
	}
	if _, _, ok := s.deskAppointment(w, r, sess); !ok {
		return
	}
	a, err := s.svc.PractitionerCancel(r.Context(), r.PathValue("id"))
	if err != nil {
		s.deskFailure(w, r, err)
		return
	}
	s.deskLog(r.Context(), sess, "cancel", "practitioner", a.Practitioner.ID, "booking", a.Booking.ID, "reason", reason)
	s.deskRedirect(w, r, s.deskPath("")+"?"+url.Values{"p": {a.Practitioner.ID}, "week": {booking.DateOf(a.Booking.Start).String()}, "done": {"cancelled"}}.Encode())
}

// deskResendLink sends the patient a new manage link.
func (s *Server) deskResendLink(w http.ResponseWriter, r *http.Request, sess *deskSession) {
	if _, _, ok := s.deskAppointment(w, r, sess); !ok {
		return
	}
	a, err := s.svc.ResendLink(r.Context(), r.PathValue("id"))
	if err != nil {
		s.deskFailure(w, r, err)
		return
	}
	s.deskLog(r.Context(), sess, "resend link", "practitioner", a.Practitioner.ID, "booking", a.Booking.ID)
	s.deskRedirect(w, r, s.deskPath("")+"?"+url.Values{"p": {a.Practitioner.ID}, "week": {booking.DateOf(a.Booking.Start).String()}, "done": {"link"}}.Encode())
}

// closuresView lists the closures to come and the form to add one.
type closuresView struct {
	Practitioners []option
	Rows          []closureRow
	From, To      string
	Label         string
	Summary       []fieldProblem
	Added         string
	Affected      []agendaRow
	Done          string
	Unavailable   bool
}

type closureRow struct {
	Practitioner, From, To, Label, Remove string
	Configured                            bool
}

func (s *Server) deskClosuresView(r *http.Request, sess *deskSession, pid string) *closuresView {
	tx := s.text(r)
	v := &closuresView{Practitioners: s.practitionerOptions(sess, pid), Done: s.deskText(r).Done[r.URL.Query().Get("done")]}
	for _, p := range s.deskPractitioners(sess) {
		today := booking.DateOf(s.now().In(p.Location))
		cs, err := s.svc.Closures(r.Context(), p.ID, today, today.AddDays(366*3))
		if err != nil {
			s.problem(r.Context(), err)
			v.Unavailable = true
			continue
		}
		for _, c := range cs {
			row := closureRow{Practitioner: p.Name, From: locale.Date(tx.Lang, c.From.Midnight(p.Location)),
				To: locale.Date(tx.Lang, c.To.Midnight(p.Location)), Label: c.Label, Configured: c.ID == ""}
			if c.ID != "" {
				row.Remove = s.deskPath("closures/" + url.PathEscape(p.ID) + "/" + url.PathEscape(c.ID) + "/remove")
			}
			v.Rows = append(v.Rows, row)
		}
	}
	return v
}

func (s *Server) deskClosuresPage(w http.ResponseWriter, r *http.Request, sess *deskSession) {
	v := s.deskClosuresView(r, sess, r.URL.Query().Get("p"))
	s.deskRender(w, r, http.StatusOK, sess, deskPage{Name: "closures", Title: s.deskText(r).ClosuresTitle, Nav: "closures", View: v})
}

// deskAddClosure closes a practitioner on a range of days, and lists the
// bookings left on them.
func (s *Server) deskAddClosure(w http.ResponseWriter, r *http.Request, sess *deskSession) {
	tx, dt := s.text(r), s.deskText(r)
	pid := r.PostForm.Get("practitioner")
	p, err := s.svc.Practitioner(pid)
	if err != nil || !sess.may(pid) {
		s.deskError(w, r, http.StatusNotFound, "")
		return
	}
	c := booking.Closure{Label: r.PostForm.Get("label")}
	from, err1 := booking.ParseDate(r.PostForm.Get("from"))
	to, err2 := booking.ParseDate(r.PostForm.Get("to"))
	c.From, c.To = from, to
	var affected []*booking.Booking
	if err1 == nil && err2 == nil {
		c, affected, err = s.svc.AddClosure(r.Context(), pid, c)
	}
	if err1 != nil || err2 != nil || err != nil {
		status := http.StatusUnprocessableEntity
		if err != nil {
			status, _ = s.problem(r.Context(), err)
		}
		if status != http.StatusUnprocessableEntity {
			s.deskError(w, r, status, "")
			return
		}
		v := s.deskClosuresView(r, sess, pid)
		v.From, v.To, v.Label = r.PostForm.Get("from"), r.PostForm.Get("to"), r.PostForm.Get("label")
		v.Summary = []fieldProblem{{Field: "from", Message: dt.Problems["dates"]}}
		s.deskRender(w, r, status, sess, deskPage{Name: "closures", Title: dt.ClosuresTitle, Nav: "closures", Error: true, View: v})
		return
	}
	s.deskLog(r.Context(), sess, "closure added", "practitioner", pid, "closure", c.ID, "affected", len(affected))
	v := s.deskClosuresView(r, sess, pid)
	v.Added = dt.ClosureAdded
	if len(affected) > 0 {
		v.Added = fmt.Sprintf(dt.ClosureAddedF, len(affected))
	}
	for _, b := range affected {
		v.Affected = append(v.Affected, s.agendaRow(tx, dt, p, b))
	}
	s.deskRender(w, r, http.StatusOK, sess, deskPage{Name: "closures", Title: dt.ClosuresTitle, Nav: "closures", View: v})
}

func (s *Server) deskRemoveClosure(w http.ResponseWriter, r *http.Request, sess *deskSession) {
	pid, id := r.PathValue("practitioner"), r.PathValue("id")
	if !sess.may(pid) {
		s.deskError(w, r, http.StatusNotFound, "")
		return
	}
	if err := s.svc.RemoveClosure(r.Context(), pid, id); err != nil {
		s.deskFailure(w, r, err)
		return
	}
	s.deskLog(r.Context(), sess, "closure removed", "practitioner", pid, "closure", id)
	s.deskRedirect(w, r, s.deskPath("closures")+"?done=removed")
}

// unknownView lists the booking events unknown to this install, and what
// adopting them did or would do.
type unknownView struct {
	Groups []unknownGroup
}

type unknownGroup struct {
	PractitionerID, Practitioner, Action string
	Rows                                 []unknownRow
	Dry, Done                            bool
	Adopted                              string
}

type unknownRow struct {
	When, Motive, Status, Name, Email, Outcome string
}

func (s *Server) deskUnknownView(r *http.Request, sess *deskSession) (*unknownView, error) {
	v := &unknownView{}
	tx, dt := s.text(r), s.deskText(r)
	for _, p := range s.deskPractitioners(sess) {
		evs, err := s.svc.UnknownEvents(p.ID)
		if err != nil {
			return nil, err
		}
		g := unknownGroup{PractitionerID: p.ID, Practitioner: p.Name, Action: s.deskPath("unknown/" + url.PathEscape(p.ID) + "/adopt")}
		for _, ue := range evs {
			g.Rows = append(g.Rows, s.unknownRow(tx, dt, &p, ue.Event))
		}
		v.Groups = append(v.Groups, g)
	}
	return v, nil
}

func (s *Server) unknownRow(tx *text, dt *deskText, p *booking.Practitioner, ev booking.BookingEvent) unknownRow {
	motive := ev.Type
	if t := p.Type(ev.Type); t != nil {
		motive = t.Name
	}
	st := dt.Statuses[ev.Status]
	return unknownRow{When: locale.DateTime(tx.Lang, ev.Start.In(p.Location)), Motive: motive, Status: st,
		Name: ev.Patient.Name, Email: ev.Patient.Email}
}

func (s *Server) deskUnknownPage(w http.ResponseWriter, r *http.Request, sess *deskSession) {
	v, err := s.deskUnknownView(r, sess)
	if err != nil {
		s.deskFailure(w, r, err)
		return
	}
	s.deskRender(w, r, http.StatusOK, sess, deskPage{Name: "unknown", Title: s.deskText(r).UnknownTitle, Nav: "unknown", View: v})
}

// deskAdopt adopts the unknown events of a practitioner: with dry=1, shows
// what it would do, with a button to do it.
func (s *Server) deskAdopt(w http.ResponseWriter, r *http.Request, sess *deskSession) {
	tx, dt := s.text(r), s.deskText(r)
	pid := r.PathValue("practitioner")
	p, err := s.svc.Practitioner(pid)
	if err != nil || !sess.may(pid) {
		s.deskError(w, r, http.StatusNotFound, "")
		return
	}
	dry := r.PostForm.Get("dry") == "1"
	res, err := s.svc.Adopt(r.Context(), pid, dry)
	if err != nil {
		s.deskFailure(w, r, err)
		return
	}
	v, err := s.deskUnknownView(r, sess)
	if err != nil {
		s.deskFailure(w, r, err)
		return
	}
	adopted := 0
	for i := range v.Groups {
		g := &v.Groups[i]
		if g.PractitionerID != pid {
			continue
		}
		g.Rows, g.Dry, g.Done = nil, dry, true
		for _, a := range res {
			row := s.unknownRow(tx, dt, p, a.Event)
			switch {
			case a.Booking != nil && dry:
				row.Outcome = dt.WouldAdopt
			case a.Booking != nil:
				row.Outcome = dt.Done["booked"]
				adopted++
			default:
				row.Outcome = dt.Skipped
			}
			g.Rows = append(g.Rows, row)
		}
		if !dry {
			g.Adopted = fmt.Sprintf(dt.AdoptedF, adopted)
		}
	}
	s.deskLog(r.Context(), sess, "adopt", "practitioner", pid, "dry_run", dry, "events", len(res), "adopted", adopted)
	s.deskRender(w, r, http.StatusOK, sess, deskPage{Name: "unknown", Title: dt.UnknownTitle, Nav: "unknown", View: v})
}

// messagesView lists the messages given up.
type messagesView struct{ Rows []messageRow }

type messageRow struct{ FailedAt, Kind, Booking, Reason string }

// deskMessagesPage lists the messages given up, for a session that sees
// every practitioner (the messages don't say whose they are).
func (s *Server) deskMessagesPage(w http.ResponseWriter, r *http.Request, sess *deskSession) {
	if sess.scope != nil {
		s.deskError(w, r, http.StatusNotFound, "")
		return
	}
	tx := s.text(r)
	now := s.now()
	ms, err := s.svc.FailedMessages(r.Context(), now.Add(-30*24*time.Hour), 200)
	if err != nil {
		s.deskFailure(w, r, err)
		return
	}
	loc := s.deskZone("")
	v := &messagesView{}
	for _, m := range ms {
		v.Rows = append(v.Rows, messageRow{FailedAt: locale.DateTime(tx.Lang, m.FailedAt.In(loc)), Kind: m.Kind, Booking: m.BookingID, Reason: m.Reason})
	}
	s.deskRender(w, r, http.StatusOK, sess, deskPage{Name: "messages", Title: s.deskText(r).MessagesTitle, Nav: "messages", View: v})
}

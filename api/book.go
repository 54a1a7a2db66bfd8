package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/locale"
)

// formView is the booking form for one slot, with what the patient typed
// and, after a refused attempt, why.
type formView struct {
	Action         string
	PractitionerID string
	TypeID         string
	SharedID       string // for a shared motive, in place of PractitionerID and TypeID
	StartParam     string // RFC 3339, sent back as is
	Practitioner   string
	Type           string
	Minutes        string
	Place          string
	When           string
	Zone           string
	Back           string // the day and time step of the slot
	Name, Email    string
	Phone          string
	// Problem is the error that is about no field (a slot just taken, a
	// challenge failed); Fields the error of each field, by field name
	// ("name", "email", "phone"); Summary lists both for the error summary.
	Problem string
	Fields  map[string]string
	Summary []fieldProblem
	// Key is the form's Idempotency-Key: a second submission of the same
	// form (a double click, a retry after a timeout) books nothing more.
	Key string
	// Challenge is the URL of GET /v1/challenge when the form must carry a
	// proof of work (challenge.js solves it), "" otherwise.
	Challenge string

	crumbs  []crumb // the steps back to the slot's
	contact string  // the practitioner's contact, for a limit's page
}

// fieldProblem is a line of the error summary: a link to the field.
type fieldProblem struct{ Field, Message string }

// Failed reports whether the form was refused.
func (f *formView) Failed() bool { return f.Problem != "" || len(f.Fields) > 0 }

// fail records the error message msg about field ("" for none).
func (f *formView) fail(field, msg string) {
	if field == "" {
		f.Problem = msg
		f.Summary = append(f.Summary, fieldProblem{Message: msg})
		return
	}
	if f.Fields == nil {
		f.Fields = map[string]string{}
	}
	if _, ok := f.Fields[field]; ok {
		return
	}
	f.Fields[field] = msg
	f.Summary = append(f.Summary, fieldProblem{Field: field, Message: msg})
}

// slotForm reads the slot of a booking form from v (the query of GET /book,
// the form of POST /book): a practitioner's, or a shared motive's
// (sharedForm).
func (s *Server) slotForm(tx *text, v url.Values) (*formView, time.Time, error) {
	if v.Get("shared") != "" {
		return s.sharedForm(tx, v)
	}
	p, err := s.svc.Practitioner(v.Get("practitioner"))
	if err != nil {
		return nil, time.Time{}, err
	}
	t := p.Type(v.Get("type"))
	if t == nil {
		return nil, time.Time{}, booking.Errorf(booking.ENotFound, "no appointment type %q", v.Get("type"))
	}
	start, err := formStart(v)
	if err != nil {
		return nil, time.Time{}, err
	}
	local := start.In(p.Location)
	f := s.newFormView(tx, local, withQuery(s.typeHref(p, t), map[string]string{"day": booking.DateOf(local).String()}))
	f.PractitionerID, f.TypeID = p.ID, t.ID
	f.Practitioner, f.Type = p.Name, t.Name
	f.Minutes, f.Place = fmt.Sprintf(tx.MinutesF, int(t.Duration/time.Minute)), t.Location
	f.crumbs = s.crumbs(tx, p, t, true)
	f.contact = p.Contact
	return f, start, nil
}

// formStart reads the start of the slot of a booking form.
func formStart(v url.Values) (time.Time, error) {
	start, err := time.Parse(time.RFC3339, strings.Replace(v.Get("start"), " ", "+", 1))
	if err != nil {
		return time.Time{}, booking.Errorf(booking.EInvalid, "start must be an RFC 3339 instant")
	}
	return start, nil
}

// newFormView returns the form for the slot that starts at local (in the
// zone of its practitioners), whose day and time step is back.
func (s *Server) newFormView(tx *text, local time.Time, back string) *formView {
	return &formView{
		Action:     s.basePath + "/book",
		StartParam: local.Format(time.RFC3339),
		When:       locale.DateTime(tx.Lang, local),
		Zone:       locale.Zone(tx.Lang, local),
		Back:       back,
		Challenge:  s.challengeURL(),
	}
}

// slotError shows the page for a slot that can't be read from the request.
func (s *Server) slotError(w http.ResponseWriter, r *http.Request, err error) {
	tx := s.text(r)
	status, _ := s.problem(r.Context(), err)
	var v *errorView
	switch status {
	case http.StatusNotFound:
		ev := tx.NotFound["slot"]
		v = &ev
	case http.StatusUnprocessableEntity:
		ev := tx.Conflict["invalid"]
		v = &ev
	}
	s.errorPage(w, r, status, v)
}

func (s *Server) bookForm(w http.ResponseWriter, r *http.Request) {
	tx := s.text(r)
	f, _, err := s.slotForm(tx, r.URL.Query())
	if err != nil {
		s.slotError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	f.Key = "form-" + booking.NewToken()
	s.renderForm(w, r, http.StatusOK, tx, f)
}

// renderForm writes the booking form f with status.
func (s *Server) renderForm(w http.ResponseWriter, r *http.Request, status int, tx *text, f *formView) {
	crumbs := append(f.crumbs, crumb{Href: f.Back, Label: f.When})
	s.render(w, r, status, page{Name: "book", Title: tx.FormTitle, Crumbs: crumbs, Error: f.Failed(), View: f})
}

// book takes the slot of the form (read by pageForm, which refused a filled
// honeypot) for the patient, once the proof of work, if asked for, holds.
func (s *Server) book(w http.ResponseWriter, r *http.Request) {
	tx := s.text(r)
	f, start, err := s.slotForm(tx, r.PostForm)
	if err != nil {
		s.slotError(w, r, err)
		return
	}
	f.Name, f.Email, f.Phone = r.PostForm.Get("name"), r.PostForm.Get("email"), r.PostForm.Get("phone")
	f.Key = r.PostForm.Get("key")
	if len(f.Key) > booking.MaxIdempotencyKeyLen {
		f.Key = ""
	}
	if reason, _ := s.checkChallenge(r.PostForm.Get("altcha")); reason != "" {
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
		s.renderForm(w, r, status, tx, f)
		return
	}
	patient := booking.Patient{Name: f.Name, Email: f.Email, Phone: f.Phone}
	if errs := patient.FieldErrors(false); len(errs) > 0 {
		for _, err := range errs {
			field, msg := formErrorText(tx, err, booking.ErrorMessage(err))
			f.fail(field, msg)
		}
		s.renderForm(w, r, http.StatusUnprocessableEntity, tx, f)
		return
	}
	var token string
	done := "booked"
	if f.SharedID != "" {
		_, token, err = s.svc.BookShared(r.Context(), booking.SharedBookRequest{
			IdempotencyKey: f.Key,
			SharedID:       f.SharedID,
			Start:          start,
			Patient:        patient,
			Lang:           tx.Lang,
		})
		done = "assigned"
	} else {
		_, token, err = s.svc.Book(r.Context(), booking.BookRequest{
			IdempotencyKey: f.Key,
			PractitionerID: f.PractitionerID,
			TypeID:         f.TypeID,
			Start:          start,
			Patient:        patient,
			Lang:           tx.Lang, // the emails speak the language of the pages
		})
	}
	if err != nil {
		status, msg := s.problem(r.Context(), err)
		switch status {
		case http.StatusUnprocessableEntity:
			f.fail(formErrorText(tx, err, msg))
			s.renderForm(w, r, status, tx, f)
		case http.StatusTooManyRequests:
			s.limitPage(w, r, tx.Lang, err, f.contact, nil)
		case http.StatusConflict:
			v := tx.Conflict["slot"]
			v.LinkHref = f.Back
			s.errorPage(w, r, status, &v)
		default:
			s.errorPage(w, r, status, nil)
		}
		return
	}
	s.redirect(w, r, s.basePath+"/manage/"+token+"?done="+done)
}

// formErrorText returns the form field that err, an EInvalid error of
// booking.Patient.Validate or Service.Book whose message is msg, is about
// ("" for none), and its message in the language of tx, both chosen by
// the error's Field and Reason (booking.ErrorField), never by its English
// text. An error that names no field the form knows is shown with msg.
func formErrorText(tx *text, err error, msg string) (field, text string) {
	f, reason := booking.ErrorField(err)
	m, ok := tx.FieldErrors[formError{f, reason}]
	if !ok {
		m, ok = tx.FieldErrors[formError{f, ""}]
	}
	if !ok {
		return "", msg
	}
	switch f {
	case booking.FieldName, booking.FieldEmail, booking.FieldPhone:
		return f, m
	}
	return "", m
}

// formError is a field of booking.Error and its reason; "" as the reason
// stands for any other.
type formError struct{ field, reason string }

// redirect answers a POST with 303 See Other to path.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, path string) {
	s.setPageHeaders(w.Header())
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, path, http.StatusSeeOther)
}

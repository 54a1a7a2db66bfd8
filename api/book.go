package api

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// formView is the booking form for one slot, with what the patient typed
// and, after a refused attempt, why.
type formView struct {
	Action         string
	PractitionerID string
	TypeID         string
	StartParam     string // RFC 3339, sent back as is
	Practitioner   string
	Type           string
	Minutes        int
	Place          string
	When           string
	Zone           string
	Name, Email    string
	Phone          string
	Error          string
	ErrorField     string // "name", "email", "phone" or ""
	// Key is the form's Idempotency-Key: a second submission of the same
	// form (a double click, a retry after a timeout) books nothing more.
	Key string
	// Challenge is the URL of GET /v1/challenge when the form must carry a
	// proof of work (challenge.js solves it), "" otherwise.
	Challenge string
}

// slotForm reads the slot of a booking form from v (the query of GET /book,
// the form of POST /book).
func (s *Server) slotForm(v url.Values) (*formView, time.Time, error) {
	p, err := s.svc.Practitioner(v.Get("practitioner"))
	if err != nil {
		return nil, time.Time{}, err
	}
	t := p.Type(v.Get("type"))
	if t == nil {
		return nil, time.Time{}, booking.Errorf(booking.ENotFound, "no appointment type %q", v.Get("type"))
	}
	start, err := time.Parse(time.RFC3339, strings.Replace(v.Get("start"), " ", "+", 1))
	if err != nil {
		return nil, time.Time{}, booking.Errorf(booking.EInvalid, "start must be an RFC 3339 instant")
	}
	local := start.In(p.Location)
	return &formView{
		Action:         s.basePath + "/book",
		PractitionerID: p.ID,
		TypeID:         t.ID,
		StartParam:     start.Format(time.RFC3339),
		Practitioner:   p.Name,
		Type:           t.Name,
		Minutes:        int(t.Duration / time.Minute),
		Place:          t.Location,
		When:           frenchDate(local) + " à " + frenchTime(local),
		Zone:           p.Location.String(),
		Challenge:      s.challengeURL(),
	}, start, nil
}

// slotError shows the page for a slot that can't be read from the request.
func (s *Server) slotError(w http.ResponseWriter, r *http.Request, err error) {
	status, _ := s.problem(r.Context(), err)
	var v *errorView
	switch status {
	case http.StatusNotFound:
		v = &errorView{Heading: "Créneau introuvable", Message: "Ce praticien ou ce motif de rendez-vous n'existe pas."}
	case http.StatusUnprocessableEntity:
		v = &errorView{Heading: "Créneau invalide", Message: "Le créneau demandé n'est pas valide. Choisissez-en un dans la liste."}
	}
	s.errorPage(w, r, status, v)
}

func (s *Server) bookForm(w http.ResponseWriter, r *http.Request) {
	f, _, err := s.slotForm(r.URL.Query())
	if err != nil {
		s.slotError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	f.Key = "form-" + booking.NewToken()
	s.render(w, r, http.StatusOK, "book", "Réserver ce créneau", f)
}

// book takes the slot of the form (read by pageForm, which refused a filled
// honeypot) for the patient, once the proof of work, if asked for, holds.
func (s *Server) book(w http.ResponseWriter, r *http.Request) {
	f, start, err := s.slotForm(r.PostForm)
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
		f.Error = "La vérification anti-robot faite par votre navigateur n'a pas abouti ou a expiré. Renvoyez le formulaire : elle sera refaite."
		if reason == "missing" {
			f.Error = "La vérification anti-robot n'a pas été faite : ce formulaire a besoin de JavaScript. Activez-le, puis renvoyez le formulaire."
		}
		status := http.StatusUnprocessableEntity
		if reason == "busy" {
			status = http.StatusServiceUnavailable
			f.Error = "Trop de réservations en même temps. Réessayez dans quelques minutes."
		}
		s.render(w, r, status, "book", "Réserver ce créneau", f)
		return
	}
	_, token, err := s.svc.Book(r.Context(), booking.BookRequest{
		IdempotencyKey: f.Key,
		PractitionerID: f.PractitionerID,
		TypeID:         f.TypeID,
		Start:          start,
		Patient:        booking.Patient{Name: f.Name, Email: f.Email, Phone: f.Phone},
		Lang:           "fr", // the patient booked on these pages, which are French
	})
	if err != nil {
		status, msg := s.problem(r.Context(), err)
		switch status {
		case http.StatusUnprocessableEntity:
			f.ErrorField, f.Error = frenchFormError(err, msg)
			s.render(w, r, status, "book", "Réserver ce créneau", f)
		case http.StatusTooManyRequests:
			s.limitPage(w, r, err, s.contactOf(f.PractitionerID), nil)
		case http.StatusConflict:
			s.errorPage(w, r, status, &errorView{
				Heading:  "Ce créneau vient d'être pris",
				Message:  "Quelqu'un a réservé ce créneau juste avant vous. Choisissez-en un autre.",
				LinkHref: s.basePath + "/?" + url.Values{"p": {f.PractitionerID}, "type": {f.TypeID}}.Encode(),
				LinkText: "Voir les autres créneaux",
			})
		default:
			s.errorPage(w, r, status, nil)
		}
		return
	}
	s.redirect(w, r, s.basePath+"/manage/"+token)
}

// frenchFormError returns the form field that err, an EInvalid error of
// booking.Patient.Validate or Service.Book whose message is msg, is about
// ("" for none), and a French message, both chosen by the error's Field and
// Reason (booking.ErrorField), never by its English text. An error that
// names no field the form knows is shown with msg.
func frenchFormError(err error, msg string) (field, fr string) {
	f, reason := booking.ErrorField(err)
	if m, ok := frenchMessages[formError{f, reason}]; ok {
		return m.field, m.fr
	}
	if m, ok := frenchMessages[formError{f, ""}]; ok {
		return m.field, m.fr
	}
	return "", msg
}

// formError is a field of booking.Error and its reason; "" as the reason
// stands for any other.
type formError struct{ field, reason string }

var frenchMessages = map[formError]struct{ field, fr string }{
	{booking.FieldName, booking.ReasonRequired}:         {"name", "Indiquez votre nom."},
	{booking.FieldName, ""}:                             {"name", "Le nom ne peut contenir que des lettres, des espaces, des apostrophes, des traits d'union et des points (ni chiffres, ni @, / ou :), en 100 caractères au plus."},
	{booking.FieldEmail, booking.ReasonRequired}:        {"email", "Indiquez votre adresse e-mail."},
	{booking.FieldEmail, ""}:                            {"email", "L'adresse e-mail n'est pas valide (forme attendue : nom@domaine.fr ; les adresses avec des accents ne sont pas acceptées)."},
	{booking.FieldPhone, booking.ReasonRequired}:        {"phone", "Indiquez votre numéro de téléphone."},
	{booking.FieldPhone, ""}:                            {"phone", "Le numéro de téléphone n'est pas valide : au moins 6 chiffres ; seuls les espaces, un + au début et . - ( ) sont permis."},
	{booking.FieldStart, ""}:                            {"", "Ce créneau n'est plus proposé. Revenez à la liste et choisissez-en un autre."},
	{booking.FieldIdempotencyKey, booking.ReasonReused}: {"", "Ce formulaire a déjà servi à prendre un rendez-vous. Revenez à la liste des créneaux pour en prendre un autre."},
}

// redirect answers a POST with 303 See Other to path.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, path string) {
	setPageHeaders(w.Header())
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, path, http.StatusSeeOther)
}

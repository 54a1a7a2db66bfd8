package api

import (
	"context"
	"net/http"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// manageView is the page of one booking, for the holder of its token.
type manageView struct {
	Practitioner  string
	Type          string
	Minutes       int
	Place         string
	When          string
	Zone          string
	Status        string
	Patient       string
	Pending       bool
	Active        bool
	ConfirmAction string
	CancelAction  string
}

// manage shows the booking that the token of the path opens. It changes
// nothing: confirming and cancelling are POST forms.
func (s *Server) manage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	token := r.PathValue("token")
	a, err := s.svc.BookingByToken(r.Context(), token)
	if err != nil {
		s.manageError(w, r, err, "")
		return
	}
	b := a.Booking
	start := b.Start.In(a.Practitioner.Location)
	base := s.basePath + "/manage/" + token
	s.render(w, r, http.StatusOK, "manage", "Votre rendez-vous", manageView{
		Practitioner:  a.Practitioner.Name,
		Type:          a.Type.Name,
		Minutes:       int(b.End.Sub(b.Start) / time.Minute),
		Place:         a.Type.Location,
		When:          frenchDate(start) + " à " + frenchTime(start),
		Zone:          a.Practitioner.Location.String(),
		Status:        frenchStatus[string(b.Status)],
		Patient:       b.Patient.Name,
		Pending:       b.Status == booking.StatusPending,
		Active:        b.Status.Active(),
		ConfirmAction: base + "/confirm",
		CancelAction:  base + "/cancel",
	})
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	s.manageAction(w, r, s.svc.Confirm)
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	s.manageAction(w, r, s.svc.Cancel)
}

// manageAction applies action to the booking of the path's token, then sends
// the browser back to the booking's page.
func (s *Server) manageAction(w http.ResponseWriter, r *http.Request, action func(context.Context, string) (booking.Appointment, error)) {
	w.Header().Set("Cache-Control", "no-store")
	token := r.PathValue("token")
	back := s.basePath + "/manage/" + token
	if _, err := action(r.Context(), token); err != nil {
		s.manageError(w, r, err, back)
		return
	}
	s.redirect(w, r, back)
}

// manageError shows the page for an error about a booking; back, if set, links
// to the booking's page.
func (s *Server) manageError(w http.ResponseWriter, r *http.Request, err error, back string) {
	status, _ := s.problem(r.Context(), err)
	v := errorViews[status]
	switch status {
	case http.StatusNotFound:
		v = errorView{Heading: "Rendez-vous introuvable", Message: "Ce lien ne correspond à aucun rendez-vous. Vérifiez qu'il est complet, tel qu'il figure dans le message reçu."}
	case http.StatusConflict:
		v = errorView{Heading: "Action impossible", Message: "Ce rendez-vous ne peut pas être modifié ainsi (il est peut-être déjà annulé ou expiré, ou a été déplacé par le cabinet). Contactez le cabinet si besoin."}
	}
	if back != "" {
		v.LinkHref, v.LinkText = back, "Retour au rendez-vous"
	}
	s.errorPage(w, r, status, &v)
}

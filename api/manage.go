package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// rescheduleChoices is how many free slots the manage page offers to move
// a booking to, taken from the next rescheduleDays days.
const (
	rescheduleChoices = 12
	rescheduleDays    = 14
)

// manageView is the page of one booking, for the holder of its token.
type manageView struct {
	Practitioner     string
	Type             string
	Minutes          int
	Place            string
	When             string
	Zone             string
	Status           string
	Patient          string
	Pending          bool
	Deadline         string // for a pending booking: when it is released unless confirmed
	Active           bool
	Changeable       bool   // cancel and reschedule are offered
	CutoffNote       string // why they are not, past the cut-off
	ConfirmAction    string
	CancelAction     string
	RescheduleAction string
	Choices          []slotChoice // free slots to move to
	NoChoice         string       // why there are none
}

// slotChoice is a slot offered as a radio button.
type slotChoice struct {
	Value string // RFC 3339
	Label string // "mardi 1er décembre 2026 à 09:00"
}

// manage shows the booking that the token of the path opens. It changes
// nothing, so that a mail scanner following the link does nothing:
// confirming, cancelling and moving are POST forms.
func (s *Server) manage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	token := r.PathValue("token")
	a, err := s.svc.BookingByToken(r.Context(), token)
	if err != nil {
		s.manageError(w, r, err, "")
		return
	}
	b := a.Booking
	loc := a.Practitioner.Location
	start := b.Start.In(loc)
	base := s.basePath + "/manage/" + token
	now := s.now()
	v := manageView{
		Practitioner:     a.Practitioner.Name,
		Type:             a.Type.Name,
		Minutes:          int(b.End.Sub(b.Start) / time.Minute),
		Place:            a.Type.Location,
		When:             frenchDate(start) + " à " + frenchTime(start),
		Zone:             loc.String(),
		Status:           frenchStatus[string(b.Status)],
		Patient:          b.Patient.Name,
		Pending:          b.Status == booking.StatusPending,
		Active:           b.Status.Active(),
		Changeable:       a.Changeable(now),
		ConfirmAction:    base + "/confirm",
		CancelAction:     base + "/cancel",
		RescheduleAction: base + "/reschedule",
	}
	if v.Pending {
		d := s.svc.Deadline(a).In(loc)
		v.Deadline = frenchDate(d) + " à " + frenchTime(d)
	}
	if v.Active && !v.Changeable {
		v.CutoffNote = cutoffNote(a)
	}
	if v.Changeable {
		slots, err := s.svc.RescheduleSlots(r.Context(), token, now, now.Add(rescheduleDays*24*time.Hour))
		switch {
		case err != nil:
			s.problem(r.Context(), err) // logs it
			v.NoChoice = "L'agenda ne répond pas pour le moment : les autres créneaux ne peuvent pas être proposés. Réessayez dans quelques minutes."
		case len(slots) == 0:
			v.NoChoice = fmt.Sprintf("Aucun autre créneau libre dans les %d prochains jours.", rescheduleDays)
		}
		for i, sl := range slots {
			if i == rescheduleChoices {
				break
			}
			t := sl.Start.In(loc)
			v.Choices = append(v.Choices, slotChoice{Value: t.Format(time.RFC3339), Label: frenchDate(t) + " à " + frenchTime(t)})
		}
	}
	s.render(w, r, http.StatusOK, "manage", "Votre rendez-vous", v)
}

// cutoffNote tells, in French, why a booking can't be changed online any
// more and how to reach the practice.
func cutoffNote(a booking.Appointment) string {
	msg := "Ce rendez-vous ne peut plus être annulé ni déplacé en ligne"
	if c := a.Type.CancelCutoff; c > 0 {
		msg += " (au plus tard " + frenchDuration(c) + " avant)"
	}
	msg += ". Contactez le cabinet"
	if a.Practitioner.Contact != "" {
		msg += " : " + a.Practitioner.Contact
	}
	return msg + "."
}

// frenchDuration writes d in days, hours or minutes: "2 jours", "24 h", "90 min".
func frenchDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0 && d >= 48*time.Hour:
		return fmt.Sprintf("%d jours", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	default:
		return fmt.Sprintf("%d min", (d+time.Minute-1)/time.Minute)
	}
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	s.manageAction(w, r, s.svc.Confirm)
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	s.manageAction(w, r, s.svc.Cancel)
}

// reschedule moves the booking to the slot chosen in the form's "start".
func (s *Server) reschedule(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	token := r.PathValue("token")
	back := s.basePath + "/manage/" + token
	start, err := time.Parse(time.RFC3339, strings.Replace(r.PostForm.Get("start"), " ", "+", 1))
	if err != nil {
		s.errorPage(w, r, http.StatusUnprocessableEntity, &errorView{
			Heading: "Aucun créneau choisi", Message: "Choisissez le nouveau créneau dans la liste, puis validez.",
			LinkHref: back, LinkText: "Retour au rendez-vous",
		})
		return
	}
	s.manageAction(w, r, func(ctx context.Context, token string) (booking.Appointment, error) {
		return s.svc.Reschedule(ctx, token, start)
	})
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
	if status == http.StatusTooManyRequests {
		contact := ""
		if a, aerr := s.svc.BookingByToken(r.Context(), r.PathValue("token")); aerr == nil {
			contact = a.Practitioner.Contact
		}
		s.limitPage(w, r, err, contact, &errorView{LinkHref: back, LinkText: "Retour au rendez-vous"})
		return
	}
	v := errorViews[status]
	switch status {
	case http.StatusNotFound:
		v = errorView{Heading: "Rendez-vous introuvable", Message: "Ce lien ne correspond à aucun rendez-vous. Vérifiez qu'il est complet, tel qu'il figure dans le message reçu."}
	case http.StatusConflict:
		v = errorView{Heading: "Action impossible", Message: "Ce rendez-vous ne peut pas être modifié ainsi (il est peut-être déjà annulé ou expiré, ou a été déplacé par le cabinet, ou le créneau choisi vient d'être pris). Contactez le cabinet si besoin."}
		if a, aerr := s.svc.BookingByToken(r.Context(), r.PathValue("token")); aerr == nil && a.Booking.Status.Active() && !a.Changeable(s.now()) {
			v.Message = cutoffNote(a)
		}
	case http.StatusUnprocessableEntity:
		v = errorView{Heading: "Créneau invalide", Message: "Le créneau choisi n'est pas proposé pour ce rendez-vous. Choisissez-en un dans la liste."}
	}
	if back != "" {
		v.LinkHref, v.LinkText = back, "Retour au rendez-vous"
	}
	s.errorPage(w, r, status, &v)
}

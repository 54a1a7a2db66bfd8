package api

import (
	"net/http"

	"github.com/rdvlibre/rdv/booking"
)

// limitViews are the French pages of the business limits (booking.Limits),
// by the limit an ELimit error names.
var limitViews = map[string]errorView{
	booking.LimitActive: {Heading: "Vous avez déjà des rendez-vous à venir",
		Message: "Le nombre de rendez-vous à venir qu'une même adresse e-mail ou un même numéro peut prendre en ligne auprès de ce cabinet est atteint. Pour en prendre un autre, annulez-en un depuis le lien reçu par e-mail, ou appelez le cabinet."},
	booking.LimitPending: {Heading: "Un rendez-vous attend votre confirmation",
		Message: "Confirmez d'abord le rendez-vous en attente, depuis l'e-mail reçu, puis réservez à nouveau ; ou appelez le cabinet."},
	booking.LimitMoves: {Heading: "Ce rendez-vous ne peut plus être déplacé en ligne",
		Message: "Il a déjà été déplacé le nombre de fois permis en ligne. Pour le déplacer encore, appelez le cabinet."},
	booking.LimitMessages: {Heading: "Trop de messages envoyés à cette adresse",
		Message: "Beaucoup de messages ont été envoyés à cette adresse e-mail dans l'heure. Réessayez plus tard, ou appelez le cabinet."},
	booking.LimitNew: {Heading: "Beaucoup de demandes en ce moment",
		Message: "De nombreux patients réservent auprès de ce cabinet en ce moment. Réessayez dans une minute."},
}

// limitPage shows the page of an ELimit error err, with the practice's
// contact when it has one, and a Retry-After header when waiting helps.
func (s *Server) limitPage(w http.ResponseWriter, r *http.Request, err error, contact string, back *errorView) {
	limit, wait := booking.ErrorLimit(err)
	v, ok := limitViews[limit]
	if !ok {
		v = errorViews[http.StatusTooManyRequests]
	}
	if contact != "" && limit != booking.LimitNew {
		v.Message += " Téléphone du cabinet : " + contact + "."
	}
	if back != nil && back.LinkHref != "" {
		v.LinkHref, v.LinkText = back.LinkHref, back.LinkText
	}
	if wait > 0 {
		w.Header().Set("Retry-After", retryAfter(wait))
	}
	s.errorPage(w, r, http.StatusTooManyRequests, &v)
}

// contactOf returns the contact of the practitioner id, "" if unknown.
func (s *Server) contactOf(id string) string {
	if p, err := s.svc.Practitioner(id); err == nil {
		return p.Contact
	}
	return ""
}

package api

import (
	"net/http"
	"strings"
)

// The patient web pages: server-rendered HTML in French, nothing loaded
// from another site, and no JavaScript but the site's own challenge.js on
// the booking form when Config.Challenge is on. GET requests never change
// anything (mail scanners follow links); each change is a POST form,
// guarded against cross-site posts and carrying a honeypot field
// (pageForm).

func (s *Server) registerPages() {
	s.mux.HandleFunc("GET /{$}", s.home)
	s.mux.HandleFunc("GET /book", s.bookForm)
	s.mux.HandleFunc("POST /book", s.pageForm(s.book))
	s.mux.HandleFunc("GET /manage/{token}", s.manage)
	s.mux.HandleFunc("POST /manage/{token}/confirm", s.pageForm(s.confirm))
	s.mux.HandleFunc("POST /manage/{token}/cancel", s.pageForm(s.cancel))
	s.mux.HandleFunc("POST /manage/{token}/reschedule", s.pageForm(s.reschedule))
	s.mux.HandleFunc("GET /static/{file}", s.serveStatic)
	s.mux.HandleFunc("GET /favicon.ico", s.favicon)
	s.mux.HandleFunc("/", s.pageNoRoute)
}

// errorView is the content of the error page.
type errorView struct {
	Heading  string
	Message  string
	LinkHref string // "" for the home page
	LinkText string
}

var errorViews = map[int]errorView{
	http.StatusBadRequest:            {Heading: "Requête invalide", Message: "La requête n'a pas pu être comprise."},
	http.StatusForbidden:             {Heading: "Requête refusée", Message: "Ce formulaire doit être envoyé depuis une page de ce site. Revenez à la page précédente et réessayez."},
	http.StatusNotFound:              {Heading: "Page introuvable", Message: "Cette page n'existe pas, ou le lien est incomplet."},
	http.StatusMethodNotAllowed:      {Heading: "Action impossible", Message: "Cette page ne permet pas cette action."},
	http.StatusConflict:              {Heading: "Action impossible", Message: "Le rendez-vous ne peut plus être modifié ainsi."},
	http.StatusRequestEntityTooLarge: {Heading: "Requête trop volumineuse", Message: "Les informations envoyées sont trop longues."},
	http.StatusUnprocessableEntity:   {Heading: "Informations invalides", Message: "Les informations reçues ne sont pas valides."},
	http.StatusInternalServerError:   {Heading: "Erreur interne", Message: "Une erreur inattendue s'est produite. Réessayez plus tard."},
	http.StatusTooManyRequests:       {Heading: "Trop de demandes", Message: "Trop de demandes sont venues de votre connexion en peu de temps. Patientez quelques minutes, puis réessayez."},
	http.StatusServiceUnavailable:    {Heading: "Agenda momentanément indisponible", Message: "L'agenda ne répond pas pour le moment. Réessayez dans quelques minutes."},
}

// errorPage writes the error page for status; v, if not nil, replaces the
// default text of the status.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, v *errorView) {
	view, ok := errorViews[status]
	if !ok {
		view = errorViews[http.StatusInternalServerError]
	}
	if v != nil {
		view = *v
	}
	if view.LinkText == "" {
		view.LinkHref, view.LinkText = s.basePath+"/", "Retour à la liste des créneaux"
	}
	s.render(w, r, status, "error", view.Heading, view)
}

// pageNoRoute answers requests that match no route outside /v1/.
func (s *Server) pageNoRoute(w http.ResponseWriter, r *http.Request) {
	if allow := s.allowedMethods(r, "/"); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.errorPage(w, r, http.StatusMethodNotAllowed, nil)
		return
	}
	s.errorPage(w, r, http.StatusNotFound, nil)
}

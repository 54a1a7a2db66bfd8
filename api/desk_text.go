package api

import (
	"net/http"

	"github.com/rdvlibre/rdv/booking"
)

// deskText is what the desk pages say, in one language (the rest comes
// from text: the language switch, field labels, statuses).
type deskText struct {
	Brand, Nav, Logout                                             string
	LoginTitle, LoginIntro, TokenLabel, TokenHint, LoginButton     string
	LoginWrong, LoginLimited                                       string
	UserLabel, UserHint, PasswordLabel, PasswordHint               string
	AgendaTitle, AllPractitioners, Show, Today, WeekOfF, Time      string
	PrevWeek, NextWeek, ThisWeek, NoBookings, Actions, Contact     string
	MoveAction, CancelAction, LinkAction, ActionsForF              string
	BookTitle, MotiveLabel, DayLabel, ShowTimes, TimesLegend       string
	NoTimes, ChooseTime, BookButton, PatientLegend, StatusNote     string
	PatientLangLabel                                               string
	MoveTitleF, MoveButton, CurrentLabel                           string
	CancelTitleF, ReasonLabel, CancelButton, CancelNote            string
	Reasons                                                        map[string]string
	ClosuresTitle, ClosuresCaption, FromLabel, ToLabel, LabelLabel string
	AddClosure, RemoveAction, NoClosures, Configured               string
	ClosureAdded, ClosureAddedF, AffectedHeading                   string
	UnknownTitle, UnknownIntro, NoUnknown, DryRun, AdoptConfirm    string
	AdoptedF, WouldAdopt, Skipped, Kind, Reason, FailedAt          string
	MessagesTitle, MessagesIntro, NoMessages, Booking              string
	Done                                                           map[string]string
	Problems                                                       map[string]string
	ErrorsHeading                                                  string
	Statuses                                                       map[booking.Status]string
	WaitTitle, WaitIntro, NoWaiting, Joined, Window, Alerts        string
	WaitSharedF                                                    string // a shared motive's caption
	RemoveWait, WaitNote                                           string
	WaitStatuses                                                   map[booking.WaitStatus]string
	WaitParts                                                      map[booking.DayPart]string
}

// deskReasons are the reasons a cancellation may be given: a fixed list,
// so that no free text about a patient reaches a log.
var deskReasons = []string{"practitioner", "patient", "other"}

var deskTexts = map[string]*deskText{
	"fr": {
		Brand: "Accueil du cabinet", Nav: "Accueil du cabinet", Logout: "Se déconnecter",
		LoginTitle: "Connexion à l'accueil", LoginIntro: "Cet espace est réservé au cabinet.",
		TokenLabel: "Jeton d'administration", TokenHint: "Le jeton de la configuration (admin_token_file).",
		LoginButton: "Se connecter", LoginWrong: "Ce nom, ce mot de passe ou ce jeton n'est pas le bon.",
		UserLabel: "Nom d'utilisateur", UserHint: "Laissez vide pour vous connecter avec le jeton d'administration.",
		PasswordLabel: "Mot de passe ou jeton d'administration", PasswordHint: "Votre mot de passe, ou le jeton de la configuration si le nom est vide.",
		LoginLimited: "Trop d'essais depuis votre adresse\u00a0: réessayez dans quelques minutes.",
		AgendaTitle:  "Agenda", AllPractitioners: "Tous les praticiens", Show: "Afficher",
		Today: "aujourd'hui", WeekOfF: "Semaine du %s", Time: "Heure",
		PrevWeek: "Semaine précédente", NextWeek: "Semaine suivante", ThisWeek: "Cette semaine",
		NoBookings: "Aucun rendez-vous.", Actions: "Actions", Contact: "Contact",
		MoveAction: "Déplacer", CancelAction: "Annuler", LinkAction: "Renvoyer le lien",
		ActionsForF: "%s, %s",
		BookTitle:   "Prendre un rendez-vous par téléphone", MotiveLabel: "Praticien et motif", DayLabel: "Jour",
		ShowTimes: "Voir les horaires", TimesLegend: "Horaire", NoTimes: "Aucun horaire libre ce jour-là.",
		ChooseTime: "Choisissez un horaire.", BookButton: "Réserver", PatientLegend: "Patient",
		StatusNote:       "Le rendez-vous est confirmé tout de suite : le patient reçoit un courriel de confirmation avec le lien pour le déplacer ou l'annuler.",
		PatientLangLabel: "Langue des courriels du patient",
		MoveTitleF:       "Déplacer le rendez-vous de %s", MoveButton: "Déplacer", CurrentLabel: "Actuellement",
		CancelTitleF: "Annuler le rendez-vous de %s", ReasonLabel: "Raison", CancelButton: "Annuler le rendez-vous",
		CancelNote:    "Le patient est prévenu par courriel\u202f; la raison n'y figure pas.",
		Reasons:       map[string]string{"practitioner": "Praticien indisponible", "patient": "À la demande du patient", "other": "Autre"},
		ClosuresTitle: "Fermetures", ClosuresCaption: "Fermetures à venir", FromLabel: "Du", ToLabel: "Au",
		LabelLabel: "Libellé (pour le cabinet)", AddClosure: "Ajouter la fermeture", RemoveAction: "Supprimer",
		NoClosures: "Aucune fermeture à venir.", Configured: "configuration",
		ClosureAdded:    "Fermeture ajoutée. Aucun rendez-vous n'est prévu ces jours-là.",
		ClosureAddedF:   "Fermeture ajoutée. %d rendez-vous restent prévus ces jours-là\u00a0: prévenez les patients.",
		AffectedHeading: "Rendez-vous pendant la fermeture",
		UnknownTitle:    "Rendez-vous inconnus", UnknownIntro: "Rendez-vous de l'agenda dont cette installation n'a pas trace (docs/calendar-safety.md).",
		NoUnknown: "Aucun.", DryRun: "Voir ce que l'adoption ferait", AdoptConfirm: "Adopter",
		AdoptedF: "%d rendez-vous adoptés.", WouldAdopt: "serait adopté", Skipped: "ignoré",
		Kind: "Type", Reason: "Raison", FailedAt: "Abandonné le",
		MessagesTitle: "Messages non remis", MessagesIntro: "Messages des 30 derniers jours qui n'ont pas pu être remis.",
		NoMessages: "Aucun.", Booking: "Rendez-vous",
		Done: map[string]string{
			"booked": "Rendez-vous réservé.", "moved": "Rendez-vous déplacé.", "cancelled": "Rendez-vous annulé.",
			"link": "Un nouveau lien a été envoyé au patient.", "removed": "Fermeture supprimée.",
			"waitremoved": "Le patient n'est plus sur la liste d'attente.",
		},
		Problems: map[string]string{
			"crosssite": "Ce formulaire ne vient pas de l'accueil du cabinet\u00a0: il est refusé.",
			"session":   "Votre session a pris fin\u00a0: reconnectez-vous.",
			"csrf":      "Ce formulaire a expiré\u00a0: rechargez la page et recommencez.",
			"taken":     "Cet horaire n'est plus libre\u00a0: choisissez-en un autre.",
			"state":     "Ce rendez-vous ne peut plus être modifié.",
			"dates":     "Indiquez deux dates dans l'ordre, la seconde pas dans le passé, et un libellé court.",
		},
		ErrorsHeading: "Il y a un problème",
		Statuses: map[booking.Status]string{booking.StatusPending: "en attente", booking.StatusConfirmed: "confirmé",
			booking.StatusCancelled: "annulé", booking.StatusExpired: "expiré"},
		WaitSharedF: "%s — avec le premier disponible",
		WaitTitle:   "Liste d'attente", WaitIntro: "Les patients qui attendent qu'un horaire se libère, dans l'ordre où ils se sont inscrits. Ils sont prévenus par courriel dans cet ordre.",
		NoWaiting: "Personne n'attend.", Joined: "Inscrit le", Window: "Disponibilités", Alerts: "Alertes envoyées",
		RemoveWait:   "Retirer de la liste",
		WaitNote:     "Retirer un patient de la liste ne lui envoie rien : prévenez-le si besoin.",
		WaitStatuses: map[booking.WaitStatus]string{booking.WaitPending: "pas encore confirmée", booking.WaitActive: "active"},
		WaitParts:    map[booking.DayPart]string{booking.PartAny: "toute la journée", booking.PartMorning: "le matin", booking.PartAfternoon: "l'après-midi"},
	},
	"en": {
		Brand: "Practice desk", Nav: "Practice desk", Logout: "Log out",
		LoginTitle: "Log in to the desk", LoginIntro: "This area is for the practice only.",
		TokenLabel: "Admin token", TokenHint: "The token of the configuration (admin_token_file).",
		LoginButton: "Log in", LoginWrong: "This name, password or token is not the right one.",
		UserLabel: "User name", UserHint: "Leave empty to log in with the admin token.",
		PasswordLabel: "Password or admin token", PasswordHint: "Your password, or the token of the configuration when the name is empty.",
		LoginLimited: "Too many tries from your address: try again in a few minutes.",
		AgendaTitle:  "Agenda", AllPractitioners: "All practitioners", Show: "Show",
		Today: "today", WeekOfF: "Week of %s", Time: "Time",
		PrevWeek: "Previous week", NextWeek: "Next week", ThisWeek: "This week",
		NoBookings: "No appointments.", Actions: "Actions", Contact: "Contact",
		MoveAction: "Move", CancelAction: "Cancel", LinkAction: "Resend the link",
		ActionsForF: "%s, %s",
		BookTitle:   "Book by phone", MotiveLabel: "Practitioner and motive", DayLabel: "Day",
		ShowTimes: "Show the times", TimesLegend: "Time", NoTimes: "No free time that day.",
		ChooseTime: "Choose a time.", BookButton: "Book", PatientLegend: "Patient",
		StatusNote:       "The appointment is confirmed at once: the patient gets a confirmation email with the link to move or cancel it.",
		PatientLangLabel: "Language of the patient's emails",
		MoveTitleF:       "Move the appointment of %s", MoveButton: "Move", CurrentLabel: "Currently",
		CancelTitleF: "Cancel the appointment of %s", ReasonLabel: "Reason", CancelButton: "Cancel the appointment",
		CancelNote:    "The patient is told by email; the reason is not in it.",
		Reasons:       map[string]string{"practitioner": "Practitioner unavailable", "patient": "The patient asked", "other": "Other"},
		ClosuresTitle: "Closures", ClosuresCaption: "Closures to come", FromLabel: "From", ToLabel: "To",
		LabelLabel: "Label (for the practice)", AddClosure: "Add the closure", RemoveAction: "Remove",
		NoClosures: "No closure to come.", Configured: "configuration",
		ClosureAdded:    "Closure added. No appointment is planned on those days.",
		ClosureAddedF:   "Closure added. %d appointments are still planned on those days: tell the patients.",
		AffectedHeading: "Appointments during the closure",
		UnknownTitle:    "Unknown appointments", UnknownIntro: "Appointments of the calendar this install has no record of (docs/calendar-safety.md).",
		NoUnknown: "None.", DryRun: "See what adopting would do", AdoptConfirm: "Adopt",
		AdoptedF: "%d appointments adopted.", WouldAdopt: "would be adopted", Skipped: "skipped",
		Kind: "Kind", Reason: "Reason", FailedAt: "Given up on",
		MessagesTitle: "Undelivered messages", MessagesIntro: "Messages of the last 30 days that could not be delivered.",
		NoMessages: "None.", Booking: "Appointment",
		Done: map[string]string{
			"booked": "Appointment booked.", "moved": "Appointment moved.", "cancelled": "Appointment cancelled.",
			"link": "A new link was sent to the patient.", "removed": "Closure removed.",
			"waitremoved": "The patient is no longer on the waiting list.",
		},
		Problems: map[string]string{
			"crosssite": "This form does not come from the practice desk: it is refused.",
			"session":   "Your session has ended: log in again.",
			"csrf":      "This form has expired: reload the page and try again.",
			"taken":     "This time is no longer free: choose another.",
			"state":     "This appointment can no longer be changed.",
			"dates":     "Give two dates in order, the second not in the past, and a short label.",
		},
		ErrorsHeading: "There is a problem",
		Statuses: map[booking.Status]string{booking.StatusPending: "pending", booking.StatusConfirmed: "confirmed",
			booking.StatusCancelled: "cancelled", booking.StatusExpired: "expired"},
		WaitSharedF: "%s — with the first available",
		WaitTitle:   "Waiting list", WaitIntro: "The patients waiting for a time to free up, in the order they joined. They are emailed in that order.",
		NoWaiting: "No one is waiting.", Joined: "Joined on", Window: "Availability", Alerts: "Alerts sent",
		RemoveWait:   "Take off the list",
		WaitNote:     "Taking a patient off the list sends them nothing: tell them if needed.",
		WaitStatuses: map[booking.WaitStatus]string{booking.WaitPending: "not confirmed yet", booking.WaitActive: "active"},
		WaitParts:    map[booking.DayPart]string{booking.PartAny: "any time of day", booking.PartMorning: "mornings", booking.PartAfternoon: "afternoons"},
	},
}

// deskText returns the desk's text in r's language.
func (s *Server) deskText(r *http.Request) *deskText { return deskTexts[s.langOf(r, "")] }

package api

import (
	"net/http"

	"github.com/rdvlibre/rdv/booking"
)

// text is what the pages say, in one language. Fields ending in F are
// fmt formats.
type text struct {
	Lang, OtherLang, OtherName string
	Colon                      string // between a label and its value: " : ", ": "

	Skip, Brand, Breadcrumb, Home, ErrorPrefix string
	Footer, Legal, Privacy, Accessibility      string
	PhoneLabel, AddressLabel, MapLink          string

	BookTitle, PractitionersHeading, NoPractitioner string
	TypesHeading, NoTypeF, MinutesF, PlaceLabel     string
	// A shared motive (booking.SharedType): its heading on the practice
	// page, who it is with (on its steps and the form), and whom the
	// booking went to (the done page).
	SharedHeading, FirstAvailable, AnyPractitioner, MinutesRangeF, AssignedF string

	DayHeading, TimesHeadingF, ZoneNoteF, HorizonF              string
	PrevMonth, NextMonth, PrevWeek, NextWeek, MonthNav, WeekNav string
	NextFreeF, NoFreeF, Unavailable, SlotLabelF, SlotsF         string
	States                                                      map[booking.DayState]string
	DayEmpty                                                    map[booking.DayState]string

	FormTitle, Practitioner, Motive, When, Place, Name, Email, EmailHint, Phone string
	Required, Optional, Submit, NotBookedHeading, OtherSlot, NoScript           string
	ChallengeFailed, ChallengeMissing, ChallengeBusy                            string
	FieldErrors                                                                 map[formError]string
	ErrorSummary                                                                string

	ManageTitle, Patient, StatusLabel, PendingNoteF, ConfirmButton string
	Statuses                                                       map[booking.Status]string
	MoveLink, CancelLink, BookAnother, BackToBooking               string
	BookedHeading, BookedPendingHeading, EmailSentF, KeepLink      string
	AddToCalendar, ConfirmedBanner, MovedBannerF, CancelledBanner  string
	CutoffF, CutoffBeforeF, CutoffContactF                         string

	CancelTitle, CancelQuestion, CancelYes, CancelNo string
	MoveTitle, MoveCurrentF, MoveConfirmTitle        string
	MoveFrom, MoveTo, MoveYes, MoveOther             string

	Errors     map[int]errorView
	Limits     map[string]errorView
	PracticeF  string // the practice's phone, after a limit's message
	Internal   string
	NotFound   map[string]errorView // by what was not found: "practitioner", "type", "slot", "booking", "date"
	Conflict   map[string]errorView // "slot" (taken), "booking" (can't change), "offered" (not a slot of the type), "none" (no slot chosen)
	Honeypot   errorView
	BackToList string
	// ErrorReference introduces the request id on a 5xx page.
	ErrorReference string
}

// texts holds each language's text.
var texts = map[string]*text{"fr": &textFR, "en": &textEN}

// textOf returns the text of language lang, French if unknown.
func textOf(lang string) *text {
	if t, ok := texts[lang]; ok {
		return t
	}
	return &textFR
}

var textFR = text{
	Lang: "fr", OtherLang: "en", OtherName: "English", Colon: "\u00a0: ",

	Skip: "Aller au contenu", Brand: "Prise de rendez-vous", Breadcrumb: "Fil d'Ariane", Home: "Accueil",
	ErrorPrefix: "Erreur\u00a0: ",
	Footer:      "Vos informations servent uniquement à la gestion de votre rendez-vous.",
	Legal:       "Mentions légales", Privacy: "Données personnelles", Accessibility: "Accessibilité",
	PhoneLabel: "Téléphone", AddressLabel: "Adresse", MapLink: "Voir sur une carte",

	BookTitle: "Prendre rendez-vous", PractitionersHeading: "Avec qui\u202f?",
	NoPractitioner: "Aucun praticien ne propose de rendez-vous en ligne pour le moment.",
	TypesHeading:   "Pour quel motif\u202f?",
	NoTypeF:        "Ce praticien ne propose pas de rendez-vous en ligne pour le moment%s.",
	MinutesF:       "%d min", PlaceLabel: "Lieu",
	SharedHeading: "Sans préférence de praticien", FirstAvailable: "avec le premier praticien disponible",
	AnyPractitioner: "le premier disponible (nommé après la réservation)",
	MinutesRangeF:   "%d à %d min", AssignedF: "Vous avez rendez-vous avec %s, le premier praticien disponible à cette heure.",

	DayHeading: "Choisissez un jour", TimesHeadingF: "Heures libres le %s",
	ZoneNoteF: "Heures indiquées en %s.", HorizonF: "Les rendez-vous s'ouvrent %s à l'avance.",
	PrevMonth: "Mois précédent", NextMonth: "Mois suivant", PrevWeek: "Semaine précédente", NextWeek: "Semaine suivante",
	MonthNav: "Changer de mois", WeekNav: "Changer de semaine",
	NextFreeF:   "Prochaine disponibilité\u00a0: %s",
	NoFreeF:     "Aucun créneau libre dans les %s à venir. Appelez le cabinet%s.",
	Unavailable: "L'agenda de ce praticien ne répond pas pour le moment. Réessayez dans quelques minutes.",
	SlotLabelF:  "Réserver le %s", SlotsF: "%d libres",
	States: map[booking.DayState]string{
		booking.DayFull: "complet", booking.DayClosed: "fermé", booking.DayPast: "passé", booking.DayLater: "pas encore ouvert",
	},
	DayEmpty: map[booking.DayState]string{
		booking.DayFull:   "Plus aucun créneau libre ce jour-là.",
		booking.DayClosed: "Le cabinet est fermé ce jour-là.",
		booking.DayPast:   "Ce jour est passé, ou trop proche pour prendre rendez-vous en ligne.",
		booking.DayLater:  "Les rendez-vous de ce jour ne sont pas encore ouverts.",
	},

	FormTitle: "Vos coordonnées", Practitioner: "Praticien", Motive: "Motif", When: "Date et heure", Place: "Lieu",
	Name: "Nom et prénom", Email: "Adresse e-mail", Phone: "Téléphone",
	EmailHint: "Vous y recevrez la confirmation et le lien pour gérer le rendez-vous.",
	Required:  "(obligatoire)", Optional: "(facultatif)", Submit: "Confirmer le rendez-vous",
	NotBookedHeading: "Le rendez-vous n'a pas été pris", OtherSlot: "Choisir un autre créneau",
	NoScript:         "Ce formulaire a besoin de JavaScript\u00a0: votre navigateur y fait une courte vérification anti-robot avant l'envoi. Activez JavaScript pour réserver en ligne, ou contactez le cabinet.",
	ChallengeFailed:  "La vérification anti-robot faite par votre navigateur n'a pas abouti ou a expiré. Renvoyez le formulaire\u00a0: elle sera refaite.",
	ChallengeMissing: "La vérification anti-robot n'a pas été faite\u00a0: ce formulaire a besoin de JavaScript. Activez-le, puis renvoyez le formulaire.",
	ChallengeBusy:    "Trop de réservations en même temps. Réessayez dans quelques minutes.",
	FieldErrors: map[formError]string{
		{booking.FieldName, booking.ReasonRequired}:         "Indiquez votre nom.",
		{booking.FieldName, ""}:                             "Le nom ne peut contenir que des lettres, des espaces, des apostrophes, des traits d'union et des points (ni chiffres, ni @, / ou\u00a0:), en 100 caractères au plus.",
		{booking.FieldEmail, booking.ReasonRequired}:        "Indiquez votre adresse e-mail.",
		{booking.FieldEmail, ""}:                            "L'adresse e-mail n'est pas valide (forme attendue\u00a0: nom@domaine.fr\u202f; les adresses avec des accents ne sont pas acceptées).",
		{booking.FieldPhone, booking.ReasonRequired}:        "Indiquez votre numéro de téléphone.",
		{booking.FieldPhone, ""}:                            "Le numéro de téléphone n'est pas valide\u00a0: au moins 6 chiffres\u202f; seuls les espaces, un + au début et . - ( ) sont permis.",
		{booking.FieldStart, ""}:                            "Ce créneau n'est plus proposé. Revenez à la liste et choisissez-en un autre.",
		{booking.FieldIdempotencyKey, booking.ReasonReused}: "Ce formulaire a déjà servi à prendre un rendez-vous. Revenez à la liste des créneaux pour en prendre un autre.",
	},
	ErrorSummary: "Corrigez ce qui suit\u00a0:",

	ManageTitle: "Votre rendez-vous", Patient: "Au nom de", StatusLabel: "État",
	PendingNoteF:  "Ce rendez-vous doit être confirmé pour être gardé\u00a0: sans confirmation avant le %s, le créneau sera libéré.",
	ConfirmButton: "Confirmer le rendez-vous",
	Statuses: map[booking.Status]string{
		booking.StatusPending: "en attente de votre confirmation", booking.StatusConfirmed: "confirmé",
		booking.StatusCancelled: "annulé", booking.StatusExpired: "expiré (non confirmé à temps)",
	},
	MoveLink: "Déplacer le rendez-vous", CancelLink: "Annuler le rendez-vous", BookAnother: "Prendre un autre rendez-vous",
	BackToBooking: "Retour au rendez-vous",
	BookedHeading: "Votre rendez-vous est réservé", BookedPendingHeading: "Votre rendez-vous est réservé\u00a0: confirmez-le",
	EmailSentF:      "Nous avons envoyé un e-mail à %s. S'il n'arrive pas dans quelques minutes, regardez dans les courriers indésirables (spam).",
	KeepLink:        "Gardez ce lien\u00a0: il permet de voir, déplacer ou annuler ce rendez-vous. Il figure aussi dans l'e-mail.",
	AddToCalendar:   "Ajouter à mon agenda (fichier .ics)",
	ConfirmedBanner: "Votre rendez-vous est confirmé.", MovedBannerF: "Votre rendez-vous est déplacé au %s. Un e-mail vous le confirme.",
	CancelledBanner: "Votre rendez-vous est annulé et le créneau libéré. Un e-mail vous le confirme.",
	CutoffF:         "Ce rendez-vous ne peut plus être annulé ni déplacé en ligne%s. Contactez le cabinet%s.",
	CutoffBeforeF:   " (au plus tard %s avant)", CutoffContactF: "\u00a0: %s",

	CancelTitle: "Annuler le rendez-vous", CancelQuestion: "Voulez-vous vraiment annuler ce rendez-vous\u202f? Le créneau sera proposé à d'autres patients.",
	CancelYes: "Oui, annuler le rendez-vous", CancelNo: "Non, garder le rendez-vous",
	MoveTitle: "Déplacer le rendez-vous", MoveCurrentF: "Actuellement\u00a0: %s.", MoveConfirmTitle: "Confirmer le déplacement",
	MoveFrom: "Ancien créneau", MoveTo: "Nouveau créneau", MoveYes: "Déplacer à ce créneau", MoveOther: "Choisir un autre créneau",

	Errors: map[int]errorView{
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
	},
	Limits: map[string]errorView{
		booking.LimitActive: {Heading: "Vous avez déjà des rendez-vous à venir",
			Message: "Le nombre de rendez-vous à venir qu'une même adresse e-mail ou un même numéro peut prendre en ligne auprès de ce cabinet est atteint. Pour en prendre un autre, annulez-en un depuis le lien reçu par e-mail, ou appelez le cabinet."},
		booking.LimitPending: {Heading: "Un rendez-vous attend votre confirmation",
			Message: "Confirmez d'abord le rendez-vous en attente, depuis l'e-mail reçu, puis réservez à nouveau\u202f; ou appelez le cabinet."},
		booking.LimitMoves: {Heading: "Ce rendez-vous ne peut plus être déplacé en ligne",
			Message: "Il a déjà été déplacé le nombre de fois permis en ligne. Pour le déplacer encore, appelez le cabinet."},
		booking.LimitMessages: {Heading: "Trop de messages envoyés à cette adresse",
			Message: "Beaucoup de messages ont été envoyés à cette adresse e-mail dans l'heure. Réessayez plus tard, ou appelez le cabinet."},
		booking.LimitNew: {Heading: "Beaucoup de demandes en ce moment",
			Message: "De nombreux patients réservent auprès de ce cabinet en ce moment. Réessayez dans une minute."},
	},
	PracticeF: " Téléphone du cabinet\u00a0: %s.",
	Internal:  "Erreur interne.",
	NotFound: map[string]errorView{
		"practitioner": {Heading: "Praticien introuvable", Message: "Ce praticien n'existe pas ou ne prend plus de rendez-vous en ligne."},
		"type":         {Heading: "Motif introuvable", Message: "Ce motif de rendez-vous n'existe pas."},
		"slot":         {Heading: "Créneau introuvable", Message: "Ce praticien ou ce motif de rendez-vous n'existe pas."},
		"booking":      {Heading: "Rendez-vous introuvable", Message: "Ce lien ne correspond à aucun rendez-vous. Vérifiez qu'il est complet, tel qu'il figure dans le message reçu."},
		"date":         {Heading: "Date invalide", Message: "La date demandée n'est pas valide."},
	},
	Conflict: map[string]errorView{
		"slot":    {Heading: "Ce créneau vient d'être pris", Message: "Quelqu'un a réservé ce créneau juste avant vous. Choisissez-en un autre.", LinkText: "Voir les autres créneaux"},
		"booking": {Heading: "Action impossible", Message: "Ce rendez-vous ne peut pas être modifié ainsi (il est peut-être déjà annulé ou expiré, ou a été déplacé par le cabinet, ou le créneau choisi vient d'être pris). Contactez le cabinet si besoin."},
		"offered": {Heading: "Créneau invalide", Message: "Le créneau choisi n'est pas proposé pour ce rendez-vous. Choisissez-en un dans la liste."},
		"invalid": {Heading: "Créneau invalide", Message: "Le créneau demandé n'est pas valide. Choisissez-en un dans la liste."},
		"none":    {Heading: "Aucun créneau choisi", Message: "Choisissez le nouveau créneau dans la liste, puis validez."},
	},
	Honeypot: errorView{Heading: "Formulaire non envoyé", Message: "Un champ qui doit rester vide a été rempli, peut-être par le remplissage automatique de votre navigateur. " +
		"Revenez à la page précédente, rechargez-la et envoyez le formulaire sans compléter automatiquement les champs."},
	BackToList:     "Retour à la liste des créneaux",
	ErrorReference: "Si vous contactez le cabinet à ce sujet, donnez cette référence\u00a0:",
}

var textEN = text{
	Lang: "en", OtherLang: "fr", OtherName: "Français", Colon: ": ",

	Skip: "Skip to content", Brand: "Online booking", Breadcrumb: "Breadcrumb", Home: "Home",
	ErrorPrefix: "Error: ",
	Footer:      "Your details are used only to manage your appointment.",
	Legal:       "Legal notice", Privacy: "Privacy", Accessibility: "Accessibility",
	PhoneLabel: "Phone", AddressLabel: "Address", MapLink: "See on a map",

	BookTitle: "Book an appointment", PractitionersHeading: "With whom?",
	NoPractitioner: "No practitioner takes appointments online at the moment.",
	TypesHeading:   "What for?",
	NoTypeF:        "This practitioner takes no appointments online at the moment%s.",
	MinutesF:       "%d min", PlaceLabel: "Place",
	SharedHeading: "No preference of practitioner", FirstAvailable: "with the first available practitioner",
	AnyPractitioner: "the first available (named once booked)",
	MinutesRangeF:   "%d to %d min", AssignedF: "Your appointment is with %s, the first practitioner available at that time.",

	DayHeading: "Choose a day", TimesHeadingF: "Free times on %s",
	ZoneNoteF: "Times are %s.", HorizonF: "Appointments open %s ahead.",
	PrevMonth: "Previous month", NextMonth: "Next month", PrevWeek: "Previous week", NextWeek: "Next week",
	MonthNav: "Change month", WeekNav: "Change week",
	NextFreeF:   "Next availability: %s",
	NoFreeF:     "No free slot in the next %s. Please call the practice%s.",
	Unavailable: "This practitioner's calendar does not answer at the moment. Try again in a few minutes.",
	SlotLabelF:  "Book %s", SlotsF: "%d free",
	States: map[booking.DayState]string{
		booking.DayFull: "full", booking.DayClosed: "closed", booking.DayPast: "past", booking.DayLater: "not open yet",
	},
	DayEmpty: map[booking.DayState]string{
		booking.DayFull:   "No free slot is left on that day.",
		booking.DayClosed: "The practice is closed on that day.",
		booking.DayPast:   "That day is over, or too close to book online.",
		booking.DayLater:  "Appointments on that day are not open yet.",
	},

	FormTitle: "Your details", Practitioner: "Practitioner", Motive: "Reason", When: "Date and time", Place: "Place",
	Name: "Full name", Email: "Email address", Phone: "Phone",
	EmailHint: "You will receive the confirmation there, with the link to manage the appointment.",
	Required:  "(required)", Optional: "(optional)", Submit: "Confirm the appointment",
	NotBookedHeading: "The appointment was not booked", OtherSlot: "Choose another slot",
	NoScript:         "This form needs JavaScript: your browser runs a short anti-robot check before sending it. Turn JavaScript on to book online, or call the practice.",
	ChallengeFailed:  "The anti-robot check run by your browser failed or expired. Send the form again: it will run again.",
	ChallengeMissing: "The anti-robot check was not run: this form needs JavaScript. Turn it on, then send the form again.",
	ChallengeBusy:    "Too many bookings at the same time. Try again in a few minutes.",
	FieldErrors: map[formError]string{
		{booking.FieldName, booking.ReasonRequired}:         "Enter your name.",
		{booking.FieldName, ""}:                             "A name may hold only letters, spaces, apostrophes, hyphens and dots (no digits, @, / or :), in at most 100 characters.",
		{booking.FieldEmail, booking.ReasonRequired}:        "Enter your email address.",
		{booking.FieldEmail, ""}:                            "The email address is not valid (expected: name@domain.org; addresses with accents are not accepted).",
		{booking.FieldPhone, booking.ReasonRequired}:        "Enter your phone number.",
		{booking.FieldPhone, ""}:                            "The phone number is not valid: at least 6 digits; only spaces, a leading + and . - ( ) are allowed.",
		{booking.FieldStart, ""}:                            "This slot is no longer offered. Go back to the list and choose another one.",
		{booking.FieldIdempotencyKey, booking.ReasonReused}: "This form has already been used to book. Go back to the list of slots to book another one.",
	},
	ErrorSummary: "Please correct the following:",

	ManageTitle: "Your appointment", Patient: "Name", StatusLabel: "Status",
	PendingNoteF:  "This appointment must be confirmed to be kept: unless confirmed before %s, the slot will be released.",
	ConfirmButton: "Confirm the appointment",
	Statuses: map[booking.Status]string{
		booking.StatusPending: "waiting for your confirmation", booking.StatusConfirmed: "confirmed",
		booking.StatusCancelled: "cancelled", booking.StatusExpired: "expired (not confirmed in time)",
	},
	MoveLink: "Move the appointment", CancelLink: "Cancel the appointment", BookAnother: "Book another appointment",
	BackToBooking: "Back to the appointment",
	BookedHeading: "Your appointment is booked", BookedPendingHeading: "Your appointment is booked: please confirm it",
	EmailSentF:      "We sent an email to %s. If it does not arrive within a few minutes, look in your spam folder.",
	KeepLink:        "Keep this link: it lets you see, move or cancel this appointment. It is in the email too.",
	AddToCalendar:   "Add to my calendar (.ics file)",
	ConfirmedBanner: "Your appointment is confirmed.", MovedBannerF: "Your appointment is moved to %s. An email confirms it.",
	CancelledBanner: "Your appointment is cancelled and the slot released. An email confirms it.",
	CutoffF:         "This appointment can no longer be cancelled or moved online%s. Please contact the practice%s.",
	CutoffBeforeF:   " (at the latest %s before)", CutoffContactF: ": %s",

	CancelTitle: "Cancel the appointment", CancelQuestion: "Do you really want to cancel this appointment? The slot will be offered to other patients.",
	CancelYes: "Yes, cancel the appointment", CancelNo: "No, keep the appointment",
	MoveTitle: "Move the appointment", MoveCurrentF: "Currently: %s.", MoveConfirmTitle: "Confirm the move",
	MoveFrom: "Former slot", MoveTo: "New slot", MoveYes: "Move to this slot", MoveOther: "Choose another slot",

	Errors: map[int]errorView{
		http.StatusBadRequest:            {Heading: "Bad request", Message: "The request could not be understood."},
		http.StatusForbidden:             {Heading: "Request refused", Message: "This form must be sent from a page of this site. Go back to the previous page and try again."},
		http.StatusNotFound:              {Heading: "Page not found", Message: "This page does not exist, or the link is incomplete."},
		http.StatusMethodNotAllowed:      {Heading: "Not possible", Message: "This page does not allow this action."},
		http.StatusConflict:              {Heading: "Not possible", Message: "The appointment can no longer be changed this way."},
		http.StatusRequestEntityTooLarge: {Heading: "Request too large", Message: "What was sent is too long."},
		http.StatusUnprocessableEntity:   {Heading: "Invalid information", Message: "What was received is not valid."},
		http.StatusInternalServerError:   {Heading: "Internal error", Message: "Something unexpected went wrong. Try again later."},
		http.StatusTooManyRequests:       {Heading: "Too many requests", Message: "Too many requests came from your connection in a short time. Wait a few minutes, then try again."},
		http.StatusServiceUnavailable:    {Heading: "Calendar unavailable for now", Message: "The calendar does not answer at the moment. Try again in a few minutes."},
	},
	Limits: map[string]errorView{
		booking.LimitActive: {Heading: "You already have upcoming appointments",
			Message: "The number of upcoming appointments one email address or phone number may book online with this practice is reached. To book another, cancel one from the link in its email, or call the practice."},
		booking.LimitPending: {Heading: "An appointment is waiting for your confirmation",
			Message: "First confirm the pending appointment from its email, then book again; or call the practice."},
		booking.LimitMoves: {Heading: "This appointment can no longer be moved online",
			Message: "It has been moved as many times as allowed online. To move it again, call the practice."},
		booking.LimitMessages: {Heading: "Too many messages sent to this address",
			Message: "Many messages were sent to this email address in the last hour. Try again later, or call the practice."},
		booking.LimitNew: {Heading: "Many requests at the moment",
			Message: "Many patients are booking with this practice right now. Try again in a minute."},
	},
	PracticeF: " Practice phone: %s.",
	Internal:  "Internal error.",
	NotFound: map[string]errorView{
		"practitioner": {Heading: "Practitioner not found", Message: "This practitioner does not exist or no longer takes appointments online."},
		"type":         {Heading: "Reason not found", Message: "This reason for an appointment does not exist."},
		"slot":         {Heading: "Slot not found", Message: "This practitioner or reason for an appointment does not exist."},
		"booking":      {Heading: "Appointment not found", Message: "This link matches no appointment. Check that it is complete, as written in the message you received."},
		"date":         {Heading: "Invalid date", Message: "The date asked for is not valid."},
	},
	Conflict: map[string]errorView{
		"slot":    {Heading: "This slot was just taken", Message: "Someone booked this slot just before you. Choose another one.", LinkText: "See the other slots"},
		"booking": {Heading: "Not possible", Message: "This appointment cannot be changed this way (it may be cancelled or expired already, or moved by the practice, or the chosen slot was just taken). Contact the practice if needed."},
		"offered": {Heading: "Invalid slot", Message: "The chosen slot is not offered for this appointment. Choose one from the list."},
		"invalid": {Heading: "Invalid slot", Message: "The slot asked for is not valid. Choose one from the list."},
		"none":    {Heading: "No slot chosen", Message: "Choose the new slot from the list, then confirm."},
	},
	Honeypot: errorView{Heading: "Form not sent", Message: "A field that must stay empty was filled in, perhaps by your browser's autofill. " +
		"Go back to the previous page, reload it and send the form without autofilling the fields."},
	BackToList:     "Back to the list of slots",
	ErrorReference: "If you contact the practice about this, give this reference:",
}

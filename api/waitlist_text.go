package api

// waitText is what the waiting list's pages say, in one language. Fields
// ending in F are fmt formats.
type waitText struct {
	// EmailHint says what the address is for.
	EmailHint                         string
	Link                              string // on the day step
	Title, Intro, Window, From, Until string
	Part, PartAny, PartMorning        string
	PartAfternoon, Weekdays           string
	WeekdaysHint, Submit, NotJoined   string
	WindowError, TooMany              string
	FreeHeading, FreeF, FreeLink      string
	JoinedHeading, JoinedF            string
	ConfirmTitle, ConfirmQuestionF    string
	ConfirmSharedQuestionF            string // of a shared motive, named by %s
	ConfirmButton, ConfirmedHeading   string
	ConfirmedF, LeaveTitle            string
	LeaveQuestion, LeaveButton        string
	LeftHeading, Left, Ended          string
	NotFound, BookLink                string
}

var waitTexts = map[string]*waitText{
	"fr": {
		Link:      "Aucun de ces horaires ne vous convient\u202f? Inscrivez-vous sur la liste d'attente",
		Title:     "Liste d'attente",
		EmailHint: "Vous y recevrez le lien pour confirmer votre inscription, puis les créneaux qui se libèrent.",
		Intro: "Laissez vos coordonnées et la période qui vous convient\u00a0: si un créneau s'y libère, vous recevrez un email. " +
			"Le créneau ne vous est pas réservé\u00a0: le premier qui le prend l'obtient.",
		Window: "Période souhaitée", From: "Du", Until: "Au (inclus)",
		Part: "Moment de la journée", PartAny: "Peu importe", PartMorning: "Le matin (avant 12 h)", PartAfternoon: "L'après-midi (à partir de 12 h)",
		Weekdays: "Jours de la semaine", WeekdaysHint: "Aucune case cochée\u00a0: tous les jours.",
		Submit: "M'inscrire sur la liste d'attente", NotJoined: "L'inscription n'a pas été faite",
		WindowError: "Choisissez un premier jour à partir d'aujourd'hui et un dernier jour après lui, dans la période où l'on peut prendre rendez-vous.",
		TooMany:     "Cette adresse est déjà inscrite sur autant de listes d'attente que permis.",
		FreeHeading: "Des créneaux sont libres", FreeF: "Des créneaux sont déjà libres dans cette période, à partir du %s\u00a0: prenez-en un.",
		FreeLink:      "Voir les créneaux libres",
		JoinedHeading: "Vérifiez vos emails",
		JoinedF:       "Nous vous avons envoyé un email. Suivez son lien avant le %s pour confirmer votre inscription\u00a0: sans cela, rien ne vous sera envoyé.",
		ConfirmTitle:  "Confirmer l'inscription", ConfirmQuestionF: "Confirmez-vous votre inscription sur la liste d'attente de %s\u202f?",
		ConfirmSharedQuestionF: "Confirmez-vous votre inscription sur la liste d'attente «\u00a0%s\u00a0»\u202f?",
		ConfirmButton:          "Confirmer", ConfirmedHeading: "Vous êtes sur la liste d'attente",
		ConfirmedF: "Nous vous écrirons si un créneau se libère d'ici au %s.",
		LeaveTitle: "Quitter la liste d'attente", LeaveQuestion: "Ne plus être prévenu(e) des créneaux qui se libèrent\u202f?",
		LeaveButton: "Quitter la liste d'attente", LeftHeading: "Vous avez quitté la liste d'attente", Left: "Nous ne vous écrirons plus à ce sujet.",
		Ended:    "Cette inscription est terminée (expirée ou quittée)\u00a0: inscrivez-vous de nouveau si besoin.",
		NotFound: "Ce lien ne correspond à aucune inscription.", BookLink: "Prendre rendez-vous",
	},
	"en": {
		Link:      "None of these times suit you? Join the waiting list",
		Title:     "Waiting list",
		EmailHint: "Where we send the link to confirm your place, then the slots that free up.",
		Intro: "Leave your contact and the days that suit you: if a slot frees up then, you will get an email. " +
			"The slot is not held for you: the first to book it gets it.",
		Window: "Days that suit you", From: "From", Until: "Until (included)",
		Part: "Time of day", PartAny: "Any time", PartMorning: "Mornings (before 12:00)", PartAfternoon: "Afternoons (from 12:00)",
		Weekdays: "Days of the week", WeekdaysHint: "None ticked: every day.",
		Submit: "Join the waiting list", NotJoined: "You were not put on the list",
		WindowError: "Choose a first day from today on and a last day after it, within the period open for booking.",
		TooMany:     "This address is already on as many waiting lists as allowed.",
		FreeHeading: "Slots are free", FreeF: "Slots are already free in these days, from %s on: book one.",
		FreeLink:      "See the free slots",
		JoinedHeading: "Check your email",
		JoinedF:       "We sent you an email. Follow its link before %s to confirm: until then nothing will be sent to you.",
		ConfirmTitle:  "Confirm your place", ConfirmQuestionF: "Do you confirm your place on the waiting list of %s?",
		ConfirmSharedQuestionF: "Do you confirm your place on the waiting list for “%s”?",
		ConfirmButton:          "Confirm", ConfirmedHeading: "You are on the waiting list",
		ConfirmedF: "If a slot frees up by %s, we will write to you.",
		LeaveTitle: "Leave the waiting list", LeaveQuestion: "Stop being told of slots that free up?",
		LeaveButton: "Leave the waiting list", LeftHeading: "You left the waiting list", Left: "We will not write to you about it any more.",
		Ended:    "This place on the list has ended (expired or left): join again if you need to.",
		NotFound: "This link opens no place on a waiting list.", BookLink: "Book an appointment",
	},
}

// waitTextOf returns the waiting list's text in lang, French if unknown.
func waitTextOf(lang string) *waitText {
	if t, ok := waitTexts[lang]; ok {
		return t
	}
	return waitTexts["fr"]
}

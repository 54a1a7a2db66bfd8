package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"golang.org/x/text/language"

	"github.com/rdvlibre/rdv/booking"
)

// patientJSON carries the patient's personal data. Its limits are those of
// booking.Patient.Validate, which gives the detailed messages.
type patientJSON struct {
	Name  string `json:"name" maxLength:"100" example:"Marie Curie" doc:"Full name: letters of any script (with their accents), spaces, apostrophes, hyphens and dots; no digits, no @, / or :."`
	Email string `json:"email" maxLength:"254" example:"marie@example.org" doc:"Email address (name@domain, plain ASCII, at a public domain name) to which the confirmation is sent."`
	Phone string `json:"phone,omitempty" maxLength:"32" example:"+33612345678" doc:"Phone number: digits, spaces, a leading + and . - ( ). Optional."`
}

type newBookingJSON struct {
	Practitioner string      `json:"practitioner,omitempty" example:"demo" doc:"Practitioner id. Give practitioner or shared, one of them."`
	Shared       string      `json:"shared,omitempty" example:"generaliste" doc:"Shared motive id, to book with the first available of its practitioners (see GET /v1/shared): the least booked that day among those free at start, a tie to the first listed; the response names who. Give practitioner or shared, one of them."`
	Type         string      `json:"type,omitempty" example:"consultation" doc:"Appointment type id: required with practitioner; with shared, optional (the shared motive's own)."`
	Start        time.Time   `json:"start" example:"2026-12-01T09:00:00+01:00" doc:"Start of the slot, RFC 3339, as listed by the slots operation (of the practitioner, or of the shared motive)."`
	Patient      patientJSON `json:"patient"`
	Lang         string      `json:"lang,omitempty" enum:"fr,en" example:"fr" doc:"Language of the emails sent to the patient about this booking. Optional: when absent, the first of fr and en in the request's Accept-Language, else the server's default."`
}

type createBookingInput struct {
	AcceptLanguage string `header:"Accept-Language" maxLength:"1024" doc:"Used for the language of the patient's emails when the body has no lang (the first supported of fr and en)."`
	Altcha         string `header:"X-Altcha" maxLength:"1024" doc:"The solved proof of work, when the server asks for one (GET /v1/challenge answers 200): base64 of the JSON {algorithm, challenge, number, salt, signature}, as ALTCHA's widget produces. Each solution serves once; a retry needs a new one (the Idempotency-Key still keeps it from booking twice). Ignored when the server asks for none."`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"A unique key per booking attempt (a random UUID), so that a retried request does not book twice: within 24 hours, a request with the same key and the same body gets the first answer again (same booking, same manage token) and books nothing; the same key with another body is refused with 422."`
	Body           newBookingJSON
}

// createdBookingJSON is the booking as its creator receives it, with the
// secret that opens it. (huma reads no unexported embedded struct, hence the
// fields repeated in bookingJSON.)
type createdBookingJSON struct {
	ID           string `json:"id" format:"uuid" doc:"Booking id."`
	Status       string `json:"status" enum:"pending,confirmed,cancelled,expired" doc:"pending until the patient confirms by email (when the type asks for it), then confirmed; cancelled or expired at the end."`
	Practitioner string `json:"practitioner" example:"demo" doc:"Practitioner id: the one chosen, for a booking with a shared motive."`
	// PractitionerName names the practitioner to the patient.
	PractitionerName string `json:"practitioner_name" example:"Dr Anne Martin" doc:"The practitioner's display name."`
	Type             string `json:"type" example:"consultation" doc:"Appointment type id."`
	Start            string `json:"start" format:"date-time" example:"2026-12-01T09:00:00+01:00" doc:"Start of the visit, RFC 3339 in the practitioner's time zone."`
	End              string `json:"end" format:"date-time" example:"2026-12-01T09:20:00+01:00" doc:"End of the visit, RFC 3339 in the practitioner's time zone."`
	ManageToken      string `json:"manage_token" example:"q3Jt0m8xVb6yC1qk9dPz2w" doc:"Secret that opens the booking; given only once, here and in the confirmation email."`
	ManageURL        string `json:"manage_url" format:"uri" doc:"Page where the patient sees, confirms or cancels the booking."`
}

// bookingJSON is the booking as the holder of its token sees it.
type bookingJSON struct {
	ID           string      `json:"id" format:"uuid" doc:"Booking id."`
	Status       string      `json:"status" enum:"pending,confirmed,cancelled,expired" doc:"pending until the patient confirms by email (when the type asks for it), then confirmed; cancelled or expired at the end."`
	Practitioner string      `json:"practitioner" example:"demo" doc:"Practitioner id."`
	Type         string      `json:"type" example:"consultation" doc:"Appointment type id."`
	Start        string      `json:"start" format:"date-time" example:"2026-12-01T09:00:00+01:00" doc:"Start of the visit, RFC 3339 in the practitioner's time zone."`
	End          string      `json:"end" format:"date-time" example:"2026-12-01T09:20:00+01:00" doc:"End of the visit, RFC 3339 in the practitioner's time zone."`
	Patient      patientJSON `json:"patient" doc:"The patient: the holder of the token."`
}

type createBookingOutput struct {
	Location     string `header:"Location" doc:"URL of the booking in this API."`
	CacheControl string `header:"Cache-Control"`
	Body         createdBookingJSON
}

type tokenInput struct {
	Token string `path:"token" doc:"Manage token of the booking."`
}

type rescheduleJSON struct {
	Start time.Time `json:"start" example:"2026-12-02T10:00:00+01:00" doc:"Start of the new slot, RFC 3339, as listed by the slots operation for the booking's type."`
}

type rescheduleInput struct {
	Token string `path:"token" doc:"Manage token of the booking."`
	Body  rescheduleJSON
}

type bookingOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         bookingJSON
}

func (s *Server) registerBookings() {
	tags := []string{"bookings"}
	huma.Register(s.api, huma.Operation{
		OperationID: "createBooking",
		Method:      http.MethodPost,
		Path:        "/v1/bookings",
		Summary:     "Book a slot",
		Description: "Takes a free slot for a patient, with a practitioner or, for a shared motive, with the first available " +
			"of its practitioners (the response names who). 409 when the slot is no longer free (or, for a group session, full), " +
			"422 for invalid input, an Idempotency-Key already used with another body, or a missing, invalid, expired or " +
			"reused proof of work when the server asks for one (see GET /v1/challenge); 429 when a limit is reached (too many " +
			"requests from this address, or too many bookings for this patient or this practitioner: the detail says which, " +
			"Retry-After when waiting helps); 503 when the calendar can't be reached. Send an Idempotency-Key to retry safely.",
		Tags:          tags,
		DefaultStatus: http.StatusCreated,
		MaxBodyBytes:  s.maxBody,
		Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict,
			http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
			http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusServiceUnavailable},
	}, s.createBooking)

	huma.Register(s.api, huma.Operation{
		OperationID: "getBooking",
		Method:      http.MethodGet,
		Path:        "/v1/bookings/{token}",
		Summary:     "Get a booking",
		Description: "The booking that the manage token opens, for its patient.",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound, http.StatusTooManyRequests},
	}, func(ctx context.Context, in *tokenInput) (*bookingOutput, error) {
		a, err := s.svc.BookingByToken(ctx, in.Token)
		return s.bookingResult(ctx, a, err)
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "confirmBooking",
		Method:      http.MethodPost,
		Path:        "/v1/bookings/{token}/confirm",
		Summary:     "Confirm a booking",
		Description: "Confirms a pending booking (the link of the confirmation email). Confirming a confirmed booking changes nothing; 409 for a cancelled or expired one.",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound, http.StatusConflict, http.StatusUnsupportedMediaType, http.StatusTooManyRequests, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *tokenInput) (*bookingOutput, error) {
		a, err := s.svc.Confirm(ctx, in.Token)
		return s.bookingResult(ctx, a, err)
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "cancelBooking",
		Method:      http.MethodPost,
		Path:        "/v1/bookings/{token}/cancel",
		Summary:     "Cancel a booking",
		Description: "Cancels the booking; its slot is free again. Cancelling a cancelled booking changes nothing; " +
			"409 for an expired one, or past the appointment type's cancellation cut-off (the message says how to reach the practice).",
		Tags:   tags,
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnsupportedMediaType, http.StatusTooManyRequests, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *tokenInput) (*bookingOutput, error) {
		a, err := s.svc.Cancel(ctx, in.Token)
		return s.bookingResult(ctx, a, err)
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "rescheduleBooking",
		Method:      http.MethodPost,
		Path:        "/v1/bookings/{token}/reschedule",
		Summary:     "Move a booking",
		Description: "Moves the booking to another free slot of its type: the new slot is taken before the old one is released, " +
			"in one change; the booking keeps its id, token and status. 409 when the new slot is not free, the booking is " +
			"not active, or the cancellation cut-off has passed; 422 when start is not a slot of the type; 429 when the booking " +
			"was moved as many times as allowed online, or too many emails went to its address this hour.",
		Tags:         tags,
		MaxBodyBytes: s.maxBody,
		Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusUnsupportedMediaType,
			http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *rescheduleInput) (*bookingOutput, error) {
		a, err := s.svc.Reschedule(ctx, in.Token, in.Body.Start)
		return s.bookingResult(ctx, a, err)
	})
}

func (s *Server) createBooking(ctx context.Context, in *createBookingInput) (*createBookingOutput, error) {
	if reason, msg := s.checkChallenge(in.Altcha); reason != "" {
		return nil, challengeError(reason, msg)
	}
	patient := booking.Patient{
		Name:  in.Body.Patient.Name,
		Email: in.Body.Patient.Email,
		Phone: in.Body.Patient.Phone,
	}
	var b *booking.Booking
	var token string
	var err error
	switch {
	case (in.Body.Practitioner == "") == (in.Body.Shared == ""):
		err = booking.Errorf(booking.EInvalid, "give practitioner or shared (the first available of a shared motive), one of them")
	case in.Body.Shared != "":
		b, token, err = s.bookShared(ctx, in, patient)
	case in.Body.Type == "":
		err = booking.Errorf(booking.EInvalid, "type is required with practitioner")
	default:
		b, token, err = s.svc.Book(ctx, booking.BookRequest{
			IdempotencyKey: in.IdempotencyKey,
			PractitionerID: in.Body.Practitioner,
			TypeID:         in.Body.Type,
			Start:          in.Body.Start,
			Patient:        patient,
			Lang:           bookingLang(in.Body.Lang, in.AcceptLanguage),
		})
	}
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	name := b.PractitionerID
	if p, err := s.svc.Practitioner(b.PractitionerID); err == nil {
		name = p.Name
	}
	return &createBookingOutput{
		Location:     s.baseURL + "/v1/bookings/" + token,
		CacheControl: "no-store",
		Body: createdBookingJSON{
			ID:               b.ID,
			Status:           string(b.Status),
			Practitioner:     b.PractitionerID,
			PractitionerName: name,
			Type:             b.TypeID,
			Start:            b.Start.Format(time.RFC3339),
			End:              b.End.Format(time.RFC3339),
			ManageToken:      token,
			ManageURL:        s.manageURL(token),
		},
	}, nil
}

func (s *Server) bookingResult(ctx context.Context, a booking.Appointment, err error) (*bookingOutput, error) {
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	b := a.Booking
	return &bookingOutput{
		CacheControl: "no-store",
		Body: bookingJSON{
			ID:           b.ID,
			Status:       string(b.Status),
			Practitioner: b.PractitionerID,
			Type:         b.TypeID,
			Start:        b.Start.Format(time.RFC3339),
			End:          b.End.Format(time.RFC3339),
			Patient:      patientJSON{Name: b.Patient.Name, Email: b.Patient.Email, Phone: b.Patient.Phone},
		},
	}, nil
}

// manageURL is the public address of the page of the booking that token opens.
func (s *Server) manageURL(token string) string { return s.baseURL + "/manage/" + token }

// bookingLang is the language of a new booking's emails: lang when the body
// has one, else the first of booking.Languages that Accept-Language accepts
// (RFC 9110 section 12.5.4, by decreasing weight), else "" (the mailer's
// default).
func bookingLang(lang, acceptLanguage string) string {
	if lang != "" || acceptLanguage == "" {
		return lang
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil {
		return ""
	}
	for _, t := range tags {
		base, _ := t.Base()
		if slices.Contains(booking.Languages, base.String()) {
			return base.String()
		}
	}
	return ""
}

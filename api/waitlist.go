package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rdvlibre/rdv/booking"
)

// The waiting list in the JSON API (docs/waitlist.md): joining, and the
// confirmation and leave links of its emails.

type joinWaitlistJSON struct {
	Practitioner string      `json:"practitioner,omitempty" maxLength:"100" example:"demo" doc:"Practitioner id, with type; not with shared."`
	Type         string      `json:"type,omitempty" maxLength:"100" example:"consultation" doc:"Appointment type id, with practitioner; not with shared."`
	Shared       string      `json:"shared,omitempty" maxLength:"100" example:"generaliste" doc:"Shared appointment type id (with the first available of its practitioners), instead of practitioner and type: alerted of a free slot of any of them."`
	Patient      patientJSON `json:"patient"`
	Lang         string      `json:"lang,omitempty" enum:"fr,en" example:"fr" doc:"Language of the emails. Optional: else the first of fr and en in Accept-Language, else fr."`
	From         string      `json:"from" format:"date" example:"2026-12-01" doc:"First day of the window, in the practitioner's zone: today or later."`
	Until        string      `json:"until" format:"date" example:"2026-12-15" doc:"Last day of the window, included: at most the type's booking horizon ahead."`
	Part         string      `json:"part,omitempty" enum:"any,morning,afternoon" example:"morning" doc:"Part of the day: morning is a slot that starts before 12:00, afternoon at or after 12:00 (the practitioner's wall clock). Default any."`
	Weekdays     []int       `json:"weekdays,omitempty" maxItems:"7" minimum:"0" maximum:"6" example:"[1,4]" doc:"Weekdays only (0 Sunday to 6 Saturday). Default: every day."`
}

type joinWaitlistInput struct {
	AcceptLanguage string `header:"Accept-Language" maxLength:"1024" doc:"Used for the language of the emails when the body has no lang."`
	Altcha         string `header:"X-Altcha" maxLength:"1024" doc:"The solved proof of work, when the server asks for one (see createBooking)."`
	Body           joinWaitlistJSON
}

type waitEntryJSON struct {
	ID        string `json:"id" format:"uuid" doc:"Entry id."`
	Status    string `json:"status" enum:"pending,active,booked,left,expired" doc:"pending until the patient confirms from the email, then active until the end of its last day; booked, left or expired at the end."`
	ExpiresAt string `json:"expires_at" format:"date-time" doc:"When the entry ends unless confirmed (pending) or at the end of its window (active)."`
}

type waitEntryOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         waitEntryJSON
}

type waitTokenInput struct {
	Token string `path:"token" maxLength:"64" doc:"The waiting-list token of the emails' links."`
}

// freeSlotsProblem is the 409 of a join whose window already has a free
// slot: where to book it.
type freeSlotsProblem struct {
	huma.ErrorModel
	Day       string `json:"day,omitempty"`
	SlotsURL  string `json:"slots_url,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// errNoWaitlist answers when the host did not turn the waiting list on.
var errNoWaitlist = booking.Errorf(booking.ENotFound, "there is no waiting list here")

func (s *Server) registerWaitlist() {
	tags := []string{"waitlist"}
	huma.Register(s.api, huma.Operation{
		OperationID: "joinWaitlist",
		Method:      http.MethodPost,
		Path:        "/v1/waitlist",
		Summary:     "Join the waiting list",
		Description: "Puts a patient on the waiting list of a practitioner's appointment type (practitioner and type), or of a " +
			"shared appointment type (shared: a slot of any of its practitioners), for a window of days; the entry is " +
			"pending until the patient follows the link of the email it sends (201). When a slot of the window frees up, the " +
			"confirmed entries are emailed in the order they joined, a few at a time; the slot is not held. 409 when a free slot " +
			"already lies in the window (slots_url says where to book it); 422 for invalid input or proof of work, or a body with " +
			"both or neither of shared and practitioner with type; 429 when the " +
			"address has as many live entries as allowed, or too many requests came from this address; 404 when the host has " +
			"no waiting list.",
		Tags:          tags,
		DefaultStatus: http.StatusCreated,
		MaxBodyBytes:  s.maxBody,
		Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge,
			http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusServiceUnavailable},
	}, s.joinWaitlist)

	huma.Register(s.api, huma.Operation{
		OperationID: "confirmWaitlist",
		Method:      http.MethodPost,
		Path:        "/v1/waitlist/{token}/confirm",
		Summary:     "Confirm a waiting-list entry",
		Description: "Activates a pending entry (the link of its email): only then is it told of free slots. Confirming an active entry changes nothing; 409 for one that expired, was left or booked.",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound, http.StatusConflict, http.StatusUnsupportedMediaType, http.StatusTooManyRequests, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *waitTokenInput) (*waitEntryOutput, error) {
		if s.waitlist == nil {
			return nil, s.apiError(ctx, errNoWaitlist)
		}
		e, err := s.waitlist.Confirm(ctx, in.Token)
		return s.waitEntryResult(ctx, e, err)
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "leaveWaitlist",
		Method:      http.MethodPost,
		Path:        "/v1/waitlist/{token}/leave",
		Summary:     "Leave the waiting list",
		Description: "Takes the entry off the waiting list (the link of every email): nothing more is sent to it. Leaving an entry that ended changes nothing.",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound, http.StatusUnsupportedMediaType, http.StatusTooManyRequests, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *waitTokenInput) (*waitEntryOutput, error) {
		if s.waitlist == nil {
			return nil, s.apiError(ctx, errNoWaitlist)
		}
		e, err := s.waitlist.Leave(ctx, in.Token)
		return s.waitEntryResult(ctx, e, err)
	})
}

func (s *Server) joinWaitlist(ctx context.Context, in *joinWaitlistInput) (*waitEntryOutput, error) {
	if s.waitlist == nil {
		return nil, s.apiError(ctx, errNoWaitlist)
	}
	if reason, msg := s.checkChallenge(in.Altcha); reason != "" {
		return nil, challengeError(reason, msg)
	}
	b := in.Body
	own, shared := b.Practitioner != "" && b.Type != "", b.Shared != "" && b.Practitioner == "" && b.Type == ""
	if own == shared || (!own && b.Shared == "") {
		return nil, s.apiError(ctx, booking.Errorf(booking.EInvalid, "want shared, or practitioner and type"))
	}
	req := booking.JoinRequest{
		PractitionerID: b.Practitioner, TypeID: b.Type, SharedID: b.Shared,
		Patient: booking.Patient{Name: b.Patient.Name, Email: b.Patient.Email, Phone: b.Patient.Phone},
		Lang:    bookingLang(b.Lang, in.AcceptLanguage),
		Window:  booking.Window{Part: booking.DayPart(b.Part)},
	}
	if req.Window.Part == "" {
		req.Window.Part = booking.PartAny
	}
	for _, d := range b.Weekdays {
		req.Window.Weekdays = append(req.Window.Weekdays, time.Weekday(d))
	}
	var err error
	if req.Window.From, err = booking.ParseDate(b.From); err != nil {
		return nil, s.apiError(ctx, booking.FieldError(booking.FieldWindow, booking.ReasonInvalid, "from: want a date YYYY-MM-DD"))
	}
	if req.Window.Until, err = booking.ParseDate(b.Until); err != nil {
		return nil, s.apiError(ctx, booking.FieldError(booking.FieldWindow, booking.ReasonInvalid, "until: want a date YYYY-MM-DD"))
	}
	e, err := s.waitlist.Join(ctx, req)
	if err != nil {
		var fs *booking.FreeSlotsError
		if errors.As(err, &fs) {
			page := "/p/" + url.PathEscape(req.PractitionerID) + "/" + url.PathEscape(req.TypeID)
			if req.SharedID != "" {
				page = "/s/" + url.PathEscape(req.SharedID)
			}
			return nil, &freeSlotsProblem{
				ErrorModel: huma.ErrorModel{Title: http.StatusText(http.StatusConflict), Status: http.StatusConflict, Detail: booking.ErrorMessage(err)},
				Day:        fs.Day.String(),
				SlotsURL:   s.baseURL + page + "?day=" + fs.Day.String(),
			}
		}
		return nil, s.apiError(ctx, err)
	}
	return s.waitEntryResult(ctx, e, nil)
}

func (s *Server) waitEntryResult(ctx context.Context, e *booking.WaitEntry, err error) (*waitEntryOutput, error) {
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &waitEntryOutput{CacheControl: "no-store", Body: waitEntryJSON{
		ID: e.ID, Status: string(e.State(s.now())), ExpiresAt: e.ExpiresAt.Format(time.RFC3339),
	}}, nil
}

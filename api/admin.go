package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rdvlibre/rdv/booking"
)

// The admin API: the practitioner's side, under /v1/admin/, behind the
// admin token (see adminAuth). Its answers carry the patients' contact.

// adminBookingJSON is a booking as the practitioner sees it.
type adminBookingJSON struct {
	ID           string      `json:"id" format:"uuid" doc:"Booking id."`
	Status       string      `json:"status" enum:"pending,confirmed,cancelled,expired" doc:"pending until the patient confirms by email (when the type asks for it), then confirmed; cancelled or expired at the end."`
	Practitioner string      `json:"practitioner" example:"demo" doc:"Practitioner id."`
	Type         string      `json:"type" example:"consultation" doc:"Appointment type id."`
	Start        string      `json:"start" format:"date-time" example:"2026-12-01T09:00:00+01:00" doc:"Start of the visit, RFC 3339 in tz."`
	End          string      `json:"end" format:"date-time" example:"2026-12-01T09:20:00+01:00" doc:"End of the visit, RFC 3339 in tz."`
	Patient      patientJSON `json:"patient" doc:"The patient and how to reach them."`
	CreatedAt    string      `json:"created_at" format:"date-time" doc:"When the booking was made, RFC 3339 in tz."`
}

type adminBookingsInput struct {
	ID   string `path:"id" example:"demo" doc:"Practitioner id."`
	From string `query:"from" example:"2026-12-01" doc:"Start of the window: a date YYYY-MM-DD (its first instant in tz) or an RFC 3339 instant. Default: today in tz."`
	To   string `query:"to" example:"2026-12-08" doc:"End of the window, excluded: a date YYYY-MM-DD (its first instant in tz) or an RFC 3339 instant. Default: seven days after from."`
	TZ   string `query:"tz" example:"Europe/Paris" doc:"IANA time zone in which dates are read and times are written. Default: the practitioner's."`
}

type adminBookingListJSON struct {
	Practitioner string             `json:"practitioner" example:"demo" doc:"Practitioner id."`
	Timezone     string             `json:"timezone" example:"Europe/Paris" doc:"IANA time zone of the times below."`
	From         string             `json:"from" format:"date-time" doc:"Start of the window."`
	To           string             `json:"to" format:"date-time" doc:"End of the window, excluded."`
	Bookings     []adminBookingJSON `json:"bookings" doc:"The bookings whose visit overlaps the window, whatever their status, by start."`
}

type adminBookingListOutput struct {
	Body adminBookingListJSON
}

type adminBookingInput struct {
	ID string `path:"id" doc:"Booking id."`
}

type adminBookingOutput struct {
	Body adminBookingJSON
}

// closureJSON is a closed period of a practitioner.
type closureJSON struct {
	ID     string `json:"id,omitempty" format:"uuid" doc:"Id of a closure added through this API; absent for one of the configuration, which is removed from the configuration only."`
	From   string `json:"from" format:"date" example:"2026-12-24" doc:"First closed day, in the practitioner's time zone."`
	To     string `json:"to" format:"date" example:"2027-01-02" doc:"Last closed day, included."`
	Label  string `json:"label,omitempty" example:"congés" doc:"The practitioner's note; never shown to patients."`
	Source string `json:"source" enum:"config,api" doc:"Where the closure comes from: the configuration file, or this API."`
}

type closuresInput struct {
	ID   string `path:"id" example:"demo" doc:"Practitioner id."`
	From string `query:"from" format:"date" example:"2026-12-01" doc:"List the closures that end on this day or later. Default: today in the practitioner's time zone."`
	To   string `query:"to" format:"date" example:"2027-12-31" doc:"List the closures that start on this day or earlier. Default: no limit."`
}

type closureListJSON struct {
	Practitioner string        `json:"practitioner" example:"demo" doc:"Practitioner id."`
	Closures     []closureJSON `json:"closures" doc:"The closures that cover a day of the range, by first day."`
}

type closureListOutput struct {
	Body closureListJSON
}

type closureRequestJSON struct {
	From  string `json:"from" format:"date" example:"2026-12-24" doc:"First closed day, in the practitioner's time zone."`
	To    string `json:"to" format:"date" example:"2027-01-02" doc:"Last closed day, included; today or later."`
	Label string `json:"label,omitempty" maxLength:"200" example:"congés" doc:"A note for the practitioner, never shown to patients; no line breaks."`
	// CancelBookings is the practice's choice for the bookings already
	// made on the closed days.
	CancelBookings bool `json:"cancel_bookings,omitempty" doc:"Cancel the active bookings already made on the closed days, and tell their patients (as a cancellation by the practice). Default: keep them, listed in the answer, for the practitioner to handle."`
}

type addClosureInput struct {
	ID   string `path:"id" example:"demo" doc:"Practitioner id."`
	Body closureRequestJSON
}

type addedClosureJSON struct {
	Closure      closureJSON        `json:"closure" doc:"The closure, with its id."`
	Bookings     []adminBookingJSON `json:"bookings" doc:"The active bookings (pending or confirmed) already made on the closed days: kept, for the practitioner to handle (call the patient, or cancel them); or, with cancel_bookings, cancelled (status cancelled) unless it failed (their status unchanged, and listed in not_cancelled)."`
	NotCancelled []notCancelledJSON `json:"not_cancelled,omitempty" doc:"With cancel_bookings: the bookings that could not be cancelled, and why; retry, or handle them by phone."`
}

type notCancelledJSON struct {
	Booking string `json:"booking" format:"uuid" doc:"The booking id."`
	Reason  string `json:"reason" doc:"Why; never patient data."`
}

type addClosureOutput struct {
	Body addedClosureJSON
}

type deleteClosureInput struct {
	ID        string `path:"id" example:"demo" doc:"Practitioner id."`
	ClosureID string `path:"closure_id" doc:"Closure id, as listed."`
}

func (s *Server) registerAdmin() {
	op := func(o huma.Operation) huma.Operation {
		o.Tags = []string{"admin"}
		o.Security = adminSecurity
		o.Middlewares = huma.Middlewares{s.adminAuth}
		o.Errors = append([]int{http.StatusUnauthorized, http.StatusNotFound}, o.Errors...)
		return o
	}
	huma.Register(s.api, op(huma.Operation{
		OperationID: "adminListBookings",
		Method:      http.MethodGet,
		Path:        "/v1/admin/practitioners/{id}/bookings",
		Summary:     "List a practitioner's bookings",
		Description: "The bookings whose visit overlaps [from, to), whatever their status, with the patients' contact.",
		Errors:      []int{http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}), s.adminBookings)

	huma.Register(s.api, op(huma.Operation{
		OperationID: "adminCancelBooking",
		Method:      http.MethodPost,
		Path:        "/v1/admin/bookings/{id}/cancel",
		Summary:     "Cancel a booking for the practitioner",
		Description: "Cancels the booking whatever its type's cancellation cut-off; the patient is told by email. " +
			"Cancelling a cancelled booking changes nothing; 409 for an expired one, or for one whose event was " +
			"changed in the calendar meanwhile.",
		Errors: []int{http.StatusConflict, http.StatusServiceUnavailable},
	}), func(ctx context.Context, in *adminBookingInput) (*adminBookingOutput, error) {
		a, err := s.svc.PractitionerCancel(ctx, in.ID)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &adminBookingOutput{Body: newAdminBookingJSON(a.Booking, a.Practitioner.Location)}, nil
	})

	huma.Register(s.api, op(huma.Operation{
		OperationID: "adminListClosures",
		Method:      http.MethodGet,
		Path:        "/v1/admin/practitioners/{id}/closures",
		Summary:     "List a practitioner's closures",
		Description: "The closed periods of the practitioner, from the configuration and added through this API.",
		Errors:      []int{http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}), s.adminClosures)

	huma.Register(s.api, op(huma.Operation{
		OperationID: "adminAddClosure",
		Method:      http.MethodPost,
		Path:        "/v1/admin/practitioners/{id}/closures",
		Summary:     "Close days",
		Description: "Closes the practitioner on whole days, from and to included: no slot is offered on them any more. " +
			"The bookings already made on those days are kept and listed in the answer, for the practitioner to handle.",
		DefaultStatus: http.StatusCreated,
		MaxBodyBytes:  s.maxBody,
		Errors: []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
			http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}), s.adminAddClosure)

	huma.Register(s.api, op(huma.Operation{
		OperationID:   "adminDeleteClosure",
		Method:        http.MethodDelete,
		Path:          "/v1/admin/practitioners/{id}/closures/{closure_id}",
		Summary:       "Reopen days",
		Description:   "Removes a closure added through this API; those of the configuration are removed from the configuration.",
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusServiceUnavailable},
	}), func(ctx context.Context, in *deleteClosureInput) (*struct{}, error) {
		if err := s.svc.RemoveClosure(ctx, in.ID, in.ClosureID); err != nil {
			return nil, s.apiError(ctx, err)
		}
		return nil, nil
	})

	s.registerAdminUnknown(op)
	s.registerAdminMessages(op)
	s.registerAdminPatients(op)
}

func (s *Server) adminBookings(ctx context.Context, in *adminBookingsInput) (*adminBookingListOutput, error) {
	p, err := s.svc.Practitioner(in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	loc := p.Location
	if in.TZ != "" {
		if loc, err = loadZone(in.TZ); err != nil {
			return nil, s.apiError(ctx, err)
		}
	}
	from, to, err := window(in.From, in.To, loc, s.now())
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	bs, err := s.svc.Bookings(ctx, p.ID, from, to)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &adminBookingListOutput{Body: adminBookingListJSON{
		Practitioner: p.ID, Timezone: loc.String(),
		From: rfc3339(from, loc), To: rfc3339(to, loc),
		Bookings: make([]adminBookingJSON, len(bs)),
	}}
	for i, b := range bs {
		out.Body.Bookings[i] = newAdminBookingJSON(b, loc)
	}
	return out, nil
}

func (s *Server) adminClosures(ctx context.Context, in *closuresInput) (*closureListOutput, error) {
	p, err := s.svc.Practitioner(in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	from := booking.DateOf(s.now().In(p.Location))
	to := booking.Date{Year: 9999, Month: time.December, Day: 31}
	if in.From != "" {
		if from, err = booking.ParseDate(in.From); err != nil {
			return nil, s.apiError(ctx, booking.Errorf(booking.EInvalid, "from must be a date YYYY-MM-DD"))
		}
	}
	if in.To != "" {
		if to, err = booking.ParseDate(in.To); err != nil {
			return nil, s.apiError(ctx, booking.Errorf(booking.EInvalid, "to must be a date YYYY-MM-DD"))
		}
	}
	cs, err := s.svc.Closures(ctx, p.ID, from, to)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &closureListOutput{Body: closureListJSON{Practitioner: p.ID, Closures: make([]closureJSON, len(cs))}}
	for i, c := range cs {
		out.Body.Closures[i] = newClosureJSON(c)
	}
	return out, nil
}

func (s *Server) adminAddClosure(ctx context.Context, in *addClosureInput) (*addClosureOutput, error) {
	p, err := s.svc.Practitioner(in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	var c booking.Closure
	if c.From, err = booking.ParseDate(in.Body.From); err != nil {
		return nil, s.apiError(ctx, booking.Errorf(booking.EInvalid, "from must be a date YYYY-MM-DD"))
	}
	if c.To, err = booking.ParseDate(in.Body.To); err != nil {
		return nil, s.apiError(ctx, booking.Errorf(booking.EInvalid, "to must be a date YYYY-MM-DD"))
	}
	c.Label = in.Body.Label
	added, affected, err := s.svc.AddClosure(ctx, p.ID, c)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &addClosureOutput{Body: addedClosureJSON{
		Closure:  newClosureJSON(added),
		Bookings: make([]adminBookingJSON, len(affected)),
	}}
	for i, b := range affected {
		if in.Body.CancelBookings {
			// The practice chose to cancel them: each patient is told, as for
			// a cancellation by the practice.
			if a, err := s.svc.PractitionerCancel(ctx, b.ID); err != nil {
				_, msg := s.problem(ctx, err)
				out.Body.NotCancelled = append(out.Body.NotCancelled, notCancelledJSON{Booking: b.ID, Reason: msg})
			} else {
				b.Status = a.Booking.Status
			}
		}
		out.Body.Bookings[i] = newAdminBookingJSON(b, p.Location)
	}
	return out, nil
}

func newAdminBookingJSON(b *booking.Booking, loc *time.Location) adminBookingJSON {
	return adminBookingJSON{
		ID:           b.ID,
		Status:       string(b.Status),
		Practitioner: b.PractitionerID,
		Type:         b.TypeID,
		Start:        rfc3339(b.Start, loc),
		End:          rfc3339(b.End, loc),
		Patient:      patientJSON{Name: b.Patient.Name, Email: b.Patient.Email, Phone: b.Patient.Phone},
		CreatedAt:    rfc3339(b.CreatedAt, loc),
	}
}

func newClosureJSON(c booking.Closure) closureJSON {
	out := closureJSON{ID: c.ID, From: c.From.String(), To: c.To.String(), Label: c.Label, Source: "api"}
	if c.ID == "" {
		out.Source = "config"
	}
	return out
}

package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rdvlibre/rdv/booking"
)

type practitionerJSON struct {
	ID               string                `json:"id" example:"demo" doc:"Identifier used in URLs."`
	Name             string                `json:"name" example:"Dr Anne Martin" doc:"Display name."`
	Timezone         string                `json:"timezone" example:"Europe/Paris" doc:"IANA time zone of the practitioner: the default of the slots' tz."`
	AppointmentTypes []appointmentTypeJSON `json:"appointment_types" doc:"The appointment types (motives) that can be booked."`
	MaxPerDay        int                   `json:"max_per_day,omitempty" example:"20" doc:"The most bookings, of all types together, one local day of the practitioner holds; absent for no cap."`
}

type appointmentTypeJSON struct {
	ID              string `json:"id" example:"consultation" doc:"Identifier, the type parameter of the slots."`
	Name            string `json:"name" example:"Consultation" doc:"Name shown to patients."`
	DurationMinutes int    `json:"duration_minutes" example:"20" doc:"Length of the visit in minutes."`
	Capacity        int    `json:"capacity" example:"1" doc:"How many patients one slot takes: 1, or more for a group session."`
	CancelCutoff    int    `json:"cancel_cutoff_minutes" example:"1440" doc:"Cancelling or moving a booking online closes this many minutes before its start (0: until the start)."`
	RequireConfirm  bool   `json:"require_confirmation" doc:"A new booking stays pending until the patient confirms it from the email, and is released if not confirmed in time."`
	Unlisted        bool   `json:"unlisted,omitempty" doc:"Not on the booking pages' list of motives: offered to patients by its own link only."`
	MaxPerDay       int    `json:"max_per_day,omitempty" example:"4" doc:"The most bookings of this type one local day of the practitioner holds (a group session counts its patients); absent for no cap. A day at its cap offers no slot of the type."`
}

type practitionerListJSON struct {
	Practitioners []practitionerJSON `json:"practitioners" doc:"The practitioners, in configuration order."`
}

type practitionerListOutput struct {
	Body practitionerListJSON
}

type slotsInput struct {
	ID   string `path:"id" example:"demo" doc:"Practitioner id."`
	Type string `query:"type" required:"true" example:"consultation" doc:"Appointment type id."`
	From string `query:"from" example:"2026-12-01" doc:"Start of the window: a date YYYY-MM-DD (its first instant in tz) or an RFC 3339 instant. Default: today in tz."`
	To   string `query:"to" example:"2026-12-08" doc:"End of the window, excluded: a date YYYY-MM-DD (its first instant in tz, so the day itself is excluded) or an RFC 3339 instant. Default: seven days after from."`
	TZ   string `query:"tz" example:"Europe/Paris" doc:"IANA time zone in which dates are read and times are written. Default: the practitioner's."`
}

type slotJSON struct {
	Start string `json:"start" format:"date-time" example:"2026-12-01T09:00:00+01:00" doc:"Start of the slot, RFC 3339 in tz."`
	End   string `json:"end" format:"date-time" example:"2026-12-01T09:20:00+01:00" doc:"End of the slot (excluded), RFC 3339 in tz."`
}

type slotListJSON struct {
	Practitioner string     `json:"practitioner" example:"demo" doc:"Practitioner id."`
	Type         string     `json:"type" example:"consultation" doc:"Appointment type id."`
	Timezone     string     `json:"timezone" example:"Europe/Paris" doc:"IANA time zone of the times below."`
	Slots        []slotJSON `json:"slots" doc:"Free slots whose start lies in the window, in order."`
}

type slotListOutput struct {
	Body slotListJSON
}

func (s *Server) registerPractitioners() {
	huma.Register(s.api, huma.Operation{
		OperationID: "listPractitioners",
		Method:      http.MethodGet,
		Path:        "/v1/practitioners",
		Summary:     "List practitioners",
		Description: "The practitioners and the appointment types they offer. 429 when this address made too many " +
			"requests (the read rate limit, shared with the slots).",
		Tags:   []string{"practitioners"},
		Errors: []int{http.StatusTooManyRequests},
	}, func(context.Context, *struct{}) (*practitionerListOutput, error) {
		ps := s.svc.Practitioners()
		out := &practitionerListOutput{Body: practitionerListJSON{Practitioners: make([]practitionerJSON, len(ps))}}
		for i := range ps {
			out.Body.Practitioners[i] = newPractitionerJSON(&ps[i])
		}
		return out, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "listSlots",
		Method:      http.MethodGet,
		Path:        "/v1/practitioners/{id}/slots",
		Summary:     "List free slots",
		Description: "The free slots of an appointment type whose start lies in [from, to). " +
			"The window is clipped to the type's booking notice and horizon. " +
			"404 for an unknown practitioner or type, 422 for an invalid window or time zone, 429 when this address made " +
			"too many requests (Retry-After says when to come back), 503 when the practitioner's calendar can't be read.",
		Tags:   []string{"practitioners"},
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusServiceUnavailable},
	}, s.slots)
}

func (s *Server) slots(ctx context.Context, in *slotsInput) (*slotListOutput, error) {
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
	start := time.Now()
	slots, err := s.svc.Slots(ctx, p.ID, in.Type, from, to)
	s.metrics.timeSlots(p.ID, "slots", start)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &slotListOutput{Body: slotListJSON{
		Practitioner: p.ID,
		Type:         in.Type,
		Timezone:     loc.String(),
		Slots:        make([]slotJSON, len(slots)),
	}}
	for i, sl := range slots {
		out.Body.Slots[i] = slotJSON{Start: rfc3339(sl.Start, loc), End: rfc3339(sl.End, loc)}
	}
	return out, nil
}

func newPractitionerJSON(p *booking.Practitioner) practitionerJSON {
	out := practitionerJSON{
		ID:               p.ID,
		Name:             p.Name,
		Timezone:         p.Location.String(),
		AppointmentTypes: make([]appointmentTypeJSON, len(p.Types)),
		MaxPerDay:        p.MaxBookingsPerDay,
	}
	for i, t := range p.Types {
		out.AppointmentTypes[i] = appointmentTypeJSON{
			ID: t.ID, Name: t.Name, DurationMinutes: int(t.Duration / time.Minute),
			Capacity: max(t.Capacity, 1), CancelCutoff: int(t.CancelCutoff / time.Minute),
			RequireConfirm: t.RequireConfirmation, Unlisted: t.Unlisted, MaxPerDay: t.MaxPerDay,
		}
	}
	return out
}

// rfc3339 writes t as an RFC 3339 instant with the offset of loc.
func rfc3339(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.RFC3339) }

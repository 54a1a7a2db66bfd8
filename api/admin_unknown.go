package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rdvlibre/rdv/booking"
)

// The admin operations on booking events unknown to this install (see
// booking.Service.UnknownEvents): listing them, adopting them into the
// ledger after the store was lost, and giving the patients of adopted
// bookings a new manage link.

// unknownEventJSON is a booking event of the bookings calendar that this
// install has no record of.
type unknownEventJSON struct {
	Booking   string      `json:"booking" format:"uuid" doc:"The booking id the event carries: its UID and X-RDV-BOOKING."`
	Href      string      `json:"href" example:"/remote.php/dav/calendars/anne/rendez-vous/1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b.ics" doc:"Path of the event in the bookings calendar."`
	Type      string      `json:"type" example:"consultation" doc:"Appointment type id of its X-RDV-TYPE; it may not be configured here."`
	Start     string      `json:"start" format:"date-time" example:"2026-12-01T09:00:00+01:00" doc:"Start of the event, RFC 3339 in tz."`
	End       string      `json:"end" format:"date-time" example:"2026-12-01T09:20:00+01:00" doc:"End of the event, RFC 3339 in tz."`
	Status    string      `json:"status" enum:"pending,confirmed,cancelled" doc:"pending for STATUS:TENTATIVE, cancelled for STATUS:CANCELLED, confirmed otherwise."`
	Sequence  int         `json:"sequence" doc:"Its SEQUENCE."`
	Patient   patientJSON `json:"patient" doc:"The patient as the event names them: its ATTENDEE's name and email, the phone of its X-RDV-PHONE (of its DESCRIPTION in an event of an older rdv)."`
	FirstSeen string      `json:"first_seen" format:"date-time" doc:"When this process first found it, RFC 3339 in tz."`
}

type unknownEventsInput struct {
	ID string `path:"id" example:"demo" doc:"Practitioner id."`
	TZ string `query:"tz" example:"Europe/Paris" doc:"IANA time zone in which times are written. Default: the practitioner's."`
}

type unknownEventListJSON struct {
	Practitioner string             `json:"practitioner" example:"demo" doc:"Practitioner id."`
	Timezone     string             `json:"timezone" example:"Europe/Paris" doc:"IANA time zone of the times below."`
	Events       []unknownEventJSON `json:"events" doc:"The unknown booking events, by start."`
}

type unknownEventListOutput struct {
	Body unknownEventListJSON
}

type adoptRequestJSON struct {
	DryRun bool `json:"dry_run,omitempty" doc:"Only say what adopting would do: nothing is recorded."`
}

type adoptInput struct {
	ID   string            `path:"id" example:"demo" doc:"Practitioner id."`
	TZ   string            `query:"tz" example:"Europe/Paris" doc:"IANA time zone in which times are written. Default: the practitioner's."`
	Body *adoptRequestJSON `doc:"Optional; an empty body adopts."`
}

// skippedEventJSON is an unknown event that was not adopted.
type skippedEventJSON struct {
	Booking string `json:"booking" format:"uuid" doc:"The booking id the event carries."`
	Href    string `json:"href" doc:"Path of the event in the bookings calendar."`
	Reason  string `json:"reason" example:"its appointment type (X-RDV-TYPE) is not configured for this practitioner" doc:"Why it was not adopted; it never quotes patient data."`
}

type adoptionJSON struct {
	Practitioner string             `json:"practitioner" example:"demo" doc:"Practitioner id."`
	DryRun       bool               `json:"dry_run" doc:"True when nothing was recorded: adopted lists what would be."`
	Adopted      []adminBookingJSON `json:"adopted" doc:"The bookings rebuilt from the events (or that would be, in a dry run), by start. They have no manage link yet: resend-link gives their patients one."`
	Skipped      []skippedEventJSON `json:"skipped" doc:"The unknown events left as they are, with the reason; they stay busy time."`
}

type adoptOutput struct {
	Body adoptionJSON
}

// registerAdminUnknown registers the operations on unknown booking events;
// op makes an operation an admin one (see registerAdmin).
func (s *Server) registerAdminUnknown(op func(huma.Operation) huma.Operation) {
	huma.Register(s.api, op(huma.Operation{
		OperationID: "adminListUnknownEvents",
		Method:      http.MethodGet,
		Path:        "/v1/admin/practitioners/{id}/unknown-events",
		Summary:     "List booking events unknown to this install",
		Description: "The booking events of the practitioner's bookings calendar (UID = X-RDV-BOOKING) that this install's " +
			"store has no record of: another rdv install's sharing the calendar, or this install's before its store was " +
			"lost or restored from an old backup. rdv never deletes nor rewrites them; they stay busy time. The list is " +
			"what the last calendar pass of this process found (on start, then every sync interval).",
		Errors: []int{http.StatusUnprocessableEntity},
	}), s.adminUnknownEvents)

	huma.Register(s.api, op(huma.Operation{
		OperationID: "adminAdopt",
		Method:      http.MethodPost,
		Path:        "/v1/admin/practitioners/{id}/adopt",
		Summary:     "Adopt booking events unknown to this install",
		Description: "Rebuilds ledger rows from the unknown booking events of the practitioner's bookings calendar, " +
			"for a host who lost its store: id, type, times, status and patient from each event. Nothing is sent to " +
			"anyone and the calendar is not written; the adopted bookings have no manage link until resend-link gives " +
			"their patients one. With {\"dry_run\": true} nothing is recorded and the answer says what would be.",
		MaxBodyBytes: s.maxBody,
		Errors: []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
			http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}), s.adminAdopt)

	huma.Register(s.api, op(huma.Operation{
		OperationID: "adminResendLink",
		Method:      http.MethodPost,
		Path:        "/v1/admin/bookings/{id}/resend-link",
		Summary:     "Send the patient a new manage link",
		Description: "Gives the booking a new manage token, which replaces the old one (the old link stops working), " +
			"and emails the link to the booking's patient only, through the outbox like every notification. It is how " +
			"the patients of adopted bookings get a link. 409 for a booking that is no longer pending or confirmed.",
		Errors: []int{http.StatusConflict, http.StatusServiceUnavailable},
	}), func(ctx context.Context, in *adminBookingInput) (*adminBookingOutput, error) {
		a, err := s.svc.ResendLink(ctx, in.ID)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &adminBookingOutput{Body: newAdminBookingJSON(a.Booking, a.Practitioner.Location)}, nil
	})
}

// practitionerZone returns the practitioner id and the zone named by tz, or
// the practitioner's when tz is "", as API errors.
func (s *Server) practitionerZone(ctx context.Context, id, tz string) (*booking.Practitioner, *time.Location, error) {
	p, err := s.svc.Practitioner(id)
	if err != nil {
		return nil, nil, s.apiError(ctx, err)
	}
	if tz == "" {
		return p, p.Location, nil
	}
	loc, err := loadZone(tz)
	if err != nil {
		return nil, nil, s.apiError(ctx, err)
	}
	return p, loc, nil
}

func (s *Server) adminUnknownEvents(ctx context.Context, in *unknownEventsInput) (*unknownEventListOutput, error) {
	p, loc, err := s.practitionerZone(ctx, in.ID, in.TZ)
	if err != nil {
		return nil, err
	}
	evs, err := s.svc.UnknownEvents(p.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &unknownEventListOutput{Body: unknownEventListJSON{
		Practitioner: p.ID, Timezone: loc.String(), Events: make([]unknownEventJSON, len(evs)),
	}}
	for i, u := range evs {
		ev := u.Event
		out.Body.Events[i] = unknownEventJSON{
			Booking:   ev.Booking,
			Href:      ev.Ref.Href,
			Type:      ev.Type,
			Start:     rfc3339(ev.Start, loc),
			End:       rfc3339(ev.End, loc),
			Status:    string(ev.Status),
			Sequence:  ev.Sequence,
			Patient:   patientJSON{Name: ev.Patient.Name, Email: ev.Patient.Email, Phone: ev.Patient.Phone},
			FirstSeen: rfc3339(u.FirstSeen, loc),
		}
	}
	return out, nil
}

func (s *Server) adminAdopt(ctx context.Context, in *adoptInput) (*adoptOutput, error) {
	p, loc, err := s.practitionerZone(ctx, in.ID, in.TZ)
	if err != nil {
		return nil, err
	}
	dryRun := in.Body != nil && in.Body.DryRun
	res, err := s.svc.Adopt(ctx, p.ID, dryRun)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	slices.SortStableFunc(res, func(a, b booking.Adoption) int { return a.Event.Start.Compare(b.Event.Start) })
	out := &adoptOutput{Body: adoptionJSON{
		Practitioner: p.ID, DryRun: dryRun,
		Adopted: []adminBookingJSON{}, Skipped: []skippedEventJSON{},
	}}
	for _, a := range res {
		if a.Booking == nil {
			out.Body.Skipped = append(out.Body.Skipped, skippedEventJSON{Booking: a.Event.Booking, Href: a.Event.Ref.Href, Reason: a.Skipped})
			continue
		}
		out.Body.Adopted = append(out.Body.Adopted, newAdminBookingJSON(a.Booking, loc))
	}
	return out, nil
}

// unknownCounts returns, per practitioner id, how many booking events of
// its bookings calendar this install has no record of, as the last
// calendar pass found them; nil when there are none. Counts only: /readyz
// is public.
func (s *Server) unknownCounts() map[string]int {
	evs, err := s.svc.UnknownEvents("")
	if err != nil || len(evs) == 0 {
		return nil
	}
	out := map[string]int{}
	for _, u := range evs {
		out[u.PractitionerID]++
	}
	return out
}

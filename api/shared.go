package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rdvlibre/rdv/booking"
)

// The JSON API of shared motives: a motive several practitioners offer
// together, booked with the first available (booking.SharedType).

type sharedTypeJSON struct {
	ID            string   `json:"id" example:"generaliste" doc:"Identifier, used in the slots' path and as shared in a booking."`
	Name          string   `json:"name" example:"Consultation de médecine générale" doc:"Name shown to patients."`
	Type          string   `json:"type" example:"consultation" doc:"The appointment type of each practitioner it stands for; each keeps its own duration and rules."`
	Timezone      string   `json:"timezone" example:"Europe/Paris" doc:"IANA time zone of the practitioners: the default of the slots' tz."`
	Practitioners []string `json:"practitioners" example:"[\"martin\",\"durand\",\"petit\"]" doc:"The practitioners' ids, in the order that breaks ties between the least booked."`
}

type sharedTypeListJSON struct {
	SharedTypes []sharedTypeJSON `json:"shared_types" doc:"The shared motives, in configuration order."`
}

type sharedTypeListOutput struct {
	Body sharedTypeListJSON
}

type sharedSlotsInput struct {
	ID   string `path:"id" example:"generaliste" doc:"Shared motive id."`
	From string `query:"from" example:"2026-12-01" doc:"Start of the window: a date YYYY-MM-DD (its first instant in tz) or an RFC 3339 instant. Default: today in tz."`
	To   string `query:"to" example:"2026-12-08" doc:"End of the window, excluded: a date YYYY-MM-DD (its first instant in tz, so the day itself is excluded) or an RFC 3339 instant. Default: seven days after from."`
	TZ   string `query:"tz" example:"Europe/Paris" doc:"IANA time zone in which dates are read and times are written. Default: the practitioners'."`
}

type sharedSlotJSON struct {
	Start string `json:"start" format:"date-time" example:"2026-12-01T09:00:00+01:00" doc:"Start of the slot, RFC 3339 in tz."`
	End   string `json:"end" format:"date-time" example:"2026-12-01T09:20:00+01:00" doc:"The earliest end among the practitioners free then (their visits may last more), RFC 3339 in tz; the booking gives the visit's own end."`
	Free  int    `json:"free" minimum:"1" example:"2" doc:"How many practitioners are free then (not which)."`
}

type sharedSlotListJSON struct {
	Shared   string           `json:"shared" example:"generaliste" doc:"Shared motive id."`
	Timezone string           `json:"timezone" example:"Europe/Paris" doc:"IANA time zone of the times below."`
	Slots    []sharedSlotJSON `json:"slots" doc:"Starts at which at least one practitioner is free, in order, one per start."`
}

type sharedSlotListOutput struct {
	Body sharedSlotListJSON
}

func (s *Server) registerShared() {
	tags := []string{"shared motives"}
	huma.Register(s.api, huma.Operation{
		OperationID: "listSharedTypes",
		Method:      http.MethodGet,
		Path:        "/v1/shared",
		Summary:     "List shared motives",
		Description: "The motives several practitioners offer together, booked with the first available: " +
			"POST /v1/bookings with shared instead of practitioner. 429 when this address made too many requests " +
			"(the read rate limit, shared with the slots).",
		Tags:   tags,
		Errors: []int{http.StatusTooManyRequests},
	}, func(ctx context.Context, _ *struct{}) (*sharedTypeListOutput, error) {
		sts := s.svc.SharedTypes()
		out := &sharedTypeListOutput{Body: sharedTypeListJSON{SharedTypes: make([]sharedTypeJSON, len(sts))}}
		for i, st := range sts {
			loc, err := s.svc.SharedLocation(st.ID)
			if err != nil {
				return nil, s.apiError(ctx, err)
			}
			out.Body.SharedTypes[i] = sharedTypeJSON{ID: st.ID, Name: st.Name, Type: st.TypeID, Timezone: loc.String(), Practitioners: st.Practitioners}
		}
		return out, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "listSharedSlots",
		Method:      http.MethodGet,
		Path:        "/v1/shared/{id}/slots",
		Summary:     "List free slots of a shared motive",
		Description: "The starts in [from, to) at which at least one of the shared motive's practitioners is free, " +
			"each with how many are (never which). The window is clipped to each practitioner's notice and horizon. " +
			"404 for an unknown shared motive, 422 for an invalid window or time zone, 429 when this address made too " +
			"many requests (Retry-After says when to come back), 503 when a practitioner's calendar can't be read.",
		Tags:   tags,
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusServiceUnavailable},
	}, s.sharedSlots)
}

func (s *Server) sharedSlots(ctx context.Context, in *sharedSlotsInput) (*sharedSlotListOutput, error) {
	loc, err := s.svc.SharedLocation(in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
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
	slots, err := s.svc.SharedSlots(ctx, in.ID, from, to)
	s.metrics.timeSlots(in.ID, "shared", start)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &sharedSlotListOutput{Body: sharedSlotListJSON{Shared: in.ID, Timezone: loc.String(), Slots: make([]sharedSlotJSON, len(slots))}}
	for i, sl := range slots {
		out.Body.Slots[i] = sharedSlotJSON{Start: rfc3339(sl.Start, loc), End: rfc3339(sl.End, loc), Free: sl.Free}
	}
	return out, nil
}

// bookShared is createBooking for a body that names a shared motive.
func (s *Server) bookShared(ctx context.Context, in *createBookingInput, p booking.Patient) (*booking.Booking, string, error) {
	st, err := s.svc.SharedType(in.Body.Shared)
	if err != nil {
		return nil, "", err
	}
	if in.Body.Type != "" && in.Body.Type != st.TypeID {
		return nil, "", booking.Errorf(booking.EInvalid, "the shared motive %q is of type %q: leave type out, or give that one", st.ID, st.TypeID)
	}
	return s.svc.BookShared(ctx, booking.SharedBookRequest{
		SharedID: st.ID, Start: in.Body.Start, Patient: p,
		Lang: bookingLang(in.Body.Lang, in.AcceptLanguage), IdempotencyKey: in.IdempotencyKey,
	})
}

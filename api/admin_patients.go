package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rdvlibre/rdv/booking"
)

// The rights of the patient (GDPR art. 15 and 17): everything rdv's store
// holds about an email address, and its erasure. The address travels in
// the request's body, never in its URL, so that no access log keeps it;
// rdv logs only counts and booking ids (docs/privacy.md).

// patientRequestJSON names a patient by their email address.
type patientRequestJSON struct {
	Email string `json:"email" maxLength:"254" example:"marie.curie@example.org" doc:"The patient's email address. Bookings made with it in another case or with a +tag (marie.curie+rdv@…) are found too."`
}

type patientExportInput struct {
	Body patientRequestJSON
}

// patientBookingJSON is a booking as the patient's export shows it.
type patientBookingJSON struct {
	ID           string      `json:"id" format:"uuid" doc:"Booking id."`
	Status       string      `json:"status" enum:"pending,confirmed,cancelled,expired" doc:"pending until the patient confirms by email (when the type asks for it), then confirmed; cancelled or expired at the end."`
	Practitioner string      `json:"practitioner" example:"demo" doc:"Practitioner id."`
	Type         string      `json:"type" example:"consultation" doc:"Appointment type id."`
	Start        string      `json:"start" format:"date-time" doc:"Start of the visit, RFC 3339 in the practitioner's time zone."`
	End          string      `json:"end" format:"date-time" doc:"End of the visit, RFC 3339 in the practitioner's time zone."`
	Patient      patientJSON `json:"patient" doc:"The patient and how to reach them, as given when booking."`
	CreatedAt    string      `json:"created_at" format:"date-time" doc:"When the booking was made, RFC 3339 in the practitioner's time zone."`
	UpdatedAt    string      `json:"updated_at" format:"date-time" doc:"When the booking last changed, RFC 3339 in the practitioner's time zone."`
	Lang         string      `json:"lang,omitempty" enum:"fr,en" doc:"The language of the patient's emails."`
	Moves        int         `json:"moves" doc:"How many times the patient moved the booking."`
}

type patientMessageJSON struct {
	ID        string `json:"id" format:"uuid" doc:"Outbox id of the message, also in its Message-ID."`
	Booking   string `json:"booking" format:"uuid" doc:"The booking it is about."`
	Kind      string `json:"kind" example:"created" doc:"What it said: created, confirmed, cancelled, rescheduled, expired, link, reminder, undelivered, reminder_sent."`
	Recipient string `json:"recipient" enum:"patient,practice,webhook" doc:"Who it was for: the patient, the practice, or the host's webhooks (which receive the patient's contact)."`
	State     string `json:"state" enum:"sent,failed,dropped,waiting" doc:"sent; failed (given up, never delivered); dropped (superseded, never sent); waiting (to be sent)."`
	Attempts  int    `json:"attempts" doc:"How many times it was tried."`
	CreatedAt string `json:"created_at" format:"date-time" doc:"When the change it tells of happened, RFC 3339 (UTC)."`
	At        string `json:"at,omitempty" format:"date-time" doc:"When it was sent, given up or dropped, RFC 3339 (UTC)."`
}

type patientKeyJSON struct {
	Booking   string `json:"booking" format:"uuid" doc:"The booking the request made."`
	CreatedAt string `json:"created_at" format:"date-time" doc:"When, RFC 3339 (UTC)."`
}

type patientExportJSON struct {
	Bookings []patientBookingJSON `json:"bookings" doc:"The patient's bookings, by start, with their contact as given, whatever their status. Bookings already erased hold nothing of the patient and are not listed."`
	Messages []patientMessageJSON `json:"messages" doc:"The notifications about those bookings that rdv still keeps (sent ones are kept 7 days): what and when, never their content nor their manage link."`
	Keys     []patientKeyJSON     `json:"idempotency_records" doc:"The records of the booking requests' Idempotency-Keys (kept 24 hours): hashes and a result rdv can't read without the key the patient's client sent."`
	Waitlist []patientWaitJSON    `json:"waitlist" doc:"The patient's waiting-list entries (docs/waitlist.md), erased ones aside; empty without a waiting list."`
	Calendar string               `json:"calendar" doc:"What rdv holds elsewhere, and this export does not show."`
}

// patientWaitJSON is a waiting-list entry as the patient's export shows it.
type patientWaitJSON struct {
	ID           string      `json:"id" format:"uuid" doc:"Entry id."`
	Status       string      `json:"status" enum:"pending,active,booked,left,expired" doc:"Where the entry is in its life."`
	Practitioner string      `json:"practitioner" example:"demo" doc:"Practitioner id; empty for an entry of a shared appointment type."`
	Type         string      `json:"type" example:"consultation" doc:"Appointment type id (a shared type's: of each of its practitioners)."`
	Shared       string      `json:"shared,omitempty" example:"generaliste" doc:"Shared appointment type id, for an entry of a shared type."`
	From         string      `json:"from" format:"date" doc:"First day of the window."`
	Until        string      `json:"until" format:"date" doc:"Last day of the window, included."`
	Patient      patientJSON `json:"patient" doc:"The patient and how to reach them, as given when joining."`
	CreatedAt    string      `json:"created_at" format:"date-time" doc:"When the patient joined, RFC 3339 (UTC)."`
	ExpiresAt    string      `json:"expires_at" format:"date-time" doc:"When the entry ends, RFC 3339 (UTC)."`
}

type patientExportOutput struct {
	Body patientExportJSON
}

type patientEraseInput struct {
	Body struct {
		Email  string `json:"email" maxLength:"254" example:"marie.curie@example.org" doc:"The patient's email address. Bookings made with it in another case or with a +tag (marie.curie+rdv@…) are erased too."`
		Cancel bool   `json:"cancel,omitempty" doc:"Cancel the patient's active bookings still to come first (their events are marked cancelled, as a cancellation by the practice; no email is guaranteed to reach the patient), then erase. Default: refuse with 409 while there is one."`
	}
}

type patientErasureJSON struct {
	Erased    []string `json:"erased" doc:"The bookings whose patient data was erased: name, email and phone gone, manage link dead, messages and idempotency records deleted. Their rows stay, anonymous, for counts."`
	Cancelled []string `json:"cancelled" doc:"With cancel: the active bookings cancelled before their erasure."`
	Waitlist  []string `json:"waitlist" doc:"The waiting-list entries erased (live ones are left first): contact gone, links dead, messages deleted."`
}

type patientEraseOutput struct {
	Body patientErasureJSON
}

// calendarNote says, in an export, what the store's records do not show.
const calendarNote = "Each booking is also an event in the practitioner's calendar, which is the practice's record: " +
	"it names the patient (and their email and phone) and stays there after rdv erases its own copy. " +
	"The emails sent are in the patient's mailbox and in the practice's mail server's logs."

// registerAdminPatients registers the export and the erasure of a
// patient's data; op makes an operation an admin one (see registerAdmin).
func (s *Server) registerAdminPatients(op func(huma.Operation) huma.Operation) {
	huma.Register(s.api, op(huma.Operation{
		OperationID: "adminExportPatient",
		Method:      http.MethodPost,
		Path:        "/v1/admin/patients/export",
		Summary:     "Export what rdv holds about a patient",
		Description: "Everything rdv's store holds about an email address (the patient's right of access, GDPR art. 15): " +
			"the bookings made with it, the notifications about them, the records of the requests that made them. " +
			"The address goes in the body, so that it stays out of URLs and access logs.",
		MaxBodyBytes: s.maxBody,
		Errors: []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
			http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}), s.adminExportPatient)

	huma.Register(s.api, op(huma.Operation{
		OperationID: "adminErasePatient",
		Method:      http.MethodPost,
		Path:        "/v1/admin/patients/erase",
		Summary:     "Erase a patient's data",
		Description: "Erases at once, as the retention does when their time comes, the patient data of every booking made " +
			"with an email address (the right to erasure, GDPR art. 17): the rows stay, anonymous, for counts; their " +
			"messages and idempotency records go. While the address has an active booking still to come, nothing is " +
			"erased and the answer is 409, unless cancel is true. The calendar events are the practice's record and are left " +
			"as they are (a cancelled booking's is marked cancelled). Calling it again is harmless.",
		MaxBodyBytes: s.maxBody,
		Errors: []int{http.StatusBadRequest, http.StatusConflict, http.StatusRequestEntityTooLarge,
			http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}), s.adminErasePatient)
}

func (s *Server) adminExportPatient(ctx context.Context, in *patientExportInput) (*patientExportOutput, error) {
	recs, err := s.svc.PatientExport(ctx, in.Body.Email)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &patientExportOutput{Body: patientExportJSON{
		Bookings: make([]patientBookingJSON, len(recs.Bookings)),
		Messages: make([]patientMessageJSON, len(recs.Messages)),
		Keys:     make([]patientKeyJSON, len(recs.Keys)),
		Waitlist: make([]patientWaitJSON, len(recs.Waitlist)),
		Calendar: calendarNote,
	}}
	for i, e := range recs.Waitlist {
		out.Body.Waitlist[i] = patientWaitJSON{
			ID: e.ID, Status: string(e.State(s.now())), Practitioner: e.PractitionerID, Type: e.TypeID, Shared: e.SharedID,
			From: e.Window.From.String(), Until: e.Window.Until.String(),
			Patient:   patientJSON{Name: e.Patient.Name, Email: e.Patient.Email, Phone: e.Patient.Phone},
			CreatedAt: utc(e.CreatedAt), ExpiresAt: utc(e.ExpiresAt),
		}
	}
	for i, b := range recs.Bookings {
		loc := b.Start.Location()
		out.Body.Bookings[i] = patientBookingJSON{
			ID: b.ID, Status: string(b.Status), Practitioner: b.PractitionerID, Type: b.TypeID,
			Start: rfc3339(b.Start, loc), End: rfc3339(b.End, loc),
			Patient:   patientJSON{Name: b.Patient.Name, Email: b.Patient.Email, Phone: b.Patient.Phone},
			CreatedAt: rfc3339(b.CreatedAt, loc), UpdatedAt: rfc3339(b.UpdatedAt, loc),
			Lang: b.Lang, Moves: b.Moves,
		}
	}
	for i, m := range recs.Messages {
		j := patientMessageJSON{
			ID: m.ID, Booking: m.BookingID, Kind: m.Kind, Recipient: m.Recipient, State: m.State(),
			Attempts: m.Attempts, CreatedAt: utc(m.CreatedAt),
		}
		if j.Recipient == booking.RecipientPatient {
			j.Recipient = "patient"
		}
		for _, at := range []time.Time{m.SentAt, m.FailedAt, m.DroppedAt} {
			if !at.IsZero() {
				j.At = utc(at)
				break
			}
		}
		out.Body.Messages[i] = j
	}
	for i, k := range recs.Keys {
		out.Body.Keys[i] = patientKeyJSON{Booking: k.BookingID, CreatedAt: utc(k.CreatedAt)}
	}
	return out, nil
}

func (s *Server) adminErasePatient(ctx context.Context, in *patientEraseInput) (*patientEraseOutput, error) {
	e, err := s.svc.ErasePatient(ctx, in.Body.Email, in.Body.Cancel)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &patientEraseOutput{Body: patientErasureJSON{Erased: e.Erased, Cancelled: e.Cancelled, Waitlist: e.Waitlist}}
	if out.Body.Waitlist == nil {
		out.Body.Waitlist = []string{}
	}
	if out.Body.Erased == nil {
		out.Body.Erased = []string{}
	}
	if out.Body.Cancelled == nil {
		out.Body.Cancelled = []string{}
	}
	return out, nil
}

// utc writes t in RFC 3339, in UTC.
func utc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

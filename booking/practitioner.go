package booking

import (
	"fmt"
	"time"
)

// Practitioner is a person (or a room) whose calendar takes bookings.
type Practitioner struct {
	ID       string         // slug used in URLs, e.g. "demo"
	Name     string         // display name, e.g. "Dr Anne Martin"
	Email    string         // used as the ORGANIZER of booking events; may be empty
	Location *time.Location // the practitioner's IANA time zone
	Schedule Schedule       // when the practitioner is open
	Types    []AppointmentType
	// NotifyBookings emails the practitioner's Email when a booking is
	// made, moved, cancelled or released (the practice's copy, see
	// RecipientPractice). Off by default.
	NotifyBookings bool
	// Contact says how patients reach the practice ("01 23 45 67 89"); it is
	// shown when rdv refuses a change online, e.g. after the cancellation
	// cut-off. May be empty.
	Contact string
	// MaxBookingsPerDay is the most bookings, of all types together, one
	// local day of the practitioner may hold (see AppointmentType.MaxPerDay
	// for how they are counted); 0 for no cap.
	MaxBookingsPerDay int
}

// Type returns the appointment type with the given id, or nil.
func (p *Practitioner) Type(id string) *AppointmentType {
	for i := range p.Types {
		if p.Types[i].ID == id {
			return &p.Types[i]
		}
	}
	return nil
}

// Validate reports whether p is complete and consistent.
func (p *Practitioner) Validate() error {
	if p.ID == "" {
		return Errorf(EInvalid, "practitioner: id is empty")
	}
	if p.Location == nil {
		return Errorf(EInvalid, "practitioner %s: time zone is missing", p.ID)
	}
	if err := p.Schedule.Validate(); err != nil {
		return fmt.Errorf("practitioner %s: %w", p.ID, err)
	}
	if len(p.Types) == 0 {
		return Errorf(EInvalid, "practitioner %s: no appointment type", p.ID)
	}
	if p.MaxBookingsPerDay < 0 {
		return Errorf(EInvalid, "practitioner %s: the maximum of bookings per day cannot be negative", p.ID)
	}
	seen := map[string]bool{}
	for i := range p.Types {
		t := &p.Types[i]
		if seen[t.ID] {
			return Errorf(EInvalid, "practitioner %s: appointment type %q appears twice", p.ID, t.ID)
		}
		seen[t.ID] = true
		if err := t.Validate(); err != nil {
			return fmt.Errorf("practitioner %s: %w", p.ID, err)
		}
	}
	return nil
}

// AppointmentType (motif) says how long a visit lasts and how it may be booked.
type AppointmentType struct {
	ID           string
	Name         string        // shown to patients, e.g. "Consultation"
	Duration     time.Duration // length of the visit
	Step         time.Duration // distance between two candidate starts; defaults to Duration
	BufferBefore time.Duration // free time needed before the visit
	BufferAfter  time.Duration // free time needed after the visit
	MinNotice    time.Duration // a slot must start at least this long after now
	Horizon      time.Duration // a slot must start at most this long after now; 0 means 60 days
	Location     string        // address or video link, shown to the patient
	// RequireConfirmation makes new bookings pending until the patient confirms
	// them from the email.
	RequireConfirmation bool
	// ConfirmWithin is how long a pending booking waits for the patient's
	// confirmation before it is released; 0 means the service's default
	// (DefaultConfirmWithin unless configured). A booking never stays
	// pending past its start.
	ConfirmWithin time.Duration
	// CancelCutoff closes cancelling and moving a booking online this long
	// before its start (0: until the start). Past it the patient must call
	// the practice.
	CancelCutoff time.Duration
	// Capacity is how many bookings one slot takes (a group session); 0
	// means 1.
	Capacity int
	// DiscloseMotive says the type's name may appear in the emails and the
	// invitation sent to the patient. The zero value keeps the motive
	// private, as fits health data ("Dépistage IST / VIH" read over a
	// shoulder or in a shared calendar): the patient's messages then name
	// the practice and the practitioner only. The practitioner's own
	// calendar event names the type only when DiscloseMotive is set (with
	// the default templates, ics.EventTemplate; none can name a private
	// type), and its X-RDV-TYPE holds the type's CalendarRef.
	DiscloseMotive bool
	// CalendarRef is what X-RDV-TYPE holds in the practitioner's calendar
	// for this type, in place of its id. Service.AddPractitioner sets it,
	// on its own copy: for a private type, when the service has a
	// configured secret, an opaque value derived from the secret, the
	// practitioner and the type ("t-" and 16 hex digits), so that whoever
	// reads the calendar cannot look the motive up in the public list of
	// types; otherwise "", the id. Events naming the type either way are
	// read back (Practitioner.TypeOfEvent).
	CalendarRef string
	// Reminders are when the patient of a confirmed booking is reminded of
	// the visit, as offsets before its start (48h, 2h): a whole number of
	// days is taken on the wall clock of the practitioner's zone, anything
	// else as a duration (see ReminderTimes). nil means DefaultReminders;
	// an empty list, none.
	Reminders []time.Duration
	// Unlisted keeps the type off the list of motives on the booking pages:
	// it is booked by its own link only (a motive the practice gives to
	// some patients, such as a follow-up after surgery). The JSON API lists
	// it, marked.
	Unlisted bool
	// NoWaitlist keeps the type off the waiting list: Join refuses it
	// (ENotFound) and its entries get no alert.
	NoWaitlist bool
	// MaxPerDay is the most bookings of this type one local day of the
	// practitioner may hold (4 new-patient consultations a day); 0 for no
	// cap. A day runs from midnight to midnight in the practitioner's zone
	// (23 or 25 hours on a daylight-saving change) and a booking counts on
	// the day it starts; only active bookings (pending or confirmed) count,
	// one per booking, so a group session (Capacity > 1) counts its
	// patients. A day that has reached it offers no slot of the type.
	MaxPerDay int
}

// DefaultHorizon is the booking horizon of a type that sets none.
const DefaultHorizon = 60 * 24 * time.Hour

// MaxHorizon is the longest horizon a type may set.
const MaxHorizon = 2 * 366 * 24 * time.Hour

// Validate reports whether t is usable.
func (t *AppointmentType) Validate() error {
	switch {
	case t.ID == "":
		return Errorf(EInvalid, "appointment type: id is empty")
	case t.Duration <= 0:
		return Errorf(EInvalid, "appointment type %s: duration must be positive", t.ID)
	case t.Duration%time.Minute != 0:
		return Errorf(EInvalid, "appointment type %s: duration must be whole minutes", t.ID)
	case t.Step < 0 || t.Step%time.Minute != 0:
		return Errorf(EInvalid, "appointment type %s: step must be whole positive minutes", t.ID)
	case t.BufferBefore < 0 || t.BufferAfter < 0:
		return Errorf(EInvalid, "appointment type %s: buffers cannot be negative", t.ID)
	case t.MinNotice < 0:
		return Errorf(EInvalid, "appointment type %s: minimum notice cannot be negative", t.ID)
	case t.Horizon < 0 || t.Horizon > MaxHorizon:
		return Errorf(EInvalid, "appointment type %s: horizon must be between 0 and two years", t.ID)
	case t.ConfirmWithin < 0:
		return Errorf(EInvalid, "appointment type %s: confirmation time cannot be negative", t.ID)
	case t.CancelCutoff < 0:
		return Errorf(EInvalid, "appointment type %s: cancellation cut-off cannot be negative", t.ID)
	case t.Capacity < 0 || t.Capacity > MaxCapacity:
		return Errorf(EInvalid, "appointment type %s: capacity must be between 1 and %d", t.ID, MaxCapacity)
	case t.MaxPerDay < 0:
		return Errorf(EInvalid, "appointment type %s: the maximum per day cannot be negative", t.ID)
	}
	return checkReminders(t.ID, t.Reminders)
}

// MaxCapacity is the largest capacity a type may set.
const MaxCapacity = 1000

// capacity returns the effective capacity of t.
func (t *AppointmentType) capacity() int {
	if t.Capacity > 0 {
		return t.Capacity
	}
	return 1
}

// step returns the effective step of t.
func (t *AppointmentType) step() time.Duration {
	if t.Step > 0 {
		return t.Step
	}
	return t.Duration
}

// horizon returns the effective horizon of t.
func (t *AppointmentType) horizon() time.Duration {
	if t.Horizon > 0 {
		return t.Horizon
	}
	return DefaultHorizon
}

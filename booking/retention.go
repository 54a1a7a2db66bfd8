package booking

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Retention: the patient's contact is erased from rdv's own store a while
// after the visit (Service.Retain, run periodically), or at once at the
// practice's request (Service.ErasePatient). The rows stay, anonymous, for
// counts; the calendar event, the practice's record, is never touched.

// Default retention periods (see Retention).
const (
	DefaultRetainAfterVisit = 90 * 24 * time.Hour
	DefaultRetainCancelled  = 30 * 24 * time.Hour
	// MinRetention is the shortest retention period accepted: long enough
	// for the messages of a change (a cancellation) to leave even if the
	// mail server is down for a while.
	MinRetention = 24 * time.Hour
)

// MaxEraseBatch is the most bookings one call of Store.EraseExpired or
// Store.EraseBookings erases.
const MaxEraseBatch = 500

// retainBatches bounds the batches of one Retain call, so that a first
// run on a large ledger does not hold the jobs for long: the rest is
// erased by the next runs.
const retainBatches = 20

// retentionLock is the Locker key under which Retain runs: one process at
// a time across replicas sharing a store (a PostgreSQL advisory lock with
// store.PGLocker). A practitioner id is a slug and never holds a "/".
const retentionLock = "rdv/retention"

// Retention says how long the patient's contact is kept in the store.
type Retention struct {
	// AfterVisit is how long after a booking's End its patient data is
	// kept, whatever its status; DefaultRetainAfterVisit if 0.
	AfterVisit time.Duration
	// Cancelled is how long a cancelled or expired booking's patient data
	// is kept after it was cancelled or expired (its last update), or
	// after its Start, whichever comes first; DefaultRetainCancelled if 0.
	// A booking that ended more than AfterVisit ago is erased whatever
	// this says.
	Cancelled time.Duration
}

// WithDefaults returns r with its zero fields set to their defaults.
func (r Retention) WithDefaults() Retention {
	if r.AfterVisit == 0 {
		r.AfterVisit = DefaultRetainAfterVisit
	}
	if r.Cancelled == 0 {
		r.Cancelled = DefaultRetainCancelled
	}
	return r
}

// Check returns an EInvalid error if a period is set and shorter than
// MinRetention.
func (r Retention) Check() error {
	if r.AfterVisit != 0 && r.AfterVisit < MinRetention {
		return Errorf(EInvalid, "retention after the visit %s: want at least %s", r.AfterVisit, MinRetention)
	}
	if r.Cancelled != 0 && r.Cancelled < MinRetention {
		return Errorf(EInvalid, "retention of cancelled bookings %s: want at least %s", r.Cancelled, MinRetention)
	}
	return nil
}

// Cutoffs returns the cutoffs of r at now (see RetentionCutoffs).
func (r Retention) Cutoffs(now time.Time) RetentionCutoffs {
	r = r.WithDefaults()
	return RetentionCutoffs{Ended: now.Add(-r.AfterVisit), Cancelled: now.Add(-r.Cancelled)}
}

// RetentionCutoffs say which bookings' patient data is past its retention
// (Store.EraseExpired): every booking whose End is before Ended, and the
// cancelled and expired bookings whose UpdatedAt (when they were cancelled
// or expired) or Start is before Cancelled.
type RetentionCutoffs struct {
	Ended     time.Time
	Cancelled time.Time
}

// Erases reports whether b is past c.
func (c RetentionCutoffs) Erases(b *Booking) bool {
	if b.End.Before(c.Ended) {
		return true
	}
	return (b.Status == StatusCancelled || b.Status == StatusExpired) &&
		(b.UpdatedAt.Before(c.Cancelled) || b.Start.Before(c.Cancelled))
}

// RetentionStats says what one Retain call erased.
type RetentionStats struct {
	Bookings int // bookings whose patient data was erased
}

// PatientRecords is what the store holds about one patient (see
// Store.PatientRecords).
type PatientRecords struct {
	Bookings []*Booking
	Messages []MessageRecord
	Keys     []KeyRecord
	// Waitlist are the patient's waiting-list entries (WaitStore.WaitRecords),
	// when the service has a waiting list.
	Waitlist []*WaitEntry
}

// MessageRecord is an outbox message as the patient's export shows it:
// what was sent, when, to whom, never its content nor its sealed token.
type MessageRecord struct {
	ID        string
	BookingID string
	Kind      string // one of the Notify* kinds
	Recipient string // RecipientPatient, RecipientPractice or RecipientWebhook
	CreatedAt time.Time
	Attempts  int
	// SentAt, FailedAt, DroppedAt: when the message was sent, given up or
	// dropped; all zero while it waits.
	SentAt, FailedAt, DroppedAt time.Time
}

// State is "sent", "failed", "dropped" or "waiting".
func (m MessageRecord) State() string {
	switch {
	case !m.SentAt.IsZero():
		return "sent"
	case !m.FailedAt.IsZero():
		return "failed"
	case !m.DroppedAt.IsZero():
		return "dropped"
	}
	return "waiting"
}

// KeyRecord is an idempotency record as the patient's export shows it: its
// booking and when it was made. The rest (hashes, a sealed result) can't
// be read without the Idempotency-Key the patient's client sent.
type KeyRecord struct {
	BookingID string
	CreatedAt time.Time
}

// Retain erases the patient data of the bookings past the service's
// retention (ServiceConfig.Retention, see RetentionCutoffs), as
// Store.EraseExpired says, in batches of MaxEraseBatch bookings, one
// transaction each, at most retainBatches batches a call: a later call
// erases the rest. It runs under the Locker's "rdv/retention" key, so that
// replicas sharing a store run it one at a time; a second one finds
// nothing left to do. The calendar is never touched. It is idempotent: a
// call with nothing past the retention erases nothing. Run it periodically
// (rdv.App.Run does, every hour). Errors: EUnavailable when the store or
// the lock can't be had; the stats count what was erased before.
func (s *Service) Retain(ctx context.Context) (RetentionStats, error) {
	var st RetentionStats
	unlock, err := s.locker.Lock(ctx, retentionLock)
	if err != nil {
		return st, err
	}
	defer unlock()
	for range retainBatches {
		now := s.now()
		ids, err := s.store.EraseExpired(ctx, s.retention.Cutoffs(now), now, MaxEraseBatch)
		st.Bookings += len(ids)
		if err != nil {
			return st, err
		}
		if len(ids) < MaxEraseBatch || ctx.Err() != nil {
			break
		}
	}
	if st.Bookings > 0 {
		s.log.Info("booking: patient data erased past its retention", "bookings", st.Bookings)
	}
	return st, ctx.Err()
}

// PatientExport returns what the store holds about the patient whose email
// address is email, compared by EmailKey (case and +tag aside): see
// Store.PatientRecords. The bookings' times are in their practitioner's
// zone. EInvalid for an address without "@"; EUnavailable when the store
// can't be read.
func (s *Service) PatientExport(ctx context.Context, email string) (PatientRecords, error) {
	key, err := patientKey(email)
	if err != nil {
		return PatientRecords{}, err
	}
	recs, err := s.store.PatientRecords(ctx, key)
	if err != nil {
		return PatientRecords{}, err
	}
	for _, b := range recs.Bookings {
		if e := s.byID[b.PractitionerID]; e != nil {
			b.Start, b.End = b.Start.In(e.p.Location), b.End.In(e.p.Location)
		}
	}
	if s.wait != nil {
		if recs.Waitlist, err = s.wait.st.WaitRecords(ctx, key); err != nil {
			return PatientRecords{}, err
		}
	}
	s.log.Info("booking: patient data exported", "bookings", len(recs.Bookings), "messages", len(recs.Messages))
	return recs, nil
}

// Erasure says what ErasePatient did.
type Erasure struct {
	// Erased are the ids of the bookings whose patient data was erased.
	Erased []string
	// Cancelled are the ids of the active bookings cancelled first (with
	// cancel set).
	Cancelled []string
	// Waitlist are the ids of the waiting-list entries erased, live ones
	// included (they are left first).
	Waitlist []string
}

// ErrActiveBooking is the cause of the EConflict error of ErasePatient
// when the patient has an active booking still to come.
var ErrActiveBooking = errors.New("booking: the patient has an active booking to come")

// ErasePatient erases at once the patient data of every booking of the
// patient whose email address is email, compared by EmailKey (case and
// +tag aside), as Retain does when their time comes (Store.EraseBookings):
// the rows stay, anonymous; their messages and idempotency records go.
//
// While the patient has an active booking that has not ended, it erases
// nothing and returns an EConflict error wrapping ErrActiveBooking: the
// practice first decides what becomes of the visit. With cancel, those
// bookings are first cancelled on the practitioner's behalf (as
// PractitionerCancel: the event, rdv's own, is marked cancelled or
// deleted per ServiceConfig.DeleteCancelled), then erased with the rest;
// the cancellation's messages are erased with the booking and may not
// reach anyone. A cancellation that fails stops it before anything is
// erased, with its error (those cancelled before stay cancelled); a
// booking the store would not erase (one that became active and to come
// meanwhile) is left, with an EConflict error. The calendar events are
// the practice's record and stay as they are.
//
// EInvalid for an address without "@"; EUnavailable when the store or a
// calendar can't be reached.
func (s *Service) ErasePatient(ctx context.Context, email string, cancel bool) (Erasure, error) {
	var out Erasure
	key, err := patientKey(email)
	if err != nil {
		return out, err
	}
	recs, err := s.store.PatientRecords(ctx, key)
	if err != nil {
		return out, err
	}
	now := s.now()
	var active []string
	for _, b := range recs.Bookings {
		if b.Status.Active() && b.End.After(now) {
			active = append(active, b.ID)
		}
	}
	if len(active) > 0 && !cancel {
		return out, WrapError(EConflict, ErrActiveBooking, "the patient has an active booking to come: cancel it first, or erase with cancel")
	}
	for _, id := range active {
		if _, err := s.PractitionerCancel(ctx, id); err != nil {
			s.log.Warn("booking: booking not cancelled for an erasure", "booking", id, "err", err)
			return out, err
		}
		out.Cancelled = append(out.Cancelled, id)
	}
	ids := make([]string, len(recs.Bookings))
	for i, b := range recs.Bookings {
		ids[i] = b.ID
	}
	for len(ids) > 0 {
		n := min(len(ids), MaxEraseBatch)
		erased, err := s.store.EraseBookings(ctx, ids[:n], s.now())
		out.Erased = append(out.Erased, erased...)
		if err != nil {
			return out, err
		}
		ids = ids[n:]
	}
	if s.wait != nil {
		if out.Waitlist, err = s.wait.st.EraseWaitEntriesOf(ctx, key, s.now()); err != nil {
			return out, err
		}
	}
	s.log.Info("booking: patient data erased on request", "bookings", len(out.Erased), "cancelled", len(out.Cancelled), "waitlist", len(out.Waitlist))
	if len(out.Erased) < len(recs.Bookings) {
		return out, WrapError(EConflict, ErrActiveBooking, "a booking of the patient could not be erased: it is active and to come")
	}
	return out, nil
}

// patientKey returns the EmailKey of email, or an EInvalid error about
// FieldEmail.
func patientKey(email string) (string, error) {
	email = strings.TrimSpace(email)
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || domain == "" || hasControl(email) || len(email) > MaxEmailLen {
		return "", FieldError(FieldEmail, ReasonInvalid, "want an email address")
	}
	return EmailKey(email), nil
}

package booking

import (
	"context"
	"time"
)

// Appointment is what the calendar and the notifier need to render a booking:
// the booking with its practitioner and appointment type.
type Appointment struct {
	Booking      *Booking
	Practitioner *Practitioner
	Type         *AppointmentType
}

// EventRef locates a booking's event in the bookings calendar.
type EventRef struct {
	Href string // path of the calendar object
	ETag string // entity tag returned by the server, "" if it gave none
}

// BusyInterval is a span of busy time. When the time is held by one of rdv's
// own booking events (an event whose UID equals its X-RDV-BOOKING property),
// Booking and Type name that booking and its appointment type, read from the
// event's X-RDV-BOOKING and X-RDV-TYPE (a Calendar returns X-RDV-TYPE as it
// is: the type's id or its CalendarRef; the Service maps either to the
// type); for any other event they are "".
//
// The service needs them for two things: a booking's own event must not make
// the time it is moved to busy, and the bookings of a type that takes
// several patients per slot (Capacity) share their slot instead of filling it.
type BusyInterval struct {
	Interval
	Booking string // booking id, "" for an event that is not a booking of rdv
	Type    string // appointment type id of that booking
}

// BookingEvent is one of rdv's booking events as it is in the calendar.
type BookingEvent struct {
	Ref        EventRef
	Booking    string // the booking id: both UID and X-RDV-BOOKING
	Type       string // X-RDV-TYPE: a type's id or CalendarRef (the Service reads either as the id)
	Start, End time.Time
	// Status is StatusPending for STATUS:TENTATIVE, StatusCancelled for
	// STATUS:CANCELLED and StatusConfirmed otherwise.
	Status   Status
	Sequence int
	// Patient is the patient as the event names them: the name (CN) and
	// email (mailto) of its ATTENDEE, and the phone of its X-RDV-PHONE (or
	// of its DESCRIPTION, in an event written before rdv wrote X-RDV-PHONE)
	// (Calendar.Event reads it; Calendar.Events may leave it out). It is
	// what adopting an event rebuilds a ledger row from (see Adopt);
	// nothing else reads it.
	Patient Patient
}

// Calendar is the practitioner's calendar, as the booking service needs it.
// Implementations: caldav.Calendar; for tests, internal/bookingtest.Calendar.
type Calendar interface {
	// Busy returns the busy time of the practitioner's busy calendars that
	// overlaps [from, to): recurrences expanded, TRANSPARENT and CANCELLED events
	// left out. It returns an EUnavailable error when a calendar cannot be read.
	//
	// The service calls Busy under the practitioner's lock to check a slot
	// before it writes: the answer must reflect every write made before the
	// call, by this process or another (a cache must not serve it stale).
	Busy(ctx context.Context, from, to time.Time) ([]BusyInterval, error)
	// Href returns where Create writes the event of the booking with this
	// id (its href in the bookings calendar), so that the write intent
	// recorded before it can name the object.
	Href(bookingID string) string
	// Create writes a new event for a.Booking, whose UID is the booking id, only
	// if no object exists at its place (If-None-Match: *). It returns an
	// EConflict error when one does, EUnavailable when the server can't be reached.
	Create(ctx context.Context, a Appointment) (EventRef, error)
	// Update rewrites the event of a.Booking at ref.Href if it still has
	// ref.ETag (If-Match). It returns EConflict when the event changed or
	// vanished, EUnavailable when the server can't be reached.
	Update(ctx context.Context, a Appointment, ref EventRef) (EventRef, error)
	// Delete removes the event at ref. A missing event is not an error.
	Delete(ctx context.Context, ref EventRef) error
	// Events returns rdv's booking events of the bookings calendar that
	// overlap [from, to), cancelled ones included: the objects whose event
	// carries an X-RDV-BOOKING equal to its UID. EUnavailable when the
	// calendar cannot be read.
	Events(ctx context.Context, from, to time.Time) ([]BookingEvent, error)
	// Event reads the booking event at href, from the server. found is false
	// when there is no object there (the server answers 404 or 410): the
	// event was deleted. An object that is there but is not one of rdv's
	// booking events, or can't be read as one (malformed, or rewritten by a
	// client that dropped X-RDV-BOOKING), is not a deleted event: Event
	// returns an error wrapping ErrForeignEvent for it. EUnavailable when the
	// server can't be reached.
	Event(ctx context.Context, href string) (ev BookingEvent, found bool, err error)
}

// Change is what one step of a booking's life records in the store, in one
// transaction: the booking row, the notifications the step causes, and for a
// new booking asked with an Idempotency-Key, the key's record. Either all of
// it is recorded or none.
type Change struct {
	Booking *Booking
	// Create inserts Booking, at its Revision (0 for a new booking), or
	// returns EConflict if its id exists. Otherwise the change is an update,
	// and a compare-and-set: Booking's status, start, end, event reference,
	// sequence, UpdatedAt and TokenHash are saved, and the row's revision becomes
	// Booking.Revision+1, only if the stored row still has Booking.Revision,
	// the revision it was read with. ENotFound if it does not exist;
	// EConflict if it has another revision, that is, someone changed it
	// since it was read (another process whose per-practitioner lock was
	// lost with its database session, see Locker). The caller's Booking is
	// left as it is: on success its copy is one revision behind.
	//
	// A change that fails records nothing: neither the row, nor its
	// messages, nor its key.
	Create bool
	// Outbox are the notifications to send once the change is recorded.
	Outbox []OutboxMessage
	// Key, with Create, records the Idempotency-Key of the request that made
	// the booking. EConflict if a record with the same Key.Key exists.
	Key *IdempotencyRecord
	// Drop are notification kinds (such as NotifyReminder) of this
	// booking's messages that are not sent yet and no longer apply: they are
	// dropped, in the same transaction, and will not be sent.
	Drop []string
	// Intents are the write intents (see Intent) this change settles: they
	// are deleted in the same transaction, so that the calendar write they
	// announced is accounted for by the row, or by nothing if the change
	// fails. Ids that are not there are ignored.
	Intents []string
}

// OutboxMessage is a notification waiting in the store's outbox until it is
// handed to the Notifier. It holds a snapshot of the booking as it was when
// the notification was decided; the patient's contact is read from the
// booking row when it is sent.
type OutboxMessage struct {
	ID        string // UUID
	BookingID string
	Kind      string // one of the Notify* kinds
	// The booking as the message describes it.
	Status     Status
	Start, End time.Time
	Sequence   int
	// PreviousStart and PreviousEnd are the old time of a rescheduled
	// booking (NotifyRescheduled), zero otherwise.
	PreviousStart, PreviousEnd time.Time
	// Sealed is the manage token of a new booking (NotifyCreated), encrypted
	// with the service's secret; nil for the other kinds. The store wipes it
	// once the message is sent or given up.
	Sealed    []byte
	CreatedAt time.Time
	// Attempts counts the claims of the message, the current one included.
	Attempts int
	// Recipient is who the message is for: RecipientPatient ("", the
	// patient of the booking), RecipientPractice or RecipientWebhook.
	// Messages of one booking to one recipient leave in the order they
	// were recorded (see Store.ClaimOutbox).
	Recipient string
	// Due is when the message may be sent at the earliest (a reminder);
	// zero means at once.
	Due time.Time
	// About is, for NotifyUndelivered, the kind of the patient's message
	// that was given up; "" otherwise.
	About string
}

// The recipients of an outbox message (OutboxMessage.Recipient).
const (
	RecipientPatient  = ""         // the booking's patient
	RecipientPractice = "practice" // the practice: its practitioner's address
	RecipientWebhook  = "webhook"  // the host's webhooks
)

// FailedMessage is an outbox message given up: never delivered.
type FailedMessage struct {
	OutboxMessage
	FailedAt time.Time
	Reason   string // why, without patient data
}

// IdempotencyRecord remembers the first result of a booking request sent
// with an Idempotency-Key, so that a retry gets it again. Nothing in it is
// readable without the service's secret and the key itself.
type IdempotencyRecord struct {
	Key         string // keyed hash of the Idempotency-Key (hex)
	RequestHash string // keyed hash of the canonical request (hex)
	BookingID   string
	Response    []byte // the first result, manage token included, encrypted
	CreatedAt   time.Time
}

// Store keeps the booking ledger, the outbox of notifications and the
// idempotency keys. Implementations: store.SQLite, store.Postgres; for tests,
// internal/bookingtest.Store.
type Store interface {
	// Record applies c in one transaction (see Change), or nothing of it.
	// Errors: EConflict for a booking id, token hash or idempotency key that
	// exists, or for an update of a row whose revision is no longer
	// c.Booking.Revision; ENotFound for an update of a missing booking,
	// EInvalid for a booking that can't be stored, EUnavailable when the
	// database can't be used.
	Record(ctx context.Context, c Change) error
	// BookingByTokenHash returns the booking whose manage token has this hash,
	// or an ENotFound error.
	BookingByTokenHash(ctx context.Context, hash string) (*Booking, error)
	// Booking returns the booking with this id, or an ENotFound error.
	Booking(ctx context.Context, id string) (*Booking, error)
	// BookingsBetween returns the bookings of the practitioner whose
	// [Start, End) overlaps [from, to), whatever their status, ordered by
	// start then id.
	BookingsBetween(ctx context.Context, practitionerID string, from, to time.Time) ([]*Booking, error)
	// MessagesTo returns how many outbox messages were recorded at or after
	// since for bookings whose patient email is email, compared by their
	// EmailKey, whether sent, waiting or given up, reminders aside (they
	// leave later, at their time, and follow from the booking's own
	// messages; see Limits.MessagesPerHour).
	MessagesTo(ctx context.Context, email string, since time.Time) (int, error)
	// PatientActivity counts what Limits checks of a new booking for the
	// practitioner: the bookings of the patient whose EmailKey is emailKey,
	// or whose PhoneKey is phoneKey (never matched when ""), that are active
	// and end after now, and the practitioner's active bookings created at
	// or after newSince (see Activity).
	PatientActivity(ctx context.Context, practitionerID, emailKey, phoneKey string, now, newSince time.Time) (Activity, error)
	// PendingBookings returns up to limit bookings in status pending, oldest
	// first (by CreatedAt).
	PendingBookings(ctx context.Context, limit int) ([]*Booking, error)

	// IdempotencyRecord returns the record of this key created at or after
	// since, or an ENotFound error.
	IdempotencyRecord(ctx context.Context, key string, since time.Time) (*IdempotencyRecord, error)

	// ClaimOutbox claims up to limit messages that are neither sent, given
	// up nor dropped and are due at now (all of them, or those of ids when
	// ids is not empty), and that no older message of the same booking and
	// recipient waits before, still to be sent (reminders, which wait for
	// their time, do not hold the others back): each claimed
	// message becomes due again only at until, its Attempts is incremented,
	// and it is returned, oldest first. A message claimed by one caller is
	// not claimed by another before until, so that two dispatchers don't
	// send it twice while both run.
	ClaimOutbox(ctx context.Context, now, until time.Time, limit int, ids ...string) ([]OutboxMessage, error)
	// OutboxSupersede drops m, claimed, at at if a newer message of the same
	// booking and recipient waits to be sent (a reminder, a
	// NotifyUndelivered or a NotifyReminderSent aside, which say nothing of
	// the booking's state): the newer one says what the booking is now, so m
	// would only say something that is no longer true. The service does not
	// call it for those kinds either. When m carries a sealed manage token, the oldest
	// such newer message that carries none gets it, so that the link still
	// reaches the patient; when m is a move and the next newer message is a
	// move too, that one gets m's previous time, the one the patient knew.
	// It reports whether m was dropped.
	OutboxSupersede(ctx context.Context, m OutboxMessage, at time.Time) (bool, error)
	// OutboxWaiting returns how many messages wait to be sent (neither
	// sent, given up nor dropped), reminders not yet due included.
	OutboxWaiting(ctx context.Context) (int, error)
	// FailedMessages returns up to limit messages given up at or after
	// since, newest first.
	FailedMessages(ctx context.Context, since time.Time, limit int) ([]FailedMessage, error)
	// OutboxSent marks a message sent at at, and wipes its Sealed token;
	// then, the messages that follow from it (the webhooks' news of a
	// reminder sent), are recorded in the same transaction.
	OutboxSent(ctx context.Context, id string, at time.Time, then ...OutboxMessage) error
	// OutboxRetry makes a message due again at retryAt; reason (no patient
	// data) is kept for the operator.
	OutboxRetry(ctx context.Context, id string, retryAt time.Time, reason string) error
	// OutboxFailed gives a message up at at, wiping its Sealed token; reason
	// is kept for the operator.
	// then, the messages that follow from it (the practice's news of a
	// message the patient never got), are recorded in the same transaction.
	OutboxFailed(ctx context.Context, id string, at time.Time, reason string, then ...OutboxMessage) error
	// OutboxDrop drops a message at at without sending it, wiping its
	// Sealed token: it no longer applies (a reminder of a visit that has
	// begun); reason (no patient data) is kept for the operator. ENotFound
	// if there is no message id.
	OutboxDrop(ctx context.Context, id string, at time.Time, reason string) error

	// Purge deletes the idempotency records created before keysBefore and
	// the outbox messages sent or given up before outboxBefore.
	Purge(ctx context.Context, keysBefore, outboxBefore time.Time) error

	// EraseExpired erases the patient data of up to limit bookings that
	// are past cut (see RetentionCutoffs) and not erased yet, those that
	// ended first first, in one transaction, and returns their ids; none
	// when every booking past cut is erased already, so that calling it
	// again is harmless. Erasing a booking, at at: the patient's name,
	// email and phone, and their EmailKey and PhoneKey, become "", its
	// manage token hash is cleared (its link opens nothing any more), its
	// revision is incremented (a writer who read the row before gets
	// EConflict), and its outbox messages, whatever their state, and its
	// idempotency records are deleted. The rest of the row stays (id,
	// practitioner, type, start, end, status, event reference, sequence,
	// times, moves, language), so that counts still hold and the booking's
	// calendar event is still known as rdv's (the event itself is the
	// practice's record: the store never touches it). EInvalid for limit
	// below 1; EUnavailable when the database can't be used.
	EraseExpired(ctx context.Context, cut RetentionCutoffs, at time.Time, limit int) ([]string, error)
	// EraseBookings erases, at at and in one transaction, as EraseExpired
	// does, those of the bookings ids that are not active (StatusPending,
	// StatusConfirmed) with an End after at, and returns their ids. Active
	// bookings still to end, bookings erased already and ids not found are
	// left, and not returned. EInvalid for more than MaxEraseBatch ids;
	// EUnavailable when the database can't be used.
	EraseBookings(ctx context.Context, ids []string, at time.Time) ([]string, error)
	// PatientRecords returns what the store holds about the patient whose
	// address has this EmailKey: the bookings whose EmailKey it is, erased
	// ones aside (they hold nothing of the patient), by start then id; the
	// outbox messages of those bookings, oldest first; and their
	// idempotency records, oldest first. Empty lists when there are none;
	// nothing for an emailKey of "".
	PatientRecords(ctx context.Context, emailKey string) (PatientRecords, error)

	// AddIntent records in, before the calendar write it announces (see
	// Intent), in a transaction of its own. EConflict if in.ID exists,
	// EInvalid for an intent that can't be stored.
	AddIntent(ctx context.Context, in Intent) error
	// DeleteIntents deletes the intents with these ids; missing ones are
	// ignored.
	DeleteIntents(ctx context.Context, ids ...string) error
	// Intents returns the intents of the practitioner recorded before
	// before (all of them when practitionerID is ""), oldest first.
	Intents(ctx context.Context, practitionerID string, before time.Time) ([]Intent, error)

	// AddClosure records c, a closure of the practitioner added at runtime,
	// under c.ID. Errors: EConflict if a closure with c.ID exists, EInvalid
	// for one that can't be stored (no id, dates that are not dates or not
	// in order, years outside 0001–9999).
	AddClosure(ctx context.Context, practitionerID string, c Closure) error
	// DeleteClosure removes the closure id of the practitioner, or returns
	// an ENotFound error.
	DeleteClosure(ctx context.Context, practitionerID, id string) error
	// Closures returns the closures of the practitioner recorded with
	// AddClosure that cover at least one day of [from, to], both included,
	// ordered by From, then To, then ID.
	Closures(ctx context.Context, practitionerID string, from, to Date) ([]Closure, error)
}

// Notification kinds.
const (
	NotifyCreated     = "created"     // a new booking: confirmation email with the invitation
	NotifyConfirmed   = "confirmed"   // the patient confirmed a pending booking
	NotifyCancelled   = "cancelled"   // the booking was cancelled
	NotifyRescheduled = "rescheduled" // the booking was moved to another time
	NotifyExpired     = "expired"     // a pending booking was not confirmed in time and was released
	NotifyLink        = "link"        // a new manage link, sent at the practice's request (see ResendLink)
	NotifyReminder    = "reminder"    // a reminder before the visit, due at its time (OutboxMessage.Due)
	// NotifyUndelivered tells the practice and the webhooks that a message
	// to the patient was given up: the patient never got it. Its
	// OutboxMessage describes the booking; its About names the given-up
	// message's kind.
	NotifyUndelivered = "undelivered"
	// NotifyReminderSent tells the webhooks that a reminder was sent to the
	// patient.
	NotifyReminderSent = "reminder_sent"
)

// Notification is a message to send to a patient about their booking.
type Notification struct {
	Kind        string
	Appointment Appointment
	// ManageToken is the patient's secret token, set only on NotifyCreated and
	// NotifyLink (the only moments rdv knows it); the notifier builds the
	// manage link from it.
	ManageToken string
	// Previous is the old time of a rescheduled booking (NotifyRescheduled).
	Previous Interval
	// ID identifies the message, the same at every attempt to send it (its
	// outbox id): a resent message can be recognised as the same one
	// (Message-ID).
	ID string
	// ChangedAt is when the change the message tells of happened (iCalendar
	// DTSTAMP), not when it is sent.
	ChangedAt time.Time
	// Recipient is who the message is for (see OutboxMessage.Recipient).
	Recipient string
	// About is, for NotifyUndelivered, the kind of the patient's message
	// that was given up.
	About string
	// ConfirmBy is when a pending booking is released unless the patient
	// confirms it (see Service.Deadline), set on NotifyCreated and
	// NotifyLink of a pending booking; zero otherwise.
	ConfirmBy time.Time
}

// Notifier hands notifications to the patient. Implementations: notify.Mailer;
// for tests, internal/bookingtest.Notifier.
//
// An EInvalid or EInternal *Error means the message can never be sent (an
// unusable address, a message that can't be rendered): it is not retried.
// Any other error is taken as temporary and the message is sent again later.
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// Locker serialises bookings per practitioner. Lock blocks until the lock on key
// is held or ctx is done, and returns the function that releases it.
//
// A lock may be lost while it is held (a PostgreSQL advisory lock goes with
// its session), so the service does not rest on it alone: calendar writes
// are conditional (If-None-Match, If-Match) and ledger updates are
// compare-and-set on the row's revision (see Change).
type Locker interface {
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

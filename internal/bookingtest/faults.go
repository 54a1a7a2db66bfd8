package bookingtest

import (
	"errors"
	"sync"

	"github.com/rdvlibre/rdv/booking"
)

// Op names an operation of a double, for fault injection and call counts.
type Op string

// The operations of Calendar.
const (
	OpBusy         Op = "busy"
	OpCreate       Op = "create"
	OpUpdate       Op = "update"
	OpDelete       Op = "delete"
	OpEvents       Op = "events"
	OpEvent        Op = "event"
	OpAvailability Op = "availability"
)

// The operations of Store. Record is split by the kind of change, so that
// a test can fail the ledger write of a new booking and not the others.
const (
	OpRecordCreate      Op = "record-create" // Record of a new booking (Change.Create)
	OpRecordUpdate      Op = "record-update" // Record of a change of a booking
	OpBooking           Op = "booking"
	OpBookingByToken    Op = "booking-by-token"
	OpBookingsBetween   Op = "bookings-between"
	OpPendingBookings   Op = "pending-bookings"
	OpIdempotencyRecord Op = "idempotency-record"
	OpMessagesTo        Op = "messages-to"
	OpPatientActivity   Op = "patient-activity"
	OpClaimOutbox       Op = "claim-outbox"
	OpOutboxSupersede   Op = "outbox-supersede"
	OpOutboxWaiting     Op = "outbox-waiting"
	OpFailedMessages    Op = "failed-messages"
	OpOutboxSent        Op = "outbox-sent"
	OpOutboxRetry       Op = "outbox-retry"
	OpOutboxFailed      Op = "outbox-failed"
	OpOutboxDrop        Op = "outbox-drop"
	OpPurge             Op = "purge"
	OpEraseExpired      Op = "erase-expired"
	OpEraseBookings     Op = "erase-bookings"
	OpPatientRecords    Op = "patient-records"
	OpAddIntent         Op = "add-intent"
	OpDeleteIntents     Op = "delete-intents"
	OpIntents           Op = "intents"
	OpAddClosure        Op = "add-closure"
	OpDeleteClosure     Op = "delete-closure"
	OpClosures          Op = "closures"
	OpNotify            Op = "notify" // Notifier.Notify
)

// Always, as the count of FailBefore or FailAfter, fails every call until
// Clear.
const Always = -1

// ErrInjected is the error a fault returns when none is given: an
// EUnavailable error, as a dependency that can't be reached gives.
var ErrInjected = booking.WrapError(booking.EUnavailable, errors.New("bookingtest: injected fault"), "injected fault")

// Faults makes the calls of a double fail on demand, and counts them. The
// doubles embed it; its zero value injects nothing. It is safe for
// concurrent use.
type Faults struct {
	mu     sync.Mutex
	before map[Op]*fault
	after  map[Op]*fault
	calls  map[Op]int
}

type fault struct {
	skip int // calls to let through first
	n    int // calls to fail, Always for all
	err  error
}

// FailBefore makes the next n calls of op (every one with Always) fail
// with err (ErrInjected if nil) before they take effect: nothing changes.
func (f *Faults) FailBefore(op Op, n int, err error) { f.set(&f.before, op, 0, n, err) }

// FailAfter makes the next n calls of op (every one with Always) take
// effect, then return err (ErrInjected if nil): the write lands, its answer
// is lost. It applies to writes only; reads ignore it.
func (f *Faults) FailAfter(op Op, n int, err error) { f.set(&f.after, op, 0, n, err) }

// FailLater lets the next skip calls of op through, then fails one with err
// (ErrInjected if nil) before it takes effect.
func (f *Faults) FailLater(op Op, skip int, err error) { f.set(&f.before, op, skip, 1, err) }

// Clear removes the faults of op.
func (f *Faults) Clear(op Op) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.before, op)
	delete(f.after, op)
}

// Calls returns how many times op was called, failed calls included.
func (f *Faults) Calls(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *Faults) set(m *map[Op]*fault, op Op, skip, n int, err error) {
	if err == nil {
		err = ErrInjected
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if *m == nil {
		*m = map[Op]*fault{}
	}
	(*m)[op] = &fault{skip: skip, n: n, err: err}
}

// enter counts a call of op and returns the error it must fail with before
// taking effect, if any.
func (f *Faults) enter(op Op) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[Op]int{}
	}
	f.calls[op]++
	return take(f.before, op)
}

// leave returns the error a call of op that took effect must return, if
// any.
func (f *Faults) leave(op Op) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return take(f.after, op)
}

func take(m map[Op]*fault, op Op) error {
	ft := m[op]
	if ft == nil || ft.n == 0 {
		return nil
	}
	if ft.skip > 0 {
		ft.skip--
		return nil
	}
	if ft.n > 0 {
		ft.n--
	}
	return ft.err
}

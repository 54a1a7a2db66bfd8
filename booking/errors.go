package booking

import (
	"errors"
	"fmt"
)

// Error codes of the application. Adapters wrap their failures in an *Error with
// one of these codes; the api package maps each code to one HTTP status.
const (
	EInvalid     = "invalid"     // the request is malformed or breaks a rule
	ENotFound    = "not_found"   // no such practitioner, type or booking
	EConflict    = "conflict"    // the slot is no longer free, or the object changed
	EUnavailable = "unavailable" // a dependency (the calendar, the store) cannot be reached
	EInternal    = "internal"    // anything else; never shown to users in detail
)

// ErrForeignEvent is the cause of the error Calendar.Event returns for an
// object that is at the href asked but is not one of rdv's booking events,
// or can't be read as one. Test for it with errors.Is. Such an object is not
// a deleted event: Sync and Reconcile leave its booking as it is.
var ErrForeignEvent = &Error{Code: EConflict, Message: "the calendar object is not a booking event rdv can read"}

// ErrSyncHeld is the cause of the error Sync and Reconcile return for a
// practitioner whose pass was held because it would have cancelled too many
// bookings at once (see ServiceConfig.SyncMaxCancel). Test for it with
// errors.Is.
var ErrSyncHeld = &Error{Code: EConflict, Message: "calendar sync held: the events of too many bookings are missing"}

// Error is an application error: a code and a message meant for the person who
// made the request. The message must never carry a patient's name, email or
// phone, nor internal details such as a calendar URL. Err, if set, is the cause,
// kept for logs.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("booking: %s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("booking: %s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error with the given code and message whose cause is err.
func WrapError(code string, err error, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal for any
// other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-facing message of the first *Error in err's
// chain, or "internal error" for any other error.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

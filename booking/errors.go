package booking

import (
	"errors"
	"fmt"
	"time"
)

// Error codes of the application. Adapters wrap their failures in an *Error with
// one of these codes; the api package maps each code to one HTTP status.
const (
	EInvalid     = "invalid"     // the request is malformed or breaks a rule
	ENotFound    = "not_found"   // no such practitioner, type or booking
	EConflict    = "conflict"    // the slot is no longer free, or the object changed
	EUnavailable = "unavailable" // a dependency (the calendar, the store) cannot be reached
	EInternal    = "internal"    // anything else; never shown to users in detail
	ELimit       = "limit"       // a limit on what one patient, or the public, may do was reached (see Limits)
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
//
// An EInvalid error about one input of a request says which in Field, and
// what is wrong with it in Reason, so that a form can mark the field and
// word its own message without reading Message (see ErrorField).
type Error struct {
	Code    string
	Message string
	Field   string // one of the Field* names, or "" when no one input is at fault
	Reason  string // one of the Reason* codes, or "" with no Field
	// Limit names the limit an ELimit error is about (one of the Limit*
	// names), and RetryAfter, when it is not 0, how long until trying again
	// can succeed.
	Limit      string
	RetryAfter time.Duration
	Err        error
}

// The inputs an error may be about (Error.Field).
const (
	FieldName           = "name"            // Patient.Name
	FieldEmail          = "email"           // Patient.Email
	FieldPhone          = "phone"           // Patient.Phone
	FieldStart          = "start"           // the start of the slot asked for
	FieldIdempotencyKey = "idempotency_key" // BookRequest.IdempotencyKey
	FieldLang           = "lang"            // BookRequest.Lang
)

// What is wrong with the input (Error.Reason).
const (
	ReasonRequired = "required" // the input is empty
	ReasonInvalid  = "invalid"  // the input breaks a rule its message states
	ReasonReused   = "reused"   // an Idempotency-Key used before for another request
)

// FieldError returns an EInvalid *Error about the input field, wrong for
// reason, with a formatted message.
func FieldError(field, reason, format string, args ...any) *Error {
	return &Error{Code: EInvalid, Message: fmt.Sprintf(format, args...), Field: field, Reason: reason}
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

// ErrorField returns the field and the reason of the first *Error in err's
// chain (see Error.Field), or "", "" when it names none.
func ErrorField(err error) (field, reason string) {
	var e *Error
	if errors.As(err, &e) {
		return e.Field, e.Reason
	}
	return "", ""
}

// ErrorLimit returns the limit and the retry delay of the first *Error in
// err's chain (see Error.Limit), or "", 0 when it names none.
func ErrorLimit(err error) (limit string, retryAfter time.Duration) {
	var e *Error
	if errors.As(err, &e) {
		return e.Limit, e.RetryAfter
	}
	return "", 0
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

package api

import (
	"errors"
	"fmt"
	"testing"

	"github.com/rdvlibre/rdv/booking"
)

// The form marks its field by the error's Field and Reason, not by its
// English text: a domain message reworded, or wrapped, still marks the same
// field with the same French message.
func TestFrenchFormErrorByField(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		field, fr string
	}{
		{"name required, reworded", booking.FieldError(booking.FieldName, booking.ReasonRequired, "who are you?"), "name", "Indiquez votre nom."},
		{"name invalid, reworded", booking.FieldError(booking.FieldName, booking.ReasonInvalid, "too long a name"), "name", "Le nom ne peut contenir que des lettres, des espaces, des apostrophes, des traits d'union et des points (ni chiffres, ni @, / ou\u00a0:), en 100 caractères au plus."},
		{"email required, reworded", booking.FieldError(booking.FieldEmail, booking.ReasonRequired, "an address, please"), "email", "Indiquez votre adresse e-mail."},
		{"email invalid, wrapped", fmt.Errorf("context: %w", booking.FieldError(booking.FieldEmail, booking.ReasonInvalid, "bad address")), "email", "L'adresse e-mail n'est pas valide (forme attendue\u00a0: nom@domaine.fr\u202f; les adresses avec des accents ne sont pas acceptées)."},
		{"phone required", booking.FieldError(booking.FieldPhone, booking.ReasonRequired, "a number, please"), "phone", "Indiquez votre numéro de téléphone."},
		{"phone invalid", booking.FieldError(booking.FieldPhone, booking.ReasonInvalid, "letters in a number"), "phone", "Le numéro de téléphone n'est pas valide\u00a0: au moins 6 chiffres\u202f; seuls les espaces, un + au début et . - ( ) sont permis."},
		{"start, reworded", booking.FieldError(booking.FieldStart, booking.ReasonInvalid, "nope"), "", "Ce créneau n'est plus proposé. Revenez à la liste et choisissez-en un autre."},
		{"key reused, reworded", booking.FieldError(booking.FieldIdempotencyKey, booking.ReasonReused, "key seen"), "", "Ce formulaire a déjà servi à prendre un rendez-vous. Revenez à la liste des créneaux pour en prendre un autre."},
		{"key malformed: the message", booking.FieldError(booking.FieldIdempotencyKey, booking.ReasonInvalid, "key too long"), "", "key too long"},
		// The old English prefix without a field no longer means anything.
		{"prefix alone", booking.Errorf(booking.EInvalid, "patient name is required"), "", "patient name is required"},
		{"not a booking error", errors.New("patient email is required"), "", "patient email is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			field, fr := formErrorText(&textFR, tt.err, booking.ErrorMessage(tt.err))
			if tt.name == "not a booking error" {
				field, fr = formErrorText(&textFR, tt.err, tt.err.Error())
			}
			if field != tt.field || fr != tt.fr {
				t.Errorf("formErrorText = %q, %q; want %q, %q", field, fr, tt.field, tt.fr)
			}
		})
	}
}

// Every French message of the form has its English twin, and each names
// the same field.
func TestFormErrorsInEnglish(t *testing.T) {
	for k := range textFR.FieldErrors {
		if textEN.FieldErrors[k] == "" {
			t.Errorf("no English message for %v", k)
		}
	}
	err := booking.FieldError(booking.FieldEmail, booking.ReasonInvalid, "bad address")
	field, en := formErrorText(&textEN, err, booking.ErrorMessage(err))
	if field != "email" || en != textEN.FieldErrors[formError{booking.FieldEmail, ""}] {
		t.Errorf("formErrorText in English = %q, %q", field, en)
	}
}

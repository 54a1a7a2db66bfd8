package booking_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rdvlibre/rdv/booking"
)

// fromJSON returns the string that Go's JSON decoder makes of the JSON
// string literal lit, as the API receives it.
func fromJSON(t *testing.T, lit string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal([]byte(lit), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// Every patient field is hostile input: what a stranger types must not
// steer what rdv writes in the calendar or in emails.
func TestPatientValidateHostile(t *testing.T) {
	const email = "marie@example.org"
	tests := []struct {
		name          string
		p             booking.Patient
		field, reason string
		want          booking.Patient // the normalised fields, when valid
	}{
		// Names: what is accepted, and stored as what.
		{"decomposed é stored NFC", booking.Patient{Name: "Rene\u0301e Cle\u0301ment", Email: email}, "", "",
			booking.Patient{Name: "Renée Clément", Email: email}},
		{"apostrophes, hyphen, dot", booking.Patient{Name: "Jean-Pierre O’Connor Jr.", Email: email}, "", "",
			booking.Patient{Name: "Jean-Pierre O’Connor Jr.", Email: email}},
		{"ASCII apostrophe", booking.Patient{Name: "Jeanne d'Arc", Email: email}, "", "", booking.Patient{Name: "Jeanne d'Arc", Email: email}},
		{"diaeresis and tildes", booking.Patient{Name: "Zoë Ñúñez", Email: email}, "", "", booking.Patient{Name: "Zoë Ñúñez", Email: email}},
		{"Han", booking.Patient{Name: "李小龍", Email: email}, "", "", booking.Patient{Name: "李小龍", Email: email}},
		{"Arabic", booking.Patient{Name: "محمد", Email: email}, "", "", booking.Patient{Name: "محمد", Email: email}},
		{"Devanagari with marks", booking.Patient{Name: "लक्ष्मी", Email: email}, "", "", booking.Patient{Name: "लक्ष्मी", Email: email}},
		{"runs of spaces collapsed, trimmed", booking.Patient{Name: "  Marie \u00a0  Curie ", Email: " " + email + " ", Phone: " 06 12 34 56 78 "}, "", "",
			booking.Patient{Name: "Marie Curie", Email: email, Phone: "06 12 34 56 78"}},
		{"name of MaxNameLen letters", booking.Patient{Name: strings.Repeat("é", booking.MaxNameLen), Email: email}, "", "",
			booking.Patient{Name: strings.Repeat("é", booking.MaxNameLen), Email: email}},

		// Names: hidden characters.
		{"RTL override", booking.Patient{Name: "Marie\u202eeiruC", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"Arabic letter mark", booking.Patient{Name: "محمد\u061c", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"bidi isolate", booking.Patient{Name: "\u2067Marie", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"zero-width space", booking.Patient{Name: "Ma\u200brie", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"zero-width joiner", booking.Patient{Name: "Ma\u200drie", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"word joiner", booking.Patient{Name: "Ma\u2060rie", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"BOM", booking.Patient{Name: "\ufeffMarie", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"soft hyphen", booking.Patient{Name: "Ma\u00adrie", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"Mongolian vowel separator", booking.Patient{Name: "Ma\u180erie", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"combining grapheme joiner", booking.Patient{Name: "Ma\u034frie", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"Hangul filler", booking.Patient{Name: "Ma\u3164rie", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"line separator", booking.Patient{Name: "Marie\u2028Curie", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"CR LF", booking.Patient{Name: "Marie\r\nBcc: x@example.org", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"NUL", booking.Patient{Name: "Marie\x00Curie", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"tab", booking.Patient{Name: "Marie\tCurie", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"private use", booking.Patient{Name: "Marie\ue000", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"noncharacter", booking.Patient{Name: "Marie\ufdd0", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"unassigned", booking.Patient{Name: "Marie\U0003ffff", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"invalid UTF-8", booking.Patient{Name: "Ma\xffrie", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"lone surrogate from JSON", booking.Patient{Name: fromJSON(t, `"Ma\ud800rie"`), Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"replacement character", booking.Patient{Name: "Ma\ufffdrie", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},

		// Names: what could carry a link, an address or a number.
		{"URL as name", booking.Patient{Name: "http://evil.example", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"phone number in name", booking.Patient{Name: "Call 0612345678", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"email in name", booking.Patient{Name: "write to x@evil.example", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"digits", booking.Patient{Name: "Patient 12", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"fullwidth digits", booking.Patient{Name: "Marie ０６", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"punctuation only", booking.Patient{Name: "-. '", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"angle brackets", booking.Patient{Name: "<b>Marie</b>", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"stacked marks", booking.Patient{Name: "Ma" + strings.Repeat("\u0301", 10) + "rie", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"leading mark", booking.Patient{Name: "\u0301Marie", Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"10 000-character name", booking.Patient{Name: strings.Repeat("a", 10000), Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"name one too long", booking.Patient{Name: strings.Repeat("é", booking.MaxNameLen+1), Email: email}, booking.FieldName, booking.ReasonInvalid, booking.Patient{}},
		{"only hidden", booking.Patient{Name: "   ", Email: email}, booking.FieldName, booking.ReasonRequired, booking.Patient{}},

		// Emails: what is accepted.
		{"email plus and dots", booking.Patient{Name: "Marie", Email: "marie.curie+rdv@mail.example.org"}, "", "",
			booking.Patient{Name: "Marie", Email: "marie.curie+rdv@mail.example.org"}},
		{"email atext", booking.Patient{Name: "Marie", Email: "a!#$&'*+-/=^_`{|}~b@example.org"}, "", "",
			booking.Patient{Name: "Marie", Email: "a!#$&'*+-/=^_`{|}~b@example.org"}},
		{"email punycode domain", booking.Patient{Name: "Marie", Email: "marie@xn--caf-dma.fr"}, "", "",
			booking.Patient{Name: "Marie", Email: "marie@xn--caf-dma.fr"}},

		// Emails: hostile or unusable.
		{"email with ?cc=", booking.Patient{Name: "Marie", Email: "a?cc=x@example.org"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email with %", booking.Patient{Name: "Marie", Email: "a%b@example.org"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email quoted local part", booking.Patient{Name: "Marie", Email: `"quoted"@example.org`}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email with a comment", booking.Patient{Name: "Marie", Email: "marie(comment)@example.org"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email with a display name", booking.Patient{Name: "Marie", Email: "Marie <marie@example.org>"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email IP literal", booking.Patient{Name: "Marie", Email: "x@[127.0.0.1]"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email dotted quad", booking.Patient{Name: "Marie", Email: "a@1.2.3.4"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email localhost", booking.Patient{Name: "Marie", Email: "root@localhost"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email .localhost", booking.Patient{Name: "Marie", Email: "root@rdv.localhost"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email .local", booking.Patient{Name: "Marie", Email: "a@printer.local"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email .invalid", booking.Patient{Name: "Marie", Email: "a@example.invalid"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email .test", booking.Patient{Name: "Marie", Email: "a@rdv.TEST"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email .internal", booking.Patient{Name: "Marie", Email: "a@corp.internal"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email .lan", booking.Patient{Name: "Marie", Email: "a@box.lan"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email with RTL override", booking.Patient{Name: "Marie", Email: "gro.elpmaxe@\u202eeiram"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email with accents", booking.Patient{Name: "Marie", Email: "zoé@example.org"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email IDN domain", booking.Patient{Name: "Marie", Email: "marie@café.fr"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email two @", booking.Patient{Name: "Marie", Email: "a@b@example.org"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email leading dot", booking.Patient{Name: "Marie", Email: ".marie@example.org"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email double dot", booking.Patient{Name: "Marie", Email: "ma..rie@example.org"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email one label", booking.Patient{Name: "Marie", Email: "marie@example"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email one-letter TLD", booking.Patient{Name: "Marie", Email: "marie@example.o"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email label with leading hyphen", booking.Patient{Name: "Marie", Email: "marie@-example.org"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email label too long", booking.Patient{Name: "Marie", Email: "marie@" + strings.Repeat("a", 64) + ".org"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email local part too long", booking.Patient{Name: "Marie", Email: strings.Repeat("a", 65) + "@example.org"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email trailing dot", booking.Patient{Name: "Marie", Email: "marie@example.org."}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email NUL", booking.Patient{Name: "Marie", Email: "marie@example.org\x00"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},
		{"email too long", booking.Patient{Name: "Marie", Email: "a@" + strings.Repeat(strings.Repeat("a", 60)+".", 5) + "org"}, booking.FieldEmail, booking.ReasonInvalid, booking.Patient{}},

		// Phones.
		{"phone with ZWSP", booking.Patient{Name: "Marie", Email: email, Phone: "06\u200b12345678"}, booking.FieldPhone, booking.ReasonInvalid, booking.Patient{}},
		{"phone with Arabic-Indic digits", booking.Patient{Name: "Marie", Email: email, Phone: "٠٦١٢٣٤٥٦٧٨"}, booking.FieldPhone, booking.ReasonInvalid, booking.Patient{}},
		{"phone with a URL", booking.Patient{Name: "Marie", Email: email, Phone: "http://06.example"}, booking.FieldPhone, booking.ReasonInvalid, booking.Patient{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			err := p.Validate(false)
			field, reason := booking.ErrorField(err)
			if field != tt.field || reason != tt.reason {
				t.Fatalf("Validate: %v: field %q, reason %q; want %q, %q", err, field, reason, tt.field, tt.reason)
			}
			// FieldErrors finds the same first error, field by field.
			errs := tt.p.FieldErrors(false)
			if (err == nil) != (len(errs) == 0) {
				t.Fatalf("Validate: %v, FieldErrors: %v", err, errs)
			}
			if len(errs) > 0 {
				if f, r := booking.ErrorField(errs[0]); f != field || r != reason {
					t.Errorf("FieldErrors' first: field %q, reason %q; Validate's: %q, %q", f, r, field, reason)
				}
			}
			if err != nil {
				msg := booking.ErrorMessage(err)
				for _, v := range []string{tt.p.Name, tt.p.Email, tt.p.Phone} {
					if len(v) > 3 && strings.Contains(msg, v) {
						t.Errorf("the message %q carries the value %q", msg, v)
					}
				}
				return
			}
			if p != tt.want {
				t.Errorf("Validate stored %+q, want %+q", p, tt.want)
			}
		})
	}
}

// FieldErrors reports every wrong field at once, each with its reason.
func TestPatientFieldErrors(t *testing.T) {
	errs := booking.Patient{Name: "R2D2", Email: "marie@localhost", Phone: ""}.FieldErrors(true)
	var got []string
	for _, err := range errs {
		f, r := booking.ErrorField(err)
		got = append(got, f+"/"+r)
	}
	want := []string{booking.FieldName + "/" + booking.ReasonInvalid, booking.FieldEmail + "/" + booking.ReasonInvalid, booking.FieldPhone + "/" + booking.ReasonRequired}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("FieldErrors: %v, want %v", got, want)
	}
	if errs := (booking.Patient{Name: "Marie Curie", Email: "marie@example.org"}).FieldErrors(false); len(errs) != 0 {
		t.Errorf("a valid patient: %v", errs)
	}
}

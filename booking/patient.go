package booking

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The patient's fields are typed by strangers on a public page, and rdv
// writes them into the practitioner's calendar and into emails: each is
// hostile input until Validate has normalised and checked it. The rules
// (docs/api.md, "Patient fields"):
//
//   - every field is valid UTF-8, put in Unicode NFC and trimmed, and holds
//     no character that is not visible text: no control character (NUL, line
//     breaks, tabs), no format character (bidi controls such as U+202E,
//     zero-width spaces and joiners, the BOM U+FEFF, the soft hyphen), no
//     other default-ignorable or variation selector (U+034F, the Hangul
//     fillers), no line or paragraph separator, no private-use, unassigned
//     or noncharacter code point, and no U+FFFD (what a decoder made of
//     bytes that were not text, or of a lone surrogate such as JSON's
//     "\ud800");
//   - the name is letters of any script with their combining marks,
//     spaces (a run of spaces becomes one), apostrophes (' and ’), hyphens
//     and dots, with at least one letter: no digits, no @, / or :, so that
//     it can't carry a URL, an email address or a phone number into the
//     "Bonjour …" of an email;
//   - the email is a plain ASCII addr-spec, name@domain, with a dot-atom
//     name and a public DNS domain name (see checkEmail);
//   - the phone is digits, spaces, a leading + and . - ( ), with at least 6
//     digits.

// Limits on patient fields.
const (
	MaxNameLen  = 100 // characters (code points), after normalisation
	MaxEmailLen = 254 // bytes (RFC 5321's limit on a forward path, less its brackets)
	MaxPhoneLen = 32  // bytes
)

// maxMarks is the most combining marks a name may stack on one letter: the
// scripts of names need no more than 3 after NFC, and a longer run only
// smears text over the lines around it ("Zalgo" text).
const maxMarks = 4

// Validate normalises the patient's fields (NFC, trimmed, runs of spaces in
// the name made one) and checks them against the rules above; on success
// the fields hold their normalised form, which is what must be stored. An
// error is an EInvalid *Error whose Field and Reason say which field is
// wrong and how (see ErrorField); its message names the field, never its
// value.
func (p *Patient) Validate(phoneRequired bool) error {
	name, err := cleanField(FieldName, p.Name)
	if err != nil {
		return err
	}
	if name, err = checkName(name); err != nil {
		return err
	}
	email, phone, err := contact(p.Email, p.Phone, phoneRequired)
	if err != nil {
		return err
	}
	p.Name, p.Email, p.Phone = name, email, phone
	return nil
}

// FieldErrors checks each field of p on its own, as Validate does, and
// returns the error of every field that breaks the rules, in the order
// name, email, phone; none when Validate would succeed. A form shows them
// all at once.
func (p Patient) FieldErrors(phoneRequired bool) []error {
	var errs []error
	if name, err := cleanField(FieldName, p.Name); err != nil {
		errs = append(errs, err)
	} else if _, err := checkName(name); err != nil {
		errs = append(errs, err)
	}
	if email, err := cleanField(FieldEmail, p.Email); err != nil {
		errs = append(errs, err)
	} else if err := checkEmail(email); err != nil {
		errs = append(errs, err)
	}
	if phone, err := cleanField(FieldPhone, p.Phone); err != nil {
		errs = append(errs, err)
	} else if err := checkPhone(phone, phoneRequired); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// contact returns the email and the phone normalised, or the error of the
// first that breaks the rules.
func contact(email, phone string, phoneRequired bool) (string, string, error) {
	email, err := cleanField(FieldEmail, email)
	if err != nil {
		return "", "", err
	}
	if err := checkEmail(email); err != nil {
		return "", "", err
	}
	if phone, err = cleanField(FieldPhone, phone); err != nil {
		return "", "", err
	}
	if err := checkPhone(phone, phoneRequired); err != nil {
		return "", "", err
	}
	return email, phone, nil
}

// validateAdopted normalises and checks the patient of a booking event that
// Adopt rebuilds a ledger row from. The email and the phone follow the
// rules of Validate, since rdv will write to that address. The name is
// tidied rather than checked against the rules for strangers: it comes from
// the practice's own calendar, where the practice may have typed it (with a
// number, say: "Patient 12"), or where an earlier version of rdv, with
// looser rules, wrote it; adopting sends nothing to anyone. Tidying keeps
// what is visible text (invalid bytes and the characters that Validate
// refuses are dropped, runs of spaces made one) and the result must be
// non-empty and at most MaxNameLen characters long.
func (p *Patient) validateAdopted() error {
	name := strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if hidden(r) {
			if unicode.IsSpace(r) {
				return ' ' // a tab or a line break between two words
			}
			return -1
		}
		return r
	}, norm.NFC.String(strings.ToValidUTF8(p.Name, "")))), " ")
	switch {
	case name == "":
		return FieldError(FieldName, ReasonRequired, "patient name is required")
	case utf8.RuneCountInString(name) > MaxNameLen:
		return FieldError(FieldName, ReasonInvalid, "patient name must have at most %d characters", MaxNameLen)
	}
	email, phone, err := contact(p.Email, p.Phone, false)
	if err != nil {
		return err
	}
	p.Name, p.Email, p.Phone = name, email, phone
	return nil
}

// cleanField returns s in NFC, trimmed, or an error about field if s is not
// valid UTF-8 or holds a hidden character (see hidden).
func cleanField(field, s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", FieldError(field, ReasonInvalid, "patient %s is not valid text (UTF-8)", field)
	}
	s = strings.TrimSpace(norm.NFC.String(s))
	for _, r := range s {
		if hidden(r) {
			return "", FieldError(field, ReasonInvalid, "patient %s must not contain line breaks, control, invisible or text-direction characters", field)
		}
	}
	return s, nil
}

// hidden reports whether r is not visible text that a patient's field may
// hold: a control (Cc) or format (Cf: bidi controls U+061C, U+200E, U+200F,
// U+202A–U+202E, U+2066–U+2069, zero-width U+200B–U+200D, U+2060–U+2064,
// the BOM U+FEFF, the soft hyphen U+00AD, U+180E) character, another
// default-ignorable code point (U+034F, the Hangul fillers) or a variation
// selector, a line or paragraph separator, a surrogate or private-use code
// point, a noncharacter or an unassigned one, and U+FFFD, the replacement
// character.
func hidden(r rune) bool {
	switch {
	case r == utf8.RuneError:
		return true
	case unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Zl, unicode.Zp):
		return true
	case unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector, unicode.Noncharacter_Code_Point):
		return true
	}
	// What is left: unassigned code points (Cn), which no category holds.
	return !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs)
}

// checkName checks a name cleaned by cleanField and returns it with each
// run of spaces made one ASCII space.
func checkName(s string) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "", FieldError(FieldName, ReasonRequired, "patient name is required")
	}
	if utf8.RuneCountInString(s) > MaxNameLen {
		return "", FieldError(FieldName, ReasonInvalid, "patient name must have at most %d characters", MaxNameLen)
	}
	letters, marks := 0, -1 // marks: on the last letter; -1 after anything else
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			letters++
			marks = 0
		case unicode.Is(unicode.M, r):
			if marks < 0 || marks >= maxMarks {
				return "", FieldError(FieldName, ReasonInvalid, "patient name has an accent that is on no letter, or too many on one letter")
			}
			marks++
		case r == ' ' || r == '\'' || r == '’' || r == '-' || r == '‐' || r == '.':
			marks = -1
		default:
			return "", FieldError(FieldName, ReasonInvalid, "patient name may hold only letters, spaces, apostrophes, hyphens and dots (no digits, no @, / or :)")
		}
	}
	if letters == 0 {
		return "", FieldError(FieldName, ReasonInvalid, "patient name must contain letters")
	}
	return s, nil
}

// checkEmail checks an email cleaned by cleanField: a plain addr-spec of
// RFC 5322, name@domain, in ASCII (an address with accents, RFC 6531, is
// refused: not every mail server on the way takes one), at most
// MaxEmailLen long. The name is a dot-atom of at most 64 characters:
// letters, digits and ! # $ & ' * + - / = ^ _ ` { | } ~, with dots between
// them (never first, last or two in a row); no quoted string, no comment,
// and neither ? nor %, which mail software and mailto: URIs read as
// syntax. The domain is a DNS name of at least two labels (letters, digits,
// hyphens inside; 63 characters at most), whose last label, the top-level
// domain, has two letters or more: no IP address ([127.0.0.1], 1.2.3.4),
// no localhost, and none of the top-level domains reserved for private or
// test networks (.localhost .local .invalid .test .internal .lan).
func checkEmail(s string) error {
	if s == "" {
		return FieldError(FieldEmail, ReasonRequired, "patient email is required")
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return FieldError(FieldEmail, ReasonInvalid, "patient email must be plain ASCII: addresses with accents or other non-Latin letters are not accepted")
		}
	}
	if len(s) > MaxEmailLen {
		return FieldError(FieldEmail, ReasonInvalid, "patient email must have at most %d characters", MaxEmailLen)
	}
	local, domain, _ := strings.Cut(s, "@")
	if !dotAtom(local) {
		return FieldError(FieldEmail, ReasonInvalid, "patient email is not a valid address (want name@domain; the name may hold letters, digits, dots and ! # $ & ' * + - / = ^ _ ` { | } ~)")
	}
	if strings.HasPrefix(domain, "[") || isReservedDomain(domain) || isNumericTLD(domain) {
		return FieldError(FieldEmail, ReasonInvalid, "patient email must be at a public domain name (no IP address, localhost or private domain)")
	}
	if !dnsName(domain) {
		return FieldError(FieldEmail, ReasonInvalid, "patient email is not a valid address (want name@domain, the domain like example.org)")
	}
	return nil
}

// dotAtom reports whether s is a dot-atom of RFC 5322 of at most 64
// characters (RFC 5321's limit on a local part) over the characters
// checkEmail allows.
func dotAtom(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '.' && !strings.ContainsRune("!#$&'*+-/=^_`{|}~", rune(c)) {
			return false
		}
	}
	return true
}

// dnsName reports whether s is a domain name of at least two LDH labels of
// 1 to 63 characters (RFC 1123) whose last one is letters only, two or
// more.
func dnsName(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isAlnum(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if isDigit(tld[i]) || tld[i] == '-' {
			return false
		}
	}
	return true
}

// reservedTLDs are the top-level domains of no public host: RFC 2606 and
// RFC 6761 (.localhost, .invalid, .test), mDNS (.local, RFC 6762), the
// ICANN private-use .internal, and .lan, in common use on home networks.
var reservedTLDs = map[string]bool{
	"localhost": true, "local": true, "invalid": true, "test": true, "internal": true, "lan": true,
}

// isReservedDomain reports whether the domain s is localhost or under one of
// reservedTLDs.
func isReservedDomain(s string) bool {
	s = strings.ToLower(strings.TrimSuffix(s, "."))
	tld := s[strings.LastIndexByte(s, '.')+1:]
	return reservedTLDs[tld]
}

// isNumericTLD reports whether the last label of the domain s is digits
// only, as in a dotted-quad IPv4 address (1.2.3.4).
func isNumericTLD(s string) bool {
	tld := s[strings.LastIndexByte(s, '.')+1:]
	if tld == "" {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if !isDigit(tld[i]) {
			return false
		}
	}
	return true
}

// checkPhone checks a phone cleaned by cleanField.
func checkPhone(s string, required bool) error {
	if s == "" {
		if required {
			return FieldError(FieldPhone, ReasonRequired, "patient phone is required")
		}
		return nil
	}
	if len(s) > MaxPhoneLen {
		return FieldError(FieldPhone, ReasonInvalid, "patient phone must have at most %d characters", MaxPhoneLen)
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')':
		default:
			return FieldError(FieldPhone, ReasonInvalid, "patient phone may hold only digits, spaces, a leading + and . - ( )")
		}
	}
	if digits < 6 {
		return FieldError(FieldPhone, ReasonInvalid, "patient phone must have at least 6 digits")
	}
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

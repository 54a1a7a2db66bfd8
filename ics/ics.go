package ics

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
)

// ProductID is the PRODID of every object rdv writes.
const ProductID = "-//rdv//rdv//FR"

// iTIP methods (RFC 5546 section 1.4) for Appointment. The empty method gives
// the object stored in the practitioner's calendar, which must have none (RFC
// 4791 section 4.1).
const (
	MethodRequest = "REQUEST"
	MethodCancel  = "CANCEL"
	// MethodPublish is the patient's copy as a file to add to a calendar
	// (the "add to my calendar" link of the booking's page): no ATTENDEE,
	// as RFC 5546 section 3.2.1 requires.
	MethodPublish = "PUBLISH"
)

// Properties of rdv's own, to find a booking back from its event.
const (
	PropBooking = "X-RDV-BOOKING" // the booking id
	PropType    = "X-RDV-TYPE"    // the appointment type id
)

// PropPhone holds the patient's phone in the practitioner's event, for rdv
// to read it back whatever the DESCRIPTION's template shows.
const PropPhone = "X-RDV-PHONE"

// PhoneLabel begins the line of the DESCRIPTION that holds the patient's
// phone in the default template, and in the events written by versions of
// rdv before PropPhone (which are still read).
const PhoneLabel = "Téléphone : "

// Appointment returns the iCalendar object of a booking, with one VEVENT and
// the VTIMEZONE of the practitioner's zone.
//
// With method "" it is the object stored in the practitioner's calendar, as
// the default EventTemplate makes it (see EventTemplate.Event for the
// practice's own templates): the SUMMARY names the patient, and the type
// only when it discloses its motive ("RDV — Marie Curie", "RDV — Marie
// Curie (Consultation)"); the DESCRIPTION holds the disclosed type, the
// length of the visit and the patient's phone. The phone is also in
// X-RDV-PHONE, and X-RDV-TYPE holds the type's CalendarRef (an opaque value
// for a private type, set by the booking service) or else its id, whatever
// the type (rdv reads them back; calendar apps do not show them, but
// whoever reads the raw object does). The ATTENDEE carries SCHEDULE-AGENT=CLIENT (RFC 6638
// section 7.1) so that a scheduling server such as Nextcloud sends no
// invitation of its own. With MethodRequest or MethodCancel it is the iTIP
// message for the patient, the patient's copy: a METHOD property, no phone,
// and words in the booking's language (Booking.Lang; French when empty). Its
// SUMMARY names the practitioner and, only when the type sets
// DiscloseMotive, the type: "Rendez-vous — Dr Anne Martin" ("Appointment —
// Dr Anne Martin" in English) by default, "Première consultation — Dr Anne
// Martin" when disclosed; a private type's name and id appear nowhere in it
// (no DESCRIPTION, no X-RDV-TYPE).
//
// UID is the booking id, DTSTAMP is now in UTC, SEQUENCE is Booking.Sequence;
// STATUS is TENTATIVE for a pending booking, CONFIRMED for a confirmed one and
// CANCELLED for a cancelled or expired one (and always with MethodCancel).
// The ORGANIZER is the practitioner's email, left out when the practitioner
// has none; it and the ATTENDEE are mailto URIs written by Mailto. Times are written with the practitioner's TZID, or in UTC when the
// practitioner's zone is UTC (then without VTIMEZONE).
func Appointment(a booking.Appointment, method string, now time.Time) *ical.Calendar {
	return build(a, method, now, nil)
}

// build is Appointment, with the practitioner's event made by tmpl.
func build(a booking.Appointment, method string, now time.Time, tmpl *EventTemplate) *ical.Calendar {
	b := a.Booking
	loc := time.UTC
	var pract booking.Practitioner
	if a.Practitioner != nil {
		pract = *a.Practitioner
		if pract.Location != nil {
			loc = pract.Location
		}
	}
	typeID, typeName, typeLocation := b.TypeID, b.TypeID, ""
	if a.Type != nil {
		typeID = a.Type.ID
		if method == "" && a.Type.CalendarRef != "" {
			typeID = a.Type.CalendarRef
		}
		if a.Type.Name != "" {
			typeName = a.Type.Name
		}
		typeLocation = a.Type.Location
	}
	// The patient's copy names the type only if the type allows it; the
	// practitioner's always has its id (rdv reads X-RDV-TYPE back), its
	// texts follow the template.
	disclose := method == "" || (a.Type != nil && a.Type.DiscloseMotive)
	status := eventStatus(b.Status)
	if method == MethodCancel {
		status = ical.EventCancelled
	}

	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropProductID, ProductID)
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropCalendarScale, "GREGORIAN")
	if method != "" {
		cal.Props.SetText(ical.PropMethod, method)
	}

	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, b.ID)
	ev.Props.SetDateTime(ical.PropDateTimeStamp, now.UTC().Truncate(time.Second))
	ev.Props.SetDateTime(ical.PropDateTimeStart, b.Start.In(loc).Truncate(time.Second))
	ev.Props.SetDateTime(ical.PropDateTimeEnd, b.End.In(loc).Truncate(time.Second))
	seq := ical.NewProp(ical.PropSequence)
	seq.Value = strconv.Itoa(max(b.Sequence, 0))
	ev.Props.Set(seq)
	ev.SetStatus(status)
	if status == ical.EventCancelled {
		// A cancelled visit no longer makes the practitioner busy, even for
		// clients that ignore STATUS when computing free-busy time.
		ev.Props.SetText(ical.PropTransparency, "TRANSPARENT")
	} else {
		ev.Props.SetText(ical.PropTransparency, "OPAQUE")
	}

	var desc []string
	if method == "" {
		summary, description := tmpl.texts(a)
		setText(ev.Props, ical.PropSummary, summary)
		if description != "" {
			desc = append(desc, description)
		}
	} else {
		summary := typeName
		if !disclose {
			summary = appointmentWord(b.Lang)
		}
		if pract.Name != "" {
			summary += " — " + pract.Name
		}
		setText(ev.Props, ical.PropSummary, summary)
		if disclose {
			desc = append(desc, typeName)
		}
	}
	if len(desc) > 0 {
		setText(ev.Props, ical.PropDescription, strings.Join(desc, "\n"))
	}
	if typeLocation != "" {
		setText(ev.Props, ical.PropLocation, typeLocation)
	}

	if pract.Email != "" {
		org := ical.NewProp(ical.PropOrganizer)
		org.Value = Mailto(pract.Email)
		if cn := paramValue(pract.Name); cn != "" {
			org.Params.Set(ical.ParamCommonName, cn)
		}
		ev.Props.Set(org)
	}
	if method != MethodPublish {
		att := ical.NewProp(ical.PropAttendee)
		att.Value = Mailto(b.Patient.Email)
		if cn := paramValue(b.Patient.Name); cn != "" {
			att.Params.Set(ical.ParamCommonName, cn)
		}
		att.Params.Set(ical.ParamRole, "REQ-PARTICIPANT")
		att.Params.Set(ical.ParamParticipationStatus, partStat(b.Status))
		att.Params.Set(ical.ParamRSVP, "FALSE")
		if method == "" {
			att.Params.Set("SCHEDULE-AGENT", "CLIENT")
		}
		ev.Props.Set(att)
	}

	setXText(ev.Props, PropBooking, b.ID)
	if disclose {
		setXText(ev.Props, PropType, typeID)
	}
	if method == "" && b.Patient.Phone != "" {
		setXText(ev.Props, PropPhone, b.Patient.Phone)
	}

	if loc != time.UTC {
		cal.Children = append(cal.Children, Timezone(loc, b.Start, b.End))
	}
	cal.Children = append(cal.Children, ev.Component)
	return cal
}

// appointmentWord is the SUMMARY of a patient's copy that keeps the motive
// private, before the practitioner's name, in language lang (French unless
// "en").
func appointmentWord(lang string) string {
	if lang == "en" {
		return "Appointment"
	}
	return "Rendez-vous"
}

func eventStatus(s booking.Status) ical.EventStatus {
	switch s {
	case booking.StatusPending:
		return ical.EventTentative
	case booking.StatusConfirmed:
		return ical.EventConfirmed
	default:
		return ical.EventCancelled
	}
}

func partStat(s booking.Status) string {
	switch s {
	case booking.StatusPending:
		return "TENTATIVE"
	case booking.StatusConfirmed:
		return "ACCEPTED"
	default:
		return "DECLINED"
	}
}

// setText sets a TEXT property, with control characters other than line
// feeds removed (the encoder refuses a carriage return; others are invalid).
func setText(props ical.Props, name, text string) {
	text = strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, strings.ReplaceAll(text, "\r\n", "\n"))
	props.SetText(name, text)
}

// setXText sets a non-standard property, whose default value type is TEXT
// (RFC 5545 section 3.8.8.2), without a VALUE parameter.
func setXText(props ical.Props, name, text string) {
	setText(props, name, text)
	props.Get(name).Params.Del(ical.ParamValue)
}

// paramValue makes s safe as a parameter value (RFC 5545 section 3.2): a
// parameter cannot hold a DQUOTE, and control characters are not allowed. The
// encoder quotes the value when it holds ':', ';' or ','.
func paramValue(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == '"' || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, s))
}

// Encode writes cal with go-ical's encoder and folds its content lines to at
// most 75 octets, as RFC 5545 section 3.1 asks, without splitting a UTF-8
// sequence. Lines end in CRLF.
func Encode(cal *ical.Calendar) ([]byte, error) {
	var raw bytes.Buffer
	if err := ical.NewEncoder(&raw).Encode(cal); err != nil {
		return nil, fmt.Errorf("ics: %w", err)
	}
	var out bytes.Buffer
	out.Grow(raw.Len() + raw.Len()/50)
	sc := bufio.NewScanner(&raw)
	sc.Buffer(make([]byte, 0, 64*1024), raw.Len()+1)
	sc.Split(splitCRLF)
	for sc.Scan() {
		fold(&out, sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("ics: %w", err)
	}
	return out.Bytes(), nil
}

// splitCRLF is a bufio.SplitFunc for lines ended by CRLF.
func splitCRLF(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if i := bytes.Index(data, []byte("\r\n")); i >= 0 {
		return i + 2, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// lineLimit is the longest content line RFC 5545 allows, in octets, CRLF
// excluded.
const lineLimit = 75

// fold writes line to w followed by CRLF, folded with CRLF + space so that no
// physical line exceeds lineLimit octets.
func fold(w *bytes.Buffer, line []byte) {
	limit := lineLimit
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		w.Write(line[:cut])
		w.WriteString("\r\n ")
		line = line[cut:]
		limit = lineLimit - 1 // the leading space counts
	}
	w.Write(line)
	w.WriteString("\r\n")
}

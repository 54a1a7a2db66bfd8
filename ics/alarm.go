package ics

import (
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// AddAlarm adds to each VEVENT of cal an alarm (VALARM, RFC 5545 section
// 3.6.6) that displays the event's SUMMARY before its start: ACTION:DISPLAY,
// TRIGGER the negative duration before (relative to DTSTART), DESCRIPTION
// the SUMMARY. before is rounded down to the second; an alarm of 0 or less
// is not added.
func AddAlarm(cal *ical.Calendar, before time.Duration) {
	before = before.Truncate(time.Second)
	if before <= 0 {
		return
	}
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		desc := ""
		if s := c.Props.Get(ical.PropSummary); s != nil {
			desc = s.Value // already escaped text
		}
		alarm := ical.NewComponent(ical.CompAlarm)
		alarm.Props.SetText(ical.PropAction, "DISPLAY")
		trigger := ical.NewProp(ical.PropTrigger)
		trigger.Value = "-" + formatDuration(before)
		alarm.Props.Set(trigger)
		d := ical.NewProp(ical.PropDescription)
		d.Value = desc
		alarm.Props.Set(d)
		c.Children = append(c.Children, alarm)
	}
}

// formatDuration writes d, positive, as an RFC 5545 DURATION (section 3.3.6) in
// days, hours, minutes and seconds: "P1D", "PT1H30M", "PT0S" for 0.
func formatDuration(d time.Duration) string {
	d = d.Truncate(time.Second)
	if d <= 0 {
		return "PT0S"
	}
	var b strings.Builder
	b.WriteString("P")
	if days := d / (24 * time.Hour); days > 0 {
		b.WriteString(strconv.FormatInt(int64(days), 10) + "D")
		d -= days * 24 * time.Hour
	}
	if d == 0 {
		return b.String()
	}
	h, m, s := d/time.Hour, d%time.Hour/time.Minute, d%time.Minute/time.Second
	b.WriteString("T")
	// dur-hour carries an optional dur-minute, which carries an optional
	// dur-second: a minute is written when an hour and a second are.
	if h > 0 {
		b.WriteString(strconv.FormatInt(int64(h), 10) + "H")
	}
	if m > 0 || (h > 0 && s > 0) {
		b.WriteString(strconv.FormatInt(int64(m), 10) + "M")
	}
	if s > 0 {
		b.WriteString(strconv.FormatInt(int64(s), 10) + "S")
	}
	return b.String()
}

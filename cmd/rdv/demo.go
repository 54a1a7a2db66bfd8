package main

import (
	"fmt"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/ics"
)

// demoPractitioner is the practitioner of the embedded defaults.
func demoPractitioner() PractitionerConfig {
	week := []string{"08:30-12:00", "14:00-18:00"}
	return PractitionerConfig{
		ID: "demo", Name: "Dr Anne Martin", Email: "anne.martin@example.org", Timezone: "Europe/Paris",
		Hours: map[string][]string{"mon": week, "tue": week, "wed": week, "thu": week, "fri": week},
		Types: []TypeConfig{{
			ID: "consultation", Name: "Consultation",
			Duration: duration{20 * time.Minute}, Step: duration{20 * time.Minute},
			MinNotice: duration{time.Hour}, HorizonDays: 60,
			Location: "12 rue de la Santé, 75013 Paris",
		}},
	}
}

// demoEvents returns the busy events seeded in the demo calendar on first run,
// relative to now: a weekly team meeting with one week skipped (RRULE + EXDATE),
// a one-off training, an all-day congress, and a transparent reminder that
// must not block anything.
func demoEvents(now time.Time, loc *time.Location) map[string][]byte {
	today := now.In(loc)
	monday := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	for monday.Weekday() != time.Monday {
		monday = monday.AddDate(0, 0, -1)
	}
	at := func(days, hour, min int) time.Time {
		d := monday.AddDate(0, 0, days)
		return time.Date(d.Year(), d.Month(), d.Day(), hour, min, 0, 0, loc)
	}
	out := map[string][]byte{}
	add := func(name string, build func(ev *ical.Event)) {
		ev := ical.NewEvent()
		ev.Props.SetText(ical.PropUID, "demo-"+name+"@rdv")
		ev.Props.SetDateTime(ical.PropDateTimeStamp, now.UTC())
		build(ev)
		cal := ical.NewCalendar()
		cal.Props.SetText(ical.PropVersion, "2.0")
		cal.Props.SetText(ical.PropProductID, "-//rdv//demo//FR")
		cal.Children = append(cal.Children, ics.Timezone(loc, monday, monday.AddDate(1, 0, 0)), ev.Component)
		data, err := ics.Encode(cal)
		if err != nil {
			panic(fmt.Sprintf("demo event %s: %v", name, err)) // our own fixed data: a bug if it fails
		}
		out[name+".ics"] = data
	}
	add("team-meeting", func(ev *ical.Event) {
		ev.Props.SetText(ical.PropSummary, "Réunion d'équipe")
		ev.Props.SetDateTime(ical.PropDateTimeStart, at(1, 9, 0))
		ev.Props.SetDateTime(ical.PropDateTimeEnd, at(1, 10, 0))
		ev.Props.Set(&ical.Prop{Name: ical.PropRecurrenceRule, Params: ical.Params{}, Value: "FREQ=WEEKLY;BYDAY=TU"})
		ev.Props.SetDateTime(ical.PropExceptionDates, at(15, 9, 0))
	})
	add("training", func(ev *ical.Event) {
		ev.Props.SetText(ical.PropSummary, "Formation continue")
		ev.Props.SetDateTime(ical.PropDateTimeStart, at(9, 14, 0))
		ev.Props.SetDateTime(ical.PropDateTimeEnd, at(9, 16, 30))
	})
	add("congress", func(ev *ical.Event) {
		ev.Props.SetText(ical.PropSummary, "Congrès de médecine générale")
		ev.Props.SetDate(ical.PropDateTimeStart, at(11, 0, 0))
		ev.Props.SetDate(ical.PropDateTimeEnd, at(12, 0, 0))
	})
	add("reminder", func(ev *ical.Event) {
		ev.Props.SetText(ical.PropSummary, "Penser à commander les vaccins")
		ev.Props.SetDateTime(ical.PropDateTimeStart, at(2, 10, 0))
		ev.Props.SetDateTime(ical.PropDateTimeEnd, at(2, 11, 0))
		ev.Props.SetText(ical.PropTransparency, "TRANSPARENT")
	})
	return out
}

package recur_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/recur"
)

// Expand turns a recurring event into busy intervals: the weekly meeting
// keeps its 09:00 local time across the change to summer time, and the
// excluded week is free.
func ExampleExpand() {
	const data = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//example//EN\r\n" +
		"BEGIN:VEVENT\r\nUID:meeting@example\r\nDTSTAMP:20270101T000000Z\r\n" +
		"DTSTART;TZID=Europe/Paris:20270316T090000\r\nDTEND;TZID=Europe/Paris:20270316T100000\r\n" +
		"RRULE:FREQ=WEEKLY;COUNT=3\r\nEXDATE;TZID=Europe/Paris:20270323T090000\r\n" +
		"END:VEVENT\r\nEND:VCALENDAR\r\n"
	cal, err := ical.NewDecoder(strings.NewReader(data)).Decode()
	if err != nil {
		panic(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	from := time.Date(2027, 3, 1, 0, 0, 0, 0, paris)
	busy, err := recur.Expand(cal, paris, from, from.AddDate(0, 1, 0))
	if err != nil {
		panic(err)
	}
	for _, b := range busy {
		fmt.Println(b.Start.Format(time.RFC3339), "→", b.End.Format("15:04"))
	}
	// Output:
	// 2027-03-16T09:00:00+01:00 → 10:00
	// 2027-03-30T09:00:00+02:00 → 10:00
}

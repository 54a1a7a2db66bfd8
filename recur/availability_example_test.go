package recur_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/recur"
)

// Expander.Availability reads working hours such as Nextcloud keeps them
// (RFC 7953): mornings on weekdays, and for one week in April, a component
// of higher priority that keeps only Monday afternoon.
func ExampleExpander_Availability() {
	const data = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//example//EN\r\n" +
		"BEGIN:VAVAILABILITY\r\nUID:usual@example\r\nDTSTAMP:20270101T000000Z\r\n" +
		"BEGIN:AVAILABLE\r\nUID:mornings@example\r\nDTSTAMP:20270101T000000Z\r\n" +
		"DTSTART;TZID=Europe/Paris:20270104T090000\r\nDTEND;TZID=Europe/Paris:20270104T120000\r\n" +
		"RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\r\nEND:AVAILABLE\r\n" +
		"END:VAVAILABILITY\r\n" +
		"BEGIN:VAVAILABILITY\r\nUID:congress@example\r\nDTSTAMP:20270101T000000Z\r\nPRIORITY:1\r\n" +
		"DTSTART;TZID=Europe/Paris:20270405T000000\r\nDTEND;TZID=Europe/Paris:20270410T000000\r\n" +
		"BEGIN:AVAILABLE\r\nUID:monday@example\r\nDTSTAMP:20270101T000000Z\r\n" +
		"DTSTART;TZID=Europe/Paris:20270405T140000\r\nDURATION:PT3H\r\nEND:AVAILABLE\r\n" +
		"END:VAVAILABILITY\r\nEND:VCALENDAR\r\n"
	cal, err := ical.NewDecoder(strings.NewReader(data)).Decode()
	if err != nil {
		panic(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	from := time.Date(2027, 4, 2, 0, 0, 0, 0, paris) // a Friday
	open, err := recur.Expander{Location: paris}.Availability(cal, from, from.AddDate(0, 0, 4))
	if err != nil {
		panic(err)
	}
	for _, o := range open.Open {
		fmt.Println(o.Start.Format("Mon 2 15:04"), "→", o.End.Format("15:04"))
	}
	fmt.Println(len(open.Covered), "span covered")
	// Output:
	// Fri 2 09:00 → 12:00
	// Mon 5 14:00 → 17:00
	// 1 span covered
}

package caldav_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/rdvlibre/rdv/caldav"
	"github.com/rdvlibre/rdv/recur"
)

// agenda is an .ics file as a calendar application exports it: one
// VCALENDAR, several UIDs. The weekly staff meeting keeps 09:00 local time
// across the change to summer time, one week is excluded and one moved;
// the reminder is transparent, the cancelled call frees its hour, and the
// all-day congress covers the local day.
const agenda = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//example//agenda//EN
BEGIN:VEVENT
UID:staff@example
DTSTAMP:20270101T000000Z
DTSTART;TZID=Europe/Paris:20270316T090000
DTEND;TZID=Europe/Paris:20270316T100000
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE;TZID=Europe/Paris:20270323T090000
SUMMARY:Staff
END:VEVENT
BEGIN:VEVENT
UID:staff@example
DTSTAMP:20270101T000000Z
RECURRENCE-ID;TZID=Europe/Paris:20270406T090000
DTSTART;TZID=Europe/Paris:20270406T140000
DTEND;TZID=Europe/Paris:20270406T150000
SUMMARY:Staff (afternoon)
END:VEVENT
BEGIN:VEVENT
UID:reminder@example
DTSTAMP:20270101T000000Z
DTSTART;TZID=Europe/Paris:20270317T080000
DTEND;TZID=Europe/Paris:20270317T081500
TRANSP:TRANSPARENT
SUMMARY:Order gloves
END:VEVENT
BEGIN:VEVENT
UID:call@example
DTSTAMP:20270101T000000Z
DTSTART;TZID=Europe/Paris:20270318T110000
DTEND;TZID=Europe/Paris:20270318T120000
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:congress@example
DTSTAMP:20270101T000000Z
DTSTART;VALUE=DATE:20270325
DTEND;VALUE=DATE:20270326
SUMMARY:Congress
END:VEVENT
END:VCALENDAR
`

// ParseBusy reads an .ics file and returns its busy time in a window, as
// rdv's service computes it from a CalDAV calendar.
func ExampleParseBusy() {
	paris, _ := time.LoadLocation("Europe/Paris")
	from := time.Date(2027, 3, 15, 0, 0, 0, 0, paris)
	busy, err := caldav.ParseBusy(strings.NewReader(agenda), from, from.AddDate(0, 1, 0), paris)
	if err != nil {
		panic(err)
	}
	for _, b := range busy {
		fmt.Println(b.Start.Format(time.RFC3339), "→", b.End.Format("2006-01-02 15:04"))
	}
	// Output:
	// 2027-03-16T09:00:00+01:00 → 2027-03-16 10:00
	// 2027-03-25T00:00:00+01:00 → 2027-03-26 00:00
	// 2027-03-30T09:00:00+02:00 → 2027-03-30 10:00
	// 2027-04-06T14:00:00+02:00 → 2027-04-06 15:00
}

// A File is read once and answers for any window: the recurring events are
// expanded again only when a window leaves the span expanded last.
func ExampleReadFile() {
	paris, _ := time.LoadLocation("Europe/Paris")
	f, err := caldav.ReadFile(strings.NewReader(agenda), recur.Expander{Location: paris})
	if err != nil {
		panic(err)
	}
	for _, day := range []int{16, 23, 30} {
		from := time.Date(2027, 3, day, 0, 0, 0, 0, paris)
		busy, err := f.Busy(from, from.AddDate(0, 0, 1))
		if err != nil {
			panic(err)
		}
		fmt.Printf("March %d: %d busy\n", day, len(busy))
	}
	// Output:
	// March 16: 1 busy
	// March 23: 0 busy
	// March 30: 1 busy
}

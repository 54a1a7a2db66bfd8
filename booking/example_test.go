package booking_test

import (
	"fmt"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// Free 30-minute slots on a Monday morning with one busy hour and a
// 10-minute buffer after each visit.
func ExampleSlots() {
	paris, _ := time.LoadLocation("Europe/Paris")
	var sched booking.Schedule
	morning, _ := booking.ParseClockRange("09:00-12:00")
	sched.Weekly.Set(time.Monday, morning)

	day := time.Date(2026, 12, 7, 0, 0, 0, 0, paris) // a Monday
	slots := booking.Slots(booking.SlotQuery{
		Location: paris,
		Open:     sched.Open(paris, day, day.AddDate(0, 0, 1)),
		Type:     &booking.AppointmentType{ID: "consultation", Duration: 30 * time.Minute, BufferAfter: 10 * time.Minute},
		Busy:     []booking.Interval{{Start: day.Add(10 * time.Hour), End: day.Add(11 * time.Hour)}},
		From:     day,
		To:       day.AddDate(0, 0, 1),
		Now:      day.AddDate(0, 0, -1),
	})
	for _, s := range slots {
		fmt.Println(s.Start.Format("15:04"), "-", s.End.Format("15:04"))
	}
	// Output:
	// 09:00 - 09:30
	// 11:00 - 11:30
	// 11:30 - 12:00
}

// The open time of two weeks around Christmas: mornings on weekdays, closed
// from 24 December to 2 January except on the morning of 31 December.
func ExampleSchedule_Open() {
	paris, _ := time.LoadLocation("Europe/Paris")
	morning, _ := booking.ParseClockRange("09:00-12:00")
	var s booking.Schedule
	for d := time.Monday; d <= time.Friday; d++ {
		s.Weekly.Set(d, morning)
	}
	from, _ := booking.ParseDate("2026-12-24")
	to, _ := booking.ParseDate("2027-01-02")
	s.Closures = []booking.Closure{{From: from, To: to, Label: "congés"}}
	eve, _ := booking.ParseDate("2026-12-31")
	s.Overrides = []booking.DateOverride{{Date: eve, Hours: []booking.ClockRange{{Start: 9 * 60, End: 11 * 60}}}}

	start := time.Date(2026, 12, 21, 0, 0, 0, 0, paris)
	for _, i := range s.Open(paris, start, start.AddDate(0, 0, 16)) {
		fmt.Println(i.Start.Format("Mon 2006-01-02 15:04"), "-", i.End.Format("15:04"))
	}
	// Output:
	// Mon 2026-12-21 09:00 - 12:00
	// Tue 2026-12-22 09:00 - 12:00
	// Wed 2026-12-23 09:00 - 12:00
	// Thu 2026-12-31 09:00 - 11:00
	// Mon 2027-01-04 09:00 - 12:00
	// Tue 2027-01-05 09:00 - 12:00
}

// French public holidays of 2027, computed from the date of Easter.
func ExampleFrenchHolidays() {
	for _, h := range booking.FrenchHolidays(2027, false) {
		fmt.Println(h.Date, h.Name)
	}
	// Output:
	// 2027-01-01 Jour de l'an
	// 2027-03-29 Lundi de Pâques
	// 2027-05-01 Fête du Travail
	// 2027-05-06 Ascension
	// 2027-05-08 Victoire 1945
	// 2027-05-17 Lundi de Pentecôte
	// 2027-07-14 Fête nationale
	// 2027-08-15 Assomption
	// 2027-11-01 Toussaint
	// 2027-11-11 Armistice 1918
	// 2027-12-25 Noël
}

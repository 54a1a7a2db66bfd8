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
	var hours booking.WeeklyHours
	morning, _ := booking.ParseClockRange("09:00-12:00")
	hours.Set(time.Monday, morning)

	day := time.Date(2026, 12, 7, 0, 0, 0, 0, paris) // a Monday
	slots := booking.Slots(booking.SlotQuery{
		Location: paris,
		Hours:    hours,
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

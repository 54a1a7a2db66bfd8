package booking

import "time"

// quotas returns the daily quotas a slot of t with the practitioner p must
// stay within (SlotQuery.Quotas): t's MaxPerDay over the bookings of t,
// p's MaxBookingsPerDay over all of them; nil when neither is set.
//
// The bookings counted are the active rows of the ledger and the bookings
// the calendar shows that the ledger has no row for (an event written, its
// row not yet), each once, by the local date of its start in p's zone; the
// booking exclude ("" for none) is not counted, so that a booking moved
// within its day does not count twice there. A row the ledger has, active
// or not, is counted by its status only. The caller passes the rows of
// every day the slots may start on.
func quotas(p *Practitioner, t *AppointmentType, cal []BusyInterval, ledger []*Booking, exclude string) []DayQuota {
	if t.MaxPerDay <= 0 && p.MaxBookingsPerDay <= 0 {
		return nil
	}
	byType, all := map[Date]int{}, map[Date]int{}
	count := func(typeID string, start time.Time) {
		d := DateOf(start.In(p.Location))
		all[d]++
		if typeID == t.ID {
			byType[d]++
		}
	}
	known := make(map[string]bool, len(ledger))
	for _, b := range ledger {
		known[b.ID] = true
		if b.Status.Active() && b.ID != exclude {
			count(b.TypeID, b.Start)
		}
	}
	for _, b := range cal {
		if b.Booking == "" || b.Booking == exclude || known[b.Booking] {
			continue
		}
		known[b.Booking] = true
		count(b.Type, b.Start)
	}
	return []DayQuota{{Max: t.MaxPerDay, Booked: byType}, {Max: p.MaxBookingsPerDay, Booked: all}}
}

// quotaWindow returns the span whose bookings quotas must be given for
// slots that start in [from, to): from the local midnight that starts the
// day of from to the one that ends the day of to.
func quotaWindow(loc *time.Location, from, to time.Time) (time.Time, time.Time) {
	return DateOf(from.In(loc)).Midnight(loc), DateOf(to.In(loc)).AddDays(1).Midnight(loc)
}

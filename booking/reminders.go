package booking

import (
	"context"
	"slices"
	"time"
)

// Reminders before the visit. A confirmed booking has one waiting outbox
// message of kind NotifyReminder per offset of its type whose time is
// still ahead, due at that time (OutboxMessage.Due). Every change that
// records a booking's status or time drops its waiting reminders and
// records those of its new state, in the same transaction (Change.Drop):
// a move gets reminders at its new time, a confirmation its first ones, a
// cancellation or an expiry none. At send time a reminder whose visit has
// begun, or whose booking is no longer confirmed at the time it names, is
// dropped instead of sent (see staleReminder).

// MaxReminder is the longest offset of a reminder before the visit.
const MaxReminder = 30 * 24 * time.Hour

// MaxReminders is how many reminders a type may set.
const MaxReminders = 10

// DefaultReminders returns the reminders of a type that sets none: one,
// a day before the visit.
func DefaultReminders() []time.Duration { return []time.Duration{24 * time.Hour} }

// reminders returns the effective offsets of t.
func (t *AppointmentType) reminders() []time.Duration {
	if t.Reminders == nil {
		return DefaultReminders()
	}
	return t.Reminders
}

// checkReminders reports whether offsets can be reminders of the type id:
// positive, at most MaxReminder, whole seconds, no duplicates.
func checkReminders(id string, offsets []time.Duration) error {
	if len(offsets) > MaxReminders {
		return Errorf(EInvalid, "appointment type %s: at most %d reminders", id, MaxReminders)
	}
	for i, d := range offsets {
		switch {
		case d <= 0 || d > MaxReminder:
			return Errorf(EInvalid, "appointment type %s: a reminder must come between 1 second and %d days before the visit", id, int(MaxReminder/(24*time.Hour)))
		case d%time.Second != 0:
			return Errorf(EInvalid, "appointment type %s: a reminder offset must be whole seconds", id)
		case slices.Contains(offsets[:i], d):
			return Errorf(EInvalid, "appointment type %s: reminder %s appears twice", id, d)
		}
	}
	return nil
}

// ReminderTimes returns when the reminders of a visit that starts at start
// fall, one per offset, in order of offset. An offset that is a whole
// number of days is applied to the wall clock of start's location: the
// reminder "24h" of a visit at 10:00 is at 10:00 the day before, 23 or 25
// hours earlier when a daylight saving change lies between. Any other
// offset is a duration: "2h" is two hours before, whatever the clock
// shows. A wall-clock time that does not exist that day (skipped by a
// change to summer time) is normalised as time.Date does.
func ReminderTimes(start time.Time, offsets []time.Duration) []time.Time {
	out := make([]time.Time, 0, len(offsets))
	for _, d := range offsets {
		if d%(24*time.Hour) == 0 {
			y, m, day := start.Date()
			h, mi, sec := start.Clock()
			out = append(out, time.Date(y, m, day-int(d/(24*time.Hour)), h, mi, sec, start.Nanosecond(), start.Location()))
		} else {
			out = append(out, start.Add(-d))
		}
	}
	return out
}

// remind makes c, a change of a booking of type t in the zone loc, drop the
// booking's waiting reminders and record those of its new state: one per
// reminder time still ahead at now, for a confirmed booking; none
// otherwise. It returns the reminders recorded.
func (s *Service) remind(c *Change, t *AppointmentType, loc *time.Location) []OutboxMessage {
	b := c.Booking
	if !slices.Contains(c.Drop, NotifyReminder) {
		c.Drop = append(slices.Clip(c.Drop), NotifyReminder)
	}
	if b.Status != StatusConfirmed || t == nil {
		return nil
	}
	now := s.now()
	var out []OutboxMessage
	for _, due := range ReminderTimes(b.Start.In(loc), t.reminders()) {
		if !due.After(now) || !due.Before(b.Start) {
			continue // never in the past
		}
		m := s.message(NotifyReminder, b, "")
		m.Due = due
		out = append(out, m)
	}
	c.Outbox = append(slices.Clip(c.Outbox), out...)
	return out
}

// staleReminder returns why the reminder m, claimed at now, must not be
// sent ("" if it may be): its visit has begun, or its booking is gone, no
// longer confirmed, or at another time than m names (the change that moved
// it drops its reminders; this is the belt to those braces).
func (s *Service) staleReminder(ctx context.Context, m OutboxMessage, now time.Time) (string, error) {
	if !now.Before(m.Start) {
		return "the visit has begun", nil
	}
	b, err := s.store.Booking(ctx, m.BookingID)
	switch {
	case ErrorCode(err) == ENotFound:
		return "the booking is gone", nil
	case err != nil:
		return "", err
	case b.Status != StatusConfirmed:
		return "the booking is " + string(b.Status), nil
	case !b.Start.Equal(m.Start):
		return "the booking was moved", nil
	}
	return "", nil
}

package api

import (
	"strings"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// defaultWindowDays is the length of a slot window that gives no end.
const defaultWindowDays = 7

// loadZone returns the IANA time zone called name.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, booking.Errorf(booking.EInvalid, "tz must be an IANA time zone name, such as Europe/Paris")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, booking.Errorf(booking.EInvalid, "tz %q is not a known IANA time zone name (such as Europe/Paris)", name)
	}
	return loc, nil
}

// parseBound parses the from or to query parameter: a date YYYY-MM-DD, which
// stands for its first instant in loc, or an RFC 3339 instant. It reports
// whether s was a date.
func parseBound(name, s string, loc *time.Location) (time.Time, bool, error) {
	if len(s) == len(time.DateOnly) {
		d, err := booking.ParseDate(s)
		if err != nil {
			return time.Time{}, false, booking.Errorf(booking.EInvalid, "%s must be a date YYYY-MM-DD or an RFC 3339 instant", name)
		}
		return d.Midnight(loc), true, nil
	}
	// A '+' left unescaped in a query string arrives as a space.
	t, err := time.Parse(time.RFC3339, strings.Replace(s, " ", "+", 1))
	if err != nil {
		return time.Time{}, false, booking.Errorf(booking.EInvalid, "%s must be a date YYYY-MM-DD or an RFC 3339 instant such as 2026-12-01T09:00:00+01:00 (escape '+' as %%2B)", name)
	}
	return t, false, nil
}

// window returns the instants [from, to) that the from and to parameters
// stand for in loc. Dates are whole local days, to excluded. Without from,
// the window starts today; without to, it lasts a week: seven local days
// after a date, seven times 24 hours of wall clock after an instant.
func window(fromParam, toParam string, loc *time.Location, now time.Time) (from, to time.Time, err error) {
	fromIsDate := true
	if fromParam == "" {
		from = booking.DateOf(now.In(loc)).Midnight(loc)
	} else if from, fromIsDate, err = parseBound("from", fromParam, loc); err != nil {
		return
	}
	switch {
	case toParam != "":
		if to, _, err = parseBound("to", toParam, loc); err != nil {
			return
		}
	case fromIsDate:
		to = booking.DateOf(from).AddDays(defaultWindowDays).Midnight(loc)
	default:
		to = from.In(loc).AddDate(0, 0, defaultWindowDays)
	}
	if !from.Before(to) {
		err = booking.Errorf(booking.EInvalid, "to must be after from (a date in to is excluded)")
	}
	return
}

package caldav

import (
	"context"
	"slices"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// Busy returns the busy time of the busy calendars that overlaps [from, to),
// sorted by start (see recur.Expander for what counts), each interval naming the
// booking it is the event of, if it is one of rdv's booking events.
//
// It reads a cache of each calendar, validated first by requests sent after
// the call began: they ask the server whether the calendar changed since
// the cache was filled, and fetch what did (see the package
// documentation). So the answer reflects every change made before the
// call, by rdv, another replica or the practitioner's own calendar client,
// which is what a booking needs under the practitioner's lock. When nothing
// changed, that costs one small request per calendar (sync-collection or
// getctag; a list of ETags on servers that have neither). Concurrent calls
// share validations: while one is under way, every call that arrives waits
// for the next one, so a calendar has one validation at a time however
// many calls there are.
//
// If a calendar cannot be read (server down, credentials refused, timeout,
// an answer that is not CalDAV), Busy returns an EUnavailable error, within
// Config.BusyTimeout: it never answers from a cache it could not validate.
// An object that cannot be parsed or expanded is skipped (or kept in part),
// logged at warn level by its href, and counted in BrokenObjects.
func (c *Calendar) Busy(ctx context.Context, from, to time.Time) ([]booking.BusyInterval, error) {
	if !from.Before(to) {
		return nil, nil
	}
	if err := c.validate(ctx, c.caches...); err != nil {
		return nil, err
	}
	var out []booking.BusyInterval
	for _, cc := range c.caches {
		out = c.cachedBusy(cc, from, to, out)
	}
	if len(c.caches) > 1 {
		slices.SortFunc(out, func(a, b booking.BusyInterval) int { return a.Start.Compare(b.Start) })
	}
	return out, nil
}

// validate waits, within Config.BusyTimeout, for a validation of each cache
// begun after the call (see validation).
func (c *Calendar) validate(ctx context.Context, caches ...*calCache) error {
	ctx, cancel := context.WithTimeout(ctx, c.busyTimeout)
	defer cancel()
	flights := make([]*flight, len(caches))
	for i, cc := range caches {
		flights[i] = c.validation(cc)
	}
	for i, f := range flights {
		select {
		case <-f.done:
			if f.err != nil {
				return f.err
			}
		case <-ctx.Done():
			err := &transportError{"read", c.conn.resolve(caches[i].info.Path).Redacted(), ctx.Err()}
			return booking.WrapError(booking.EUnavailable, err, transportMessage(err))
		}
	}
	return nil
}

// skip logs an unreadable object by its href and counts it. The error texts
// of the decoder and of Expand name structure and dates, not content.
// A File's calendar reports them to its caller instead (Calendar.report).
func (c *Calendar) skip(cal CalendarInfo, href string, err error) {
	c.broken.Add(1)
	if c.report != nil {
		c.report(href, err)
		return
	}
	c.log.Warn("caldav: calendar object skipped or read in part", "calendar", cal.Path, "href", href, "err", err)
}

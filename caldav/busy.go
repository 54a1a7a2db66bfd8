package caldav

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
)

// queryMargin widens the window sent to the server: a server reads floating
// times and dates in its own zone, up to 14 hours away from the
// practitioner's. rdv filters the exact window itself after expansion.
const queryMargin = 26 * time.Hour

// Busy returns the busy time of the busy calendars that overlaps [from, to),
// sorted by start (see Expand for what counts). The calendars are read in
// parallel; if one cannot be read, Busy returns an EUnavailable error. An
// object that cannot be parsed or expanded is skipped (or kept in part),
// logged at warn level by its href, and counted in BrokenObjects.
func (c *Calendar) Busy(ctx context.Context, from, to time.Time) ([]booking.Interval, error) {
	if !from.Before(to) {
		return nil, nil
	}
	results := make([][]booking.Interval, len(c.busy))
	errs := make([]error, len(c.busy))
	var wg sync.WaitGroup
	for i, cal := range c.busy {
		wg.Go(func() { results[i], errs[i] = c.calendarBusy(ctx, cal, from, to) })
	}
	wg.Wait()
	var out []booking.Interval
	for i := range results {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out = append(out, results[i]...)
	}
	slices.SortFunc(out, func(a, b booking.Interval) int { return a.Start.Compare(b.Start) })
	return out, nil
}

func (c *Calendar) calendarBusy(ctx context.Context, cal CalendarInfo, from, to time.Time) ([]booking.Interval, error) {
	objs, err := c.query(ctx, cal, from.Add(-queryMargin), to.Add(queryMargin))
	if err != nil {
		return nil, c.conn.opError(err, false)
	}
	var out []booking.Interval
	for _, o := range objs {
		data, err := decodeCalendar(o.data)
		if err != nil {
			c.skip(cal, o.href, err)
			continue
		}
		iv, err := Expand(data, c.loc, from, to)
		if err != nil {
			c.skip(cal, o.href, err)
		}
		out = append(out, iv...)
	}
	return out, nil
}

// skip logs an unreadable object by its href and counts it. The error texts
// of the decoder and of Expand name structure and dates, not content.
func (c *Calendar) skip(cal CalendarInfo, href string, err error) {
	c.broken.Add(1)
	c.log.Warn("caldav: calendar object skipped or read in part", "calendar", cal.Path, "href", href, "err", err)
}

// object is a calendar object as a calendar-query returns it.
type object struct {
	href, etag, data string
}

// query sends a calendar-query REPORT for the VEVENTs of cal that overlap
// [from, to).
func (c *Calendar) query(ctx context.Context, cal CalendarInfo, from, to time.Time) ([]object, error) {
	u := c.conn.resolve(cal.Path)
	ms, err := c.conn.multistatus(ctx, "REPORT", u, "1", eventQueryBody(from, to))
	if err != nil {
		return nil, err
	}
	var out []object
	for _, r := range ms.Responses {
		href := strings.TrimSpace(r.Href)
		if samePath(c.conn.resolve(href).EscapedPath(), cal.Path) || !statusOK(r.Status) {
			continue
		}
		p := r.props()
		if p.CalendarData == "" {
			if len(r.Propstats) > 0 {
				c.skip(cal, href, fmt.Errorf("caldav: no calendar-data in the answer"))
			}
			continue
		}
		out = append(out, object{href: href, etag: p.ETag, data: p.CalendarData})
	}
	return out, nil
}

// decodeCalendar parses an iCalendar object. go-ical panics on some
// malformed parameters; that is an error here like any other.
func decodeCalendar(data string) (cal *ical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cal, err = nil, fmt.Errorf("caldav: malformed iCalendar object: %v", r)
		}
	}()
	return ical.NewDecoder(strings.NewReader(data)).Decode()
}

package davserver

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/caldav"

	"github.com/rdvlibre/rdv/recur"
)

// query answers a calendar-query. A time range on VEVENT is decided by
// expanding each object with recur.Instances, so recurring events match on every
// instance; the rest of the filter is go-webdav's matcher. An object that
// cannot be expanded matches (over-matching is harmless: clients filter).
func (b *FileBackend) query(p string, q *caldav.CalendarQuery) ([]caldav.CalendarObject, error) {
	cal, obj, ok := b.split(p)
	if !ok || cal == "" || obj != "" {
		return nil, errNoCalendar
	}
	all, err := b.objects(cal)
	if err != nil {
		return nil, err
	}
	filter := q.CompFilter
	var from, to time.Time
	if filter.Name == ical.CompCalendar {
		comps := make([]caldav.CompFilter, len(filter.Comps))
		copy(comps, filter.Comps)
		for i := range comps {
			if comps[i].Name == ical.CompEvent && !comps[i].Start.IsZero() {
				from, to = comps[i].Start, comps[i].End
				comps[i].Start, comps[i].End = time.Time{}, time.Time{}
			}
		}
		filter.Comps = comps
	}
	if to.IsZero() && !from.IsZero() {
		to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	loc := b.Location
	if loc == nil {
		loc = time.UTC
	}
	var out []caldav.CalendarObject
	for _, co := range all {
		ok, err := caldav.Match(filter, &co)
		if err != nil || !ok {
			continue
		}
		if !from.IsZero() {
			inst, err := recur.Instances(co.Data, loc, from, to)
			if err == nil && len(inst) == 0 {
				continue
			}
		}
		out = append(out, co)
	}
	return out, nil
}

// ctxBackend adapts FileBackend to go-webdav's caldav.Backend.
type ctxBackend struct{ b *FileBackend }

var _ caldav.Backend = ctxBackend{}

func (a ctxBackend) CurrentUserPrincipal(context.Context) (string, error) {
	return a.b.principalPath(), nil
}

func (a ctxBackend) CalendarHomeSetPath(context.Context) (string, error) {
	return a.b.homePath(), nil
}

func (a ctxBackend) CreateCalendar(_ context.Context, c *caldav.Calendar) error {
	cal, obj, ok := a.b.split(c.Path)
	if !ok || cal == "" || obj != "" {
		return webdav.NewHTTPError(http.StatusForbidden, errors.New("davserver: calendars go in the calendar home"))
	}
	a.b.mu.Lock()
	defer a.b.mu.Unlock()
	name := c.Name
	if name == "" {
		name = cal
	}
	return a.b.createCalendar(cal, calendarMeta{DisplayName: name, Description: c.Description}, true)
}

func (a ctxBackend) ListCalendars(context.Context) ([]caldav.Calendar, error) {
	return a.b.calendars()
}

func (a ctxBackend) GetCalendar(_ context.Context, p string) (*caldav.Calendar, error) {
	cal, obj, ok := a.b.split(p)
	if !ok || cal == "" || obj != "" {
		return nil, errNoCalendar
	}
	return a.b.calendar(cal)
}

func (a ctxBackend) GetCalendarObject(_ context.Context, p string, _ *caldav.CalendarCompRequest) (*caldav.CalendarObject, error) {
	cal, obj, ok := a.b.split(p)
	if !ok || cal == "" || obj == "" {
		return nil, errNoObject
	}
	return a.b.read(cal, obj)
}

func (a ctxBackend) ListCalendarObjects(_ context.Context, p string, _ *caldav.CalendarCompRequest) ([]caldav.CalendarObject, error) {
	cal, obj, ok := a.b.split(p)
	if !ok || cal == "" || obj != "" {
		return nil, errNoCalendar
	}
	return a.b.objects(cal)
}

func (a ctxBackend) QueryCalendarObjects(_ context.Context, p string, q *caldav.CalendarQuery) ([]caldav.CalendarObject, error) {
	return a.b.query(p, q)
}

func (a ctxBackend) PutCalendarObject(_ context.Context, p string, cal *ical.Calendar, opts *caldav.PutCalendarObjectOptions) (*caldav.CalendarObject, error) {
	return a.b.put(p, cal, opts)
}

func (a ctxBackend) DeleteCalendarObject(_ context.Context, p string) error {
	return a.b.remove(p, "")
}

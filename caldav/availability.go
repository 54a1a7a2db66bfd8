package caldav

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/recur"
)

// AvailabilityConfig says where on the server, besides rdv's configuration,
// the practitioner keeps their open time. The zero value: nowhere, and
// Availability answers ok false.
type AvailabilityConfig struct {
	// Calendar names a calendar, like Config.BookingsCalendar, whose events
	// mark open time (recurring ones included), so that the practitioner
	// manages opening hours from any calendar client. Its events are never
	// busy time; it can be neither the bookings calendar nor a busy one.
	Calendar string
	// WorkingHours reads the practitioner's working hours: the RFC 7953
	// VAVAILABILITY that Nextcloud (Settings, Availability) and other
	// scheduling servers keep in the calendar-availability property of the
	// account's scheduling inbox (RFC 6638 schedule-inbox-URL, found from
	// the principal). It is read again for every query.
	WorkingHours bool
	// WorkingHoursURL is the URL, or the path on the server, of the resource
	// whose calendar-availability property holds the working hours, for a
	// server without scheduling inbox. Setting it implies WorkingHours.
	WorkingHoursURL string
	// AddWorkingHours makes the working hours add to the weekly template,
	// like the events of the availability calendar. By default they replace
	// it wherever a VAVAILABILITY applies (see Calendar.Availability).
	AddWorkingHours bool
}

// availability is where a Calendar reads open time.
type availability struct {
	info  CalendarInfo // the availability calendar, if any
	cache *calCache    // its cache; nil without an availability calendar
	hours *url.URL     // the resource holding the working hours; nil without them
	add   bool         // AddWorkingHours

	mu     sync.Mutex
	text   string         // the calendar-availability property as last read
	parsed *ical.Calendar // its parse; nil when it holds nothing
	warned bool           // a partial read of text was logged

	hoursFailing atomic.Bool // the last read of the working hours failed
	checkFailing atomic.Bool // the last check of these sources failed
}

var _ booking.AvailabilitySource = (*Calendar)(nil)

// Availability returns the practitioner's open time kept on the server that
// overlaps [from, to) (see booking.AvailabilitySource); ok is false when
// Config.Availability names no source.
//
// The events of the availability calendar are open time: every instance of
// every event, recurrences expanded like busy time (see recur.Expander), except
// those whose event is STATUS:CANCELLED. TRANSP does not matter there:
// TRANSP says whether an event takes time in free/busy lookups, and a
// practitioner may well mark their opening hours "free" so that colleagues
// still see them as available, or clients mark all-day events transparent
// by default; what makes an event open time is the calendar it is in. The
// calendar is read through a cache like the busy calendars (see Busy):
// validated by one small request when nothing changed.
//
// The working hours are read from the server for every call (a PROPFIND of
// one property, Depth: 0, about as cheap as validating a cache), so a change
// made in Nextcloud counts at once. What their VAVAILABILITY components say
// is computed by recur.Expander.Availability: where one applies, the practitioner
// is open during its AVAILABLE time and at no other time, the weekly
// template being replaced there (OpenTime.Covered), unless
// AddWorkingHours, with which they only add open time. Without any
// VAVAILABILITY (the property absent or empty), the weekly template alone
// holds. The events of the availability calendar add open time in either
// case, even where a VAVAILABILITY says the practitioner is unavailable:
// they are the more specific of the two.
//
// Both sources are read in parallel, within Config.BusyTimeout. If one
// cannot be read, or the working hours cannot be parsed at all, the error
// is EUnavailable: no open time is computed without them. A part of them
// that cannot be read is skipped, logged and counted in BrokenObjects.
func (c *Calendar) Availability(ctx context.Context, from, to time.Time) (booking.OpenTime, bool, error) {
	a := c.avail
	if a == nil {
		return booking.OpenTime{}, false, nil
	}
	if !from.Before(to) {
		return booking.OpenTime{}, true, nil
	}
	var events []booking.BusyInterval
	var hours booking.OpenTime
	var calErr, hoursErr error
	var wg sync.WaitGroup
	if a.cache != nil {
		wg.Go(func() {
			if calErr = c.validate(ctx, a.cache); calErr == nil {
				events = c.cachedBusy(a.cache, from, to, nil)
			}
		})
	}
	if a.hours != nil {
		wg.Go(func() { hours, hoursErr = c.workingHours(ctx, a, from, to) })
	}
	wg.Wait()
	if err := errors.Join(calErr, hoursErr); err != nil {
		return booking.OpenTime{}, true, err
	}
	out := booking.OpenTime{Open: hours.Open}
	for _, e := range events {
		out.Open = append(out.Open, e.Interval)
	}
	if !a.add {
		out.Covered = hours.Covered
	}
	return out, true, nil
}

// AvailabilityURLs returns the URL of the availability calendar and that of
// the resource holding the working hours (without credentials), "" for
// those not configured, for display.
func (c *Calendar) AvailabilityURLs() (calendar, workingHours string) {
	a := c.avail
	if a == nil {
		return "", ""
	}
	if a.cache != nil {
		calendar = c.conn.resolve(a.info.Path).String()
	}
	if a.hours != nil {
		workingHours = a.hours.Redacted()
	}
	return calendar, workingHours
}

// timeOf returns the time the instances of an object of cc hold: open time
// for the availability calendar (see openOf), busy time for the others.
func (c *Calendar) timeOf(cc *calCache, inst []recur.Instance) []booking.BusyInterval {
	if a := c.avail; a != nil && a.cache == cc {
		return openOf(inst)
	}
	return busyOf(inst)
}

// openOf returns the open time of the instances of an event of the
// availability calendar: all of them but those whose event is
// STATUS:CANCELLED, whatever their TRANSP (see Availability).
func openOf(inst []recur.Instance) []booking.BusyInterval {
	var out []booking.BusyInterval
	for _, in := range inst {
		if p := in.Event.Props.Get(ical.PropStatus); p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "CANCELLED") {
			continue
		}
		if in.Start.Before(in.End) {
			out = append(out, booking.BusyInterval{Interval: booking.Interval{Start: in.Start, End: in.End}})
		}
	}
	return out
}

// setupAvailability finds the sources cfg names, during New. Errors are
// like those of New.
func (c *Calendar) setupAvailability(ctx context.Context, cfg AvailabilityConfig) error {
	name := strings.TrimSpace(cfg.Calendar)
	hoursURL := strings.TrimSpace(cfg.WorkingHoursURL)
	if name == "" && !cfg.WorkingHours && hoursURL == "" {
		return nil
	}
	a := &availability{add: cfg.AddWorkingHours}
	if name != "" {
		info, err := c.availabilityCalendar(ctx, name)
		if err != nil {
			return err
		}
		a.info, a.cache = info, newCalCache(info)
	}
	if cfg.WorkingHours || hoursURL != "" {
		u, err := c.findWorkingHours(ctx, hoursURL)
		if err != nil {
			return err
		}
		a.hours = u
		// Read them once, so that a resource that does not answer, or
		// working hours that can't be parsed, show as a configuration to fix.
		if _, err := c.readWorkingHours(ctx, a); err != nil {
			if errors.Is(err, errMalformed) {
				return booking.WrapError(booking.EInvalid, err, "caldav: the working hours (calendar-availability) are not iCalendar")
			}
			return c.conn.opError(err, true)
		}
	}
	c.avail = a
	return nil
}

// availabilityCalendar finds the calendar name designates, as discover
// finds the bookings calendar.
func (c *Calendar) availabilityCalendar(ctx context.Context, name string) (CalendarInfo, error) {
	d := &Calendar{conn: c.conn, loc: c.loc, log: c.log}
	if err := d.discover(ctx, name, nil); err != nil {
		return CalendarInfo{}, booking.WrapError(booking.ErrorCode(err), err, "caldav: availability calendar: "+booking.ErrorMessage(err))
	}
	for _, b := range c.busy {
		if samePath(b.Path, d.bookings.Path) {
			return CalendarInfo{}, booking.Errorf(booking.EInvalid,
				"caldav: the availability calendar %q is also the bookings calendar or a busy calendar: its events can't be both open and busy time", d.bookings.String())
		}
	}
	return d.bookings, nil
}

// findWorkingHours returns the resource whose calendar-availability
// property holds the working hours: the one configured, else the
// scheduling inbox of the account's principal (RFC 6638 section 2.2.1),
// found from the configured URL or /.well-known/caldav.
func (c *Calendar) findWorkingHours(ctx context.Context, configured string) (*url.URL, error) {
	if configured != "" {
		return c.conn.resolve(configured), nil
	}
	var tried []string
	for _, start := range []*url.URL{c.conn.base, c.conn.resolve("/.well-known/caldav")} {
		principal, inbox, err := c.schedulingProps(ctx, start)
		if err == nil && inbox == "" && principal != "" {
			_, inbox, err = c.schedulingProps(ctx, c.conn.resolve(principal))
		}
		var se *statusError
		switch {
		case err != nil && (!errors.As(err, &se) || se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden):
			return nil, c.conn.opError(err, true)
		case err != nil:
			tried = append(tried, err.Error())
		case inbox != "":
			return c.conn.resolve(inbox), nil
		case principal != "":
			tried = append(tried, "the principal has no schedule-inbox-URL")
		default:
			tried = append(tried, start.Redacted()+": no current-user-principal")
		}
	}
	return nil, booking.WrapError(booking.EInvalid, errors.New("caldav: "+strings.Join(tried, "; ")),
		"caldav: working hours: the server shows no scheduling inbox (RFC 6638) for this account; name the resource whose calendar-availability property holds them (WorkingHoursURL)")
}

// schedulingProps reads the current-user-principal and schedule-inbox-URL
// of the resource at u (PROPFIND, Depth: 0).
func (c *Calendar) schedulingProps(ctx context.Context, u *url.URL) (principal, inbox string, err error) {
	var ans schedulingAnswer
	if err := c.conn.xmlRequest(ctx, "PROPFIND", u, "0", schedulingBody(), &ans); err != nil {
		return "", "", err
	}
	for _, r := range ans.Responses {
		for _, ps := range r.Propstats {
			if !statusOK(ps.Status) {
				continue
			}
			if h := ps.Prop.Principal; h != nil && len(h.Hrefs) > 0 && principal == "" {
				principal = strings.TrimSpace(h.Hrefs[0])
			}
			if h := ps.Prop.Inbox; h != nil && len(h.Hrefs) > 0 && inbox == "" {
				inbox = strings.TrimSpace(h.Hrefs[0])
			}
		}
	}
	return principal, inbox, nil
}

// workingHours reads the working hours and returns what they say of
// [from, to). Errors are EUnavailable.
func (c *Calendar) workingHours(ctx context.Context, a *availability, from, to time.Time) (booking.OpenTime, error) {
	ctx, cancel := context.WithTimeout(ctx, c.busyTimeout)
	defer cancel()
	cal, err := c.readWorkingHours(ctx, a)
	if err != nil {
		err = c.conn.opError(err, false)
		if !a.hoursFailing.Swap(true) {
			c.log.Warn("caldav: working hours unreadable", "url", a.hours.Redacted(), "err", err)
		}
		return booking.OpenTime{}, err
	}
	if a.hoursFailing.Swap(false) {
		c.log.Info("caldav: working hours readable again", "url", a.hours.Redacted())
	}
	if cal == nil {
		return booking.OpenTime{}, nil
	}
	ot, crashed, err := hoursOf(c.exp, cal, from, to)
	if crashed {
		// Nothing can be said of the working hours, not even where they
		// replace the weekly template: no open time rather than too much.
		c.skip(CalendarInfo{Path: a.hours.EscapedPath()}, a.hours.EscapedPath(), err)
		return booking.OpenTime{}, booking.WrapError(booking.EUnavailable, err, "caldav: the working hours on the calendar server cannot be read")
	}
	if err != nil {
		a.mu.Lock()
		warn := !a.warned
		a.warned = true
		a.mu.Unlock()
		if warn {
			c.skip(CalendarInfo{Path: a.hours.EscapedPath()}, a.hours.EscapedPath(), err)
		}
	}
	return ot, nil
}

// hoursOf is e.Availability, a panic turned into an error (crashed), like
// instances does for events: hostile working hours must not bring the
// service down.
func hoursOf(e recur.Expander, cal *ical.Calendar, from, to time.Time) (ot booking.OpenTime, crashed bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ot, crashed, err = booking.OpenTime{}, true, fmt.Errorf("caldav: expansion of the working hours failed: %v", r)
		}
	}()
	ot, err = e.Availability(cal, from, to)
	return ot, false, err
}

// readWorkingHours reads the calendar-availability property of a.hours and
// returns its parse, nil when it is absent or empty. A property that is not
// iCalendar is an error wrapping errMalformed.
func (c *Calendar) readWorkingHours(ctx context.Context, a *availability) (*ical.Calendar, error) {
	var ans availabilityAnswer
	if err := c.conn.xmlRequest(ctx, "PROPFIND", a.hours, "0", availabilityBody(), &ans); err != nil {
		return nil, err
	}
	text := ""
	for _, r := range ans.Responses {
		for _, ps := range r.Propstats {
			if statusOK(ps.Status) && ps.Prop.Availability != nil && text == "" {
				text = strings.TrimSpace(ps.Prop.Availability.Text)
			}
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if text == a.text && (a.parsed != nil || text == "") {
		return a.parsed, nil
	}
	var cal *ical.Calendar
	if text != "" {
		var err error
		if cal, err = recur.Decode(text); err != nil {
			return nil, &transportError{"PROPFIND", a.hours.Redacted(), fmt.Errorf("%w: calendar-availability: %v", errMalformed, err)}
		}
	}
	a.text, a.parsed, a.warned = text, cal, false
	return cal, nil
}

// checkAvailability is Check for the sources of open time.
func (c *Calendar) checkAvailability(ctx context.Context) error {
	a := c.avail
	if a == nil {
		return nil
	}
	var errs []error
	if a.cache != nil {
		errs = append(errs, c.check(ctx, a.info))
	}
	if a.hours != nil {
		if _, err := c.readWorkingHours(ctx, a); err != nil {
			errs = append(errs, c.conn.opError(err, false))
		}
	}
	err := errors.Join(errs...)
	switch {
	case err != nil && !a.checkFailing.Swap(true):
		c.log.Warn("caldav: check of the open time sources fails", "err", err)
	case err == nil && a.checkFailing.Swap(false):
		c.log.Info("caldav: check of the open time sources passes again")
	}
	return err
}

// Request and answer bodies, named like those of xml.go.

type availabilityPropfind struct {
	XMLName xml.Name `xml:"D:propfind"`
	NSD     string   `xml:"xmlns:D,attr"`
	NSC     string   `xml:"xmlns:C,attr"`
	Prop    struct {
		Principal    *empty `xml:"D:current-user-principal"`
		Inbox        *empty `xml:"C:schedule-inbox-URL"`
		Availability *empty `xml:"C:calendar-availability"`
	} `xml:"D:prop"`
}

// schedulingBody asks for the principal and its scheduling inbox;
// availabilityBody for the calendar-availability property (RFC 7953
// section 7.2.4).
var (
	schedulingBody = sync.OnceValue(func() []byte {
		r := availabilityPropfind{NSD: nsDAV, NSC: nsCalDAV}
		r.Prop.Principal, r.Prop.Inbox = &empty{}, &empty{}
		return marshal(r)
	})
	availabilityBody = sync.OnceValue(func() []byte {
		r := availabilityPropfind{NSD: nsDAV, NSC: nsCalDAV}
		r.Prop.Availability = &empty{}
		return marshal(r)
	})
)

type schedulingAnswer struct {
	Responses []struct {
		Propstats []struct {
			Status string `xml:"DAV: status"`
			Prop   struct {
				Principal *msHrefs `xml:"DAV: current-user-principal"`
				Inbox     *msHrefs `xml:"urn:ietf:params:xml:ns:caldav schedule-inbox-URL"`
			} `xml:"DAV: prop"`
		} `xml:"DAV: propstat"`
	} `xml:"DAV: response"`
}

type availabilityAnswer struct {
	Responses []struct {
		Propstats []struct {
			Status string `xml:"DAV: status"`
			Prop   struct {
				Availability *struct {
					Text string `xml:",chardata"`
				} `xml:"urn:ietf:params:xml:ns:caldav calendar-availability"`
			} `xml:"DAV: prop"`
		} `xml:"DAV: propstat"`
	} `xml:"DAV: response"`
}

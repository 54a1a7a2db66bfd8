package caldav

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/ics"
	"github.com/rdvlibre/rdv/recur"
)

// Href returns where Create writes the event of the booking with this id
// (booking.Calendar): in the bookings calendar, named after the id.
func (c *Calendar) Href(id string) string {
	return c.bookings.Path + url.PathEscape(id) + ".ics"
}

// Create writes the event of a.Booking (see ics.Appointment) at
// Href(a.Booking.ID) with If-None-Match: *, and returns its href and
// ETag.
//
// It returns an EConflict error when an object is already there (HTTP 412)
// or the server refuses a second object with this UID (409), EUnavailable
// when the server cannot be reached, fails or refuses the credentials. A
// server error (5xx) is not taken at its word, since some servers answer a
// lost race with 500: the object is read back, and if it is there, it is
// this write (same DTSTAMP: success) or another one (EConflict).
func (c *Calendar) Create(ctx context.Context, a booking.Appointment) (booking.EventRef, error) {
	if a.Booking == nil {
		return booking.EventRef{}, booking.Errorf(booking.EInternal, "caldav: Create without a booking")
	}
	now := c.now().UTC().Truncate(time.Second)
	href := c.Href(a.Booking.ID)
	code, etag, sent, err := c.put(ctx, href, a, now, http.Header{"If-None-Match": {"*"}})
	if err != nil {
		return booking.EventRef{}, err
	}
	switch {
	case code/100 == 2:
		return c.ref(ctx, href, etag), nil
	case code == http.StatusPreconditionFailed || code == http.StatusConflict:
		return booking.EventRef{}, booking.Errorf(booking.EConflict, "caldav: the calendar already holds this booking's event (HTTP %d)", code)
	case code >= 500:
		stamp, etag, found, rerr := c.readStamp(ctx, href)
		switch {
		case rerr != nil || !found:
			return booking.EventRef{}, c.conn.opError(&statusError{"PUT", c.conn.resolve(href).Redacted(), code, nil}, false)
		case stamp.Equal(now):
			c.wrote(href, sent, "") // what the server holds: fetched again at the next read
			return c.ref(ctx, href, etag), nil
		default:
			return booking.EventRef{}, booking.Errorf(booking.EConflict, "caldav: the calendar already holds this booking's event (HTTP %d, then found)", code)
		}
	default:
		return booking.EventRef{}, c.writeError("PUT", href, code)
	}
}

// Update rewrites the event of a.Booking at ref.Href (Href if empty)
// with If-Match: ref.ETag (If-Match: * when ref has no ETag: the event must
// still exist). It returns the new reference; an EConflict error when the
// event changed (HTTP 412) or vanished (404); EUnavailable when the server
// cannot be reached, fails or refuses the credentials.
func (c *Calendar) Update(ctx context.Context, a booking.Appointment, ref booking.EventRef) (booking.EventRef, error) {
	if a.Booking == nil {
		return booking.EventRef{}, booking.Errorf(booking.EInternal, "caldav: Update without a booking")
	}
	href := ref.Href
	if href == "" {
		href = c.Href(a.Booking.ID)
	}
	match := "*"
	if ref.ETag != "" {
		match = quoteETag(ref.ETag)
	}
	code, etag, _, err := c.put(ctx, href, a, c.now(), http.Header{"If-Match": {match}})
	if err != nil {
		return booking.EventRef{}, err
	}
	switch {
	case code/100 == 2:
		return c.ref(ctx, href, etag), nil
	case code == http.StatusPreconditionFailed || code == http.StatusConflict:
		return booking.EventRef{}, booking.Errorf(booking.EConflict, "caldav: the booking's event was changed in the calendar (HTTP %d)", code)
	case code == http.StatusNotFound || code == http.StatusGone:
		return booking.EventRef{}, booking.Errorf(booking.EConflict, "caldav: the booking's event was removed from the calendar")
	default:
		return booking.EventRef{}, c.writeError("PUT", href, code)
	}
}

// Delete removes the event at ref, with If-Match: ref.ETag when ref has
// one. A missing event is not an error; an event changed since ref was taken
// gives an EConflict error.
func (c *Calendar) Delete(ctx context.Context, ref booking.EventRef) error {
	if ref.Href == "" {
		return booking.Errorf(booking.EInternal, "caldav: Delete without an href")
	}
	hdr := http.Header{}
	if ref.ETag != "" {
		hdr.Set("If-Match", quoteETag(ref.ETag))
	}
	resp, err := c.conn.do(ctx, http.MethodDelete, c.conn.resolve(ref.Href), hdr, nil)
	if err != nil {
		return c.conn.opError(err, false)
	}
	drain(resp)
	switch code := resp.StatusCode; {
	case code/100 == 2, code == http.StatusNotFound, code == http.StatusGone:
		c.removed(ref.Href)
		return nil
	case code == http.StatusPreconditionFailed:
		// If-Match also fails when nothing is there (RFC 9110 section
		// 13.1.1): sabre/dav answers 412 where Radicale answers 404.
		if _, _, found, err := c.readStamp(ctx, ref.Href); err == nil && !found {
			return nil
		}
		return booking.Errorf(booking.EConflict, "caldav: the booking's event was changed in the calendar (HTTP 412)")
	default:
		return c.writeError("DELETE", ref.Href, code)
	}
}

// put sends the event of a with the given conditions and returns the
// status, the ETag header and the object sent. A success stores the object
// in the cache too, with the ETag unless the server gave none or a weak one,
// a sign it altered the object (RFC 4791 section 5.3.4): the next
// validation then fetches what the server holds.
func (c *Calendar) put(ctx context.Context, href string, a booking.Appointment, now time.Time, hdr http.Header) (int, string, *ical.Calendar, error) {
	obj := c.event.Event(a, now)
	body, err := ics.Encode(obj)
	if err != nil {
		return 0, "", nil, booking.WrapError(booking.EInternal, err, "caldav: cannot encode the booking's event")
	}
	hdr.Set("Content-Type", "text/calendar; charset=utf-8")
	resp, err := c.conn.do(ctx, http.MethodPut, c.conn.resolve(href), hdr, body)
	if err != nil {
		return 0, "", nil, c.conn.opError(err, false)
	}
	drain(resp)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode/100 == 2 {
		strong := etag
		if strings.HasPrefix(strings.TrimSpace(etag), "W/") {
			strong = ""
		}
		c.wrote(href, obj, strings.TrimSpace(strong))
	}
	return resp.StatusCode, etag, obj, nil
}

// writeError maps an unexpected answer to a write.
func (c *Calendar) writeError(method, href string, code int) error {
	err := &statusError{method, c.conn.resolve(href).Redacted(), code, nil}
	if code == http.StatusUnauthorized || code == http.StatusForbidden || code >= 500 {
		return c.conn.opError(err, false)
	}
	// 400, 415, 422...: the server refused the object rdv made.
	return booking.WrapError(booking.EInternal, err, fmt.Sprintf("caldav: the calendar server refused the booking's event (HTTP %d)", code))
}

// ref returns the reference of the object at href, asking for its ETag if
// the write did not return one (servers that alter what they store do
// not). A failure to learn it leaves the ETag empty.
func (c *Calendar) ref(ctx context.Context, href, etag string) booking.EventRef {
	if etag == "" {
		etag, _ = c.fetchETag(ctx, href)
	}
	return booking.EventRef{Href: href, ETag: etag}
}

// fetchETag asks for the ETag of the object at href: with HEAD, else with
// a PROPFIND for DAV:getetag.
func (c *Calendar) fetchETag(ctx context.Context, href string) (string, error) {
	u := c.conn.resolve(href)
	resp, err := c.conn.do(ctx, http.MethodHead, u, nil, nil)
	if err == nil {
		drain(resp)
		if etag := resp.Header.Get("ETag"); resp.StatusCode/100 == 2 && etag != "" {
			return etag, nil
		}
	}
	ms, err := c.conn.propfind(ctx, u, "0", propfindSet{ETag: &empty{}})
	if err != nil {
		return "", err
	}
	for _, r := range ms.Responses {
		if etag := r.props().ETag; etag != "" {
			return etag, nil
		}
	}
	return "", errors.New("caldav: the server gives no ETag")
}

// readStamp reads the object at href and returns the DTSTAMP of its event.
func (c *Calendar) readStamp(ctx context.Context, href string) (stamp time.Time, etag string, found bool, err error) {
	resp, err := c.conn.do(ctx, http.MethodGet, c.conn.resolve(href), http.Header{"Accept": {"text/calendar"}}, nil)
	if err != nil {
		return time.Time{}, "", false, err
	}
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
		drain(resp)
		return time.Time{}, "", false, nil
	}
	if resp.StatusCode/100 != 2 {
		drain(resp)
		return time.Time{}, "", false, &statusError{"GET", resp.Request.URL.Redacted(), resp.StatusCode, nil}
	}
	data, err := readBody(resp)
	if err != nil {
		return time.Time{}, "", true, err
	}
	cal, err := recur.Decode(string(data))
	if err != nil {
		return time.Time{}, resp.Header.Get("ETag"), true, nil
	}
	for _, ev := range cal.Events() {
		if p := ev.Props.Get(ical.PropDateTimeStamp); p != nil {
			stamp, _ = p.DateTime(time.UTC)
		}
	}
	return stamp, resp.Header.Get("ETag"), true, nil
}

// quoteETag returns an entity tag in its quoted form, as If-Match wants it.
func quoteETag(etag string) string {
	etag = strings.TrimSpace(etag)
	if strings.HasPrefix(etag, `"`) || strings.HasPrefix(etag, `W/"`) {
		return etag
	}
	return `"` + etag + `"`
}

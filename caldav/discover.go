package caldav

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rdvlibre/rdv/booking"
)

// discover finds the bookings calendar and the busy calendars: the
// configured URL if it is a calendar, else the calendars of the account's
// calendar home, reached from the URL, or /.well-known/caldav (RFC 6764
// section 5), through the current-user-principal (RFC 5397) and its
// calendar-home-set (RFC 4791 section 6.2.1).
func (c *Calendar) discover(ctx context.Context, bookingsName string, busyNames []string) error {
	cn := c.conn
	var tried []string
	note := func(what string, err error) {
		var se *statusError
		if errors.As(err, &se) && se.Code < 300 {
			// A web page (Nextcloud's login page), not a 207 Multi-Status.
			tried = append(tried, fmt.Sprintf("%s: HTTP %d, not a WebDAV answer", what, se.Code))
		} else if errors.As(err, &se) {
			tried = append(tried, fmt.Sprintf("%s: HTTP %d", what, se.Code))
		} else {
			tried = append(tried, fmt.Sprintf("%s: %v", what, err))
		}
	}
	// fatal tells the errors that end discovery at once: an unreachable
	// server, refused credentials. Other answers (a 404, or a 5xx from a
	// web root that is no DAV resource) let discovery try the next step;
	// serverErr keeps the last 5xx, reported if nothing is found.
	var serverErr error
	fatal := func(err error) bool {
		var se *statusError
		if !errors.As(err, &se) {
			return true
		}
		if se.Code >= 500 {
			serverErr = err
		}
		return se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden
	}
	all := propfindSet{
		ResourceType: &empty{}, DisplayName: &empty{}, CurrentUserPrincipal: &empty{},
		CalendarHomeSet: &empty{}, SupportedComponents: &empty{},
	}

	var direct *CalendarInfo
	var principal string
	var homes []string
	var startIsCollection bool
	look := func(u *url.URL, what string) error {
		ms, err := cn.propfind(ctx, u, "0", all)
		if err != nil {
			if fatal(err) {
				return cn.opError(err, true)
			}
			note(what, err)
			return nil
		}
		for _, r := range ms.Responses {
			p := r.props()
			if p.isCalendar() && direct == nil && what == "the configured URL" {
				direct = &CalendarInfo{Path: collectionPath(cn.resolve(hrefOr(r.Href, u.EscapedPath()))), Name: p.DisplayName}
			}
			if p.ResourceType != nil && p.ResourceType.Collection != nil && what == "the configured URL" {
				startIsCollection = true
			}
			if p.CurrentUserPrincipal != nil && len(p.CurrentUserPrincipal.Hrefs) > 0 && principal == "" {
				principal = p.CurrentUserPrincipal.Hrefs[0]
			}
			if p.CalendarHomeSet != nil && len(homes) == 0 {
				homes = p.CalendarHomeSet.Hrefs
			}
		}
		if direct == nil && principal == "" && len(homes) == 0 {
			tried = append(tried, what+": no current-user-principal")
		}
		return nil
	}

	if err := look(cn.base, "the configured URL"); err != nil {
		return err
	}
	if direct != nil && onlyNames(*direct, bookingsName, busyNames) {
		c.bookings, c.busy = *direct, []CalendarInfo{*direct}
		return nil
	}
	if principal == "" && len(homes) == 0 {
		if err := look(cn.resolve("/.well-known/caldav"), "/.well-known/caldav"); err != nil {
			return err
		}
	}
	if len(homes) == 0 && principal != "" {
		ms, err := cn.propfind(ctx, cn.resolve(principal), "0", propfindSet{CalendarHomeSet: &empty{}})
		switch {
		case err != nil && fatal(err):
			return cn.opError(err, true)
		case err != nil:
			note("the principal", err)
		default:
			for _, r := range ms.Responses {
				if p := r.props(); p.CalendarHomeSet != nil {
					homes = append(homes, p.CalendarHomeSet.Hrefs...)
				}
			}
			if len(homes) == 0 {
				tried = append(tried, "the principal: no calendar-home-set")
			}
		}
	}
	if len(homes) == 0 && startIsCollection && direct == nil {
		homes = []string{cn.base.EscapedPath()} // perhaps the home itself
	}
	if len(homes) == 0 && direct == nil {
		if serverErr != nil {
			return cn.opError(serverErr, true)
		}
		return booking.WrapError(booking.EInvalid, errors.New("caldav: "+strings.Join(tried, "; ")),
			"caldav: no CalDAV calendars found from the configured URL (tried: "+strings.Join(tried, "; ")+")")
	}

	var found []CalendarInfo
	if direct != nil {
		found = append(found, *direct)
	}
	var searched []string
	for _, h := range homes {
		u := cn.resolve(h)
		searched = append(searched, u.Redacted())
		cals, err := c.listCalendars(ctx, u)
		if err != nil {
			return err
		}
		for _, cal := range cals {
			if direct == nil || cal.Path != direct.Path {
				found = append(found, cal)
			}
		}
	}
	return c.choose(found, direct, bookingsName, busyNames, searched)
}

// listCalendars returns the calendar collections of a home that take
// events.
func (c *Calendar) listCalendars(ctx context.Context, home *url.URL) ([]CalendarInfo, error) {
	ms, err := c.conn.propfind(ctx, home, "1", propfindSet{ResourceType: &empty{}, DisplayName: &empty{}, SupportedComponents: &empty{}})
	if err != nil {
		return nil, c.conn.opError(err, true)
	}
	var out []CalendarInfo
	for _, r := range ms.Responses {
		if p := r.props(); p.isCalendar() && p.supportsEvents() {
			out = append(out, CalendarInfo{Path: collectionPath(c.conn.resolve(r.Href)), Name: p.DisplayName})
		}
	}
	return out, nil
}

// calendarList names the calendars found, for a message.
func calendarList(found []CalendarInfo) string {
	if len(found) == 0 {
		return "none"
	}
	names := make([]string, len(found))
	for i, f := range found {
		names[i] = f.String()
	}
	return strings.Join(names, ", ")
}

// choose picks the configured calendars among those found in the calendar
// homes searched (URLs, for errors).
func (c *Calendar) choose(found []CalendarInfo, direct *CalendarInfo, bookingsName string, busyNames []string, searched []string) error {
	list := calendarList(found)
	where := errors.New("caldav: calendar homes searched: none")
	if len(searched) > 0 {
		where = errors.New("caldav: calendar homes searched: " + strings.Join(searched, ", "))
	}
	pick := func(name string) (CalendarInfo, error) {
		matches := c.match(found, name)
		switch len(matches) {
		case 1:
			return matches[0], nil
		case 0:
			return CalendarInfo{}, booking.WrapError(booking.EInvalid, where, fmt.Sprintf("caldav: no calendar named %q; found: %s", name, list))
		default:
			paths := make([]string, len(matches))
			for i, m := range matches {
				paths[i] = m.Path
			}
			return CalendarInfo{}, booking.Errorf(booking.EInvalid, "caldav: several calendars are named %q (%s): name one by its path", name, strings.Join(paths, ", "))
		}
	}

	switch {
	case bookingsName != "":
		b, err := pick(bookingsName)
		if err != nil {
			return err
		}
		c.bookings = b
	case direct != nil:
		c.bookings = *direct
	case len(found) == 1:
		c.bookings = found[0]
	default:
		return booking.WrapError(booking.EInvalid, where, "caldav: say which calendar takes the bookings; found: "+list)
	}
	c.busy = []CalendarInfo{c.bookings}
	for _, name := range busyNames {
		if strings.TrimSpace(name) == "" {
			continue
		}
		cal, err := pick(name)
		if err != nil {
			return err
		}
		dup := false
		for _, b := range c.busy {
			dup = dup || b.Path == cal.Path
		}
		if !dup {
			c.busy = append(c.busy, cal)
		}
	}
	return nil
}

// match returns the calendars a configured name designates: by path if it
// looks like one (or is a URL), else by display name, else by last path
// segment, else by display name ignoring case.
func (c *Calendar) match(found []CalendarInfo, name string) []CalendarInfo {
	name = strings.TrimSpace(name)
	var out []CalendarInfo
	if strings.HasPrefix(name, "/") || strings.Contains(name, "://") {
		want := collectionPath(c.conn.resolve(name))
		for _, f := range found {
			if samePath(f.Path, want) {
				out = append(out, f)
			}
		}
		return out
	}
	for _, test := range []func(CalendarInfo) bool{
		func(f CalendarInfo) bool { return f.Name == name },
		func(f CalendarInfo) bool { return lastSegment(f.Path) == name },
		func(f CalendarInfo) bool { return strings.EqualFold(f.Name, name) },
	} {
		for _, f := range found {
			if test(f) {
				out = append(out, f)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// onlyNames reports whether every configured name designates cal (or is
// empty), so that nothing beyond cal needs to be found.
func onlyNames(cal CalendarInfo, bookingsName string, busyNames []string) bool {
	ok := func(n string) bool {
		n = strings.TrimSpace(n)
		return n == "" || n == cal.Name || n == lastSegment(cal.Path) || samePath(n, cal.Path) ||
			strings.Contains(n, "://") && strings.HasSuffix(strings.TrimSuffix(n, "/"), strings.TrimSuffix(cal.Path, "/"))
	}
	if !ok(bookingsName) {
		return false
	}
	for _, n := range busyNames {
		if !ok(n) {
			return false
		}
	}
	return true
}

// collectionPath returns the escaped path of u, ending in "/".
func collectionPath(u *url.URL) string {
	p := u.EscapedPath()
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// samePath compares two escaped paths, ignoring escaping differences and a
// final slash.
func samePath(a, b string) bool {
	ua, err1 := url.PathUnescape(strings.TrimSuffix(a, "/"))
	ub, err2 := url.PathUnescape(strings.TrimSuffix(b, "/"))
	return err1 == nil && err2 == nil && ua == ub
}

// lastSegment returns the unescaped last segment of an escaped path.
func lastSegment(p string) string {
	p = strings.TrimSuffix(p, "/")
	seg := p[strings.LastIndex(p, "/")+1:]
	if s, err := url.PathUnescape(seg); err == nil {
		return s
	}
	return seg
}

func hrefOr(href, def string) string {
	if strings.TrimSpace(href) == "" {
		return def
	}
	return strings.TrimSpace(href)
}

package caldav

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-ical"
)

// timeParser reads DATE and DATE-TIME values (RFC 5545 sections 3.3.4 and
// 3.3.5) of one calendar object.
//
// A UTC time ("...Z") is an instant. A time with a TZID is read in the zone
// of that name, resolved with time.LoadLocation; failing that, with the
// X-LIC-LOCATION of the object's VTIMEZONE of that TZID (as Thunderbird and
// Evolution write), with the IANA name at the end of a prefixed TZID
// ("/mozilla.org/20050126_1/Europe/Paris"), or with a few common Windows
// names ("Romance Standard Time"). A TZID none of these resolve is read in the
// practitioner's zone: a best effort, not an error, that is exact whenever the
// event was made in the practitioner's own zone, which is the usual case.
// Floating times and dates are read in the practitioner's zone.
type timeParser struct {
	loc     *time.Location    // the practitioner's zone
	aliases map[string]string // TZID → IANA name, from the VTIMEZONEs
}

func newTimeParser(cal *ical.Calendar, loc *time.Location) *timeParser {
	p := &timeParser{loc: loc}
	for _, c := range cal.Children {
		if c.Name != ical.CompTimezone {
			continue
		}
		id := c.Props.Get(ical.PropTimezoneID)
		lic := c.Props.Get("X-LIC-LOCATION")
		if id == nil || lic == nil {
			continue
		}
		if p.aliases == nil {
			p.aliases = map[string]string{}
		}
		p.aliases[id.Value] = strings.TrimSpace(lic.Value)
	}
	return p
}

// parse reads one DATE or DATE-TIME value with the parameters of its
// property. isDate reports a DATE, returned as local midnight in the
// practitioner's zone.
func (p *timeParser) parse(value string, params ical.Params) (t time.Time, isDate bool, err error) {
	value = strings.TrimSpace(value)
	vt := ical.ValueType(strings.ToUpper(params.Get(ical.ParamValue)))
	switch {
	case vt == ical.ValueDate || (vt == ical.ValueDefault && len(value) == len("20060102")):
		t, err = time.ParseInLocation("20060102", value, p.loc)
		return t, true, dateError(value, err)
	case strings.HasSuffix(value, "Z"):
		t, err = time.ParseInLocation("20060102T150405Z", value, time.UTC)
		return t, false, dateError(value, err)
	default:
		loc := p.loc
		if tzid := params.Get(ical.ParamTimezoneID); tzid != "" {
			loc = p.zone(tzid)
		}
		t, err = time.ParseInLocation("20060102T150405", value, loc)
		return t, false, dateError(value, err)
	}
}

func dateError(value string, err error) error {
	if err != nil {
		return fmt.Errorf("caldav: bad date or date-time %q", truncate(value, 40))
	}
	return nil
}

// prop reads the first value of a property; ok is false if there is none.
func (p *timeParser) prop(props ical.Props, name string) (t time.Time, isDate, ok bool, err error) {
	prop := props.Get(name)
	if prop == nil {
		return time.Time{}, false, false, nil
	}
	t, isDate, err = p.parse(prop.Value, prop.Params)
	if err != nil {
		return time.Time{}, false, false, fmt.Errorf("%s: %w", name, err)
	}
	return t, isDate, true, nil
}

// zone resolves a TZID as the type comment says.
func (p *timeParser) zone(tzid string) *time.Location {
	tzid = strings.Trim(strings.TrimSpace(tzid), `"`)
	if loc := loadZone(tzid); loc != nil {
		return loc
	}
	if alias, ok := p.aliases[tzid]; ok {
		if loc := loadZone(alias); loc != nil {
			return loc
		}
	}
	for i := 0; i < len(tzid); i++ {
		if tzid[i] == '/' && strings.Contains(tzid[i+1:], "/") {
			if loc := loadZone(tzid[i+1:]); loc != nil {
				return loc
			}
		}
	}
	if name, ok := windowsZones[tzid]; ok {
		if loc := loadZone(name); loc != nil {
			return loc
		}
	}
	return p.loc
}

// windowsZones maps the Windows zone names most likely to reach a practice
// (Outlook, Exchange) to IANA names, after the CLDR's mapping.
var windowsZones = map[string]string{
	"Romance Standard Time":           "Europe/Paris",
	"W. Europe Standard Time":         "Europe/Berlin",
	"Central Europe Standard Time":    "Europe/Budapest",
	"Central European Standard Time":  "Europe/Warsaw",
	"GMT Standard Time":               "Europe/London",
	"Greenwich Standard Time":         "Atlantic/Reykjavik",
	"E. Europe Standard Time":         "Europe/Chisinau",
	"FLE Standard Time":               "Europe/Kiev",
	"GTB Standard Time":               "Europe/Bucharest",
	"Morocco Standard Time":           "Africa/Casablanca",
	"W. Central Africa Standard Time": "Africa/Lagos",
	"Mauritius Standard Time":         "Indian/Mauritius",
	"SA Western Standard Time":        "America/La_Paz",
	"SA Eastern Standard Time":        "America/Cayenne",
	"Atlantic Standard Time":          "America/Halifax",
	"Eastern Standard Time":           "America/New_York",
	"Central Standard Time":           "America/Chicago",
	"Mountain Standard Time":          "America/Denver",
	"Pacific Standard Time":           "America/Los_Angeles",
	"UTC":                             "UTC",
	"Coordinated Universal Time":      "UTC",
}

// zoneCache remembers time.LoadLocation's answers (a nil value: unknown
// name). It stops growing at maxCachedZones, so that hostile TZIDs cannot
// fill memory.
var zoneCache struct {
	sync.Mutex
	m map[string]*time.Location
}

const maxCachedZones = 1000

func loadZone(name string) *time.Location {
	if name == "" || len(name) > 100 {
		return nil
	}
	zoneCache.Lock()
	loc, ok := zoneCache.m[name]
	zoneCache.Unlock()
	if ok {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		loc = nil
	}
	zoneCache.Lock()
	if zoneCache.m == nil {
		zoneCache.m = map[string]*time.Location{}
	}
	if len(zoneCache.m) < maxCachedZones {
		zoneCache.m[name] = loc
	}
	zoneCache.Unlock()
	return loc
}

// span is the length of an event (RFC 5545 section 3.8.5.3): whole days,
// which are calendar days in the event's zone (23 or 25 hours on a
// daylight-saving change), plus an exact duration.
type span struct {
	days  int
	exact time.Duration
}

// end returns the end of the instance of this length that starts at start.
func (s span) end(start time.Time) time.Time {
	return start.AddDate(0, 0, s.days).Add(s.exact)
}

// Bounds on durations, against absurd values.
const (
	maxSpanDays = 10 * 366
	maxSpan     = maxSpanDays * 24 * time.Hour
)

var errDuration = errors.New("caldav: bad DURATION")

// parseDuration reads a DURATION value (RFC 5545 section 3.3.6). A negative
// duration is returned as is; callers clamp it.
func parseDuration(s string) (span, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return span{}, errDuration
	}
	s = s[1:]
	var d span
	inTime := false
	for s != "" {
		if s[0] == 'T' {
			if inTime {
				return span{}, errDuration
			}
			inTime, s = true, s[1:]
			continue
		}
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 9 {
			return span{}, errDuration
		}
		n, _ := strconv.Atoi(s[:i])
		unit := s[i]
		s = s[i+1:]
		switch {
		case unit == 'W' && !inTime:
			d.days += 7 * n
		case unit == 'D' && !inTime:
			d.days += n
		case unit == 'H' && inTime:
			d.exact += time.Duration(n) * time.Hour
		case unit == 'M' && inTime:
			d.exact += time.Duration(n) * time.Minute
		case unit == 'S' && inTime:
			d.exact += time.Duration(n) * time.Second
		default:
			return span{}, errDuration
		}
		if d.days > maxSpanDays || d.exact > maxSpan {
			return span{}, errDuration
		}
	}
	if neg {
		d.days, d.exact = -d.days, -d.exact
	}
	return d, nil
}

// eventSpan returns the length of a VEVENT whose DTSTART is start: from
// DTEND (an exact duration, or whole days between two dates), else from
// DURATION (nominal days plus an exact part), else one day for a date and
// nothing for a date-time (RFC 5545 section 3.6.1). ok is false when the
// event sets neither DTEND nor DURATION. A negative length counts as none.
func (p *timeParser) eventSpan(ev *ical.Component, start time.Time, startIsDate bool) (s span, ok bool, err error) {
	end, endIsDate, hasEnd, err := p.prop(ev.Props, ical.PropDateTimeEnd)
	if err != nil {
		return span{}, false, err
	}
	switch {
	case hasEnd && startIsDate && endIsDate:
		s.days = civilDays(start, end)
		ok = true
	case hasEnd:
		s.exact = end.Sub(start)
		ok = true
	case ev.Props.Get(ical.PropDuration) != nil:
		s, err = parseDuration(ev.Props.Get(ical.PropDuration).Value)
		if err != nil {
			return span{}, false, err
		}
		ok = true
	case startIsDate:
		s.days = 1
	}
	if s.days < 0 || s.days == 0 && s.exact < 0 || s.days > maxSpanDays || s.exact > maxSpan {
		s = span{}
	}
	return s, ok, nil
}

// civilDays returns the number of calendar days from a's date to b's.
func civilDays(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	da := time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)
	db := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

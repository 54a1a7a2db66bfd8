package recur

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// timeParser reads DATE and DATE-TIME values (RFC 5545 sections 3.3.4 and
// 3.3.5) of one calendar object.
//
// A UTC time ("...Z") is an instant. A time with a TZID is read in the zone
// that TZID resolves to (see zoneOf). Floating times and dates are read in
// the practitioner's zone. A timeParser serves one call of Instances: it is
// not safe for concurrent use.
type timeParser struct {
	loc       *time.Location // the practitioner's zone
	local     *zone          // the practitioner's zone, for wall times: &localZone
	localZone zone
	cal       *ical.Calendar
	zones     []namedZone // TZID → zone, resolved when first met
	vtzBudget int         // VTIMEZONE transitions left to compute
	// Room for the first zones, so that most objects need no allocation:
	// zones starts in zoneBuf, and its first zones live in zoneVals.
	zoneBuf   [2]namedZone
	zoneVals  [2]zone
	nZoneVals int
}

type namedZone struct {
	tzid string
	z    *zone
}

func newTimeParser(cal *ical.Calendar, loc *time.Location) *timeParser {
	p := &timeParser{}
	p.init(cal, loc)
	return p
}

func (p *timeParser) init(cal *ical.Calendar, loc *time.Location) {
	*p = timeParser{loc: loc, localZone: zoneOfLocation(loc, true), cal: cal, vtzBudget: maxVTZTransitions}
	p.local = &p.localZone
}

// value is a DATE or DATE-TIME value: a wall time and the zone it is read
// in (UTC, the zone of its TZID, or the practitioner's).
type value struct {
	w      wall
	z      *zone
	isDate bool
}

func (v value) instant() int64  { return v.z.instant(v.w) }
func (v value) time() time.Time { return v.z.time(v.w) }

// parseWallValue reads "YYYYMMDD", "YYYYMMDDTHHMMSS" or
// "YYYYMMDDTHHMMSSZ", checking every field.
func parseWallValue(s string) (w wall, isDate, utc, ok bool) {
	switch {
	case len(s) == 8:
		isDate = true
	case len(s) == 16 && (s[15] == 'Z' || s[15] == 'z'):
		utc = true
		s = s[:15]
	case len(s) == 15:
	default:
		return 0, false, false, false
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, m, d := num(s[0:4]), num(s[4:6]), num(s[6:8])
	if y < 0 || m < 1 || m > 12 || d < 1 || d > daysIn(y, time.Month(m)) {
		return 0, false, false, false
	}
	var hh, mm, ss int
	if !isDate {
		if s[8] != 'T' && s[8] != 't' {
			return 0, false, false, false
		}
		hh, mm, ss = num(s[9:11]), num(s[11:13]), num(s[13:15])
		if hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60 {
			return 0, false, false, false
		}
	}
	return wallOf(y, time.Month(m), d, hh, mm, ss), isDate, utc, true
}

// parse reads one DATE or DATE-TIME value with the parameters of its
// property. The form of the value decides, whatever VALUE says.
func (p *timeParser) parse(s string, params ical.Params) (value, error) {
	s = strings.TrimSpace(s)
	w, isDate, utc, ok := parseWallValue(s)
	if !ok {
		return value{}, fmt.Errorf("recur: bad date or date-time %q", truncate(s, 40))
	}
	v := value{w: w, z: p.local, isDate: isDate}
	switch {
	case utc:
		v.z = utcZone
	case isDate:
	default:
		if tzid := params.Get(ical.ParamTimezoneID); tzid != "" {
			v.z = p.zoneOf(tzid)
		}
	}
	return v, nil
}

// prop reads the first value of a property; ok is false if there is none.
func (p *timeParser) prop(props ical.Props, name string) (v value, ok bool, err error) {
	return p.propValue(props.Get(name), name)
}

// propValue reads the value of prop, the property name of a component;
// ok is false if prop is nil.
func (p *timeParser) propValue(prop *ical.Prop, name string) (v value, ok bool, err error) {
	if prop == nil {
		return value{}, false, nil
	}
	v, err = p.parse(prop.Value, prop.Params)
	if err != nil {
		return value{}, false, fmt.Errorf("%s: %w", name, err)
	}
	return v, true, nil
}

// span is the length of an event (RFC 5545 section 3.8.5.3): whole days,
// which are calendar days in the event's zone (23 or 25 hours on a
// daylight-saving change, RFC 5545 section 3.3.6), plus an exact duration.
type span struct {
	days  int
	exact time.Duration
}

// end returns the end (an instant) of the instance of this length that
// starts at wall time w of zone z.
func (s span) end(w wall, z *zone) int64 {
	return z.instant(w+wall(s.days)*secondsPerDay) + int64(s.exact/time.Second)
}

// upper returns an exact length no shorter than s.
func (s span) upper() time.Duration {
	return time.Duration(s.days)*25*time.Hour + s.exact
}

// Bounds on durations, against absurd values.
const (
	maxSpanDays = 10 * 366
	maxSpan     = maxSpanDays * 24 * time.Hour
)

var errDuration = errors.New("recur: bad DURATION")

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
// DTEND (whole days between two dates, else an exact duration), else from
// DURATION (nominal days plus an exact part), else one day for a date and
// nothing for a date-time (RFC 5545 section 3.6.1). ok is false when the
// event sets neither DTEND nor DURATION. A negative length counts as none.
func (p *timeParser) eventSpan(ev *ical.Component, start value) (s span, ok bool, err error) {
	return p.span(ev.Props.Get(ical.PropDateTimeEnd), ev.Props.Get(ical.PropDuration), start)
}

// span is eventSpan for a VEVENT whose DTEND and DURATION are dtend and
// duration, nil when absent.
func (p *timeParser) span(dtend, duration *ical.Prop, start value) (s span, ok bool, err error) {
	end, hasEnd, err := p.propValue(dtend, ical.PropDateTimeEnd)
	if err != nil {
		return span{}, false, err
	}
	switch {
	case hasEnd && start.isDate && end.isDate:
		s.days = int(end.w.day() - start.w.day())
		ok = true
	case hasEnd:
		s.exact = time.Duration(end.instant()-start.instant()) * time.Second
		ok = true
	case duration != nil:
		s, err = parseDuration(duration.Value)
		if err != nil {
			return span{}, false, err
		}
		ok = true
	case start.isDate:
		s.days = 1
	}
	if s.days < 0 || s.days == 0 && s.exact < 0 || s.days > maxSpanDays || s.exact > maxSpan || s.exact < -maxSpan {
		s = span{}
	}
	return s, ok, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

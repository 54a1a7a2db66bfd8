package recur

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-ical"
)

// zoneOf resolves the TZID of a value (RFC 5545 section 3.2.19) to a zone,
// in this order:
//
//  1. an IANA name ("Europe/Paris"), with time.LoadLocation;
//  2. a Windows zone id ("Romance Standard Time", as Outlook and Exchange
//     write), with the CLDR's mapping to IANA names;
//  3. a prefixed id whose end is an IANA name
//     ("/freeassociation.sourceforge.net/Europe/Paris",
//     "/mozilla.org/20050126_1/Europe/Paris");
//  4. the X-LIC-LOCATION of the object's VTIMEZONE of that TZID;
//  5. the rules of that VTIMEZONE itself (its STANDARD and DAYLIGHT
//     observances: DTSTART, RRULE, RDATE, TZOFFSETFROM, TZOFFSETTO), turned
//     into a *time.Location;
//  6. failing all of these, the practitioner's zone: a best effort, exact
//     whenever the event was made in the practitioner's own zone.
func (p *timeParser) zoneOf(tzid string) *zone {
	for _, nz := range p.zones {
		if nz.tzid == tzid {
			return nz.z
		}
	}
	if len(p.zones) >= maxZonesPerObject {
		return p.local
	}
	loc, compiled := p.resolveTZID(tzid)
	var z *zone
	for _, known := range p.zones {
		if known.z.loc == loc {
			z = known.z
			break
		}
	}
	switch {
	case z != nil:
	case loc == p.loc:
		z = p.local
	case p.nZoneVals < len(p.zoneVals):
		p.zoneVals[p.nZoneVals] = zoneOfLocation(loc, !compiled)
		z = &p.zoneVals[p.nZoneVals]
		p.nZoneVals++
	default:
		zv := zoneOfLocation(loc, !compiled)
		z = &zv
	}
	if p.zones == nil {
		p.zones = p.zoneBuf[:0]
	}
	p.zones = append(p.zones, namedZone{tzid, z})
	return z
}

// maxZonesPerObject bounds the distinct TZIDs of one object that are
// resolved; the others are read in the practitioner's zone.
const maxZonesPerObject = 64

// resolveTZID returns the zone of a TZID (see zoneOf); compiled is true
// when it was made from a VTIMEZONE's rules.
func (p *timeParser) resolveTZID(tzid string) (loc *time.Location, compiled bool) {
	name := strings.Trim(strings.TrimSpace(tzid), `"`)
	if loc := loadZone(name); loc != nil {
		return loc, false
	}
	if iana, ok := windowsZones[name]; ok {
		if loc := loadZone(iana); loc != nil {
			return loc, false
		}
	}
	if strings.HasPrefix(name, "/") {
		for i := 1; i < len(name); i++ {
			if name[i] == '/' {
				if loc := loadZone(name[i+1:]); loc != nil {
					return loc, false
				}
			}
		}
	}
	vtz := p.vtimezone(tzid)
	if vtz == nil && name != tzid {
		vtz = p.vtimezone(name)
	}
	if vtz != nil {
		if loc, compiled := p.vtimezoneLocation(name, vtz); loc != nil {
			return loc, compiled
		}
	}
	return p.loc, false
}

// vtimezoneLocation returns the zone of the VTIMEZONE vtz of TZID name,
// from its X-LIC-LOCATION or compiled from its rules, nil if neither gives
// one.
func (p *timeParser) vtimezoneLocation(name string, vtz *ical.Component) (loc *time.Location, compiled bool) {
	key := compiledKey{name, vtz}
	compiledZones.Lock()
	loc, ok := compiledZones.m[key]
	compiledZones.Unlock()
	if ok {
		return loc, true
	}
	if lic := vtz.Props.Get("X-LIC-LOCATION"); lic != nil {
		if loc := loadZone(strings.TrimSpace(lic.Value)); loc != nil {
			return loc, false
		}
	}
	loc, keep := p.compileVTimezone(name, vtz)
	if keep {
		compiledZones.Lock()
		if compiledZones.m == nil || len(compiledZones.m) >= maxCompiledZones {
			compiledZones.m = map[compiledKey]*time.Location{}
		}
		compiledZones.m[key] = loc
		compiledZones.Unlock()
	}
	return loc, true
}

// compiledZones remembers the zones compiled from VTIMEZONEs (nil for one
// that gives none), by TZID and component. BusyDecoder shares the
// VTIMEZONEs of the same text between objects (see sharedTable), so the
// objects of a calendar compile each of its zones once, however many
// objects repeat it. It is emptied when full: components are kept alive
// only while it holds them. Only zones of at most maxKeptTransitions are
// kept, so that it holds a few megabytes at most, whatever the objects.
var compiledZones struct {
	sync.Mutex
	m map[compiledKey]*time.Location
}

type compiledKey struct {
	tzid string
	vtz  *ical.Component
}

const (
	maxCompiledZones   = 256
	maxKeptTransitions = 2000 // a yearly pair of rules up to vtzHorizon is under 500
)

// vtimezone returns the object's VTIMEZONE of that TZID, if any.
func (p *timeParser) vtimezone(tzid string) *ical.Component {
	if p.cal == nil {
		return nil
	}
	for _, c := range p.cal.Children {
		if c.Name != ical.CompTimezone {
			continue
		}
		if id := c.Props.Get(ical.PropTimezoneID); id != nil && strings.TrimSpace(id.Value) == tzid {
			return c
		}
	}
	return nil
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

// A VTIMEZONE becomes a *time.Location through the TZif format (RFC 8536)
// that time.LoadLocationFromTZData reads: its observances give the
// transitions, and when the zone ends on a pair of yearly rules POSIX can
// express ("the last Sunday of March at 02:00"), a TZ string carries them
// into every later year. Otherwise transitions are computed up to
// vtzHorizon, and the last offset holds after it.

// vtzHorizon is the year up to which the transitions of a VTIMEZONE whose
// rules have no POSIX form are computed.
const vtzHorizon = 2100

// maxVTZTransitions bounds the transitions computed for the VTIMEZONEs of one
// call, against objects with thousands of observances.
const maxVTZTransitions = 50_000

type transition struct {
	at    int64 // instant
	off   int   // UTC offset after it, in seconds
	isDST bool
	name  string
}

// observance is a STANDARD or DAYLIGHT sub-component of a VTIMEZONE
// (RFC 5545 section 3.6.5).
type observance struct {
	isDST    bool
	from, to int
	name     string
	start    wall // DTSTART: a wall time in the offset TZOFFSETFROM
	rules    []*recurRule
	rdates   []ical.Prop
}

// compileVTimezone turns a VTIMEZONE into a zone, nil if it has no usable
// observance. keep reports whether the result may be kept for other
// objects (see compiledZones): it is false when a rule stopped early (the
// call's budget of transitions may have cut it short, and the result then
// depends on the objects expanded before) and for zones of many
// transitions.
func (p *timeParser) compileVTimezone(tzid string, vtz *ical.Component) (loc *time.Location, keep bool) {
	var obs []observance
	for _, c := range vtz.Children {
		if c.Name != "STANDARD" && c.Name != "DAYLIGHT" {
			continue
		}
		o, ok := parseObservance(c)
		if ok {
			obs = append(obs, o)
		}
	}
	if len(obs) == 0 {
		return nil, true
	}

	// The zone ends on a POSIX rule when exactly two observances go on
	// forever and both have a POSIX form.
	var final []int
	for i, o := range obs {
		for _, r := range o.rules {
			if r.count == 0 && r.untilKind == untilNone {
				final = append(final, i)
				break
			}
		}
	}
	footer := ""
	horizon := wallOf(vtzHorizon, 1, 1, 0, 0, 0)
	if len(final) == 2 && len(obs[final[0]].rules) == 1 && len(obs[final[1]].rules) == 1 {
		a, b := obs[final[0]], obs[final[1]]
		if tz, ok := posixTZ(a, b); ok {
			footer = tz
			// Transitions are needed up to the first onset of the later of
			// the two rules; the TZ string covers what follows.
			horizon = max(a.start, b.start) + 1
		}
	}

	var tx []transition
	cut := false // a rule stopped early, perhaps for the budget
	before := obs[0]
	for _, o := range obs {
		if o.start < before.start {
			before = o
		}
		onset := func(at int64) {
			if len(tx) < p.vtzBudget {
				tx = append(tx, transition{at: at, off: o.to, isDST: o.isDST, name: o.name})
			}
		}
		z := &zone{loc: time.UTC, fixed: true, off: int64(o.from)}
		if o.start < horizon {
			onset(z.instant(o.start))
		}
		for _, r := range o.rules {
			b := &budget{series: p.vtzBudget - len(tx), total: p.vtzBudget - len(tx), periods: p.vtzBudget * 40}
			if err := r.expand(o.start, false, z, o.start, horizon, b, func(w wall) { onset(z.instant(w)) }); err != nil {
				cut = true
			}
		}
		for _, prop := range o.rdates {
			for v := range strings.SplitSeq(prop.Value, ",") {
				w, _, utc, ok := parseWallValue(strings.TrimSpace(v))
				switch {
				case !ok || w >= horizon:
				case utc:
					onset(int64(w))
				default:
					onset(z.instant(w))
				}
			}
		}
	}
	keep = !cut && len(tx) < p.vtzBudget && len(tx) <= maxKeptTransitions
	p.vtzBudget -= len(tx)
	slices.SortStableFunc(tx, func(a, b transition) int { return cmpInt64(a.at, b.at) })
	data := tzif(transition{off: before.from, name: before.name}, tx, footer)
	loc, err := time.LoadLocationFromTZData(tzid, data)
	if err != nil {
		return nil, keep
	}
	return loc, keep
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func parseObservance(c *ical.Component) (observance, bool) {
	o := observance{isDST: c.Name == "DAYLIGHT"}
	var ok1, ok2, ok3 bool
	if p := c.Props.Get("TZOFFSETFROM"); p != nil {
		o.from, ok1 = parseUTCOffset(p.Value)
	}
	if p := c.Props.Get("TZOFFSETTO"); p != nil {
		o.to, ok2 = parseUTCOffset(p.Value)
	}
	if p := c.Props.Get(ical.PropDateTimeStart); p != nil {
		// A local time (RFC 5545 section 3.6.5); a stray "Z" is ignored.
		o.start, _, _, ok3 = parseWallValue(strings.TrimSpace(p.Value))
	}
	if !ok1 || !ok2 || !ok3 {
		return o, false
	}
	if p := c.Props.Get("TZNAME"); p != nil {
		o.name = strings.TrimSpace(p.Value)
	}
	for _, p := range c.Props.Values(ical.PropRecurrenceRule) {
		if r, err := parseRule(p.Value); err == nil && r.freq >= daily {
			o.rules = append(o.rules, r)
		}
	}
	o.rdates = c.Props.Values(ical.PropRecurrenceDates)
	return o, true
}

// parseUTCOffset reads a UTC-OFFSET value (RFC 5545 section 3.3.14):
// "+0100", "-0330", "+053028".
func parseUTCOffset(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if len(s) != 5 && len(s) != 7 || s[0] != '+' && s[0] != '-' {
		return 0, false
	}
	n := 0
	for i := 1; i < len(s); i += 2 {
		v, err := strconv.Atoi(s[i : i+2])
		if err != nil || v < 0 || v > 59 {
			return 0, false
		}
		n = n*60 + v
	}
	if len(s) == 5 {
		n *= 60
	}
	if s[0] == '-' {
		n = -n
	}
	if n <= -24*3600 || n >= 24*3600 {
		return 0, false
	}
	return n, true
}

// posixTZ returns the POSIX TZ string (as in the TZif footer, RFC 8536
// section 3.3) of a zone that alternates between observances a and b, each
// with one yearly rule of the form "the nth (or last) weekday of a month",
// or "the first weekday on or after day 1, 8, 15 or 22", at a time of day.
func posixTZ(a, b observance) (string, bool) {
	ra, oka := posixRule(a)
	rb, okb := posixRule(b)
	if !oka || !okb || a.to == b.to {
		return "", false
	}
	std, dst := a, b
	stdRule, dstRule := ra, rb
	if a.isDST && !b.isDST || !a.isDST && !b.isDST && a.to > b.to {
		std, dst = b, a
		stdRule, dstRule = rb, ra
	}
	// std offset dst offset,start-of-dst,end-of-dst; POSIX offsets count
	// west of Greenwich.
	return posixName(std.name, "STD") + posixOffset(-std.to) +
		posixName(dst.name, "DST") + posixOffset(-dst.to) +
		"," + dstRule + "," + stdRule, true
}

func posixRule(o observance) (string, bool) {
	r := o.rules[0]
	if r.freq != yearly || r.interval != 1 || len(r.byMonth) != 1 || len(r.byDay) != 1 ||
		len(r.bySecond)+len(r.byMinute)+len(r.byHour)+len(r.byYearDay)+len(r.byWeekNo)+len(r.bySetPos) > 0 {
		return "", false
	}
	d := r.byDay[0]
	week := 0
	switch {
	case len(r.byMonthDay) == 0 && d.n >= 1 && d.n <= 4:
		week = d.n
	case len(r.byMonthDay) == 0 && d.n == -1:
		week = 5
	case len(r.byMonthDay) == 7 && d.n == 0 && r.byMonthDay[6]-r.byMonthDay[0] == 6 && (r.byMonthDay[0]-1)%7 == 0 && r.byMonthDay[0] <= 22:
		week = (r.byMonthDay[0]-1)/7 + 1
	default:
		return "", false
	}
	sod := o.start.secOfDay()
	return fmt.Sprintf("M%d.%d.%d/%s", r.byMonth[0], week, d.wd, posixClock(int(sod))), true
}

func posixName(name, fallback string) string {
	var b strings.Builder
	for _, r := range name {
		if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '-' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "<" + fallback + ">"
	}
	return "<" + b.String() + ">"
}

func posixOffset(secs int) string {
	sign := ""
	if secs < 0 {
		sign, secs = "-", -secs
	}
	return sign + posixClock(secs)
}

func posixClock(secs int) string {
	return fmt.Sprintf("%d:%02d:%02d", secs/3600, secs/60%60, secs%60)
}

// tzif encodes a zone as TZif version 2 data (RFC 8536): an empty version 1
// block, then the 64-bit block and the footer. before is the local time
// type before the first transition.
func tzif(before transition, tx []transition, footer string) []byte {
	type ttinfo struct {
		off   int
		isDST bool
		name  string
	}
	var types []ttinfo
	var idx []byte
	var times []int64
	typeOf := func(t ttinfo) (int, bool) {
		if i := slices.Index(types, t); i >= 0 {
			return i, true
		}
		if len(types) >= 255 {
			return 0, false
		}
		types = append(types, t)
		return len(types) - 1, true
	}
	// Type 0, unused by transitions unless equal, is the time before the
	// first one (RFC 8536 section 3.2, and what time.Location reads).
	typeOf(ttinfo{before.off, false, abbrev(before.name)})
	for i, t := range tx {
		if i > 0 && t.at == tx[i-1].at {
			// Two onsets at one instant: the later observance wins.
			times, idx = times[:len(times)-1], idx[:len(idx)-1]
		}
		k, ok := typeOf(ttinfo{t.off, t.isDST, abbrev(t.name)})
		if !ok {
			continue
		}
		times = append(times, t.at)
		idx = append(idx, byte(k))
	}
	// Designations, indexed by a byte: index 0 is the empty name, for those
	// that do not fit.
	chars := []byte{0}
	nameIdx := make([]byte, len(types))
	for i, t := range types {
		if t.name == "" {
			continue
		}
		if j := bytes.Index(chars, append([]byte(t.name), 0)); j >= 0 && (j == 0 || chars[j-1] == 0) {
			nameIdx[i] = byte(j)
		} else if len(chars)+len(t.name)+1 <= 256 {
			nameIdx[i] = byte(len(chars))
			chars = append(chars, t.name...)
			chars = append(chars, 0)
		}
	}

	var out []byte
	header := func(timecnt, typecnt, charcnt int) {
		out = append(out, "TZif2"...)
		out = append(out, make([]byte, 15)...)
		for _, n := range []int{0, 0, 0, timecnt, typecnt, charcnt} {
			out = binary.BigEndian.AppendUint32(out, uint32(n))
		}
	}
	// Version 1 block: one type, no transitions.
	header(0, 1, 1)
	out = append(out, 0, 0, 0, 0, 0, 0, 0)
	// Version 2 block.
	header(len(times), len(types), len(chars))
	for _, t := range times {
		out = binary.BigEndian.AppendUint64(out, uint64(t))
	}
	out = append(out, idx...)
	for i, t := range types {
		out = binary.BigEndian.AppendUint32(out, uint32(int32(t.off)))
		dst := byte(0)
		if t.isDST {
			dst = 1
		}
		out = append(out, dst, nameIdx[i])
	}
	out = append(out, chars...)
	out = append(out, '\n')
	out = append(out, footer...)
	out = append(out, '\n')
	return out
}

// abbrev makes a TZNAME fit for a TZif designation: printable ASCII, short.
func abbrev(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r > ' ' && r < 0x7f && b.Len() < 16 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

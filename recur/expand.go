package recur

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
)

// Instance is one occurrence of an event of a calendar object.
type Instance struct {
	Start, End time.Time       // [Start, End); End equals Start for an event with no length
	Event      *ical.Component // the VEVENT it comes from: the master or an override
	// Busy reports whether the instance makes the practitioner busy: its
	// event is neither TRANSP:TRANSPARENT nor STATUS:CANCELLED, nor an
	// invitation the practitioner declined.
	Busy bool
}

// Expander reads the busy time of calendar objects for one practitioner.
// The zero value reads floating times and dates in UTC and knows none of
// the practitioner's addresses.
type Expander struct {
	// Location is the practitioner's zone, in which floating times and dates
	// (all-day events) are read. Default: UTC.
	Location *time.Location
	// Self are the practitioner's calendar user addresses, with or without
	// "mailto:" ("mailto:anne.martin@example.org"), compared without regard
	// to case. An event where one of them is an ATTENDEE with
	// PARTSTAT=DECLINED (RFC 5545 section 3.2.12) is free time.
	Self []string
}

// Expand returns the busy time of the events of cal that overlaps [from, to),
// sorted by start, for a practitioner whose zone is loc. It is
// Expander{Location: loc}.Expand.
func Expand(cal *ical.Calendar, loc *time.Location, from, to time.Time) ([]booking.Interval, error) {
	return Expander{Location: loc}.Expand(cal, from, to)
}

// Instances returns the instances of the VEVENTs of cal that overlap
// [from, to), for a practitioner whose zone is loc. It is
// Expander{Location: loc}.Instances.
func Instances(cal *ical.Calendar, loc *time.Location, from, to time.Time) ([]Instance, error) {
	return Expander{Location: loc}.Instances(cal, from, to)
}

// Expand returns the busy time of the events of cal that overlaps [from, to),
// sorted by start: the instances (see Instances) that are Busy, recurrences
// expanded by rdv itself, whatever a server may have filtered.
//
// Expand never fails as a whole: when part of cal is broken (a bad date, a
// bad RRULE, a series cut at MaxInstances), it returns the busy time of the
// rest with an error that says what was wrong.
func (e Expander) Expand(cal *ical.Calendar, from, to time.Time) ([]booking.Interval, error) {
	inst, err := e.Instances(cal, from, to)
	out := make([]booking.Interval, 0, len(inst))
	for _, in := range inst {
		if in.Busy {
			out = append(out, booking.Interval{Start: in.Start, End: in.End})
		}
	}
	return out, err
}

// Instances returns the instances of the VEVENTs of cal that overlap
// [from, to), sorted by start, free ones included. An instance overlaps the
// window if it starts before to and ends after from; one without length, if
// it starts in [from, to).
//
// The components of one UID form a series (RFC 5545 section 3.8.5): the
// master (without RECURRENCE-ID) yields DTSTART, the instances of its RRULEs
// (every part of section 3.3.10, computed on the wall clock of DTSTART's
// zone, so 09:00 stays 09:00 across a daylight-saving change; DTSTART counts
// as the first instance for COUNT; UNTIL is a date, a local time or an
// instant) and its RDATEs (DATE, DATE-TIME or PERIOD), minus its EXDATEs
// (several properties, comma-separated lists, a DATE excluding that whole
// day) and minus the instances an override replaces. Each override (a
// component with RECURRENCE-ID) is an instance of its own at its own
// DTSTART: a moved instance appears once, at its new time; a cancelled or
// transparent override frees its slot. An override with
// RANGE=THISANDFUTURE (section 3.8.4.4) also changes every later instance
// of the master: they move by the override's shift (whole days on the wall
// clock, then exact time), last as long as it, and are free or busy like
// it, unless a later override says otherwise.
//
// An instance lasts what DTEND − DTSTART says (exactly, or in calendar days
// between two dates) or DURATION (days being calendar days in the event's
// zone); with neither, a date lasts one day and a date-time no time (an
// override with neither lasts as long as its master's instances). Dates
// (all-day events) are local days in e.Location, so an all-day event on a
// daylight-saving day lasts 23 or 25 hours. Floating times are read in
// e.Location. A TZID is resolved as an IANA name, a Windows zone id, a
// prefixed IANA name, or through the object's VTIMEZONE (see zoneOf). A
// local time that occurs twice is the first one; one that does not exist
// is read with the offset before the gap (section 3.3.5).
//
// Work is bounded: a series stops at to or after MaxInstances, whichever
// comes first, and the whole call after a fixed number of instances and
// recurrence periods. On errors, see Expand.
func (e Expander) Instances(cal *ical.Calendar, from, to time.Time) ([]Instance, error) {
	if cal == nil || !from.Before(to) {
		return nil, nil
	}
	loc := e.Location
	if loc == nil {
		loc = time.UTC
	}
	x := expansions.Get().(*expansion)
	defer x.release()
	x.w = window{from: from.Unix(), to: to.Unix()}
	x.budget = budget{series: MaxInstances, total: maxCallInstances, periods: maxCallPeriods}
	x.selfAddrs = e.Self
	x.p, x.b = &x.parser, &x.budget
	x.parser.init(cal, loc)
	if to.After(from) && to.Sub(from) < time.Second {
		x.w.to = x.w.from + 1
	}
	x.events = x.oneEvent[:0]
	for _, c := range cal.Children {
		if c.Name == ical.CompEvent {
			x.events = append(x.events, readEvent(c))
		}
	}
	if len(x.events) == 1 {
		// One VEVENT, as most objects have: a series of its own.
		if e := &x.events[0]; e.rid != nil {
			x.series(nil, []*eventProps{e})
		} else {
			x.series(e, nil)
		}
	} else {
		for _, s := range groupSeries(x.events) {
			x.series(s.master, s.overrides)
		}
	}
	slices.SortStableFunc(x.out, func(a, b Instance) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return a.End.Compare(b.End)
	})
	return x.out, errors.Join(x.errs...)
}

// expansion is the state of one call of Instances. Expansions are reused
// (see expansions): release makes one ready for the next call.
type expansion struct {
	parser    timeParser
	budget    budget
	p         *timeParser
	w         window
	b         *budget
	selfAddrs []string // Expander.Self
	self      []string // selfAddrs normalized, when first needed
	out       []Instance
	errs      []error
	events    []eventProps // the VEVENTs of the object
	oneEvent  [1]eventProps
	origs     []orig // scratch: the instances of one master before overrides
	origBuf   [4]orig
}

var expansions = sync.Pool{New: func() any { return new(expansion) }}

// release returns x to expansions, keeping only its scratch space for
// instances, which holds no pointers.
func (x *expansion) release() {
	origs := x.origs[:0]
	if cap(origs) > 1024 {
		origs = nil // a long series: not worth keeping
	}
	*x = expansion{origs: origs}
	expansions.Put(x)
}

type window struct{ from, to int64 }

// overlaps reports whether [start, end) meets the window.
func (w window) overlaps(start, end int64) bool {
	if start >= w.to {
		return false
	}
	if end <= start {
		return start >= w.from
	}
	return end > w.from
}

// orig is one instance of a master before overrides apply: its start as an
// instant and as a wall time of the series' zone, and the end of an RDATE
// PERIOD.
type orig struct {
	u      int64
	w      wall
	end    int64
	hasEnd bool
}

// override is a component with a RECURRENCE-ID, read.
type override struct {
	c      *eventProps
	rid    value
	future bool // RANGE=THISANDFUTURE
	start  value
	sp     span
	spOK   bool
	busy   bool
	// For THISANDFUTURE: the shift of later instances, in whole days of the
	// series' wall clock then exact seconds.
	shiftDays  int64
	shiftExact int64
}

// instantSet matches instances against EXDATE or RECURRENCE-ID values: by
// instant, or by calendar day (a DATE value) on the wall clock of the
// series. A few values are kept in slices; many (a hostile list of 100,000
// EXDATEs) in maps, so that a lookup never costs more than a map's.
type instantSet struct {
	instants, days     []int64
	instantMap, dayMap map[int64]struct{}
}

const instantSetSlice = 16

func (s *instantSet) add(v value) {
	if v.isDate {
		s.days, s.dayMap = addKey(s.days, s.dayMap, v.w.day())
		return
	}
	s.instants, s.instantMap = addKey(s.instants, s.instantMap, v.instant())
}

func addKey(l []int64, m map[int64]struct{}, k int64) ([]int64, map[int64]struct{}) {
	if m == nil && len(l) < instantSetSlice {
		return append(l, k), nil
	}
	if m == nil {
		m = make(map[int64]struct{}, 2*len(l))
		for _, x := range l {
			m[x] = struct{}{}
		}
		l = nil
	}
	m[k] = struct{}{}
	return l, m
}

func hasKey(l []int64, m map[int64]struct{}, k int64) bool {
	if m != nil {
		_, ok := m[k]
		return ok
	}
	return slices.Contains(l, k)
}

func (s *instantSet) has(o orig) bool {
	return hasKey(s.instants, s.instantMap, o.u) || (len(s.days) > 0 || s.dayMap != nil) && hasKey(s.days, s.dayMap, o.w.day())
}

// series expands one master with its overrides. Either may be missing.
func (x *expansion) series(master *eventProps, overrides []*eventProps) {
	p := x.p
	var (
		ds     value
		sp     span
		spOK   bool
		haveMS bool
	)
	if master != nil {
		var ok bool
		var err error
		ds, ok, err = p.propValue(master.start, ical.PropDateTimeStart)
		switch {
		case err != nil:
			x.errs = append(x.errs, err)
		case !ok:
			x.errs = append(x.errs, errors.New("recur: VEVENT without DTSTART"))
		default:
			if sp, spOK, err = p.span(master.end, master.duration, ds); err != nil {
				x.errs = append(x.errs, err)
			} else {
				haveMS = true
			}
		}
	}

	ovs := make([]override, 0, len(overrides))
	for _, c := range overrides {
		o, err := x.readOverride(c)
		if err != nil {
			x.errs = append(x.errs, err)
			continue
		}
		if !o.spOK && spOK {
			o.sp = sp
		}
		ovs = append(ovs, o)
		if end := o.sp.end(o.start.w, o.start.z); x.w.overlaps(o.start.instant(), end) {
			x.emit(o.start.z, o.start.instant(), end, c.c, o.busy)
		}
	}
	if haveMS {
		if err := x.master(master, ds, sp, ovs); err != nil {
			x.errs = append(x.errs, err)
		}
	}
}

func (x *expansion) readOverride(c *eventProps) (override, error) {
	p := x.p
	o := override{c: c, busy: x.busy(c)}
	ridProp := c.rid
	var err error
	if o.rid, err = p.parse(ridProp.Value, ridProp.Params); err != nil {
		return o, fmt.Errorf("RECURRENCE-ID: %w", err)
	}
	o.future = strings.EqualFold(strings.TrimSpace(ridProp.Params.Get("RANGE")), "THISANDFUTURE")
	start, ok, err := p.propValue(c.start, ical.PropDateTimeStart)
	if err != nil {
		return o, err
	}
	if !ok {
		// An override must have a DTSTART; fall back on RECURRENCE-ID.
		start = o.rid
	}
	o.start = start
	if o.sp, o.spOK, err = p.span(c.end, c.duration, start); err != nil {
		return o, err
	}
	return o, nil
}

// master adds the instances of a master component, overrides applied.
func (x *expansion) master(ev *eventProps, ds value, sp span, ovs []override) error {
	p, z := x.p, ds.z
	busy := x.busy(ev)

	var replaced, excluded instantSet
	var future []*override
	maxLen := sp.upper()
	var shiftMax, shiftMin int64
	for i := range ovs {
		o := &ovs[i]
		replaced.add(o.rid)
		if !o.future {
			continue
		}
		// The shift, on the series' wall clock: whole days, then the rest.
		ridW, newW := z.wallAt(o.rid.instant()), z.wallAt(o.start.instant())
		o.shiftDays = newW.day() - ridW.day()
		o.shiftExact = o.start.instant() - z.instant(ridW+wall(o.shiftDays*secondsPerDay))
		shift := o.shiftDays*secondsPerDay + o.shiftExact
		shiftMax, shiftMin = max(shiftMax, shift+secondsPerDay), min(shiftMin, shift-secondsPerDay) // a day for the offsets
		maxLen = max(maxLen, o.sp.upper())
		future = append(future, o)
	}
	slices.SortFunc(future, func(a, b *override) int { return cmpInt64(a.rid.instant(), b.rid.instant()) })

	for _, prop := range ev.exdates {
		for v := range strings.SplitSeq(prop.Value, ",") {
			if strings.TrimSpace(v) == "" {
				continue
			}
			t, err := p.parse(v, prop.Params)
			if err != nil {
				return fmt.Errorf("EXDATE: %w", err)
			}
			excluded.add(t)
		}
	}

	if x.origs == nil {
		x.origs = x.origBuf[:0]
	}
	x.origs = append(x.origs[:0], orig{u: ds.instant(), w: ds.w})
	var errs []error
	nRDates, err := x.rdates(ev, z)
	if err != nil {
		errs = append(errs, err)
	}
	x.b.series = MaxInstances - nRDates
	if rules := ev.rrules; len(rules) > 0 {
		// The instances that may matter start at or after fromU and before
		// toU; on the wall clock, their starts lie within the zone's offsets
		// there.
		fromU := x.w.from - int64(maxLen/time.Second) - shiftMax
		toU := x.w.to - shiftMin
		lo, _ := z.offsets(fromU)
		_, hi := z.offsets(toU)
		skipTo, limit := wall(fromU+lo), wall(toU+hi+1)
		for _, prop := range rules {
			r, err := parseRule(prop.Value)
			if err == nil {
				err = r.expand(ds.w, ds.isDate, z, skipTo, limit, x.b, func(w wall) {
					x.origs = append(x.origs, orig{u: z.instant(w), w: w})
				})
			}
			if err != nil {
				errs = append(errs, err)
				break
			}
		}
	}

	// The same instance may come twice (DTSTART, an RDATE, a rule, a wall
	// time in a daylight-saving gap): keep one, with a PERIOD's end if any.
	slices.SortFunc(x.origs, func(a, b orig) int { return cmpInt64(a.u, b.u) })
	n := 0
	for _, o := range x.origs {
		if n > 0 && x.origs[n-1].u == o.u {
			if prev := &x.origs[n-1]; o.hasEnd && (!prev.hasEnd || o.end > prev.end) {
				prev.hasEnd, prev.end = true, o.end
			}
			continue
		}
		x.origs[n] = o
		n++
	}
	for _, o := range x.origs[:n] {
		if excluded.has(o) || replaced.has(o) {
			continue
		}
		start, comp, instBusy := o.u, ev.c, busy
		var end int64
		switch f := futureFor(future, o.u); {
		case f != nil:
			start = z.instant(o.w+wall(f.shiftDays*secondsPerDay)) + f.shiftExact
			end = f.sp.end(z.wallAt(start), z)
			comp, instBusy = f.c.c, f.busy
		case o.hasEnd:
			end = o.end
		default:
			end = sp.end(o.w, z)
		}
		if end < start {
			end = start
		}
		if x.w.overlaps(start, end) {
			x.emit(z, start, end, comp, instBusy)
		}
	}
	return errors.Join(errs...)
}

// futureFor returns the THISANDFUTURE override that governs an instance of
// the master that starts at u: the latest one before it.
func futureFor(future []*override, u int64) *override {
	var f *override
	for _, o := range future {
		if o.rid.instant() >= u {
			break
		}
		f = o
	}
	return f
}

// rdates adds the RDATEs of ev to x.origs (RFC 5545 section 3.8.5.2): DATE,
// DATE-TIME or PERIOD values, in lists and over several properties. It
// returns how many it added.
func (x *expansion) rdates(ev *eventProps, z *zone) (int, error) {
	n := 0
	for _, prop := range ev.rdates {
		for v := range strings.SplitSeq(prop.Value, ",") {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			startStr, endStr, isPeriod := strings.Cut(v, "/")
			start, err := x.p.parse(startStr, prop.Params)
			if err != nil {
				return n, fmt.Errorf("RDATE: %w", err)
			}
			o := orig{u: start.instant(), w: z.wallAt(start.instant())}
			if start.z == z {
				o.w = start.w
			}
			if isPeriod {
				o.hasEnd = true
				if strings.ContainsAny(endStr, "Pp") {
					d, err := parseDuration(endStr)
					if err != nil {
						return n, fmt.Errorf("RDATE: %w", err)
					}
					o.end = d.end(start.w, start.z)
				} else {
					end, err := x.p.parse(endStr, prop.Params)
					if err != nil {
						return n, fmt.Errorf("RDATE: %w", err)
					}
					o.end = end.instant()
				}
				o.end = max(o.end, o.u)
			}
			x.origs = append(x.origs, o)
			if n++; n > MaxInstances {
				return n, errTooManyInstances
			}
		}
	}
	return n, nil
}

func (x *expansion) emit(z *zone, start, end int64, ev *ical.Component, busy bool) {
	x.out = append(x.out, Instance{
		Start: time.Unix(start, 0).In(z.loc),
		End:   time.Unix(end, 0).In(z.loc),
		Event: ev,
		Busy:  busy,
	})
}

// busy reports whether an event makes its time busy: it is not
// TRANSP:TRANSPARENT (RFC 5545 section 3.8.2.7), not STATUS:CANCELLED
// (section 3.8.1.11), and not an invitation the practitioner declined (one
// of x.self is an ATTENDEE with PARTSTAT=DECLINED, section 3.2.12).
// TENTATIVE, NEEDS-ACTION and every other participation status are busy.
func (x *expansion) busy(ev *eventProps) bool {
	if p := ev.transp; p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "TRANSPARENT") {
		return false
	}
	if p := ev.status; p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "CANCELLED") {
		return false
	}
	if len(x.selfAddrs) > 0 {
		for _, a := range ev.attendees {
			if !strings.EqualFold(strings.TrimSpace(a.Params.Get(ical.ParamParticipationStatus)), "DECLINED") {
				continue
			}
			if x.isSelf(a.Value) || x.isSelf(a.Params.Get("EMAIL")) {
				return false
			}
		}
	}
	return true
}

func (x *expansion) isSelf(addr string) bool {
	if x.self == nil {
		x.self = normalizeSelf(x.selfAddrs)
	}
	a := normalizeAddress(addr)
	return a != "" && slices.Contains(x.self, a)
}

func normalizeSelf(addrs []string) []string {
	var out []string
	for _, a := range addrs {
		if n := normalizeAddress(a); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// normalizeAddress returns a calendar user address without "mailto:", in
// lower case.
func normalizeAddress(a string) string {
	a = strings.TrimSpace(a)
	if len(a) >= 7 && strings.EqualFold(a[:7], "mailto:") {
		a = a[7:]
	}
	return strings.ToLower(a)
}

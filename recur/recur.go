package recur

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxInstances is the most instances Expand generates for one recurring
// event (master and its RDATEs together), whether they fall in the window or
// before it. A series that needs more is cut there: the instances found so
// far are kept and Expand reports an error, so that a hostile or absurd rule
// (FREQ=SECONDLY, no end) costs a bounded amount of work.
const MaxInstances = 100_000

// Bounds on the work of one call of Instances, whatever the number of series
// in the object: instances generated (in the window or before it) and
// recurrence periods looked at (a year of a YEARLY rule, a second of a
// SECONDLY one).
const (
	maxCallInstances = 2 * MaxInstances
	maxCallPeriods   = 4_000_000
)

var errTooManyInstances = fmt.Errorf("recur: recurring event cut after %d instances", MaxInstances)

// budget is what is left of the work one call may do.
type budget struct {
	series  int // instances for the current series
	total   int // instances for the call
	periods int
}

func newBudget() *budget {
	return &budget{series: MaxInstances, total: maxCallInstances, periods: maxCallPeriods}
}

// frequency is the FREQ of a rule, ordered from the shortest period.
type frequency int8

const (
	secondly frequency = iota
	minutely
	hourly
	daily
	weekly
	monthly
	yearly
)

var frequencies = map[string]frequency{
	"SECONDLY": secondly, "MINUTELY": minutely, "HOURLY": hourly, "DAILY": daily,
	"WEEKLY": weekly, "MONTHLY": monthly, "YEARLY": yearly,
}

var weekdays = map[string]int{"SU": 0, "MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6}

// weekdayNum is one BYDAY value: a weekday (time.Weekday) and, unless n is
// 0, its rank in the month or year ("2TU", "-1SU").
type weekdayNum struct {
	n, wd int
}

type untilKind int8

const (
	untilNone    untilKind = iota
	untilInstant           // UNTIL=...Z: an instant
	untilWall              // UNTIL without Z: a wall time of the series' zone
	untilDate              // UNTIL=YYYYMMDD: the whole of that day counts
)

// recurRule is a parsed recurrence rule (RFC 5545 section 3.3.10). Lists are
// sorted and without duplicates.
type recurRule struct {
	freq       frequency
	interval   int
	count      int // 0: no COUNT
	untilKind  untilKind
	until      int64 // an instant, a wall time or a day number, after untilKind
	bySecond   []int
	byMinute   []int
	byHour     []int
	byDay      []weekdayNum
	byMonthDay []int
	byYearDay  []int
	byWeekNo   []int
	byMonth    []int
	bySetPos   []int
	wkst       int
}

// parseRule reads an RRULE value. Parts it does not know (X- names, SKIP,
// RSCALE=GREGORIAN) are ignored; a part with a value out of its range, a
// second FREQ or no FREQ at all is an error.
func parseRule(s string) (*recurRule, error) {
	r := &recurRule{interval: 1, wkst: 1, freq: -1}
	for part := range strings.SplitSeq(strings.TrimSpace(s), ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, ruleError("part without a value", part)
		}
		name = strings.ToUpper(strings.TrimSpace(name))
		val = strings.ToUpper(strings.TrimSpace(val))
		var err error
		switch name {
		case "FREQ":
			f, ok := frequencies[val]
			if !ok || r.freq >= 0 {
				return nil, ruleError("bad FREQ", val)
			}
			r.freq = f
		case "INTERVAL":
			r.interval, err = ruleInt(val, 1, 1<<30)
		case "COUNT":
			r.count, err = ruleInt(val, 1, 1<<31-1)
		case "UNTIL":
			err = r.parseUntil(val)
		case "BYSECOND":
			r.bySecond, err = ruleInts(val, 0, 60, false)
		case "BYMINUTE":
			r.byMinute, err = ruleInts(val, 0, 59, false)
		case "BYHOUR":
			r.byHour, err = ruleInts(val, 0, 23, false)
		case "BYMONTHDAY":
			r.byMonthDay, err = ruleInts(val, 1, 31, true)
		case "BYYEARDAY":
			r.byYearDay, err = ruleInts(val, 1, 366, true)
		case "BYWEEKNO":
			r.byWeekNo, err = ruleInts(val, 1, 53, true)
		case "BYMONTH":
			r.byMonth, err = ruleInts(val, 1, 12, false)
		case "BYSETPOS":
			r.bySetPos, err = ruleInts(val, 1, 366, true)
		case "BYDAY":
			r.byDay, err = ruleWeekdays(val)
		case "WKST":
			wd, ok := weekdays[val]
			if !ok {
				return nil, ruleError("bad WKST", val)
			}
			r.wkst = wd
		case "RSCALE":
			if val != "GREGORIAN" {
				return nil, ruleError("unsupported RSCALE", val)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if r.freq < 0 {
		return nil, errors.New("recur: bad RRULE: no FREQ")
	}
	return r, nil
}

func ruleError(what, v string) error {
	return fmt.Errorf("recur: bad RRULE: %s %q", what, truncate(v, 40))
}

func (r *recurRule) parseUntil(v string) error {
	w, isDate, utc, ok := parseWallValue(v)
	switch {
	case !ok:
		return ruleError("bad UNTIL", v)
	case isDate:
		r.untilKind, r.until = untilDate, w.day()
	case utc:
		r.untilKind, r.until = untilInstant, int64(w)
	default:
		r.untilKind, r.until = untilWall, int64(w)
	}
	return nil
}

func ruleInt(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, ruleError("number out of range", v)
	}
	return n, nil
}

// ruleInts reads a list of integers in [lo, hi], or in [-hi, -lo] too when
// signed.
func ruleInts(v string, lo, hi int, signed bool) ([]int, error) {
	var out []int
	for s := range strings.SplitSeq(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		a := n
		if signed && n < 0 {
			a = -n
		}
		if err != nil || a < lo || a > hi {
			return nil, ruleError("number out of range", s)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func ruleWeekdays(v string) ([]weekdayNum, error) {
	var out []weekdayNum
	for s := range strings.SplitSeq(v, ",") {
		s = strings.TrimSpace(s)
		if len(s) < 2 {
			return nil, ruleError("bad BYDAY", s)
		}
		wd, ok := weekdays[s[len(s)-2:]]
		if !ok {
			return nil, ruleError("bad BYDAY", s)
		}
		n := 0
		if num := s[:len(s)-2]; num != "" {
			var err error
			if n, err = strconv.Atoi(num); err != nil || n == 0 || n < -53 || n > 53 {
				return nil, ruleError("bad BYDAY", s)
			}
		}
		out = append(out, weekdayNum{n: n, wd: wd})
	}
	slices.SortFunc(out, func(a, b weekdayNum) int {
		if a.n != b.n {
			return a.n - b.n
		}
		return a.wd - b.wd
	})
	return slices.Compact(out), nil
}

// nthScope says what a ranked BYDAY ("2TU") counts in.
type nthScope int8

const (
	nthNone  nthScope = iota // the rank is ignored: any such weekday
	nthMonth                 // the nth such weekday of the month
	nthYear                  // of the year
)

// ruleIter expands one rule for one series.
type ruleIter struct {
	r       *recurRule
	dtstart wall
	z       *zone
	b       *budget
	yield   func(wall)
	limit   wall
	n       int // instances counted for COUNT, DTSTART included

	// The rule with the defaults DTSTART gives (RFC 5545 section 3.3.10:
	// "information, not contained in the rule, necessary to determine the
	// various recurrence instance start time and dates are derived from the
	// Start Time").
	byMonthDay, byMonth []int
	byDay               []weekdayNum
	plainDays           uint8 // BYDAY weekdays without a rank (or whose rank is ignored)
	nth                 nthScope
	hours, mins, secs   []int
	tod                 []int32 // times of day of a DAILY or longer rule, sorted

	days  []int64 // scratch: the days of one period that pass the BY rules
	cands []wall  // scratch: BYSETPOS selection

	wnYear int // BYWEEKNO: the calendar year whose week starts are cached
	wnW1   [4]int64
}

// maxWall bounds every recurrence: no instance after year 9999.
var maxWall = wallOf(10000, 1, 1, 0, 0, 0)

var errSubDailyDate = errors.New("recur: bad RRULE: HOURLY, MINUTELY or SECONDLY on a DATE")

// expand calls yield with the starts, as wall times of the series' zone z,
// of the instances rule r adds to a series whose DTSTART is dtstart: in
// increasing order, from DTSTART (exclusive: the caller adds DTSTART, which
// always is the first instance and counts for COUNT) until limit
// (exclusive), COUNT or UNTIL.
//
// Without COUNT, expand starts at the period (year, month, week, day...)
// that contains skipTo: the periods before it yield nothing the caller
// wants. Each instance and each period costs one unit of the budget; expand
// returns errTooManyInstances when it runs out.
func (r *recurRule) expand(dtstart wall, isDate bool, z *zone, skipTo, limit wall, b *budget, yield func(wall)) error {
	if isDate && r.freq < daily {
		return errSubDailyDate
	}
	it := &ruleIter{r: r, dtstart: dtstart, z: z, b: b, yield: yield, limit: min(limit, maxWall), n: 1}
	if r.count > 0 || skipTo < dtstart {
		skipTo = dtstart
	}
	it.defaults(isDate)
	if r.count == 1 {
		return nil
	}
	if r.freq >= daily {
		return it.runDays(skipTo)
	}
	return it.runSubDaily(skipTo)
}

func (it *ruleIter) defaults(isDate bool) {
	r := it.r
	c := civilDayOf(it.dtstart.day())
	it.byMonthDay, it.byMonth, it.byDay = r.byMonthDay, r.byMonth, r.byDay
	noDayRule := len(r.byWeekNo) == 0 && len(r.byYearDay) == 0 && len(r.byMonthDay) == 0 && len(r.byDay) == 0
	switch {
	case r.freq == yearly && noDayRule:
		if len(it.byMonth) == 0 {
			it.byMonth = []int{int(c.m)}
		}
		it.byMonthDay = []int{c.d}
	case r.freq == yearly && len(r.byWeekNo) > 0 && len(r.byDay) == 0 && len(r.byYearDay) == 0 && len(r.byMonthDay) == 0:
		it.byDay = []weekdayNum{{wd: c.wd}}
	case r.freq == monthly && noDayRule:
		it.byMonthDay = []int{c.d}
	case r.freq == weekly && noDayRule:
		it.byDay = []weekdayNum{{wd: c.wd}}
	}
	switch {
	case r.freq == monthly || r.freq == yearly && len(it.byMonth) > 0:
		it.nth = nthMonth
	case r.freq == yearly && len(r.byWeekNo) == 0:
		it.nth = nthYear
	}
	for _, d := range it.byDay {
		if d.n == 0 || it.nth == nthNone {
			it.plainDays |= 1 << d.wd
		}
	}
	sod := it.dtstart.secOfDay()
	it.hours, it.mins, it.secs = r.byHour, r.byMinute, r.bySecond
	if len(it.hours) == 0 {
		it.hours = []int{int(sod / 3600)}
	}
	if len(it.mins) == 0 {
		it.mins = []int{int(sod / 60 % 60)}
	}
	if len(it.secs) == 0 {
		it.secs = []int{int(sod % 60)}
	}
	if r.freq < daily {
		return
	}
	if isDate {
		it.tod = []int32{0}
		return
	}
	it.tod = make([]int32, 0, len(it.hours)*len(it.mins)*len(it.secs))
	for _, h := range it.hours {
		for _, m := range it.mins {
			for _, s := range it.secs {
				it.tod = append(it.tod, int32(h*3600+m*60+s))
			}
		}
	}
	// BYSECOND=60 (a leap second) is the next minute, maybe twice.
	slices.Sort(it.tod)
	it.tod = slices.Compact(it.tod)
}

// runDays expands a DAILY, WEEKLY, MONTHLY or YEARLY rule, one period at a
// time: the days of the period that pass the BY rules, each at every time
// of it.tod, BYSETPOS applied to the lot.
func (it *ruleIter) runDays(skipTo wall) error {
	r := it.r
	start := civilDayOf(it.dtstart.day())
	skip := civilDayOf(skipTo.day())
	iv := int64(r.interval)
	switch r.freq {
	case yearly:
		k := max(0, floorDiv(int64(skip.y-start.y), iv))
		for ; ; k++ {
			y := int64(start.y) + k*iv
			if y > 9999 || wallOf(int(y), 1, 1, 0, 0, 0) >= it.limit {
				return nil
			}
			it.days = it.days[:0]
			if len(it.byMonth) > 0 {
				for _, m := range it.byMonth {
					it.scanDays(civilDayOf(wallOf(int(y), time.Month(m), 1, 0, 0, 0).day()), daysIn(int(y), time.Month(m)))
				}
			} else {
				it.scanDays(civilDayOf(wallOf(int(y), 1, 1, 0, 0, 0).day()), daysInYear(int(y)))
			}
			if done, err := it.period(); done || err != nil {
				return err
			}
		}
	case monthly:
		m0 := int64(start.y)*12 + int64(start.m-1)
		k := max(0, floorDiv(int64(skip.y)*12+int64(skip.m-1)-m0, iv))
		for ; ; k++ {
			mi := m0 + k*iv
			y, m := int(mi/12), time.Month(mi%12+1)
			if y > 9999 {
				return nil
			}
			first := wallOf(y, m, 1, 0, 0, 0)
			if first >= it.limit {
				return nil
			}
			it.days = it.days[:0]
			if len(it.byMonth) == 0 || slices.Contains(it.byMonth, int(m)) {
				it.scanDays(civilDayOf(first.day()), daysIn(y, m))
			}
			if done, err := it.period(); done || err != nil {
				return err
			}
		}
	default: // weekly, daily
		span := int64(1)
		first := start.z
		if r.freq == weekly {
			span = 7
			first -= int64((start.wd - r.wkst + 7) % 7)
		}
		k := max(0, floorDiv(skip.z-first, span*iv))
		for ; ; k++ {
			z := first + k*span*iv
			if wallOfDay(z) >= it.limit {
				return nil
			}
			it.days = it.days[:0]
			it.scanDays(civilDayOf(z), int(span))
			if done, err := it.period(); done || err != nil {
				return err
			}
		}
	}
}

// scanDays appends to it.days the n days from c on that pass the BY rules.
func (it *ruleIter) scanDays(c civilDay, n int) {
	for i := 0; i < n; i++ {
		if i > 0 {
			c.next()
		}
		if it.matchDay(&c) {
			it.days = append(it.days, c.z)
		}
	}
}

func (it *ruleIter) matchDay(c *civilDay) bool {
	r := it.r
	if len(it.byMonth) > 0 && !slices.Contains(it.byMonth, int(c.m)) {
		return false
	}
	if len(r.byWeekNo) > 0 && !it.matchWeekNo(c) {
		return false
	}
	if len(r.byYearDay) > 0 && !matchSigned(r.byYearDay, c.yday, c.diy) {
		return false
	}
	if len(it.byMonthDay) > 0 && !matchSigned(it.byMonthDay, c.d, c.dim) {
		return false
	}
	if len(it.byDay) > 0 && !it.matchWeekday(c) {
		return false
	}
	return true
}

// matchSigned reports whether v, the vth of n, is in list, where -1 is the
// last.
func matchSigned(list []int, v, n int) bool {
	for _, x := range list {
		if x == v || x == v-n-1 {
			return true
		}
	}
	return false
}

func (it *ruleIter) matchWeekday(c *civilDay) bool {
	if it.plainDays&(1<<c.wd) != 0 {
		return true
	}
	if it.nth == nthNone {
		return false
	}
	var pos, neg int
	if it.nth == nthMonth {
		pos, neg = (c.d-1)/7+1, -((c.dim-c.d)/7 + 1)
	} else {
		pos, neg = (c.yday-1)/7+1, -((c.diy-c.yday)/7 + 1)
	}
	for _, d := range it.byDay {
		if d.wd == c.wd && d.n != 0 && (d.n == pos || d.n == neg) {
			return true
		}
	}
	return false
}

// matchWeekNo reports whether the week of c is in BYWEEKNO. Weeks start on
// WKST; week 1 of a year is the first with at least four days in it
// (RFC 5545 section 3.3.10, after ISO 8601). A day belongs to the week-year
// of its week: 31 December may be in week 1 of the next year.
func (it *ruleIter) matchWeekNo(c *civilDay) bool {
	if it.wnYear != c.y || it.wnW1[0] == 0 && it.wnW1[1] == 0 {
		it.wnYear = c.y
		for i := range it.wnW1 {
			it.wnW1[i] = it.week1(c.y - 1 + i)
		}
	}
	var wn, weeks int64
	switch w1, w1next := it.wnW1[1], it.wnW1[2]; {
	case c.z < w1:
		wn, weeks = (c.z-it.wnW1[0])/7+1, (w1-it.wnW1[0])/7
	case c.z >= w1next:
		wn, weeks = (c.z-w1next)/7+1, (it.wnW1[3]-w1next)/7
	default:
		wn, weeks = (c.z-w1)/7+1, (w1next-w1)/7
	}
	for _, x := range it.r.byWeekNo {
		if int64(x) == wn || int64(x) == wn-weeks-1 {
			return true
		}
	}
	return false
}

// week1 returns the first day of week 1 of year y.
func (it *ruleIter) week1(y int) int64 {
	jan1 := wallOf(y, 1, 1, 0, 0, 0).day()
	delta := int64((weekdayOf(jan1) - it.r.wkst + 7) % 7)
	if delta <= 3 {
		return jan1 - delta
	}
	return jan1 + 7 - delta
}

// period emits the instances of the period whose days are in it.days.
func (it *ruleIter) period() (done bool, err error) {
	if it.b.periods--; it.b.periods < 0 {
		return true, errTooManyInstances
	}
	nt := len(it.tod)
	n := len(it.days) * nt
	if len(it.r.bySetPos) == 0 {
		for i := 0; i < n; i++ {
			if done, err := it.emit(wallOfDay(it.days[i/nt]) + wall(it.tod[i%nt])); done || err != nil {
				return done, err
			}
		}
		return false, nil
	}
	it.cands = it.cands[:0]
	for _, p := range it.r.bySetPos {
		i := p - 1
		if p < 0 {
			i = n + p
		}
		if i >= 0 && i < n {
			it.cands = append(it.cands, wallOfDay(it.days[i/nt])+wall(it.tod[i%nt]))
		}
	}
	return it.emitCands()
}

func (it *ruleIter) emitCands() (done bool, err error) {
	slices.Sort(it.cands)
	it.cands = slices.Compact(it.cands)
	for _, w := range it.cands {
		if done, err := it.emit(w); done || err != nil {
			return done, err
		}
	}
	return false, nil
}

// emit yields one candidate instance, in increasing order, unless the rule
// is over.
func (it *ruleIter) emit(w wall) (done bool, err error) {
	switch {
	case w <= it.dtstart:
		// Before DTSTART: not an instance. DTSTART itself: the caller's.
		return false, nil
	case w >= it.limit:
		return true, nil
	}
	r := it.r
	switch r.untilKind {
	case untilInstant:
		if it.z.instant(w) > r.until {
			return true, nil
		}
	case untilWall:
		if int64(w) > r.until {
			return true, nil
		}
	case untilDate:
		if w.day() > r.until {
			return true, nil
		}
	}
	if r.count > 0 {
		if it.n >= r.count {
			return true, nil
		}
		it.n++
	}
	if it.b.series--; it.b.series < 0 {
		return true, errTooManyInstances
	}
	if it.b.total--; it.b.total < 0 {
		return true, errTooManyInstances
	}
	it.yield(w)
	return false, nil
}

// runSubDaily expands an HOURLY, MINUTELY or SECONDLY rule. A period (an
// hour, a minute, a second) whose day, hour or minute fails the BY rules is
// skipped with the rest of that day, hour or minute, so that a rule like
// FREQ=SECONDLY;BYMONTH=2 costs one step per day outside February.
func (it *ruleIter) runSubDaily(skipTo wall) error {
	r := it.r
	unit := int64(1)
	switch r.freq {
	case hourly:
		unit = 3600
	case minutely:
		unit = 60
	}
	step := unit * int64(r.interval)
	base := floorDiv(int64(it.dtstart), unit) * unit
	k := max(0, floorDiv(int64(skipTo)-base, step))
	// next returns the first k whose period starts at or after w.
	next := func(w int64) int64 { return max(k+1, floorDiv(w-base+step-1, step)) }
	dayOK, cached := false, int64(-1<<62)
	for {
		p := base + k*step
		if wall(p) >= it.limit {
			return nil
		}
		if it.b.periods--; it.b.periods < 0 {
			return errTooManyInstances
		}
		day := floorDiv(p, secondsPerDay)
		if day != cached {
			c := civilDayOf(day)
			cached, dayOK = day, it.matchDay(&c)
		}
		if !dayOK {
			k = next((day + 1) * secondsPerDay)
			continue
		}
		sod := p - day*secondsPerDay
		h, m, s := int(sod/3600), int(sod/60%60), int(sod%60)
		if len(r.byHour) > 0 && !slices.Contains(r.byHour, h) {
			k = next(day*secondsPerDay + int64(h+1)*3600)
			continue
		}
		if r.freq <= minutely && len(r.byMinute) > 0 && !slices.Contains(r.byMinute, m) {
			k = next(day*secondsPerDay + int64(h)*3600 + int64(m+1)*60)
			continue
		}
		if r.freq == secondly && len(r.bySecond) > 0 && !slices.Contains(r.bySecond, s) {
			k++
			continue
		}
		it.cands = it.cands[:0]
		switch r.freq {
		case hourly:
			for _, mm := range it.mins {
				for _, ss := range it.secs {
					it.cands = append(it.cands, wall(p+int64(mm*60+ss)))
				}
			}
		case minutely:
			for _, ss := range it.secs {
				it.cands = append(it.cands, wall(p+int64(ss)))
			}
		default:
			it.cands = append(it.cands, wall(p))
		}
		if len(r.bySetPos) > 0 {
			n := len(it.cands)
			sel := it.cands[n:]
			for _, pos := range r.bySetPos {
				i := pos - 1
				if pos < 0 {
					i = n + pos
				}
				if i >= 0 && i < n {
					sel = append(sel, it.cands[i])
				}
			}
			it.cands = append(it.cands[:0], sel...)
		}
		if done, err := it.emitCands(); done || err != nil {
			return err
		}
		k++
	}
}

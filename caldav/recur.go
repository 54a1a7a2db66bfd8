package caldav

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// MaxInstances is the most instances Expand generates for one recurring
// event (master and its RDATEs together), whether they fall in the window or
// before it. A series that needs more is cut there: the instances found so
// far are kept and Expand reports an error, so that a hostile or absurd rule
// (FREQ=SECONDLY, no end) costs a bounded amount of work.
const MaxInstances = 100_000

var errTooManyInstances = fmt.Errorf("caldav: recurring event cut after %d instances", MaxInstances)

// instantSet matches instances against EXDATE or RECURRENCE-ID values: by
// instant, or by calendar date for DATE values given on a DATE-TIME series.
type instantSet struct {
	instants map[int64]bool
	dates    map[string]bool
	loc      *time.Location // the series' zone, for dates
}

func newInstantSet(loc *time.Location) *instantSet {
	return &instantSet{instants: map[int64]bool{}, dates: map[string]bool{}, loc: loc}
}

func (s *instantSet) add(t time.Time, isDate, seriesIsDate bool) {
	if isDate && !seriesIsDate {
		s.dates[t.Format("20060102")] = true
		return
	}
	s.instants[t.Unix()] = true
}

func (s *instantSet) has(t time.Time) bool {
	return s.instants[t.Unix()] || len(s.dates) > 0 && s.dates[t.In(s.loc).Format("20060102")]
}

// exdates collects every EXDATE of ev: several properties, each possibly a
// comma-separated list (RFC 5545 section 3.8.5.1).
func (p *timeParser) exdates(ev *ical.Component, into *instantSet, seriesIsDate bool) error {
	for _, prop := range ev.Props.Values(ical.PropExceptionDates) {
		for _, v := range strings.Split(prop.Value, ",") {
			if strings.TrimSpace(v) == "" {
				continue
			}
			t, isDate, err := p.parse(v, prop.Params)
			if err != nil {
				return fmt.Errorf("EXDATE: %w", err)
			}
			into.add(t, isDate, seriesIsDate)
		}
	}
	return nil
}

// rdate is one RDATE instance; end is set for a PERIOD value.
type rdate struct {
	start, end time.Time
}

// rdates collects every RDATE of ev (RFC 5545 section 3.8.5.2): DATE,
// DATE-TIME or PERIOD values, in lists and over several properties.
func (p *timeParser) rdates(ev *ical.Component) ([]rdate, error) {
	var out []rdate
	for _, prop := range ev.Props.Values(ical.PropRecurrenceDates) {
		for _, v := range strings.Split(prop.Value, ",") {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			startStr, endStr, isPeriod := strings.Cut(v, "/")
			params := prop.Params
			start, _, err := p.parse(startStr, params)
			if err != nil {
				return nil, fmt.Errorf("RDATE: %w", err)
			}
			r := rdate{start: start}
			if isPeriod {
				if strings.ContainsAny(endStr, "Pp") {
					d, err := parseDuration(endStr)
					if err != nil {
						return nil, fmt.Errorf("RDATE: %w", err)
					}
					r.end = d.end(start)
				} else if r.end, _, err = p.parse(endStr, params); err != nil {
					return nil, fmt.Errorf("RDATE: %w", err)
				}
				if r.end.Before(start) {
					r.end = start
				}
			}
			out = append(out, r)
			if len(out) > MaxInstances {
				return out, errTooManyInstances
			}
		}
	}
	return out, nil
}

// ruleOption parses one RRULE for a series starting at dtstart. A local
// UNTIL is read in dtstart's zone.
func ruleOption(prop ical.Prop, dtstart time.Time) (*rrule.ROption, error) {
	opt, err := rrule.StrToROptionInLocation(strings.TrimSpace(prop.Value), dtstart.Location())
	if err != nil {
		return nil, fmt.Errorf("caldav: bad RRULE: %w", err)
	}
	opt.Dtstart = dtstart
	return opt, nil
}

// eachRuleInstance calls yield with the starts of the instances of rule, in
// order, while they start before limit and *budget is positive, spending one
// unit of the budget per instance.
func eachRuleInstance(opt *rrule.ROption, limit time.Time, budget *int, yield func(time.Time)) error {
	if !subDailyReachable(opt) {
		// rrule-go would loop forever looking for the next instance.
		return nil
	}
	rule, err := rrule.NewRRule(*opt)
	if err != nil {
		return fmt.Errorf("caldav: bad RRULE: %w", err)
	}
	next := rule.Iterator()
	for {
		t, ok := next()
		if !ok || !t.Before(limit) {
			return nil
		}
		if *budget <= 0 {
			return errTooManyInstances
		}
		*budget--
		yield(t)
	}
}

// subDailyReachable reports whether an HOURLY, MINUTELY or SECONDLY rule can
// reach a time of day its BYHOUR, BYMINUTE and BYSECOND parts allow. rrule-go
// advances such a rule by INTERVAL units until the time of day passes these
// filters, without bound: FREQ=HOURLY;INTERVAL=2;BYHOUR=1 from an even hour
// never stops. The time of day only takes the values start + k×INTERVAL
// (modulo a day), so trying one full cycle of them decides.
func subDailyReachable(opt *rrule.ROption) bool {
	var unit int64
	switch opt.Freq {
	case rrule.HOURLY:
		unit = 3600
	case rrule.MINUTELY:
		unit = 60
	case rrule.SECONDLY:
		unit = 1
	default:
		return true
	}
	const day = 86400
	interval := int64(max(opt.Interval, 1))
	h, m, s := opt.Dtstart.Clock()
	tod := int64(h*3600 + m*60 + s)
	step := interval * unit % day
	cycle := int64(day)
	if step != 0 {
		cycle = day / gcd(step, day)
	} else {
		cycle = 1
	}
	for k := int64(1); k <= cycle; k++ {
		t := (tod + k*step) % day
		hh, mm, ss := int(t/3600), int(t/60%60), int(t%60)
		if len(opt.Byhour) > 0 && !slices.Contains(opt.Byhour, hh) {
			continue
		}
		if opt.Freq >= rrule.MINUTELY && len(opt.Byminute) > 0 && !slices.Contains(opt.Byminute, mm) {
			continue
		}
		if opt.Freq == rrule.SECONDLY && len(opt.Bysecond) > 0 && !slices.Contains(opt.Bysecond, ss) {
			continue
		}
		return true
	}
	return false
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

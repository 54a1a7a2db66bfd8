package recur

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/emersion/go-ical"
)

// Decode parses an iCalendar object (RFC 5545 section 3.1) into go-ical's
// types, like ical.Decoder does, but several times faster: values and
// parameters are substrings of data (only folded lines are copied), and
// each component's properties share one array. Malformed input is an error,
// never a panic. The result is meant to be read: a property without
// parameters has nil Params.
//
// Lines are unfolded by octets, as RFC 5545 asks, so a character split by
// a fold is whole again; data that is still not UTF-8 is repaired first
// (see repairText), so that every value is valid UTF-8.
func Decode(data string) (*ical.Calendar, error) {
	return parseCalendar(repairText(data), nil, nil)
}

// BusyDecoder is the fast decoder for busy time: what it decodes holds what
// Expander needs and rdv's own X-RDV- properties, and no free text. Its zero value is ready for use; it is
// safe for concurrent use. One BusyDecoder serves the objects of one
// calendar account, which repeat the same VTIMEZONEs and parameters: it
// parses them once (at most a fixed number of each).
type BusyDecoder struct {
	shared sharedTable
}

// Decode parses data like the package's Decode, leaving out what busy time
// never depends on and what may carry a patient's or a colleague's words:
// summaries, descriptions, locations, alarms (see skipForBusy). What
// it returns may share components and parameters with what d decoded before:
// it must not be modified. data is not checked for UTF-8: it is meant to
// come from a multistatus answer, which is valid UTF-8 once decoded, and the
// values kept are those of dates, rules and identifiers.
func (d *BusyDecoder) Decode(data string) (*ical.Calendar, error) {
	return decodeForBusy(data, &d.shared)
}

// decodeForBusy is Decode for the cache of busy time: it leaves out
// what busy time never depends on and what may carry a patient's or a
// colleague's words (see skipForBusy), so that a cached object is small and
// holds no free text; and it takes the VTIMEZONEs and the parameters from
// shared when they are there, word for word, since clients repeat the same
// ones in every object. What comes from shared is shared: the result must
// not be modified. data is not checked for UTF-8 (see BusyDecoder.Decode).
func decodeForBusy(data string, shared *sharedTable) (*ical.Calendar, error) {
	return parseCalendar(data, skipForBusy, shared)
}

// sharedTable holds what the objects of one calendar account repeat, parsed
// once: VTIMEZONE components and the parameters of date and time properties,
// by their text. It is safe for concurrent use and holds at most maxZones
// components and maxParams parameter lists.
type sharedTable struct {
	mu     sync.Mutex
	zones  map[string]*ical.Component
	params map[string]ical.Params
}

const (
	maxZones       = 256
	maxParams      = 1024
	maxParamsText  = 200 // longer parameters are not shared
	maxParamValues = 8
)

// getParams returns the parameters parsed from text, nil if there are none.
func (z *sharedTable) getParams(text string) ical.Params {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.params[text]
}

// putParams keeps params, parsed from text, unless the table is full; the
// table keeps copies of the strings, not substrings of an object's data.
func (z *sharedTable) putParams(text string, params ical.Params) ical.Params {
	if len(text) > maxParamsText || len(params) > maxParamValues {
		return params
	}
	own := make(ical.Params, len(params))
	for k, vs := range params {
		c := make([]string, len(vs))
		for i, v := range vs {
			c[i] = strings.Clone(v)
		}
		own[strings.Clone(k)] = c
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.params == nil {
		z.params = map[string]ical.Params{}
	}
	if len(z.params) >= maxParams {
		return params
	}
	if p, ok := z.params[text]; ok {
		return p
	}
	z.params[strings.Clone(text)] = own
	return own
}

func (z *sharedTable) get(text string) *ical.Component {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.zones[text]
}

func (z *sharedTable) put(text string, c *ical.Component) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.zones == nil {
		z.zones = map[string]*ical.Component{}
	}
	if len(z.zones) < maxZones {
		z.zones[strings.Clone(text)] = c
	}
}

// zoneText returns the text of the VTIMEZONE whose BEGIN line starts at
// start in data and whose body follows at body, up to the end of its END
// line, or "" if it cannot be told without parsing.
func zoneText(data string, start, body int) string {
	const end = "\nEND:VTIMEZONE"
	i := strings.Index(data[body:], end)
	if i < 0 {
		return ""
	}
	stop := body + i + len(end)
	if j := strings.IndexByte(data[stop:], '\n'); j >= 0 {
		stop += j + 1
	} else {
		stop = len(data)
	}
	return data[start:stop]
}

// skipForBusy reports whether BusyDecoder leaves out a component (prop
// "") or a property of a component. It keeps what busy time and rdv's own
// booking events are read from: VEVENTs and VTIMEZONEs (with their
// observances), the properties of a VEVENT that Instances and Expand read
// and rdv's own X-RDV- properties (of its booking events), and every property of a VTIMEZONE. Everything else
// goes: alarms, to-dos, the calendar's own properties, and the free text
// and descriptive properties of events (summary, description, location,
// organizer, comments, attachments, clients' X- properties).
func skipForBusy(comp, prop string) bool {
	if prop == "" {
		switch comp {
		case ical.CompEvent, ical.CompTimezone, ical.CompTimezoneStandard, ical.CompTimezoneDaylight:
			return false
		}
		return true
	}
	switch comp {
	case ical.CompCalendar:
		return true
	case ical.CompEvent:
		switch prop {
		case ical.PropUID, ical.PropRecurrenceID, ical.PropDateTimeStart, ical.PropDateTimeEnd,
			ical.PropDuration, ical.PropTransparency, ical.PropStatus, ical.PropRecurrenceRule,
			ical.PropRecurrenceDates, ical.PropExceptionDates, ical.PropAttendee, ical.PropSequence:
			return false
		}
		return !strings.HasPrefix(prop, "X-RDV-")
	}
	return false
}

// maxDepth bounds the nesting of components (VCALENDAR > VEVENT > VALARM is
// 3), so that a hostile object cannot make the parser hold a long stack.
const maxDepth = 16

var errNotVCalendar = errors.New("ical: expected a VCALENDAR")

// parser holds the scratch space of parseCalendar, reused through
// parsers.
type parser struct {
	stack  []frame
	groups []group
	params []sharedParams
	shared *sharedTable // nil: no sharing beyond the object
	fresh  string       // the text of the parameters parseLine has just parsed, if they may be shared
}

// sharedParams are the parameters parsed from one text (";TZID=Europe/Paris"),
// shared by the properties of an object that repeat it (DTSTART, DTEND,
// EXDATE, RECURRENCE-ID of a series): a map allocated once, not per
// property.
type sharedParams struct {
	text   string
	params ical.Params
}

// maxSharedParams bounds the texts of one object whose parameters are
// shared; the parameters of others are parsed for each property.
const maxSharedParams = 16

type frame struct {
	comp  *ical.Component
	props []ical.Prop // in order, grouped by name at END
}

type group struct {
	name       string
	n, written int
}

var parsers = sync.Pool{New: func() any { return new(parser) }}

// parseCalendar parses the first object of data, ignoring what follows
// it; skip, if not nil, leaves out the components and properties it names
// (see skipForBusy).
func parseCalendar(data string, skip func(comp, prop string) bool, zones *sharedTable) (*ical.Calendar, error) {
	cal, _, err := parseObject(data, skip, zones)
	return cal, err
}

// parseObject is parseCalendar that also returns where the object ends in
// data: the offset just past its END:VCALENDAR line.
func parseObject(data string, skip func(comp, prop string) bool, zones *sharedTable) (*ical.Calendar, int, error) {
	ps := parsers.Get().(*parser)
	defer func() {
		for i := range ps.stack[:cap(ps.stack)] {
			ps.stack[:cap(ps.stack)][i].comp = nil
			clear(ps.stack[:cap(ps.stack)][i].props)
		}
		ps.stack = ps.stack[:0]
		clear(ps.params)
		ps.params = ps.params[:0]
		ps.shared, ps.fresh = nil, ""
		parsers.Put(ps)
	}()
	ps.shared = zones
	skipping := 0 // depth inside a skipped component
	zoneStart := -1
	lx := lexer{s: data}
	for {
		lineStart := lx.pos
		line, ok := lx.next()
		if !ok {
			return nil, 0, errors.New("ical: unexpected end of data")
		}
		name, params, value, err := ps.parseLine(line)
		if err != nil {
			return nil, 0, err
		}
		switch name {
		case "BEGIN":
			compName := upper(value)
			if len(ps.stack) == 0 && compName != ical.CompCalendar {
				return nil, 0, errNotVCalendar
			}
			if len(ps.stack)+skipping >= maxDepth {
				return nil, 0, fmt.Errorf("ical: components nested more than %d deep", maxDepth)
			}
			if skipping > 0 || skip != nil && len(ps.stack) > 0 && skip(compName, "") {
				skipping++
				continue
			}
			if zones != nil && compName == ical.CompTimezone && len(ps.stack) == 1 {
				text := zoneText(data, lineStart, lx.pos)
				if next := lineStart + len(text); text != "" && (next == len(data) || data[next] != ' ' && data[next] != '\t') {
					if tz := zones.get(text); tz != nil {
						root := ps.stack[0].comp
						root.Children = append(root.Children, tz)
						lx.pos = next
						continue
					}
				}
				zoneStart = lineStart
			}
			var props []ical.Prop
			if n := len(ps.stack); n < cap(ps.stack) {
				props = ps.stack[:n+1][n].props[:0] // the scratch of this depth
			}
			ps.stack = append(ps.stack, frame{comp: &ical.Component{Name: compName}, props: props})
		case "END":
			if skipping > 0 {
				skipping--
				continue
			}
			if len(ps.stack) == 0 {
				return nil, 0, errNotVCalendar
			}
			top := &ps.stack[len(ps.stack)-1]
			if !strings.EqualFold(value, top.comp.Name) {
				return nil, 0, fmt.Errorf("ical: malformed component: expected END for %q", top.comp.Name)
			}
			comp := top.comp
			comp.Props = ps.group(top.props)
			ps.stack = ps.stack[:len(ps.stack)-1]
			if len(ps.stack) == 0 {
				return &ical.Calendar{Component: comp}, lx.pos, nil
			}
			parent := ps.stack[len(ps.stack)-1].comp
			parent.Children = append(parent.Children, comp)
			if zoneStart >= 0 && len(ps.stack) == 1 {
				zones.put(data[zoneStart:lx.pos], comp)
				zoneStart = -1
			}
		default:
			if len(ps.stack) == 0 {
				return nil, 0, errNotVCalendar
			}
			if skipping > 0 {
				continue
			}
			top := &ps.stack[len(ps.stack)-1]
			if skip != nil && skip(top.comp.Name, name) {
				continue
			}
			top.props = append(top.props, ical.Prop{Name: name, Params: ps.publish(name, params), Value: value})
		}
	}
}

// group makes a component's property map: the properties of one name in
// their order, all in one array. A component without properties has a nil
// map.
func (ps *parser) group(props []ical.Prop) ical.Props {
	if len(props) == 0 {
		return nil
	}
	groups := ps.groups[:0]
	for _, p := range props {
		found := false
		for i := range groups {
			if groups[i].name == p.Name {
				groups[i].n++
				found = true
				break
			}
		}
		if !found {
			groups = append(groups, group{name: p.Name, n: 1})
		}
	}
	all := make([]ical.Prop, len(props))
	m := make(ical.Props, len(groups))
	off := 0
	for i := range groups {
		g := &groups[i]
		m[g.name] = all[off : off+g.n : off+g.n]
		g.written = off
		off += g.n
	}
	for _, p := range props {
		for i := range groups {
			if groups[i].name == p.Name {
				all[groups[i].written] = p
				groups[i].written++
				break
			}
		}
	}
	ps.groups = groups[:0]
	return m
}

// lexer yields the content lines of an iCalendar stream, unfolded by octets
// (RFC 5545 section 3.1: a line break followed by a space or a tab continues
// the line, wherever it falls, even inside a multi-byte character), skipping
// empty ones. Lines end in CRLF or LF.
type lexer struct {
	s   string
	pos int
}

func (lx *lexer) physical() string {
	rest := lx.s[lx.pos:]
	i := strings.IndexByte(rest, '\n')
	if i < 0 {
		lx.pos = len(lx.s)
		return rest
	}
	lx.pos += i + 1
	line := rest[:i]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line
}

func (lx *lexer) next() (string, bool) {
	for lx.pos < len(lx.s) {
		line := lx.physical()
		if lx.continues() {
			var b strings.Builder
			b.WriteString(line)
			for lx.continues() {
				lx.pos++ // the space or tab
				b.WriteString(lx.physical())
			}
			line = b.String()
		}
		if line != "" {
			return line, true
		}
	}
	return "", false
}

func (lx *lexer) continues() bool {
	return lx.pos < len(lx.s) && (lx.s[lx.pos] == ' ' || lx.s[lx.pos] == '\t')
}

// parseLine splits a content line (RFC 5545 section 3.1) into its name
// (upper case), parameters (names in upper case, values without their
// quotes) and raw value.
//
// Properties whose parameters are written the same way share one Params
// map: the result must not be modified.
func (ps *parser) parseLine(line string) (name string, params ical.Params, value string, err error) {
	i := strings.IndexAny(line, ";:")
	if i <= 0 {
		return "", nil, "", errors.New("ical: malformed content line")
	}
	name = upper(line[:i])
	rest := line[i:]
	ps.fresh = ""
	if rest[0] != ';' {
		return name, nil, rest[1:], nil
	}
	// The parameters' text ends at the first colon outside quotes, if they
	// are well formed: parsed once per object.
	text := rest[:paramsEnd(rest)]
	for _, sp := range ps.params {
		if sp.text == text && len(text) < len(rest) {
			return name, sp.params, rest[len(text)+1:], nil
		}
	}
	if ps.shared != nil && len(text) < len(rest) && len(ps.params) < maxSharedParams {
		if params := ps.shared.getParams(text); params != nil {
			ps.params = append(ps.params, sharedParams{text, params})
			return name, params, rest[len(text)+1:], nil
		}
	}
	for rest[0] == ';' {
		rest = rest[1:]
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return "", nil, "", errors.New("ical: malformed parameter")
		}
		pname := upper(rest[:eq])
		rest = rest[eq+1:]
		if params == nil {
			params = make(ical.Params, 2)
		}
		for {
			var v string
			if rest != "" && rest[0] == '"' {
				end := strings.IndexByte(rest[1:], '"')
				if end < 0 {
					return "", nil, "", errors.New("ical: unterminated quoted parameter value")
				}
				v, rest = rest[1:1+end], rest[2+end:]
			} else {
				end := strings.IndexAny(rest, "\";,:")
				if end < 0 || rest[end] == '"' {
					return "", nil, "", errors.New("ical: malformed parameter value")
				}
				v, rest = rest[:end], rest[end:]
			}
			params[pname] = append(params[pname], v)
			if rest == "" {
				return "", nil, "", errors.New("ical: malformed property: expected a colon")
			}
			if rest[0] != ',' {
				break
			}
			rest = rest[1:]
		}
		if rest[0] != ';' && rest[0] != ':' {
			return "", nil, "", errors.New("ical: malformed parameter value")
		}
	}
	if len(line)-len(rest) == i+len(text) && len(ps.params) < maxSharedParams {
		ps.params = append(ps.params, sharedParams{text, params})
		ps.fresh = text
	}
	return name, params, rest[1:], nil
}

// publish puts the parameters parseLine has just parsed for the property
// name, if it did, into the shared table, and returns those to keep. Only
// the parameters of date and time properties are published, which are
// those objects repeat (TZID, VALUE=DATE) and carry no one's name or words
// (an ATTENDEE's CN does): the table outlives the objects.
func (ps *parser) publish(name string, params ical.Params) ical.Params {
	text := ps.fresh
	if ps.shared == nil || text == "" {
		return params
	}
	switch name {
	case ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropRecurrenceID,
		ical.PropExceptionDates, ical.PropRecurrenceDates, ical.PropDue:
	default:
		return params
	}
	ps.fresh = ""
	shared := ps.shared.putParams(text, params)
	ps.params[len(ps.params)-1].params = shared
	return shared
}

// paramsEnd returns the index of the first colon outside double quotes in
// s, len(s) if there is none.
func paramsEnd(s string) int {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ':':
			if !quoted {
				return i
			}
		}
	}
	return len(s)
}

// upper returns s in upper case, without allocating when it already is.
func upper(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'a' <= c && c <= 'z' || c >= 0x80 {
			return strings.ToUpper(s)
		}
	}
	return s
}

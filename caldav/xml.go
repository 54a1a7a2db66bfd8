package caldav

import (
	"encoding/xml"
	"strings"
	"time"
)

// Request bodies. encoding/xml cannot declare a namespace prefix, so the
// element names carry the prefixes D (DAV:) and C (CalDAV) literally and the
// root element declares them.
const (
	nsDAV    = "DAV:"
	nsCalDAV = "urn:ietf:params:xml:ns:caldav"
)

type empty struct{}

// propfindReq is a PROPFIND body (RFC 4918 section 14.20).
type propfindReq struct {
	XMLName xml.Name    `xml:"D:propfind"`
	NSD     string      `xml:"xmlns:D,attr"`
	NSC     string      `xml:"xmlns:C,attr"`
	Prop    propfindSet `xml:"D:prop"`
}

type propfindSet struct {
	ResourceType         *empty `xml:"D:resourcetype"`
	DisplayName          *empty `xml:"D:displayname"`
	CurrentUserPrincipal *empty `xml:"D:current-user-principal"`
	CalendarHomeSet      *empty `xml:"C:calendar-home-set"`
	SupportedComponents  *empty `xml:"C:supported-calendar-component-set"`
	ETag                 *empty `xml:"D:getetag"`
}

func propfindBody(set propfindSet) []byte {
	return marshal(propfindReq{NSD: nsDAV, NSC: nsCalDAV, Prop: set})
}

// calendarQuery is a calendar-query REPORT body (RFC 4791 section 7.8).
type calendarQuery struct {
	XMLName xml.Name    `xml:"C:calendar-query"`
	NSD     string      `xml:"xmlns:D,attr"`
	NSC     string      `xml:"xmlns:C,attr"`
	Prop    queryProp   `xml:"D:prop"`
	Filter  queryFilter `xml:"C:filter"`
}

type queryProp struct {
	ETag *empty  `xml:"D:getetag"`
	Data compReq `xml:"C:calendar-data>C:comp"`
}

type compReq struct {
	Name    string    `xml:"name,attr"`
	AllProp *empty    `xml:"C:allprop"`
	Comps   []compReq `xml:"C:comp"`
}

type queryFilter struct {
	Comp compFilter `xml:"C:comp-filter"`
}

type compFilter struct {
	Name      string       `xml:"name,attr"`
	TimeRange *timeRange   `xml:"C:time-range"`
	Comps     []compFilter `xml:"C:comp-filter"`
}

type timeRange struct {
	Start string `xml:"start,attr"`
	End   string `xml:"end,attr"`
}

// eventQueryBody asks for the VEVENTs that overlap [from, to), with their
// VTIMEZONEs. It names the components it wants instead of using allcomp,
// which some servers (Xandikos) answer with empty components.
func eventQueryBody(from, to time.Time) []byte {
	all := &empty{}
	q := calendarQuery{
		NSD: nsDAV, NSC: nsCalDAV,
		Prop: queryProp{
			ETag: &empty{},
			Data: compReq{Name: "VCALENDAR", AllProp: all, Comps: []compReq{
				{Name: "VEVENT", AllProp: all},
				{Name: "VTIMEZONE", AllProp: all, Comps: []compReq{
					{Name: "STANDARD", AllProp: all},
					{Name: "DAYLIGHT", AllProp: all},
				}},
			}},
		},
		Filter: queryFilter{Comp: compFilter{Name: "VCALENDAR", Comps: []compFilter{{
			Name: "VEVENT",
			TimeRange: &timeRange{
				Start: from.UTC().Format("20060102T150405Z"),
				End:   to.UTC().Format("20060102T150405Z"),
			},
		}}}},
	}
	return marshal(q)
}

func marshal(v any) []byte {
	b, err := xml.Marshal(v)
	if err != nil {
		panic("caldav: cannot marshal a request body: " + err.Error()) // fixed types: never happens
	}
	return append([]byte(xml.Header), b...)
}

// multistatus is a 207 Multi-Status body (RFC 4918 section 14.16).
type multistatus struct {
	Responses []msResponse `xml:"DAV: response"`
}

type msResponse struct {
	Href      string       `xml:"DAV: href"`
	Status    string       `xml:"DAV: status"`
	Propstats []msPropstat `xml:"DAV: propstat"`
}

type msPropstat struct {
	Status string `xml:"DAV: status"`
	Prop   msProp `xml:"DAV: prop"`
}

type msProp struct {
	ResourceType         *msResourceType `xml:"DAV: resourcetype"`
	DisplayName          string          `xml:"DAV: displayname"`
	CurrentUserPrincipal *msHrefs        `xml:"DAV: current-user-principal"`
	CalendarHomeSet      *msHrefs        `xml:"urn:ietf:params:xml:ns:caldav calendar-home-set"`
	SupportedComponents  *msCompSet      `xml:"urn:ietf:params:xml:ns:caldav supported-calendar-component-set"`
	ETag                 string          `xml:"DAV: getetag"`
	CalendarData         string          `xml:"urn:ietf:params:xml:ns:caldav calendar-data"`
}

type msResourceType struct {
	Collection *empty `xml:"DAV: collection"`
	Calendar   *empty `xml:"urn:ietf:params:xml:ns:caldav calendar"`
}

type msHrefs struct {
	Hrefs []string `xml:"DAV: href"`
}

type msCompSet struct {
	Comps []struct {
		Name string `xml:"name,attr"`
	} `xml:"urn:ietf:params:xml:ns:caldav comp"`
}

// props returns the properties the server found (those of its 2xx
// propstats), merged.
func (r *msResponse) props() msProp {
	var p msProp
	for _, ps := range r.Propstats {
		if !statusOK(ps.Status) {
			continue
		}
		q := ps.Prop
		if q.ResourceType != nil {
			p.ResourceType = q.ResourceType
		}
		if q.DisplayName != "" {
			p.DisplayName = q.DisplayName
		}
		if q.CurrentUserPrincipal != nil {
			p.CurrentUserPrincipal = q.CurrentUserPrincipal
		}
		if q.CalendarHomeSet != nil {
			p.CalendarHomeSet = q.CalendarHomeSet
		}
		if q.SupportedComponents != nil {
			p.SupportedComponents = q.SupportedComponents
		}
		if q.ETag != "" {
			p.ETag = q.ETag
		}
		if q.CalendarData != "" {
			p.CalendarData = q.CalendarData
		}
	}
	return p
}

// statusOK reports whether a DAV:status line ("HTTP/1.1 200 OK") is 2xx. An
// absent status counts as success.
func statusOK(s string) bool {
	f := strings.Fields(s)
	return len(f) < 2 || strings.HasPrefix(f[1], "2")
}

func (p msProp) isCalendar() bool {
	return p.ResourceType != nil && p.ResourceType.Calendar != nil
}

// supportsEvents reports whether a calendar takes VEVENTs; a calendar that
// does not say takes everything (RFC 4791 section 5.2.3).
func (p msProp) supportsEvents() bool {
	if p.SupportedComponents == nil || len(p.SupportedComponents.Comps) == 0 {
		return true
	}
	for _, c := range p.SupportedComponents.Comps {
		if strings.EqualFold(c.Name, "VEVENT") {
			return true
		}
	}
	return false
}

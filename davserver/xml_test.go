package davserver

import (
	"encoding/xml"
	"strings"
)

// The bodies rdv's client (caldav) sends, byte for byte, and what the tests
// read of the answers.

// validatorsBody is a PROPFIND (Depth: 0) of a calendar's CTag and
// sync-token.
func validatorsBody() []byte {
	return []byte(xml.Header + `<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">` +
		`<D:prop><D:resourcetype></D:resourcetype><CS:getctag></CS:getctag><D:sync-token></D:sync-token></D:prop></D:propfind>`)
}

// eventDataProp asks for the ETag and the calendar data of objects.
const eventDataProp = `<D:prop><D:getetag></D:getetag><C:calendar-data><C:comp name="VCALENDAR"><C:allprop></C:allprop>` +
	`<C:comp name="VEVENT"><C:allprop></C:allprop></C:comp><C:comp name="VTIMEZONE"><C:allprop></C:allprop>` +
	`<C:comp name="STANDARD"><C:allprop></C:allprop></C:comp><C:comp name="DAYLIGHT"><C:allprop></C:allprop></C:comp>` +
	`</C:comp></C:comp></C:calendar-data></D:prop>`

// syncBody is a sync-collection REPORT (RFC 6578 section 6.1) from token.
func syncBody(token string) []byte {
	var esc strings.Builder
	xml.EscapeText(&esc, []byte(token))
	return []byte(xml.Header + `<D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">` +
		`<D:sync-token>` + esc.String() + `</D:sync-token><D:sync-level>1</D:sync-level>` + eventDataProp + `</D:sync-collection>`)
}

// allEventsQueryBody is a calendar-query (RFC 4791 section 7.8) for every
// object with a VEVENT.
func allEventsQueryBody() []byte {
	return []byte(xml.Header + `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">` + eventDataProp +
		`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`)
}

type validatorsAnswer struct {
	Responses []struct {
		Propstats []struct {
			Status string `xml:"DAV: status"`
			Prop   struct {
				CTag      string `xml:"http://calendarserver.org/ns/ getctag"`
				SyncToken string `xml:"DAV: sync-token"`
			} `xml:"DAV: prop"`
		} `xml:"DAV: propstat"`
	} `xml:"DAV: response"`
}

type syncAnswer struct {
	SyncToken string       `xml:"DAV: sync-token"`
	Responses []msResponse `xml:"DAV: response"`
}

// multistatus is a 207 Multi-Status body (RFC 4918 section 14.16).
type multistatus struct {
	Responses []msResponse `xml:"DAV: response"`
}

type msResponse struct {
	Href      string `xml:"DAV: href"`
	Status    string `xml:"DAV: status"`
	Propstats []struct {
		Status string `xml:"DAV: status"`
		Prop   msProp `xml:"DAV: prop"`
	} `xml:"DAV: propstat"`
}

type msProp struct {
	DisplayName         string `xml:"DAV: displayname"`
	ETag                string `xml:"DAV: getetag"`
	CalendarData        string `xml:"urn:ietf:params:xml:ns:caldav calendar-data"`
	SupportedComponents *struct {
		Comps []struct {
			Name string `xml:"name,attr"`
		} `xml:"urn:ietf:params:xml:ns:caldav comp"`
	} `xml:"urn:ietf:params:xml:ns:caldav supported-calendar-component-set"`
}

// props returns the properties of the 2xx propstats of r, merged.
func (r *msResponse) props() msProp {
	var p msProp
	for _, ps := range r.Propstats {
		if !statusOK(ps.Status) {
			continue
		}
		q := ps.Prop
		if q.DisplayName != "" {
			p.DisplayName = q.DisplayName
		}
		if q.ETag != "" {
			p.ETag = q.ETag
		}
		if q.CalendarData != "" {
			p.CalendarData = q.CalendarData
		}
		if q.SupportedComponents != nil {
			p.SupportedComponents = q.SupportedComponents
		}
	}
	return p
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

// statusOK reports whether a DAV:status line is 2xx; no status counts as
// success.
func statusOK(s string) bool {
	f := strings.Fields(s)
	return len(f) < 2 || strings.HasPrefix(f[1], "2")
}

// statusCode returns the code of a DAV:status line, 0 if there is none.
func statusCode(s string) int {
	f := strings.Fields(s)
	if len(f) < 2 || len(f[1]) != 3 {
		return 0
	}
	n := 0
	for _, ch := range f[1] {
		if ch < '0' || ch > '9' {
			return 0
		}
		n = n*10 + int(ch-'0')
	}
	return n
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

package caldav

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/recur"
)

// File is the busy time of an iCalendar stream (RFC 5545 section 3.4: an
// .ics file, a calendar export, objects fetched by a host's own client),
// computed without a server by the code that computes a Calendar's: the
// same decoder (recur.BusyDecoder), expansion (recur.Expander) and cache.
// Its events are read once, by ReadFile; each Busy call then expands the
// recurring ones over its window, or reuses the last expansion when the
// window falls inside it. A File keeps the stream's text while it holds
// recurring events (their values are substrings of it), and the busy time
// of the others. It is safe for concurrent use.
type File struct {
	mu   sync.Mutex // serialises Busy, so that each call gets its own errors
	c    *Calendar
	cc   *calCache
	errs []error // reported by c.skip since the last take; guarded by errMu
	// errMu guards errs: objects are built in parallel by ReadFile.
	errMu sync.Mutex
}

// fileCalendar is the CalendarInfo of a File's objects. It is not the
// bookings calendar (whose Path is ""): a File keeps no booking events for
// Calendar.Events, only busy time.
var fileCalendar = CalendarInfo{Path: "/file/"}

// ReadFile reads an iCalendar stream to its end and prepares its busy time
// for a practitioner described by e: e.Location is the zone in which dates
// (all-day events) and floating times are read, e.Self the addresses whose
// declined invitations are free time (see recur.Expander).
//
// The events of one UID in one VCALENDAR form a series, as the one object
// of that UID a CalDAV server would hold (RFC 4791 section 4.1); a
// VCALENDAR that holds several UIDs (an export) is read as one object per
// UID, each with the VTIMEZONEs of its VCALENDAR. So the busy time of a
// File is, interval for interval, what Calendar.Busy returns for a calendar
// on a server holding the same events.
//
// Errors: a stream that cannot be read or parsed (not iCalendar, a
// malformed line, no VCALENDAR) gives a nil File and an error. An event
// that can be parsed but not expanded in full (a bad date, a bad RRULE, a
// series cut at recur.MaxInstances) gives a File, which leaves out the time
// it could not read, and an error that names the object by its UID, as
// recur.Expander.Expand does; Calendar.Busy logs those instead.
func ReadFile(r io.Reader, e recur.Expander) (*File, error) {
	data, err := readString(r)
	if err != nil {
		return nil, fmt.Errorf("caldav: reading an iCalendar stream: %w", err)
	}
	loc := e.Location
	if loc == nil {
		loc = time.UTC
	}
	e.Location = loc
	f := &File{cc: newCalCache(fileCalendar)}
	f.c = &Calendar{loc: loc, exp: e, now: time.Now, report: f.report}
	cals, err := f.c.decoder.DecodeStream(data)
	if err != nil {
		return nil, fmt.Errorf("caldav: %w", err)
	}
	var objs []fileObject
	for _, cal := range cals {
		objs = splitByUID(cal, objs)
	}
	built := make([]*cachedObject, len(objs))
	spread(len(objs), func(i int) {
		built[i] = f.c.newObject(f.cc, objs[i].name, "", objs[i].cal)
	})
	for i, o := range built {
		f.cc.objects[strconv.Itoa(i)] = o
	}
	return f, f.take()
}

// readString reads r to its end into one string, without the copies of
// io.ReadAll and a conversion: the decoded values are substrings of it. It
// sizes the string beforehand when r tells its length (bytes.Reader,
// strings.Reader, bytes.Buffer) or is a file.
func readString(r io.Reader) (string, error) {
	var b strings.Builder
	switch r := r.(type) {
	case interface{ Len() int }:
		b.Grow(r.Len())
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := r.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() < maxStream {
			b.Grow(int(fi.Size()))
		}
	}
	_, err := io.Copy(&b, r)
	return b.String(), err
}

// maxStream bounds what readString sizes beforehand from a file's length;
// a longer file is read all the same.
const maxStream = 1 << 30

// Busy returns the busy time of f that overlaps [from, to), sorted by
// start, like Calendar.Busy: every instance of an event that is neither
// TRANSP:TRANSPARENT nor STATUS:CANCELLED nor declined by one of the
// Expander's Self addresses, recurrences expanded (RRULE, RDATE, EXDATE,
// RECURRENCE-ID overrides, VTIMEZONE); an interval of one of rdv's own
// booking events (an X-RDV-BOOKING equal to its UID) names that booking
// and its type. A recurring event that cannot be expanded in full over the
// window gives the time that could be read and an error naming it by UID.
func (f *File) Busy(from, to time.Time) ([]booking.BusyInterval, error) {
	if !from.Before(to) {
		return nil, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.c.cachedBusy(f.cc, from, to, nil)
	return out, f.take()
}

// ParseBusy reads an iCalendar stream and returns its busy time that
// overlaps [from, to), sorted by start, for a practitioner whose zone is
// loc (nil: UTC): ReadFile with recur.Expander{Location: loc}, then Busy.
// On errors, see ReadFile: busy time may come with an error that says what
// part of the stream was left out.
func ParseBusy(r io.Reader, from, to time.Time, loc *time.Location) ([]booking.BusyInterval, error) {
	f, err := ReadFile(r, recur.Expander{Location: loc})
	if f == nil {
		return nil, err
	}
	busy, berr := f.Busy(from, to)
	return busy, errors.Join(err, berr)
}

// report is the File's Calendar.report: it keeps what the Calendar would
// log, for the caller.
func (f *File) report(name string, err error) {
	if n, ok := strings.CutPrefix(name, "#"); ok {
		err = fmt.Errorf("caldav: object %s of the file, without UID: %w", n, err)
	} else {
		err = fmt.Errorf("caldav: UID %s: %w", name, err)
	}
	f.errMu.Lock()
	defer f.errMu.Unlock()
	f.errs = append(f.errs, err)
}

// take returns the errors reported since the last call, joined.
func (f *File) take() error {
	f.errMu.Lock()
	defer f.errMu.Unlock()
	err := errors.Join(f.errs...)
	f.errs = nil
	return err
}

// fileObject is a calendar object of a File: one UID's components, named
// for errors.
type fileObject struct {
	name string
	cal  *ical.Calendar
}

// splitByUID appends to objs the objects of cal, one per UID of its
// VEVENTs (a VEVENT without UID is an object of its own), each with cal's
// properties and VTIMEZONEs, which they share. A VCALENDAR whose VEVENTs
// share one UID is one object: cal itself. Components other than VEVENT
// and VTIMEZONE are not kept by recur.BusyDecoder and not looked at.
func splitByUID(cal *ical.Calendar, objs []fileObject) []fileObject {
	var first *ical.Component // the first VEVENT
	one := true
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		if first == nil {
			first = c
		} else if uid := uidOf(c); uid == "" || uid != uidOf(first) {
			one = false
			break
		}
	}
	if one {
		return append(objs, fileObject{name: objectName(first, len(objs)), cal: cal})
	}
	var zones []*ical.Component
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			zones = append(zones, c)
		}
	}
	byUID := map[string]int{} // index in objs
	for _, ev := range cal.Children {
		if ev.Name != ical.CompEvent {
			continue
		}
		uid := uidOf(ev)
		if i, ok := byUID[uid]; ok && uid != "" {
			objs[i].cal.Children = append(objs[i].cal.Children, ev)
			continue
		}
		children := make([]*ical.Component, len(zones), len(zones)+1)
		copy(children, zones)
		objs = append(objs, fileObject{name: objectName(ev, len(objs)), cal: &ical.Calendar{Component: &ical.Component{
			Name: ical.CompCalendar, Props: cal.Props, Children: append(children, ev)}}})
		byUID[uid] = len(objs) - 1
	}
	return objs
}

// objectName names the object whose first VEVENT is ev (nil if it has
// none), the i-th object of a File (from 0), for errors (see report): its
// UID, else "#" and its position from 1.
func objectName(ev *ical.Component, i int) string {
	if ev != nil {
		if uid := uidOf(ev); uid != "" {
			return uid
		}
	}
	return "#" + strconv.Itoa(i+1)
}

// uidOf returns the UID of a component, "" if it has none.
func uidOf(c *ical.Component) string {
	if p := c.Props.Get(ical.PropUID); p != nil {
		return p.Value
	}
	return ""
}

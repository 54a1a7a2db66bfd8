package recur

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/emersion/go-ical"
)

// DecodeStream parses an iCalendar stream (RFC 5545 section 3.4: one or
// several VCALENDAR objects one after the other, as in an .ics file or a
// calendar export) like d.Decode parses one object, and returns its objects
// in order. Unlike d.Decode, it repairs bytes that are not UTF-8 first (see
// the package's Decode), since a file, unlike a multistatus answer, was
// never checked. Blank lines between objects are ignored. A malformed
// object is an error for the whole stream, which gives its position (the
// first object is 1); data without any object is an error too.
//
// A stream of many objects is parsed on every CPU: it is cut after the
// lines that read END:VCALENDAR, and the pieces are parsed at once, each
// like a stream of its own, which gives what parsing it whole gives (when
// a piece fails, the whole is parsed again, for the error).
func (d *BusyDecoder) DecodeStream(data string) ([]*ical.Calendar, error) {
	data = repairText(data)
	pieces := cutStream(data, runtime.GOMAXPROCS(0))
	var out []*ical.Calendar
	var err error
	if len(pieces) > 1 {
		results := make([][]*ical.Calendar, len(pieces))
		errs := make([]error, len(pieces))
		var wg sync.WaitGroup
		for i, p := range pieces {
			wg.Go(func() { results[i], errs[i] = d.decodePiece(p) })
		}
		wg.Wait()
		for i := range pieces {
			out = append(out, results[i]...)
			err = errors.Join(err, errs[i])
		}
	}
	if len(pieces) == 1 || err != nil {
		// One piece; or a piece that does not parse, which the whole may
		// (a VCALENDAR nested in another): the whole, for the right
		// error and the position of its object.
		out, err = d.decodePiece(data)
	}
	if err == nil && len(out) == 0 {
		err = errors.New("ical: unexpected end of data")
	}
	if err != nil {
		return nil, fmt.Errorf("%w (object %d of the stream)", err, len(out)+1)
	}
	return out, nil
}

// decodePiece parses the objects of a piece of a stream, one after the
// other, and returns them, with those before the first error if any. A
// piece of blanks holds no object.
func (d *BusyDecoder) decodePiece(data string) ([]*ical.Calendar, error) {
	var out []*ical.Calendar
	for {
		data = strings.TrimLeft(data, " \t\r\n")
		if data == "" {
			return out, nil
		}
		cal, end, err := parseObject(data, skipForBusy, &d.shared)
		if err != nil {
			return out, err
		}
		out = append(out, cal)
		data = data[end:]
	}
}

// minPiece is the size under which a stream is not cut: about 30 objects
// of a calendar application.
const minPiece = 32 << 10

// cutStream cuts data into at most n pieces of about the same size, each
// after a line that reads END:VCALENDAR and is not continued by the next
// (RFC 5545 section 3.1: a line that starts with a space or a tab folds
// into the one before). Such a line ends an object wherever a parser reads
// it as a line of its own, so each piece of a well-formed stream parses
// alone as it would in the whole: a piece never begins inside an object or
// a folded line (DecodeStream parses the whole again if a piece fails). A small
// stream is one piece, and cutting stops at a line that begins like
// END:VCALENDAR but is not one (END:VCALENDARX, or folded).
func cutStream(data string, n int) []string {
	if n <= 1 || len(data) < 2*minPiece {
		return []string{data}
	}
	n = min(n, len(data)/minPiece)
	const end = "\nEND:VCALENDAR"
	var pieces []string
	for len(pieces) < n-1 {
		// The first END line that ends at or after the piece's share.
		from := max(0, len(data)/(n-len(pieces))-len(end)-2)
		i := strings.Index(data[from:], end)
		if i < 0 {
			break
		}
		stop := from + i + len(end)
		if stop < len(data) && data[stop] == '\r' {
			stop++
		}
		if stop >= len(data) || data[stop] != '\n' {
			// not the end of a line (END:VCALENDARX), or the end of data:
			// leave the rest whole
			break
		}
		stop++
		if stop < len(data) && (data[stop] == ' ' || data[stop] == '\t') {
			break // continued by the next line: not END:VCALENDAR
		}
		if strings.TrimLeft(data[stop:], " \t\r\n") == "" {
			break // the last object
		}
		pieces = append(pieces, data[:stop])
		data = data[stop:]
	}
	return append(pieces, data)
}

package notify

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// inviteName is the file name of the iCalendar attachment.
const inviteName = "invite.ics"

// message is an email about one booking, before it is encoded.
type message struct {
	From, To  *mail.Address
	Subject   string // one line of Unicode text, encoded when written
	Date      time.Time
	MessageID string // "<id@domain>"
	Lang      string // Content-Language, "fr" or "en"
	Text      []byte // plain-text body, UTF-8, lines ending in LF
	HTML      []byte // the same as an HTML document, UTF-8; no part if nil
	Calendar  []byte // iCalendar object (RFC 5545), lines ending in CRLF
	Method    string // its iTIP METHOD, "REQUEST" or "CANCEL"
	// NoInvite leaves the text/calendar alternative out: the message is
	// not an iTIP message a calendar client acts on (a reminder), the
	// calendar goes as an attachment only.
	NoInvite bool
}

// encode returns the message in RFC 5322 form, lines ending in CRLF:
//
//	multipart/mixed
//	├── multipart/alternative
//	│   ├── text/plain; charset=utf-8                       quoted-printable
//	│   ├── text/html; charset=utf-8                        quoted-printable
//	│   └── text/calendar; charset=utf-8; method=<Method>   quoted-printable
//	└── application/ics; name=invite.ics (attachment)      base64
//
// The alternatives go from the plainest to the richest (RFC 2046 section
// 5.1.4): a mail reader shows the HTML part, or the text one. The
// text/calendar alternative is what RFC 6047 asks for and what calendar
// clients act on (it comes last, as in the invitations of the common
// calendar services); the attachment carries the same object for clients
// that offer only attachments.
// A message with NoInvite has no text/calendar alternative.
func (m *message) encode() ([]byte, error) {
	var buf bytes.Buffer
	mixed := multipart.NewWriter(&buf)

	var h header
	h.add("From", m.From.String())
	h.add("To", m.To.String())
	h.add("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h.add("Date", m.Date.Format(time.RFC1123Z))
	h.add("Message-ID", m.MessageID)
	h.add("Auto-Submitted", "auto-generated")
	h.add("Content-Language", m.Lang)
	h.add("MIME-Version", "1.0")
	h.add("Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mixed.Boundary()}))
	if err := h.writeTo(&buf); err != nil {
		return nil, err
	}

	// The alternative is built apart: its boundary goes in the header of the
	// part that holds it.
	var alt bytes.Buffer
	aw := multipart.NewWriter(&alt)
	if err := writePart(aw, textproto.MIMEHeader{
		"Content-Type":              {mime.FormatMediaType("text/plain", map[string]string{"charset": "utf-8"})},
		"Content-Transfer-Encoding": {"quoted-printable"},
	}, m.Text, quotedPrintable); err != nil {
		return nil, err
	}
	if m.HTML != nil {
		if err := writePart(aw, textproto.MIMEHeader{
			"Content-Type":              {mime.FormatMediaType("text/html", map[string]string{"charset": "utf-8"})},
			"Content-Transfer-Encoding": {"quoted-printable"},
		}, m.HTML, quotedPrintable); err != nil {
			return nil, err
		}
	}
	if !m.NoInvite {
		if err := writePart(aw, textproto.MIMEHeader{
			"Content-Type": {mime.FormatMediaType("text/calendar", map[string]string{
				"charset": "utf-8",
				"method":  m.Method,
			})},
			"Content-Transfer-Encoding": {"quoted-printable"},
		}, m.Calendar, quotedPrintable); err != nil {
			return nil, err
		}
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	if err := writePart(mixed, textproto.MIMEHeader{
		"Content-Type": {mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": aw.Boundary()})},
	}, alt.Bytes(), identity); err != nil {
		return nil, err
	}

	if err := writePart(mixed, textproto.MIMEHeader{
		"Content-Type":              {mime.FormatMediaType("application/ics", map[string]string{"name": inviteName})},
		"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": inviteName})},
		"Content-Transfer-Encoding": {"base64"},
	}, m.Calendar, base64Lines); err != nil {
		return nil, err
	}
	if err := mixed.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// A transferEncoding writes b to w in a Content-Transfer-Encoding.
type transferEncoding func(w io.Writer, b []byte) error

// writePart adds a part with header h to mw, its body b written with enc.
func writePart(mw *multipart.Writer, h textproto.MIMEHeader, b []byte, enc transferEncoding) error {
	w, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	return enc(w, b)
}

func identity(w io.Writer, b []byte) error {
	_, err := w.Write(b)
	return err
}

// quotedPrintable encodes text in quoted-printable (RFC 2045, section 6.7):
// line breaks, LF or CRLF, become CRLF; long lines get soft breaks.
func quotedPrintable(w io.Writer, b []byte) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write(b); err != nil {
		return err
	}
	return qp.Close()
}

// base64Lines encodes b in base64 in lines of 76 characters (RFC 2045,
// section 6.8).
func base64Lines(w io.Writer, b []byte) error {
	const line = 76
	s := base64.StdEncoding.EncodeToString(b)
	for len(s) > 0 {
		n := min(line, len(s))
		if _, err := io.WriteString(w, s[:n]+"\r\n"); err != nil {
			return err
		}
		s = s[n:]
	}
	return nil
}

// header is the header of a message, fields in the order they were added.
type header []struct{ name, value string }

func (h *header) add(name, value string) {
	*h = append(*h, struct{ name, value string }{name, value})
}

// errHeaderValue is returned for a header field value holding a line break
// or another control character.
var errHeaderValue = errors.New("notify: header field value holds a control character")

// writeTo writes the fields of h and the empty line that ends the header.
// Long fields are folded at spaces (RFC 5322, section 2.2.3). A value with
// a control character is refused, whatever its origin: it could otherwise
// add a header field or end the header early.
func (h header) writeTo(w *bytes.Buffer) error {
	for _, f := range h {
		if strings.ContainsFunc(f.value, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return errHeaderValue
		}
		w.WriteString(fold(f.name+": "+f.value, 78))
		w.WriteString("\r\n")
	}
	w.WriteString("\r\n")
	return nil
}

// fold breaks a header field line into lines of at most limit bytes where it
// can, at spaces only, each continuation line starting with the space it was
// broken at; it never breaks right after the field name. A word longer than
// limit stays whole. Unfolding (removing each CRLF) gives back line.
func fold(line string, limit int) string {
	var b strings.Builder
	first := strings.Index(line, ": ") + 2 // first space where a break may go, less one
	for len(line) > limit {
		i := strings.LastIndexByte(line[:limit+1], ' ')
		if i < first {
			// No space early enough: break at the first space further on.
			j := strings.IndexByte(line[first:], ' ')
			if j < 0 {
				break
			}
			i = first + j
		}
		b.WriteString(line[:i])
		b.WriteString("\r\n")
		line = line[i:]
		first = 1
	}
	b.WriteString(line)
	return b.String()
}

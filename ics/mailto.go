package ics

import (
	"net/url"
	"strings"
)

// Mailto returns the mailto URI of the email address addr (RFC 6068), as
// ORGANIZER and ATTENDEE carry it: addr with every byte percent-encoded
// except letters, digits and - . _ ~ ! $ ' ( ) * + : @. Section 2 of RFC 6068
// requires it of %, of the gen-delims / ? # [ ] and of & ; = (and of ",",
// which separates addresses); the rest (` ^ { | } and any non-ASCII byte)
// may not appear in a URI at all. So an address's own characters can never
// be read as URI syntax: "a?cc=x@example.org" would otherwise add a Cc.
func Mailto(addr string) string {
	var b strings.Builder
	b.Grow(len("mailto:") + len(addr))
	b.WriteString("mailto:")
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(addr); i++ {
		c := addr[i]
		if mailtoKeeps(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// mailtoKeeps reports whether Mailto writes c as it is.
func mailtoKeeps(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$'()*+:@", c) >= 0
}

// MailtoAddress returns the address of the mailto URI uri (RFC 6068; the
// scheme in any case), percent-decoded, and whether uri is a mailto URI at
// all. Header fields (from the first "?") are dropped. An address whose
// percent-encoding is broken is returned as uri has it; the address is not
// validated (see booking.Patient.Validate).
func MailtoAddress(uri string) (string, bool) {
	uri = strings.TrimSpace(uri)
	const scheme = "mailto:"
	if len(uri) < len(scheme) || !strings.EqualFold(uri[:len(scheme)], scheme) {
		return "", false
	}
	to, _, _ := strings.Cut(uri[len(scheme):], "?")
	if addr, err := url.PathUnescape(to); err == nil {
		return addr, true
	}
	return to, true
}

package recur

import "unicode/utf8"

// Odd bytes in what servers send. A CalDAV server stores a calendar object
// as its client wrote it, and sabre/dav (Nextcloud's engine) puts those
// bytes as they are inside its XML answers: one object that is not UTF-8,
// or that holds a character XML 1.0 forbids, makes the whole answer
// something encoding/xml rejects. The most common such object is a legal
// one: RFC 5545 section 3.1 folds lines by octets, so a fold may fall inside
// a multi-byte UTF-8 character, which readers must put back together after
// unfolding; the raw bytes between the two halves are not UTF-8.
//
// RepairXML and repairText make such bytes readable where they are, so
// that one object cannot spoil the others: each odd byte or character is
// replaced in place, and everything else is left byte for byte.

// RepairXML returns body with what would make encoding/xml reject it
// replaced (see repair): characters split by a fold made whole, bytes that
// are not UTF-8 decoded as Windows-1252, and the characters XML 1.0 forbids
// (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF), written raw or
// as character references, replaced by U+FFFD. changed is false, and body
// returned as it is, when there is nothing to replace.
func RepairXML(body []byte) (repaired []byte, changed bool) { return repair(body, true) }

// repairText returns an iCalendar stream with the characters split by a
// fold made whole and the bytes that are not UTF-8 decoded as Windows-1252
// (see repair), s itself when it is valid UTF-8.
func repairText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	out, _ := repair([]byte(s), false)
	return string(out)
}

// repair replaces what is odd in src, and reports whether it found any.
// xmlText says that src is XML: its folds may carry character references
// (&#13;), and the characters XML 1.0 forbids are replaced too.
//
// A byte that is not UTF-8 and not part of a folded character is decoded
// as Windows-1252, not replaced by U+FFFD. Text that is not UTF-8 in a
// calendar is Latin-1 text in practice (old clients, .ics files exported
// from Windows software), whose letters this keeps ("R\xe9union" reads
// "Réunion"); Windows-1252 is what text labelled Latin-1 is in practice
// (WHATWG Encoding) and decodes every byte of it. Each byte maps to a
// character of its own (the five that Windows-1252 leaves undefined to the
// C1 control of the same number, as WHATWG does), so nothing is lost: the
// original bytes can be told from the text, where U+FFFD would erase them.
// Stray bytes so become odd letters rather than U+FFFD, which is harmless:
// rdv reads times, rules and identifiers from objects, which are ASCII,
// not free text.
func repair(src []byte, xmlText bool) ([]byte, bool) {
	var out []byte
	last := 0 // src[last:i] is still to be copied to out
	replace := func(i, end int, r rune) {
		if out == nil {
			out = make([]byte, 0, len(src)+len(src)/64+8)
		}
		out = append(out, src[last:i]...)
		out = utf8.AppendRune(out, r)
		last = end
	}
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			switch {
			case !xmlText || c >= 0x20 && c != '&' || c == '\t' || c == '\n' || c == '\r':
			case c == '&':
				if r, end, ok := charRef(src, i); ok && !xmlChar(r) {
					replace(i, end, utf8.RuneError)
					i = end
					continue
				}
			default:
				replace(i, i+1, utf8.RuneError)
			}
			i++
			continue
		}
		if r, n := utf8.DecodeRune(src[i:]); r != utf8.RuneError || n > 1 {
			if xmlText && !xmlChar(r) {
				replace(i, i+n, utf8.RuneError)
			}
			i += n
			continue
		}
		if r, end, ok := foldedRune(src, i, xmlText); ok {
			replace(i, end, r)
			i = end
			continue
		}
		replace(i, i+1, windows1252(c))
		i++
	}
	if out == nil {
		return src, false
	}
	return append(out, src[last:]...), true
}

// foldedRune reads the character that starts at src[i] if it is split by
// folds (RFC 5545 section 3.1: CRLF, or LF, followed by a space or a tab):
// its lead byte, then its continuation bytes with folds between them. It
// returns the character and where its last byte ends. Unfolding by octets,
// as RFC 5545 asks, gives the same character.
func foldedRune(src []byte, i int, xmlText bool) (r rune, end int, ok bool) {
	need := 0
	switch c := src[i]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 2
	case c >= 0xE0 && c <= 0xEF:
		need = 3
	case c >= 0xF0 && c <= 0xF4:
		need = 4
	default:
		return 0, 0, false
	}
	var buf [utf8.UTFMax]byte
	buf[0] = src[i]
	n, j := 1, i+1
	for n < need {
		if j < len(src) && isContinuation(src[j]) {
			buf[n] = src[j]
			n++
			j++
			continue
		}
		k, folded := skipFold(src, j, xmlText)
		if !folded || k >= len(src) || !isContinuation(src[k]) {
			return 0, 0, false
		}
		j = k
	}
	r, size := utf8.DecodeRune(buf[:n])
	if r == utf8.RuneError || size != n {
		return 0, 0, false // overlong, surrogate or beyond U+10FFFF
	}
	return r, j, true
}

func isContinuation(c byte) bool { return c&0xC0 == 0x80 }

// skipFold returns where the fold at src[i:] ends: an optional CR, an LF
// and a space or a tab. In XML, each may be a character reference (libxml2,
// hence sabre/dav, writes CR as &#13;).
func skipFold(src []byte, i int, xmlText bool) (end int, ok bool) {
	next := func(i int) (rune, int) {
		if i >= len(src) {
			return -1, i
		}
		if xmlText && src[i] == '&' {
			if r, end, ok := charRef(src, i); ok {
				return r, end
			}
		}
		return rune(src[i]), i + 1
	}
	r, j := next(i)
	if r == '\r' {
		r, j = next(j)
	}
	if r != '\n' {
		return 0, false
	}
	r, j = next(j)
	if r != ' ' && r != '\t' {
		return 0, false
	}
	return j, true
}

// charRef reads the XML character reference (&#N; or &#xH;) at src[i:].
func charRef(src []byte, i int) (r rune, end int, ok bool) {
	j := i + 2
	if j > len(src) || src[i+1] != '#' {
		return 0, 0, false
	}
	base := rune(10)
	if j < len(src) && src[j] == 'x' {
		base = 16
		j++
	}
	start := j
	for ; j < len(src) && src[j] != ';'; j++ {
		d := rune(-1)
		switch c := src[j]; {
		case '0' <= c && c <= '9':
			d = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = rune(c-'A') + 10
		}
		if d < 0 {
			return 0, 0, false
		}
		r = min(r*base+d, utf8.MaxRune+1) // beyond: not a character
	}
	if j == start || j == len(src) {
		return 0, 0, false
	}
	return r, j + 1, true
}

// xmlChar reports whether XML 1.0 allows r (section 2.2, Char).
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= utf8.MaxRune
}

// windows1252 decodes one byte of Windows-1252; the five bytes it leaves
// undefined decode to the C1 controls of the same number (WHATWG Encoding).
func windows1252(c byte) rune {
	if c >= 0x80 && c < 0xA0 {
		return cp1252C1[c-0x80]
	}
	return rune(c)
}

var cp1252C1 = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

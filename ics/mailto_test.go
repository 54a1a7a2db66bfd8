package ics

import "testing"

func TestMailto(t *testing.T) {
	tests := []struct {
		name, addr, uri string
	}{
		{"plain", "marie.curie@example.org", "mailto:marie.curie@example.org"},
		{"sub-delims kept", "o'neil+rdv!$*@example.org", "mailto:o'neil+rdv!$*@example.org"},
		// RFC 6068 section 2: % / ? # [ ] & ; = must be encoded.
		{"question mark", "a?cc=x@example.org", "mailto:a%3Fcc%3Dx@example.org"},
		{"percent", "a%b@example.org", "mailto:a%25b@example.org"},
		{"hash and ampersand", "a#b&c@example.org", "mailto:a%23b%26c@example.org"},
		{"slash and equals", "a/b=c@example.org", "mailto:a%2Fb%3Dc@example.org"},
		{"IP literal brackets", "x@[127.0.0.1]", "mailto:x@%5B127.0.0.1%5D"},
		{"not URI characters", "a`b^c{d|e}f@example.org", "mailto:a%60b%5Ec%7Bd%7Ce%7Df@example.org"},
		{"comma and semicolon", "a,b;c@example.org", "mailto:a%2Cb%3Bc@example.org"},
		{"space and line break", "a b\r\n@example.org", "mailto:a%20b%0D%0A@example.org"},
		{"non-ASCII as UTF-8", "zoé@example.org", "mailto:zo%C3%A9@example.org"},
		// RFC 6068 section 6.1: "%22not%40me%22@example.org" is "not@me"@example.org;
		// Mailto leaves the @ alone, which is as valid.
		{"quoted", `"not@me"@example.org`, "mailto:%22not@me%22@example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Mailto(tt.addr); got != tt.uri {
				t.Errorf("Mailto(%q) = %q, want %q", tt.addr, got, tt.uri)
			}
			if got, ok := MailtoAddress(tt.uri); !ok || got != tt.addr {
				t.Errorf("MailtoAddress(%q) = %q, %v; want %q", tt.uri, got, ok, tt.addr)
			}
		})
	}
}

func TestMailtoAddress(t *testing.T) {
	tests := []struct {
		name, uri, addr string
		ok              bool
	}{
		{"scheme in capitals", "MAILTO:marie@example.org", "marie@example.org", true},
		{"spaces around", " mailto:marie@example.org ", "marie@example.org", true},
		{"RFC 6068 example", "mailto:%22not%40me%22@example.org", `"not@me"@example.org`, true},
		{"plus is not a space", "mailto:a+b@example.org", "a+b@example.org", true},
		{"header fields dropped", "mailto:a?cc=x@example.org", "a", true},
		{"broken percent-encoding kept", "mailto:a%zz@example.org", "a%zz@example.org", true},
		{"empty", "mailto:", "", true},
		{"not mailto", "https://example.org", "", false},
		{"too short", "mail", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := MailtoAddress(tt.uri); got != tt.addr || ok != tt.ok {
				t.Errorf("MailtoAddress(%q) = %q, %v; want %q, %v", tt.uri, got, ok, tt.addr, tt.ok)
			}
		})
	}
}

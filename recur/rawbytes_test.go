package recur

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rdvlibre/rdv/internal/testcal"
)

func TestRepairXML(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		// RFC 5545 section 3.1: folds fall between octets, wherever.
		{"fold inside a two-byte character, CRLF", "R\xc3\r\n \xa9union", "Réunion"},
		{"fold inside a two-byte character, CR as libxml2 writes it", "R\xc3&#13;\n \xa9union", "Réunion"},
		{"fold inside a two-byte character, CR in hex", "R\xc3&#xD;\n\t\xa9union", "Réunion"},
		{"fold inside a two-byte character, LF only", "R\xc3\n \xa9union", "Réunion"},
		{"fold inside a three-byte character, after its first byte", "10 \xe2\r\n \x82\xac", "10 €"},
		{"fold inside a three-byte character, after its second byte", "10 \xe2\x82\r\n \xac", "10 €"},
		{"fold inside a four-byte character", "\xf0\x9f\r\n \x93\x85 rdv", "📅 rdv"},
		{"two folds inside one character", "\xf0\r\n \x9f\r\n \x93\x85", "📅"},
		{"a fold between whole characters is kept", "R\xc3\xa9\r\n union", "Ré\r\n union"},
		// Not UTF-8: Windows-1252.
		{"Latin-1", "R\xe9union d'\xe9quipe", "Réunion d'équipe"},
		{"Windows-1252 quotes and euro sign", "\x93caf\xe9\x94 \x805", "“café” €5"},
		{"undefined in Windows-1252: the C1 control", "a\x81b", "a\u0081b"},
		{"a lead byte, a fold, no continuation", "caf\xe9\r\n x", "café\r\n x"},
		{"a stray continuation byte", "a\xa9b", "a©b"},
		{"a truncated character at the end", "abc\xe2\x82", "abcâ‚"},
		{"an overlong encoding", "\xc0\xafx", "À¯x"},
		{"a surrogate", "\xed\xa0\x80", "í\u00a0€"},
		// Forbidden by XML 1.0.
		{"a NUL byte", "a\x00b", "a\ufffdb"},
		{"C0 controls", "a\x01b\x0bc\x0cd\x1fe", "a\ufffdb\ufffdc\ufffdd\ufffde"},
		{"tab, LF and CR stay", "a\tb\nc\rd", "a\tb\nc\rd"},
		{"a reference to NUL", "a&#0;b", "a\ufffdb"},
		{"a reference to a control, in hex", "a&#x1b;b&#X1b;", "a\ufffdb&#X1b;"},
		{"a reference beyond Unicode", "a&#99999999999;b", "a\ufffdb"},
		{"references to allowed characters stay", "&#13;&#xA;&#233;&amp;&#x1F4C5;", "&#13;&#xA;&#233;&amp;&#x1F4C5;"},
		{"U+FFFE and U+FFFF", "a\uFFFEb\uFFFFc", "a\ufffdb\ufffdc"},
		{"a lone ampersand", "a & b &#", "a & b &#"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := RepairXML([]byte(tc.in))
			if string(got) != tc.want {
				t.Errorf("RepairXML(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if changed != (tc.in != tc.want) {
				t.Errorf("changed = %v", changed)
			}
		})
	}
}

func TestRepairXMLLeavesValidInputAlone(t *testing.T) {
	in := []byte("<d:multistatus>BEGIN:VCALENDAR&#13;\nSUMMARY:Réunion d'équipe 📅&#13;\n</d:multistatus>")
	if allocs := testing.AllocsPerRun(10, func() {
		out, changed := RepairXML(in)
		if changed || &out[0] != &in[0] {
			t.Fatal("valid input was changed")
		}
	}); allocs != 0 {
		t.Errorf("%v allocations for valid input", allocs)
	}
	if s := "SUMMARY:Réunion\r\n"; repairText(s) != s {
		t.Error("repairText changed valid text")
	}
}

// TestRepairText covers what Decode reads from a GET, or from a
// file of the FileBackend: not XML, so control characters and character
// references stay.
func TestRepairText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SUMMARY:R\xc3\r\n \xa9union", "SUMMARY:Réunion"},
		{"SUMMARY:R\xe9union", "SUMMARY:Réunion"},
		{"SUMMARY:a\x00b&#0;\xe9", "SUMMARY:a\x00b&#0;é"},
	} {
		if got := repairText(tc.in); got != tc.want {
			t.Errorf("repairText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestDecodeCalendarUnfoldsByOctets checks RFC 5545 section 3.1: a
// character split by a fold is whole once unfolded, and text that is not
// UTF-8 is read, not refused.
func TestDecodeCalendarUnfoldsByOctets(t *testing.T) {
	for _, tc := range []struct{ name, summary, want string }{
		{"fold inside a character", "R\xc3\r\n \xa9union d'\xc3\xa9qu\r\n\tipe", "Réunion d'équipe"},
		{"Latin-1", "R\xe9union d'\xe9quipe", "Réunion d'équipe"},
		{"stray bytes", "R\x80\xffunion", "R€ÿunion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cal, err := Decode(testcal.OddEvent("odd", "20270104T090000Z", "20270104T100000Z", tc.summary))
			if err != nil {
				t.Fatal(err)
			}
			if got := cal.Children[0].Props.Get("SUMMARY").Value; got != tc.want {
				t.Errorf("SUMMARY = %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzRepairXML checks that whatever the bytes, the repair leaves nothing
// encoding/xml refuses in text, and leaves valid text as it is.
func FuzzRepairXML(f *testing.F) {
	for _, s := range []string{"R\xc3\r\n \xa9union", "a\x00b&#0;", "\xf0\r\n \x9f\r\n \x93\x85", "caf\xe9", "&#x", "\xe2&#13;\n \x82\xac"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, changed := RepairXML(in)
		if !utf8.Valid(out) {
			t.Fatalf("RepairXML(%q) = %q: not UTF-8", in, out)
		}
		for _, r := range string(out) {
			if !xmlChar(r) {
				t.Fatalf("RepairXML(%q) = %q: holds %U", in, out, r)
			}
		}
		if !changed && string(out) != string(in) {
			t.Fatalf("unchanged, but %q != %q", out, in)
		}
		if utf8.Valid(in) && !strings.ContainsFunc(string(in), func(r rune) bool { return !xmlChar(r) }) &&
			!strings.Contains(string(in), "&#") && changed {
			t.Fatalf("RepairXML(%q) changed valid text to %q", in, out)
		}
	})
}

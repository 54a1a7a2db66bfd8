package notify

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	long := "Subject: " + strings.Repeat("=?utf-8?q?abcdefghij?= ", 12) + "end"
	tests := []struct {
		name, line string
	}{
		{"short", "Subject: hello"},
		{"exactly_78", "Subject: " + strings.Repeat("x", 69)},
		{"encoded_words", long},
		{"one_long_word", "Message-ID: <" + strings.Repeat("a", 100) + "@example.org>"},
		{"long_word_then_words", "To: " + strings.Repeat("b", 90) + " c d e"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fold(tt.line, 78)
			if unfolded := strings.ReplaceAll(got, "\r\n", ""); unfolded != tt.line {
				t.Errorf("unfolds to %q, want %q", unfolded, tt.line)
			}
			for i, l := range strings.Split(got, "\r\n") {
				if i > 0 && !strings.HasPrefix(l, " ") {
					t.Errorf("continuation line %q does not start with a space", l)
				}
				rest := strings.TrimPrefix(l, " ")
				if i == 0 {
					_, rest, _ = strings.Cut(l, ": ")
				}
				if len(l) > 78 && strings.Contains(rest, " ") {
					t.Errorf("line %q is longer than 78 though it could be folded", l)
				}
				if strings.TrimSpace(l) == "" || strings.HasSuffix(l, ":") {
					t.Errorf("line %d is %q", i, l)
				}
			}
		})
	}
}

func TestHeaderRefusesControls(t *testing.T) {
	for _, v := range []string{"a\r\nBcc: x@example.net", "a\nb", "a\rb", "a\x00b", "a\x7fb"} {
		var h header
		h.add("Subject", v)
		var buf bytes.Buffer
		if err := h.writeTo(&buf); !errors.Is(err, errHeaderValue) {
			t.Errorf("value %q: error %v, want errHeaderValue", v, err)
		}
	}
}

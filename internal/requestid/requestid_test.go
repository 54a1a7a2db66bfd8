package requestid

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	for _, tt := range []struct {
		id   string
		want bool
	}{
		{"abc-DEF_012.3", true},
		{strings.Repeat("a", MaxLen), true},
		{"", false},
		{strings.Repeat("a", MaxLen+1), false},
		{"a b", false},
		{"a\nlevel=ERROR msg=forged", false},
		{"marie@example.org", false},
		{"é", false},
	} {
		t.Run(tt.id, func(t *testing.T) {
			if got := Valid(tt.id); got != tt.want {
				t.Errorf("Valid(%q) = %v", tt.id, got)
			}
		})
	}
	if a, b := New(), New(); a == b || !Valid(a) {
		t.Errorf("New() = %q, %q", a, b)
	}
}

// TestHandler checks that a line logged with a request's context carries
// its id, in a group or after WithAttrs too, and that one without has none.
func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewHandler(NewHandler(slog.NewJSONHandler(&buf, nil))))
	ctx := NewContext(context.Background(), "r-1")
	log.With("practitioner", "martin").WithGroup("g").InfoContext(ctx, "with", "k", "v")
	log.Info("without")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines: %q", lines)
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	g, _ := first["g"].(map[string]any)
	if g["request_id"] != "r-1" || first["practitioner"] != "martin" {
		t.Errorf("first line: %s", lines[0])
	}
	if strings.Contains(lines[1], "request_id") {
		t.Errorf("second line: %s", lines[1])
	}
	if strings.Count(lines[0], "request_id") != 1 {
		t.Errorf("wrapped twice: %s", lines[0])
	}
}

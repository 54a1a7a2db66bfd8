package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rdvlibre/rdv/internal/requestid"
)

func TestLogConfig(t *testing.T) {
	for _, tt := range []struct {
		format, level string
		ok            bool
	}{
		{"", "", true}, {"text", "debug", true}, {"json", "warn", true}, {"json", "error", true},
		{"logfmt", "", false}, {"", "verbose", false}, {"JSON", "", false},
	} {
		t.Run(tt.format+"/"+tt.level, func(t *testing.T) {
			cfg, err := ParseConfig([]byte("log_format = \"" + tt.format + "\"\nlog_level = \"" + tt.level + "\"\n"))
			if err != nil {
				t.Fatal(err)
			}
			if err := cfg.check(); (err == nil) != tt.ok {
				t.Errorf("check = %v", err)
			}
		})
	}

	var buf bytes.Buffer
	cfg := &Config{LogFormat: "json", LogLevel: "warn"}
	log := cfg.newLogger(&buf)
	ctx := requestid.NewContext(context.Background(), "req-1")
	log.InfoContext(ctx, "below the level")
	log.WarnContext(ctx, "kept", "practitioner", "martin")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("lines: %q", lines)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatalf("not JSON: %v: %s", err, lines[0])
	}
	if m["msg"] != "kept" || m["request_id"] != "req-1" || m["practitioner"] != "martin" || m["level"] != "WARN" {
		t.Errorf("line: %s", lines[0])
	}

	buf.Reset()
	(&Config{}).newLogger(&buf).InfoContext(ctx, "text")
	if got := buf.String(); !strings.Contains(got, "msg=text request_id=req-1") {
		t.Errorf("text line: %s", got)
	}
}

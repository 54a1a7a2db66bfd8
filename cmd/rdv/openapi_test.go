package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/internal/testservers"
)

// openAPIConfig is a configuration whose document has every operation (the
// challenge on) and a server with a path.
const openAPIConfig = `
base_url = "https://rdv.example.org/rdv"
[challenge]
enabled = true
`

// TestOpenAPICommand checks that `rdv openapi` writes the document that
// the service serves at /openapi.json with the same configuration.
func TestOpenAPICommand(t *testing.T) {
	cfg, err := ParseConfig([]byte(openAPIConfig))
	if err != nil {
		t.Fatal(err)
	}
	var printed bytes.Buffer
	if err := openAPI(cfg, &printed); err != nil {
		t.Fatal(err)
	}

	cfg, _ = ParseConfig([]byte(openAPIConfig))
	cfg.DataDir, cfg.Addr = t.TempDir(), "127.0.0.1:0"
	app, err := build(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	w := httptest.NewRecorder()
	app.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d", w.Code)
	}
	if !bytes.Equal(printed.Bytes(), w.Body.Bytes()) {
		t.Errorf("rdv openapi writes another document than the one served:\n%s\nserved:\n%s", printed.Bytes(), w.Body.Bytes())
	}
	var doc struct {
		Servers []struct{ URL string }
		Paths   map[string]any
	}
	if err := json.Unmarshal(printed.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "https://rdv.example.org/rdv" {
		t.Errorf("servers %+v, want base_url", doc.Servers)
	}
	if doc.Paths["/v1/challenge"] == nil {
		t.Error("GET /v1/challenge is missing with the challenge on")
	}
}

// TestOpenAPILint lints the document with Redocly's recommended rules
// (@redocly/cli, installed by scripts/test under testdata/redocly) and
// fails on any error and any warning, but those of lint-ignore.yaml, each
// explained there.
func TestOpenAPILint(t *testing.T) {
	redocly, err := filepath.Abs("testdata/redocly/node_modules/.bin/redocly")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(redocly); err != nil {
		if testservers.Required() {
			t.Fatalf("redocly is not installed: npm ci --prefix cmd/rdv/testdata/redocly (scripts/test does it): %v", err)
		}
		t.Skip("redocly is not installed (npm ci --prefix cmd/rdv/testdata/redocly); RDV_REQUIRE_SERVERS=1 makes this a failure")
	}
	// Redocly CLI 1.34 runs on Node.js 18.17 or later (Debian 12 has 18.19).
	if v, err := exec.Command("node", "--version").Output(); err != nil || !nodeAtLeast(strings.TrimSpace(string(v)), 18, 17) {
		msg := fmt.Sprintf("redocly needs Node.js 18.17 or later; node --version: %q %v", bytes.TrimSpace(v), err)
		if testservers.Required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cfg, err := ParseConfig([]byte(openAPIConfig))
	if err != nil {
		t.Fatal(err)
	}
	var doc bytes.Buffer
	if err := openAPI(cfg, &doc); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ignore, err := os.ReadFile("testdata/redocly/lint-ignore.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".redocly.lint-ignore.yaml"), ignore, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "openapi.json"), doc.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(redocly, "lint", "--extends", "recommended", "--format", "json", "openapi.json")
	cmd.Dir = dir
	// No telemetry, no update check: the tests reach no network.
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	t.Logf("redocly lint took %v", time.Since(start).Round(time.Millisecond))

	var res struct {
		Totals struct{ Errors, Warnings, Ignored int }
		// Problems: the rule, the message and where.
		Problems []struct {
			RuleID   string `json:"ruleId"`
			Severity string
			Message  string
			Location []struct {
				Pointer string
			}
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("redocly lint: %v; its output is not its JSON report: %v\n%s\n%s", runErr, err, stdout.Bytes(), stderr.Bytes())
	}
	for _, p := range res.Problems {
		where := ""
		if len(p.Location) > 0 {
			where = p.Location[0].Pointer
		}
		t.Errorf("%s %s at %s: %s", p.Severity, p.RuleID, where, p.Message)
	}
	if res.Totals.Errors+res.Totals.Warnings > 0 {
		t.Errorf("redocly: %d errors, %d warnings", res.Totals.Errors, res.Totals.Warnings)
	}
	if runErr != nil {
		t.Errorf("redocly lint: %v\n%s", runErr, stderr.Bytes())
	}
	t.Logf("%d problems ignored as lint-ignore.yaml says", res.Totals.Ignored)
}

// nodeAtLeast reports whether the Node.js version v ("v20.20.2") is at
// least major.minor.
func nodeAtLeast(v string, major, minor int) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(v, "v%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}

package testservers

import (
	"strings"
	"testing"
)

func TestDebianPackages(t *testing.T) {
	// Every server the package starts or checks has its packages listed.
	for _, c := range smokeChecks {
		if DebianPackages(c.name) == "" {
			t.Errorf("debian-packages.txt has no line %q", c.name)
		}
	}
	if got, want := DebianPackages("radicale"), "radicale python3-tz"; got != want {
		t.Errorf("DebianPackages(radicale) = %q, want %q", got, want)
	}
	if got := DebianPackages("nonesuch"); got != "" {
		t.Errorf("DebianPackages(nonesuch) = %q, want \"\"", got)
	}
	seen := map[string]bool{}
	for line := range strings.Lines(debianPackages) {
		line, _, _ = strings.Cut(line, "#")
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, pkgs, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || len(strings.Fields(pkgs)) == 0 || strings.Contains(pkgs, ":") {
			t.Errorf("line %q is not NAME: PACKAGE...", strings.TrimSpace(line))
		}
		if seen[name] {
			t.Errorf("two lines %q", name)
		}
		seen[name] = true
	}
}

func TestRunCheck(t *testing.T) {
	var order []string
	log, failed := runCheck(func(t T) {
		dir := t.TempDir()
		t.Cleanup(func() { order = append(order, "first registered") })
		t.Cleanup(func() { order = append(order, "last registered") })
		t.Logf("in %s", dir)
		t.Fatalf("stop here")
		order = append(order, "after Fatal")
	})
	if !failed || !strings.Contains(log, "stop here") || !strings.Contains(log, "in ") {
		t.Errorf("failed %v, log %q", failed, log)
	}
	if strings.Join(order, ", ") != "last registered, first registered" {
		t.Errorf("ran: %v", order)
	}
	if _, failed := runCheck(func(t T) { t.Logf("fine") }); failed {
		t.Error("a check that only logs failed")
	}
	if _, failed := runCheck(func(t T) { t.Skip("missing") }); !failed {
		t.Error("a skipped check did not fail")
	}
}

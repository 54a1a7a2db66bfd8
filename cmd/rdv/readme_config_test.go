package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/ics"
)

// TestREADMEConfig parses the configuration example of the README, so that
// what a host copies is what rdv reads.
func TestREADMEConfig(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i := strings.Index(s, "### Configuration (TOML)")
	if i < 0 {
		t.Fatal("README has no configuration section")
	}
	s = s[i:]
	start := strings.Index(s, "```toml\n")
	end := strings.Index(s[start+8:], "```")
	if start < 0 || end < 0 {
		t.Fatal("README has no TOML example")
	}
	cfg, err := ParseConfig([]byte(s[start+8 : start+8+end]))
	if err != nil {
		t.Fatalf("the README's example does not parse: %v", err)
	}
	if err := cfg.check(); err != nil {
		t.Fatalf("the README's example is refused: %v", err)
	}
	if cfg.Practice.Name == "" || cfg.Practice.Color != "#0b4f8a" || cfg.Practice.AccessibilityURL == "" {
		t.Errorf("practice read from the README: %+v", cfg.Practice)
	}
	if cfg.CalendarEvent.Summary != ics.DefaultEventSummary || cfg.CalendarEvent.Description != ics.DefaultEventDescription {
		t.Errorf("calendar_event read from the README is not the defaults: %+v", cfg.CalendarEvent)
	}
	if r := cfg.Retention.retention(); r.AfterVisit != 90*24*time.Hour || r.Cancelled != 30*24*time.Hour {
		t.Errorf("retention read from the README: %+v", r)
	}
	if cfg.Limits.ActivePerContact != 2 || cfg.Limits.Book.Burst != 5 || cfg.Limits.Book.Every.Minutes() != 5 {
		t.Errorf("limits read from the README: %+v", cfg.Limits)
	}
}

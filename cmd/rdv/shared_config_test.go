package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// centreTOML is a centre of three GPs who each offer a consultation, and
// a physiotherapist who does not.
const centreTOML = `
[[practitioners]]
id = "martin"
timezone = "Europe/Paris"
hours.mon = ["09:00-12:00"]
[[practitioners.types]]
id = "consultation"
name = "Consultation"
duration = "20m"

[[practitioners]]
id = "durand"
timezone = "Europe/Paris"
hours.mon = ["14:00-18:00"]
[[practitioners.types]]
id = "consultation"
name = "Consultation"
duration = "30m"

[[practitioners]]
id = "petit"
timezone = "Europe/Paris"
hours.wed = ["09:00-12:00"]
[[practitioners.types]]
id = "consultation"
name = "Consultation"
duration = "20m"

[[practitioners]]
id = "kine"
timezone = "Europe/Paris"
hours.mon = ["09:00-12:00"]
[[practitioners.types]]
id = "seance"
name = "Séance"
duration = "30m"
`

func TestConfigSharedTypes(t *testing.T) {
	for _, tt := range []struct {
		name, toml string
		err        string
	}{
		{name: "three GPs", toml: `[[shared_types]]
id = "generaliste"
name = "Consultation de médecine générale"
type = "consultation"
practitioners = ["martin", "durand", "petit"]`},
		{name: "a practitioner without the type", err: `"kine" has no appointment type "consultation"`, toml: `[[shared_types]]
id = "generaliste"
name = "Consultation de médecine générale"
type = "consultation"
practitioners = ["martin", "kine"]`},
		{name: "an unknown practitioner", err: `no practitioner "dupont"`, toml: `[[shared_types]]
id = "generaliste"
name = "Consultation de médecine générale"
type = "consultation"
practitioners = ["martin", "dupont"]`},
		{name: "one practitioner", err: "at least two", toml: `[[shared_types]]
id = "generaliste"
name = "Consultation de médecine générale"
type = "consultation"
practitioners = ["martin"]`},
		{name: "no name", err: "has no name", toml: `[[shared_types]]
id = "generaliste"
type = "consultation"
practitioners = ["martin", "durand"]`},
		{name: "no id", err: "has no id", toml: `[[shared_types]]
name = "Consultation de médecine générale"
type = "consultation"
practitioners = ["martin", "durand"]`},
		{name: "a practitioner's id", err: "a practitioner has this id", toml: `[[shared_types]]
id = "martin"
name = "Consultation de médecine générale"
type = "consultation"
practitioners = ["durand", "petit"]`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(centreTOML + tt.toml))
			if err == nil {
				err = cfg.check()
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one about %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cfg.BaseURL = "http://rdv.test"
			o, err := cfg.options(nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(o.SharedTypes) != 1 || o.SharedTypes[0].TypeID != "consultation" ||
				!slices.Equal(o.SharedTypes[0].Practitioners, []string{"martin", "durand", "petit"}) {
				t.Errorf("shared types: %+v", o.SharedTypes)
			}
		})
	}
}

// TestCheckSharedTypes: rdv check shows each shared motive, its
// practitioners and its free starts.
func TestCheckSharedTypes(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "rdv.toml")
	if err := os.WriteFile(conf, []byte(centreTOML+`[[shared_types]]
id = "generaliste"
name = "Consultation de médecine générale"
type = "consultation"
practitioners = ["martin", "durand", "petit"]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "check", "-config", conf, "-data", filepath.Join(dir, "data"))
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	for _, w := range []string{
		"shared motive generaliste (Consultation de médecine générale): consultation with martin, durand, petit",
		"starts with a practitioner free in the next 14 days",
		`shared_types[0].practitioners = ["martin", "durand", "petit"]`,
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

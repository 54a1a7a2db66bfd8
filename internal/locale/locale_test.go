package locale

import (
	"testing"
	"time"
)

func TestWhen(t *testing.T) {
	tests := []struct {
		name string
		tz   string
		at   string // local wall time
		lang string
		when string
		day  string
	}{
		{"fr_first_of_month", "Europe/Paris", "2026-12-01T09:00", "fr",
			"mardi 1er décembre 2026 à 09:00 (heure de Paris)", "1er décembre à 09:00"},
		{"fr_accented_month", "Europe/Paris", "2027-02-15T14:30", "fr",
			"lundi 15 février 2027 à 14:30 (heure de Paris)", "15 février à 14:30"},
		{"fr_august_sunday", "Europe/Paris", "2026-08-16T08:05", "fr",
			"dimanche 16 août 2026 à 08:05 (heure de Paris)", "16 août à 08:05"},
		{"fr_elision", "Europe/Amsterdam", "2026-03-29T03:00", "fr",
			"dimanche 29 mars 2026 à 03:00 (heure d'Amsterdam)", "29 mars à 03:00"},
		{"fr_two_words", "America/New_York", "2026-07-04T18:00", "fr",
			"samedi 4 juillet 2026 à 18:00 (heure de New York)", "4 juillet à 18:00"},
		{"fr_utc", "UTC", "2026-12-31T23:59", "fr",
			"jeudi 31 décembre 2026 à 23:59 (UTC)", "31 décembre à 23:59"},
		{"en_first_of_month", "Europe/Paris", "2026-12-01T09:00", "en",
			"Tuesday 1 December 2026 at 09:00 (Paris time)", "1 December at 09:00"},
		{"en_new_york", "America/New_York", "2026-07-04T18:00", "en",
			"Saturday 4 July 2026 at 18:00 (New York time)", "4 July at 18:00"},
		{"en_utc", "UTC", "2026-12-31T23:59", "en",
			"Thursday 31 December 2026 at 23:59 (UTC)", "31 December at 23:59"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := time.LoadLocation(tt.tz)
			if err != nil {
				t.Fatal(err)
			}
			at, err := time.ParseInLocation("2006-01-02T15:04", tt.at, loc)
			if err != nil {
				t.Fatal(err)
			}
			if got := When(tt.lang, at); got != tt.when {
				t.Errorf("When = %q, want %q", got, tt.when)
			}
			if got := Day(tt.lang, at); got != tt.day {
				t.Errorf("Day = %q, want %q", got, tt.day)
			}
		})
	}
}

func TestDeadline(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, time.December, 1, 10, 20, 0, 0, time.UTC) // 11:20 in Paris
	for lang, want := range map[string]string{
		"fr": "mardi 1er décembre à 11:20",
		"en": "Tuesday 1 December at 11:20",
	} {
		if got := Deadline(lang, at.In(loc)); got != want {
			t.Errorf("Deadline(%s) = %q, want %q", lang, got, want)
		}
	}
}

func TestNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{Weekday("fr", time.Saturday, true), "sam."},
		{Weekday("en", time.Saturday, true), "Sat"},
		{Weekday("en", time.Sunday, false), "Sunday"},
		{MonthYear("fr", 2027, time.February), "février 2027"},
		{MonthYear("en", 2027, time.February), "February 2027"},
		{Duration("fr", 48*time.Hour), "2 jours"},
		{Duration("en", 72*time.Hour), "3 days"},
		{Duration("en", 24*time.Hour), "24 h"},
		{Duration("fr", 90*time.Minute), "90 min"},
		{Duration("fr", 89*time.Minute+time.Second), "90 min"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

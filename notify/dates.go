package notify

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// French names of days (indexed by time.Weekday) and months (by time.Month-1).
var (
	frenchDays   = [7]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frenchMonths = [12]string{"janvier", "février", "mars", "avril", "mai", "juin",
		"juillet", "août", "septembre", "octobre", "novembre", "décembre"}
)

// frenchDay returns the day of the month as written in French: "1er" for the
// first, the plain number otherwise.
func frenchDay(t time.Time) string {
	if t.Day() == 1 {
		return "1er"
	}
	return strconv.Itoa(t.Day())
}

// formatWhen writes the instant t, in its own location, as a sentence part in
// language lang, with the time zone: "mardi 1er décembre 2026 à 09:00 (heure
// de Paris)", "Tuesday 1 December 2026 at 09:00 (Europe/Paris)".
func formatWhen(lang string, t time.Time) string {
	if lang == "fr" {
		return frenchDays[t.Weekday()] + " " + frenchDay(t) + " " + frenchMonths[t.Month()-1] + " " +
			strconv.Itoa(t.Year()) + " à " + t.Format("15:04") + " (" + frenchZone(t) + ")"
	}
	return t.Format("Monday 2 January 2006 at 15:04") + " (" + zoneName(t) + ")"
}

// formatDay writes the local day and time of t without the year nor the zone,
// short enough for a subject line: "1er décembre à 09:00", "1 December at 09:00".
func formatDay(lang string, t time.Time) string {
	if lang == "fr" {
		return frenchDay(t) + " " + frenchMonths[t.Month()-1] + " à " + t.Format("15:04")
	}
	return t.Format("2 January at 15:04")
}

// zoneName returns the IANA name of t's location ("Europe/Paris"), or the zone
// abbreviation when the location has no meaningful name ("Local").
func zoneName(t time.Time) string {
	name := t.Location().String()
	if name == "" || name == "Local" {
		name, _ = t.Zone()
	}
	return name
}

// frenchZone names t's zone the French way, after its main city: "heure de
// Paris", "heure d'Amsterdam", "heure de New York". Zones that are not named
// after a city ("UTC") are given as they are.
func frenchZone(t time.Time) string {
	name := zoneName(t)
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return name
	}
	city := strings.ReplaceAll(name[i+1:], "_", " ")
	r, _ := utf8.DecodeRuneInString(city)
	if strings.ContainsRune("AEIOUYÉÈÊÎÔÛÂ", unicode.ToUpper(r)) {
		return "heure d'" + city
	}
	return "heure de " + city
}

// formatDeadline writes the local day and time of t with the weekday and
// without the year nor the zone, for the sentence that says until when a
// pending slot is held: "mardi 1er décembre à 11:20", "Tuesday 1 December
// at 11:20".
func formatDeadline(lang string, t time.Time) string {
	if lang == "fr" {
		return frenchDays[t.Weekday()] + " " + formatDay(lang, t)
	}
	return t.Format("Monday ") + formatDay(lang, t)
}

// Package locale writes dates, times, durations and time zones in the
// languages of rdv's pages and messages (French and English), one way for
// both: the patient reads the same "mardi 1er décembre 2026 à 09:00 (heure
// de Paris)" on the page and in the email.
package locale

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Languages are the languages rdv speaks, the default first.
var Languages = []string{"fr", "en"}

// Supported reports whether lang is one of Languages.
func Supported(lang string) bool { return lang == "fr" || lang == "en" }

// Names of days (by time.Weekday) and months (by time.Month-1).
var (
	frenchDays      = [7]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frenchShortDays = [7]string{"dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."}
	frenchMonths    = [12]string{"janvier", "février", "mars", "avril", "mai", "juin",
		"juillet", "août", "septembre", "octobre", "novembre", "décembre"}
)

// dayOfMonth returns the day of the month as written in lang: "1er" for the
// first in French, the plain number otherwise.
func dayOfMonth(lang string, t time.Time) string {
	if lang == "fr" && t.Day() == 1 {
		return "1er"
	}
	return strconv.Itoa(t.Day())
}

// Weekday names d in lang: "mardi", "Tuesday"; short: "mar.", "Tue".
func Weekday(lang string, d time.Weekday, short bool) string {
	switch {
	case lang == "fr" && short:
		return frenchShortDays[d]
	case lang == "fr":
		return frenchDays[d]
	case short:
		return d.String()[:3]
	}
	return d.String()
}

// Month names m in lang: "décembre", "December".
func Month(lang string, m time.Month) string {
	if lang == "fr" {
		return frenchMonths[m-1]
	}
	return m.String()
}

// MonthYear writes a month of a year: "décembre 2026", "December 2026".
func MonthYear(lang string, year int, m time.Month) string {
	return Month(lang, m) + " " + strconv.Itoa(year)
}

// Date writes the date of t in its own location: "mardi 1er décembre 2026",
// "Tuesday 1 December 2026".
func Date(lang string, t time.Time) string {
	return Weekday(lang, t.Weekday(), false) + " " + DayMonth(lang, t) + " " + strconv.Itoa(t.Year())
}

// DayMonth writes the day and month of t: "1er décembre", "1 December".
func DayMonth(lang string, t time.Time) string {
	return dayOfMonth(lang, t) + " " + Month(lang, t.Month())
}

// WeekdayDayMonth writes t's date without the year: "mardi 1er décembre",
// "Tuesday 1 December".
func WeekdayDayMonth(lang string, t time.Time) string {
	return Weekday(lang, t.Weekday(), false) + " " + DayMonth(lang, t)
}

// Time writes the time of day of t on a 24-hour clock: "09:00".
func Time(t time.Time) string { return t.Format("15:04") }

// at joins a date and a time: "… à 09:00", "… at 09:00".
func at(lang string) string {
	if lang == "fr" {
		return " à "
	}
	return " at "
}

// DateTime writes the date and time of t without the zone: "mardi 1er
// décembre 2026 à 09:00", "Tuesday 1 December 2026 at 09:00".
func DateTime(lang string, t time.Time) string { return Date(lang, t) + at(lang) + Time(t) }

// When writes the instant t, in its own location, with its zone: "mardi 1er
// décembre 2026 à 09:00 (heure de Paris)", "Tuesday 1 December 2026 at 09:00
// (Paris time)".
func When(lang string, t time.Time) string { return DateTime(lang, t) + " (" + Zone(lang, t) + ")" }

// Day writes the local day and time of t without the weekday, year or zone,
// short enough for a subject line: "1er décembre à 09:00", "1 December at
// 09:00".
func Day(lang string, t time.Time) string { return DayMonth(lang, t) + at(lang) + Time(t) }

// Deadline writes t with its weekday and without the year nor the zone:
// "mardi 1er décembre à 11:20", "Tuesday 1 December at 11:20".
func Deadline(lang string, t time.Time) string {
	return Weekday(lang, t.Weekday(), false) + " " + Day(lang, t)
}

// zoneName returns the IANA name of t's location ("Europe/Paris"), or the
// zone abbreviation when the location has no meaningful name ("Local").
func zoneName(t time.Time) string {
	name := t.Location().String()
	if name == "" || name == "Local" {
		name, _ = t.Zone()
	}
	return name
}

// Zone names t's zone after its main city: "heure de Paris", "heure
// d'Amsterdam", "Paris time", "New York time". Zones not named after a city
// ("UTC") are given as they are.
func Zone(lang string, t time.Time) string {
	name := zoneName(t)
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return name
	}
	city := strings.ReplaceAll(name[i+1:], "_", " ")
	if lang != "fr" {
		return city + " time"
	}
	r, _ := utf8.DecodeRuneInString(city)
	if strings.ContainsRune("AEIOUYÉÈÊÎÔÛÂ", unicode.ToUpper(r)) {
		return "heure d'" + city
	}
	return "heure de " + city
}

// Duration writes d in days, hours or minutes: "2 jours", "24 h", "90 min";
// "2 days", "24 h", "90 min".
func Duration(lang string, d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0 && d >= 48*time.Hour:
		n := d / (24 * time.Hour)
		if lang == "fr" {
			return fmt.Sprintf("%d jours", n)
		}
		return fmt.Sprintf("%d days", n)
	case d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	default:
		return fmt.Sprintf("%d min", (d+time.Minute-1)/time.Minute)
	}
}

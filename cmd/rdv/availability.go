package main

import (
	"fmt"
	"strings"

	"github.com/rdvlibre/rdv/caldav"
)

// Open time kept on the calendar server: the keys availability,
// working_hours, working_hours_url and working_hours_mode of
// [practitioners.calendar] (see CalendarConfig).

// Working hours modes (working_hours_mode).
const (
	workingHoursReplace = "replace" // the default
	workingHoursAdd     = "add"
)

// availability returns the caldav settings of the practitioner's sources of
// open time on a calendar server of their own.
func (cc *CalendarConfig) availability() caldav.AvailabilityConfig {
	return caldav.AvailabilityConfig{
		Calendar:        strings.TrimSpace(cc.Availability),
		WorkingHours:    cc.WorkingHours,
		WorkingHoursURL: strings.TrimSpace(cc.WorkingHoursURL),
		AddWorkingHours: cc.WorkingHoursMode == workingHoursAdd,
	}
}

// embeddedAvailability is the name of the embedded calendar that holds the
// practitioner's opening hours, when availability is set without a URL.
func embeddedAvailability(practitionerID string) string { return practitionerID + "-availability" }

// checkAvailability checks the practitioner's sources of open time; all are
// the configured practitioners.
func (pc *PractitionerConfig) checkAvailability(all []PractitionerConfig) error {
	cc := &pc.Calendar
	switch cc.WorkingHoursMode {
	case "", workingHoursReplace, workingHoursAdd:
	default:
		return fmt.Errorf("config: practitioner %s: calendar.working_hours_mode %q: want replace or add", pc.ID, cc.WorkingHoursMode)
	}
	hours := cc.WorkingHours || strings.TrimSpace(cc.WorkingHoursURL) != ""
	if cc.URL == "" && hours {
		return fmt.Errorf("config: practitioner %s: calendar.working_hours needs calendar.url: the embedded calendar server keeps no working hours", pc.ID)
	}
	if cc.URL == "" && strings.TrimSpace(cc.Availability) != "" {
		name := embeddedAvailability(pc.ID)
		for _, other := range all {
			if other.ID == name && other.Calendar.URL == "" {
				return fmt.Errorf("config: practitioner %s: its availability calendar would be the calendar of practitioner %s", pc.ID, other.ID)
			}
		}
	}
	return nil
}

// Command freeslots prints the free slots of a week from an iCalendar file,
// with rdv's library alone: recur.Expand turns the file's events (recurring
// ones included) into busy time, booking.Slots turns opening hours and busy
// time into free slots.
//
//	go run ./examples/freeslots -ics agenda.ics -from 2026-12-07 -hours 08:30-12:00,14:00-18:00 -duration 20m
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/recur"
)

func main() {
	icsPath := flag.String("ics", "", "iCalendar file whose events make time busy (default: none)")
	fromDate := flag.String("from", time.Now().Format(time.DateOnly), "first day, YYYY-MM-DD")
	days := flag.Int("days", 7, "number of days")
	hours := flag.String("hours", "08:30-12:00,14:00-18:00", "opening hours, Monday to Friday")
	dur := flag.Duration("duration", 20*time.Minute, "length of a visit")
	tz := flag.String("tz", "Europe/Paris", "the practitioner's time zone")
	flag.Parse()

	loc, err := time.LoadLocation(*tz)
	if err != nil {
		log.Fatalf("freeslots: time zone: %v", err)
	}
	day, err := booking.ParseDate(*fromDate)
	if err != nil {
		log.Fatal(err)
	}
	var sched booking.Schedule
	var ranges []booking.ClockRange
	for _, s := range strings.Split(*hours, ",") {
		r, err := booking.ParseClockRange(s)
		if err != nil {
			log.Fatal(err)
		}
		ranges = append(ranges, r)
	}
	for d := time.Monday; d <= time.Friday; d++ {
		sched.Weekly.Set(d, ranges...)
	}
	from, to := day.Midnight(loc), day.AddDays(*days).Midnight(loc)

	var busy []booking.Interval
	if *icsPath != "" {
		f, err := os.Open(*icsPath)
		if err != nil {
			log.Fatal(err)
		}
		cal, err := ical.NewDecoder(f).Decode()
		f.Close()
		if err != nil {
			log.Fatalf("freeslots: %s: %v", *icsPath, err)
		}
		busy, err = recur.Expand(cal, loc, from, to)
		if err != nil {
			log.Printf("freeslots: part of the file was skipped: %v", err)
		}
	}

	slots := booking.Slots(booking.SlotQuery{
		Location: loc,
		Open:     sched.Open(loc, from, to),
		Type:     &booking.AppointmentType{ID: "visit", Duration: *dur},
		Busy:     busy,
		From:     from,
		To:       to,
		Now:      from,
	})
	last := ""
	for _, s := range slots {
		if d := s.Start.Format("Monday 2 January"); d != last {
			fmt.Printf("\n%s\n", d)
			last = d
		}
		fmt.Printf("  %s–%s\n", s.Start.Format("15:04"), s.End.Format("15:04"))
	}
	fmt.Printf("\n%d free slots\n", len(slots))
}

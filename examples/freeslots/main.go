// Command freeslots prints the free slots of a practitioner's days with
// rdv's library alone, no service and no database: the busy time comes from
// a CalDAV calendar (caldav.New and Calendar.Busy: discovery, recurring
// events, VTIMEZONEs, exactly as the rdv service reads it) or from an .ics
// file (caldav.ParseBusy, the same computation without a server), and
// booking.Slots turns opening hours and busy time into free slots.
//
//	RDV_CALDAV_PASSWORD=app-password go run ./examples/freeslots \
//	    -url https://cloud.example.org -user anne -calendar Personnel \
//	    -from 2027-03-01 -hours 08:30-12:00,14:00-18:00 -duration 20m
//	go run ./examples/freeslots -ics agenda.ics -from 2027-03-01
//
// The password is read from the environment (RDV_CALDAV_PASSWORD), never
// from the command line, where other users of the machine could see it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones even on hosts without /usr/share/zoneinfo

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/caldav"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv("RDV_CALDAV_PASSWORD"), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "freeslots:", err)
		os.Exit(1)
	}
}

// run is the whole program: args are its flags, password the CalDAV
// account's.
func run(ctx context.Context, args []string, password string, stdout io.Writer) error {
	fs := flag.NewFlagSet("freeslots", flag.ContinueOnError)
	calURL := fs.String("url", "", "CalDAV server (https://cloud.example.org), its CalDAV root or a calendar URL")
	user := fs.String("user", "", "CalDAV user name (the password comes from RDV_CALDAV_PASSWORD)")
	calName := fs.String("calendar", "", "the calendar to read, by display name or path (default: the only one)")
	busyNames := fs.String("busy", "", "more calendars whose events make time busy, comma-separated")
	icsPath := fs.String("ics", "", "an iCalendar file whose events make time busy, instead of -url")
	fromDate := fs.String("from", time.Now().Format(time.DateOnly), "first day, YYYY-MM-DD")
	days := fs.Int("days", 7, "number of days")
	hours := fs.String("hours", "08:30-12:00,14:00-18:00", "opening hours, Monday to Friday")
	dur := fs.Duration("duration", 20*time.Minute, "length of a visit")
	tz := fs.String("tz", "Europe/Paris", "the practitioner's time zone")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*calURL == "") == (*icsPath == "") {
		return errors.New("give either -url or -ics")
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("time zone: %w", err)
	}
	day, err := booking.ParseDate(*fromDate)
	if err != nil {
		return err
	}
	var sched booking.Schedule
	var ranges []booking.ClockRange
	for _, s := range strings.Split(*hours, ",") {
		r, err := booking.ParseClockRange(s)
		if err != nil {
			return err
		}
		ranges = append(ranges, r)
	}
	for d := time.Monday; d <= time.Friday; d++ {
		sched.Weekly.Set(d, ranges...)
	}
	from, to := day.Midnight(loc), day.AddDays(*days).Midnight(loc)

	var busy []booking.BusyInterval
	if *icsPath != "" {
		f, err := os.Open(*icsPath)
		if err != nil {
			return err
		}
		busy, err = caldav.ParseBusy(f, from, to, loc)
		f.Close()
		if busy == nil && err != nil {
			return fmt.Errorf("%s: %w", *icsPath, err)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "freeslots: part of %s was left out: %v\n", *icsPath, err)
		}
	} else {
		cfg := caldav.Config{URL: *calURL, Username: *user, Password: password, BookingsCalendar: *calName, Location: loc}
		if *busyNames != "" {
			cfg.BusyCalendars = strings.Split(*busyNames, ",")
		}
		cal, err := caldav.New(ctx, cfg)
		if err != nil {
			return err
		}
		if busy, err = cal.Busy(ctx, from, to); err != nil {
			return err
		}
	}

	q := booking.SlotQuery{
		Location: loc,
		Open:     sched.Open(loc, from, to),
		Type:     &booking.AppointmentType{ID: "visit", Duration: *dur},
		From:     from,
		To:       to,
		Now:      from,
	}
	for _, b := range busy {
		q.Busy = append(q.Busy, b.Interval)
	}
	slots := booking.Slots(q)
	last := ""
	for _, s := range slots {
		if d := s.Start.Format("Monday 2 January"); d != last {
			fmt.Fprintf(stdout, "\n%s\n", d)
			last = d
		}
		fmt.Fprintf(stdout, "  %s–%s\n", s.Start.Format("15:04"), s.End.Format("15:04"))
	}
	fmt.Fprintf(stdout, "\n%d free slots, %d busy intervals\n", len(slots), len(busy))
	return nil
}

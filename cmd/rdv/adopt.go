package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"text/tabwriter"

	"github.com/rdvlibre/rdv/booking"
)

// adopt wires the service as check does, then rebuilds ledger rows from the
// booking events of the bookings calendars that this store has no record
// of (booking.Service.Adopt), for the practitioner named, or for all when
// practitioner is "". It prints one line per event: the booking id, its
// start in the practitioner's zone, its type and status, and whether it was
// adopted or why not. It prints no patient data: the booking id is enough to
// find the event in the calendar or in the admin API, and this output goes
// to the host's terminal and logs. With dryRun nothing is recorded. Nothing
// is sent to the patients: the admin API's resend-link gives each a new
// manage link. A practitioner that can't be adopted from (calendar or
// store unavailable) makes it fail, after the others are done.
func adopt(ctx context.Context, cfg *Config, practitioner string, dryRun bool, stdout io.Writer, logger *slog.Logger) error {
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + cfg.Addr
	}
	app, err := build(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer app.Close()

	var ps []booking.Practitioner
	if practitioner == "" {
		ps = app.Service().Practitioners()
	} else {
		p, err := app.Service().Practitioner(practitioner)
		if err != nil {
			return fmt.Errorf("adopt: %s", booking.ErrorMessage(err))
		}
		ps = []booking.Practitioner{*p}
	}
	verb := "adopted"
	if dryRun {
		verb = "would adopt"
	}
	adopted, failed := 0, 0
	for _, p := range ps {
		res, err := app.Service().Adopt(ctx, p.ID, dryRun)
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "practitioner %s: cannot adopt: %v\n", p.ID, err)
			continue
		}
		if len(res) == 0 {
			fmt.Fprintf(stdout, "practitioner %s: no booking event unknown to this install\n", p.ID)
			continue
		}
		slices.SortStableFunc(res, func(a, b booking.Adoption) int { return a.Event.Start.Compare(b.Event.Start) })
		fmt.Fprintf(stdout, "practitioner %s: %d booking event(s) unknown to this install (times in %s)\n", p.ID, len(res), p.Location)
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  BOOKING\tSTART\tTYPE\tSTATUS\tRESULT")
		for _, a := range res {
			ev := a.Event
			result := verb
			if a.Booking == nil {
				result = "skipped: " + a.Skipped
			} else {
				adopted++
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", ev.Booking, ev.Start.In(p.Location).Format("2006-01-02 15:04"), ev.Type, ev.Status, result)
		}
		tw.Flush()
	}
	switch {
	case dryRun:
		fmt.Fprintf(stdout, "\ndry run: %d booking(s) would be adopted; nothing recorded. Run again without -dry-run to adopt them.\n", adopted)
	case adopted > 0:
		fmt.Fprintf(stdout, "\n%d booking(s) adopted; no one was told. Their patients have no manage link yet:\n"+
			"POST /v1/admin/bookings/ID/resend-link sends each a new one.\n", adopted)
	}
	if failed > 0 {
		return fmt.Errorf("adopt: %d practitioner(s) could not be adopted from", failed)
	}
	return nil
}

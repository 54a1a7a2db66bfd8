package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/notify"
)

// check shows the effective configuration, secrets masked, and checks
// the mail server (no message sent); then it wires the service as serve
// would and shows, for each practitioner, the calendars it uses and the
// next free slots of each appointment type.
func check(ctx context.Context, cfg *Config, stdout io.Writer, logger *slog.Logger) error {
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + cfg.Addr
	}
	fmt.Fprintln(stdout, "effective configuration (secrets masked):")
	printConfig(stdout, cfg)
	mailErr := checkMail(ctx, cfg, stdout)
	fmt.Fprintln(stdout)
	app, err := build(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer app.Close()
	fmt.Fprintln(stdout, "configuration: ok")
	for i, h := range app.Webhooks() {
		fmt.Fprintf(stdout, "webhook #%d: %s\n", i+1, h)
	}
	failed := 0
	// Would the calendar sync hold (the events of too many bookings missing,
	// or disagreeing with the ledger)? It also finds the booking events
	// unknown to this install.
	holds, syncErr := app.Service().CheckSync(ctx)
	held := map[string]booking.SyncHold{}
	for _, h := range holds {
		held[h.PractitionerID] = h
	}
	for _, p := range app.Service().Practitioners() {
		fmt.Fprintf(stdout, "\npractitioner %s (%s, %s)\n", p.ID, p.Name, p.Location)
		if h, ok := held[p.ID]; ok {
			printHold(stdout, h, cfg.Booking.SyncMaxCancel)
		}
		if evs, err := app.Service().UnknownEvents(p.ID); err == nil && len(evs) > 0 {
			fmt.Fprintf(stdout, "  booking events unknown to this install: %d (left as they are; `rdv adopt -practitioner %s -dry-run` shows what adopting would rebuild)\n", len(evs), p.ID)
		}
		if cal := app.Calendar(p.ID); cal != nil {
			fmt.Fprintf(stdout, "  bookings calendar: %s\n", cal.BookingsURL())
			for _, u := range cal.BusyURLs() {
				fmt.Fprintf(stdout, "  busy calendar:     %s\n", u)
			}
			if u, wh := cal.AvailabilityURLs(); u != "" || wh != "" {
				if u != "" {
					fmt.Fprintf(stdout, "  opening hours:     %s\n", u)
				}
				if wh != "" {
					fmt.Fprintf(stdout, "  working hours:     %s\n", wh)
				}
			}
		}
		now := time.Now()
		for _, t := range p.Types {
			slots, err := app.Service().Slots(ctx, p.ID, t.ID, now, now.Add(14*24*time.Hour))
			if err != nil {
				failed++
				fmt.Fprintf(stdout, "  %s: cannot compute slots: %v\n", t.ID, err)
				continue
			}
			fmt.Fprintf(stdout, "  %s (%s): %d free slots in the next 14 days", t.ID, t.Duration, len(slots))
			for i, s := range slots {
				if i == 5 {
					break
				}
				if i == 0 {
					fmt.Fprint(stdout, "; next:")
				}
				fmt.Fprintf(stdout, " %s", s.Start.Format("Mon 2 Jan 15:04"))
			}
			fmt.Fprintln(stdout)
		}
	}
	for _, st := range app.Service().SharedTypes() {
		fmt.Fprintf(stdout, "\nshared motive %s (%s): %s with %s\n", st.ID, st.Name, st.TypeID, strings.Join(st.Practitioners, ", "))
		now := time.Now()
		slots, err := app.Service().SharedSlots(ctx, st.ID, now, now.Add(14*24*time.Hour))
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "  cannot compute slots: %v\n", err)
			continue
		}
		fmt.Fprintf(stdout, "  %d starts with a practitioner free in the next 14 days\n", len(slots))
	}
	if syncErr != nil {
		fmt.Fprintf(stdout, "\ncalendar sync: not fully checked: %v\n", syncErr)
	}
	var problems []error
	if mailErr != nil {
		problems = append(problems, fmt.Errorf("check: the mail server: %w", mailErr))
	}
	if failed > 0 {
		problems = append(problems, fmt.Errorf("check: %d appointment type(s) could not be computed", failed))
	}
	if len(holds) > 0 {
		problems = append(problems, fmt.Errorf("check: the calendar sync of %d practitioner(s) is held", len(holds)))
	}
	return errors.Join(problems...)
}

// checkMail connects to the SMTP server of the configuration as the
// service would to send a message, and prints each step: connection, TLS,
// EHLO, authentication, QUIT. It sends no message. Without a server, it
// says where the messages go.
func checkMail(ctx context.Context, cfg *Config, stdout io.Writer) error {
	sc, err := cfg.Mail.SMTP.sender()
	if err != nil {
		fmt.Fprintf(stdout, "\nmail server: %v\n", err)
		return err
	}
	if sc.Addr == "" {
		fmt.Fprintf(stdout, "\nmail server: none (mail.smtp.addr): messages are written as .eml files to %s\n", filepath.Join(cfg.DataDir, "outbox"))
		return nil
	}
	sender, err := notify.NewSMTPSender(sc)
	if err != nil {
		fmt.Fprintf(stdout, "\nmail server %s: %v\n", sc.Addr, err)
		return err
	}
	mode := sc.TLS
	if mode == "" {
		mode = notify.TLSStartTLS
	}
	fmt.Fprintf(stdout, "\nmail server %s (tls = %s), no message sent:\n", sc.Addr, mode)
	steps, err := sender.Check(ctx)
	for _, st := range steps {
		if st.Err != nil {
			fmt.Fprintf(stdout, "  %-8s FAILED: %v\n", st.Name, st.Err)
			if st.Detail != "" {
				fmt.Fprintf(stdout, "  %-8s %s\n", "", st.Detail)
			}
			continue
		}
		fmt.Fprintf(stdout, "  %-8s ok: %s\n", st.Name, st.Detail)
	}
	return err
}

// printHold prints why the calendar sync of a practitioner would be held:
// the events of too many bookings missing (Missing), or disagreeing with the
// ledger (Rewrites), or both. maxCancel is booking.sync_max_cancel.
func printHold(stdout io.Writer, h booking.SyncHold, maxCancel int) {
	if maxCancel <= 0 {
		maxCancel = booking.DefaultSyncMaxCancel
	}
	missing := len(h.Missing) > maxCancel
	rewrites := len(h.Rewrites) > maxCancel
	if missing || !rewrites {
		fmt.Fprintf(stdout, "  calendar sync:     HELD: %d or more of the %d active bookings to come have no event in the bookings calendar\n"+
			"                     (emptied or replaced?); none is cancelled until their events are back, or until\n"+
			"                     booking.sync_max_cancel and sync_max_cancel_percent allow it\n", len(h.Missing), h.Active)
	}
	if rewrites {
		fmt.Fprintf(stdout, "  calendar sync:     HELD: the events of %d bookings to come disagree with the ledger (calendar restored\n"+
			"                     from an old backup?); none is rewritten until the events are as the ledger has them, or\n"+
			"                     until booking.sync_max_cancel and sync_max_cancel_percent allow it\n", len(h.Rewrites))
	}
}

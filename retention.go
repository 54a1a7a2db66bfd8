package rdv

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// retainEvery is how often runJobs erases the patient data past its
// retention: on its first run, then every hour.
const retainEvery = time.Hour

// retain erases the patient data past its retention
// (booking.Service.Retain, one replica at a time), the records of the
// digests of the days past a visit's retention, and the .eml files of the
// outbox directory (no SMTP: the demo) last written longer ago than that
// by the system's clock (the files' times are the system's, whatever
// Options.Now says). The calendar
// is never touched. Failures are logged; the next run goes on where this
// one stopped.
func (a *App) retain(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, reconcileTimeout)
	defer cancel()
	if st, err := a.svc.Retain(ctx); err != nil && ctx.Err() == nil {
		a.logger.Error("erasing patient data past its retention", "erased", st.Bookings, "err", err)
	}
	if a.waitlist != nil {
		if n, err := a.waitlist.Retain(ctx); err != nil && ctx.Err() == nil {
			a.logger.Error("erasing waiting-list entries past their retention", "erased", n, "err", err)
		} else if n > 0 {
			a.logger.Info("waiting-list entries erased", "erased", n)
		}
	}
	ended := a.retention.Cutoffs(a.now()).Ended
	if err := a.store.PurgeDigests(ctx, booking.DateOf(ended.UTC())); err != nil && ctx.Err() == nil {
		a.logger.Error("purging the digests' records", "err", err)
	}
	if a.outbox != "" {
		// Files carry the system's times: compared with the system's clock.
		n, err := purgeFiles(a.outbox, ".eml", time.Now().Add(-a.retention.WithDefaults().AfterVisit))
		if err != nil {
			a.logger.Error("purging the outbox directory", "removed", n, "err", err)
		} else if n > 0 {
			a.logger.Info("outbox files past their retention removed", "removed", n)
		}
	}
}

// purgeFiles removes the regular files of dir whose name ends in ext and
// that were last written before before, and returns how many. A missing
// dir holds nothing.
func purgeFiles(dir, ext string, before time.Time) (int, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ext) {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(before) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !os.IsNotExist(err) {
			return n, err
		}
		n++
	}
	return n, nil
}

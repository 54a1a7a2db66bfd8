package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/rdvlibre/rdv"
	"github.com/rdvlibre/rdv/api"
	"github.com/rdvlibre/rdv/booking"
)

// LimitsConfig is the [limits] table: what one patient, one client address
// and the public as a whole may do (docs/limits.md). Every field is
// optional; 0 takes the default and, for the counts, -1 turns a limit off.
type LimitsConfig struct {
	// Business limits, shared by the replicas (booking.Limits).
	ActivePerContact int `toml:"active_per_contact"` // active bookings per email and per phone, per practitioner (2)
	PendingPerEmail  int `toml:"pending_per_email"`  // of which waiting for confirmation (1)
	MovesPerBooking  int `toml:"moves_per_booking"`  // moves of one booking by its patient (3)
	MessagesPerHour  int `toml:"messages_per_hour"`  // emails to one address in an hour (10)
	NewPerMinute     int `toml:"new_per_minute"`     // new bookings per practitioner per minute (30)

	// Rate limits per client address, per replica (api.RateLimits):
	// burst requests at once, then one per every; burst = -1 turns one off.
	Book       RateConfig `toml:"book"`   // booking (5, then one per 5m)
	Change     RateConfig `toml:"change"` // confirm, cancel, reschedule (10, then one per 1m)
	Lookup     RateConfig `toml:"lookup"` // reading a booking by its link (30, then one per 6s)
	Read       RateConfig `toml:"read"`   // slots and the slots page (120, then one per 250ms)
	MaxClients int        `toml:"max_clients"`

	// Off turns every limit off, business and rate alike: for load tests,
	// never in front of the public.
	Off bool `toml:"off"`
}

// RateConfig is a token bucket of LimitsConfig.
type RateConfig struct {
	Every duration `toml:"every"`
	Burst int      `toml:"burst"`
}

func (r RateConfig) rate() api.Rate { return api.Rate{Every: r.Every.Duration, Burst: r.Burst} }

// check refuses values that can't be meant.
func (l *LimitsConfig) check() error {
	for name, v := range map[string]int{
		"active_per_contact": l.ActivePerContact, "pending_per_email": l.PendingPerEmail,
		"moves_per_booking": l.MovesPerBooking, "messages_per_hour": l.MessagesPerHour,
		"new_per_minute": l.NewPerMinute,
	} {
		if v < -1 {
			return fmt.Errorf("config: limits.%s %d: want a count, 0 for the default or -1 for none", name, v)
		}
	}
	for name, r := range map[string]RateConfig{"book": l.Book, "change": l.Change, "lookup": l.Lookup, "read": l.Read} {
		if r.Every.Duration < 0 || r.Burst < -1 {
			return fmt.Errorf("config: limits.%s: every must not be negative, and burst is a count or -1 for none", name)
		}
	}
	if l.MaxClients < 0 {
		return fmt.Errorf("config: limits.max_clients %d: want a count", l.MaxClients)
	}
	return nil
}

// apply sets the limits of the configuration c on o.
func (c *Config) applyLimits(o *rdv.Options) error {
	l := c.Limits
	if l.Off {
		o.Limits, o.NoRateLimits = booking.NoLimits(), true
	} else {
		o.Limits = booking.Limits{
			ActivePerContact: l.ActivePerContact, PendingPerEmail: l.PendingPerEmail,
			MovesPerBooking: l.MovesPerBooking, MessagesPerHour: l.MessagesPerHour, NewPerMinute: l.NewPerMinute,
		}
		o.RateLimits = api.RateLimits{Book: l.Book.rate(), Change: l.Change.rate(), Lookup: l.Lookup.rate(), Read: l.Read.rate(), MaxClients: l.MaxClients}
	}
	for _, s := range c.TrustedProxies {
		p, err := parsePrefix(s)
		if err != nil {
			return fmt.Errorf("config: trusted_proxies: %q is not an address nor a network (10.0.0.0/8, ::1)", s)
		}
		o.RateLimits.TrustedProxies = append(o.RateLimits.TrustedProxies, p)
	}
	switch strings.ToLower(c.ForwardedHeader) {
	case "", "x-forwarded-for", "forwarded":
		o.RateLimits.ForwardedHeader = c.ForwardedHeader
	default:
		return fmt.Errorf("config: forwarded_header %q: want X-Forwarded-For or Forwarded", c.ForwardedHeader)
	}
	o.CORSOrigins = c.CORSOrigins
	o.PublicMetrics = c.PublicMetrics
	return nil
}

// parsePrefix reads a network (10.0.0.0/8) or a single address (::1).
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

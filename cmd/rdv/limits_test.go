package main

import (
	"strings"
	"testing"

	"github.com/rdvlibre/rdv/api"
	"github.com/rdvlibre/rdv/booking"
)

func TestLimitsConfig(t *testing.T) {
	for _, tt := range []struct {
		name, toml string
		err        string
		check      func(t *testing.T, c *Config)
	}{
		{name: "defaults", toml: "", check: func(t *testing.T, c *Config) {
			o := c.mustOptions(t)
			if o.Limits != (booking.Limits{}) || o.NoRateLimits || len(o.RateLimits.TrustedProxies) != 0 || o.PublicMetrics {
				t.Errorf("options = %+v", o)
			}
		}},
		{name: "set", toml: "trusted_proxies = [\"10.0.0.0/8\", \"::1\"]\ncors_origins = [\"https://a.example\"]\n[limits]\nactive_per_contact = 4\nnew_per_minute = -1\nbook = { every = \"1m\", burst = 2 }",
			check: func(t *testing.T, c *Config) {
				o := c.mustOptions(t)
				if o.Limits.ActivePerContact != 4 || o.Limits.NewPerMinute != -1 || o.RateLimits.Book.Burst != 2 || o.RateLimits.Book.Every.Minutes() != 1 {
					t.Errorf("limits = %+v, rates %+v", o.Limits, o.RateLimits)
				}
				if p := o.RateLimits.TrustedProxies; len(p) != 2 || p[0].String() != "10.0.0.0/8" || p[1].String() != "::1/128" {
					t.Errorf("trusted proxies = %v", p)
				}
				if len(o.CORSOrigins) != 1 {
					t.Errorf("CORS origins = %v", o.CORSOrigins)
				}
			}},
		{name: "off", toml: "[limits]\noff = true", check: func(t *testing.T, c *Config) {
			if o := c.mustOptions(t); o.Limits != booking.NoLimits() || !o.NoRateLimits {
				t.Errorf("off: %+v", o)
			}
		}},
		{name: "negative count", toml: "[limits]\nmoves_per_booking = -3", err: "moves_per_booking"},
		{name: "negative burst", toml: "[limits]\nread = { every = \"1s\", burst = -2 }", err: "limits.read"},
		{name: "bad proxy", toml: "trusted_proxies = [\"proxy.example\"]", err: "trusted_proxies"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tt.toml))
			if err == nil {
				err = c.check()
			}
			if err == nil && tt.check == nil {
				_, err = c.options(quietLogger())
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one about %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func (c *Config) mustOptions(t *testing.T) (o struct {
	Limits        booking.Limits
	RateLimits    api.RateLimits
	NoRateLimits  bool
	CORSOrigins   []string
	PublicMetrics bool
}) {
	t.Helper()
	c.DataDir = t.TempDir()
	opts, err := c.options(quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	o.Limits, o.RateLimits, o.NoRateLimits, o.CORSOrigins, o.PublicMetrics = opts.Limits, opts.RateLimits, opts.NoRateLimits, opts.CORSOrigins, opts.PublicMetrics
	return o
}

// Command rdv is the rdv service: online appointment booking on a
// practitioner's own CalDAV calendar.
//
// Usage:
//
//	rdv [serve] [-config FILE] [-addr ADDR] [-data DIR] [-metrics-addr ADDR]
//	rdv check   [-config FILE] [-data DIR]
//	rdv adopt   [-config FILE] [-data DIR] [-practitioner ID] [-dry-run]
//	rdv openapi [-config FILE]
//	rdv version [-json]
//
// With no config file rdv runs on embedded defaults: an in-process CalDAV
// server (served at /dav/), a demo practitioner, SQLite in the data directory
// and emails written as .eml files under DATA/outbox/.
//
// rdv check shows the effective configuration (secrets masked) and what it
// finds (the mail server, step by step; calendars, free slots, calendar sync
// held, booking events unknown to this install); rdv adopt rebuilds ledger
// rows from those unknown events, for a host who lost its store. rdv openapi
// prints the OpenAPI document the configuration serves at /openapi.json;
// rdv version what the binary was built from.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	_ "time/tzdata" // IANA zones even on hosts without /usr/share/zoneinfo
)

func main() {
	// The logger is made from the configuration (log_format, log_level).
	if err := run(context.Background(), os.Args[1:], os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "rdv:", err)
		os.Exit(1)
	}
}

// options are the command-line flags, each with an environment twin.
type options struct {
	command string
	config  string
	addr    string
	data    string
	metrics string
	// adopt only.
	practitioner string
	dryRun       bool
	// version only.
	json bool
}

// commands are the subcommands; the first is the default.
var commands = []string{"serve", "check", "adopt", "openapi", "version", "desk-password"}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	o := options{command: "serve"}
	if len(args) > 0 && slices.Contains(commands, args[0]) {
		o.command, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("rdv "+o.command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if o.command == "desk-password" {
		if err := fs.Parse(args); err != nil {
			return o, err
		}
		if fs.NArg() > 0 {
			return o, fmt.Errorf("unexpected argument %q: the password is read from the standard input", fs.Arg(0))
		}
		return o, nil
	}
	if o.command == "version" {
		fs.BoolVar(&o.json, "json", false, "print the build information as JSON")
		if err := fs.Parse(args); err != nil {
			return o, err
		}
		if fs.NArg() > 0 {
			return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
		}
		return o, nil
	}
	fs.StringVar(&o.config, "config", os.Getenv("RDV_CONFIG"), "configuration file (TOML); env RDV_CONFIG")
	fs.StringVar(&o.addr, "addr", os.Getenv("RDV_ADDR"), "listen address (default 127.0.0.1:8080); env RDV_ADDR")
	fs.StringVar(&o.metrics, "metrics-addr", os.Getenv("RDV_METRICS_ADDR"), "serve /metrics on this address too, e.g. 127.0.0.1:9090 (default: none); env RDV_METRICS_ADDR")
	fs.StringVar(&o.data, "data", os.Getenv("RDV_DATA_DIR"), "data directory (default ./rdv-data); env RDV_DATA_DIR")
	if o.command == "adopt" {
		fs.StringVar(&o.practitioner, "practitioner", "", "adopt the events of this practitioner only (default: every practitioner)")
		fs.BoolVar(&o.dryRun, "dry-run", false, "show what adopting would rebuild, and record nothing")
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return o, nil
}

// run runs the command of args. A nil logger is the one of the
// configuration, on the standard error.
func run(ctx context.Context, args []string, stdout io.Writer, logger *slog.Logger) error {
	o, err := parseOptions(args, os.Stderr)
	if err != nil {
		return err
	}
	if o.command == "version" {
		return printVersion(stdout, o.json)
	}
	if o.command == "desk-password" {
		return deskPassword(os.Stdin, stdout)
	}
	cfg := &Config{}
	if o.config != "" {
		if cfg, err = LoadConfig(o.config); err != nil {
			return err
		}
	}
	if o.addr != "" {
		cfg.Addr = o.addr
	}
	if o.data != "" {
		cfg.DataDir = o.data
	}
	if o.metrics != "" {
		cfg.MetricsAddr = o.metrics
	}
	if v := os.Getenv("RDV_STORE"); v != "" {
		cfg.Store = v
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "./rdv-data"
	}
	if err := cfg.check(); err != nil {
		return err
	}
	if logger == nil {
		logger = cfg.newLogger(os.Stderr)
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch o.command {
	case "check":
		return check(ctx, cfg, stdout, logger)
	case "adopt":
		return adopt(ctx, cfg, o.practitioner, o.dryRun, stdout, logger)
	case "openapi":
		return openAPI(cfg, stdout)
	default:
		ln, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, ln, stdout, logger)
	}
}

// metricsMux serves the metrics at /metrics, and nothing else.
func metricsMux(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	return mux
}

// serve runs the service on ln until ctx is done, then shuts down gracefully.
func serve(ctx context.Context, cfg *Config, ln net.Listener, stdout io.Writer, logger *slog.Logger) error {
	base := "http://" + ln.Addr().String()
	if cfg.BaseURL == "" {
		cfg.BaseURL = base
	}
	app, err := build(ctx, cfg, logger)
	if err != nil {
		ln.Close()
		return err
	}
	// Make ledger and calendars agree before taking requests; the periodic
	// jobs then run until shutdown (Close stops them before closing the
	// store).
	defer app.Close()
	go app.Run(context.Background())
	select {
	case <-app.Reconciled():
	case <-ctx.Done():
		ln.Close()
		return nil
	}

	srv := &http.Server{
		Handler:           app.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	var msrv *http.Server
	metricsURL := ""
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			srv.Close()
			return fmt.Errorf("metrics_addr: %w", err)
		}
		msrv = &http.Server{Handler: metricsMux(app.MetricsHandler()), ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- msrv.Serve(mln) }()
		metricsURL = "http://" + mln.Addr().String() + "/metrics"
	}

	fmt.Fprintf(stdout, "rdv is running\n  booking page:  %s/\n  API docs:      %s/docs\n  OpenAPI:       %s/openapi.json\n", base, base, base)
	if dav, user, pwFile := app.EmbeddedDAV(); dav != "" {
		fmt.Fprintf(stdout, "  CalDAV:        %s%s (user %s, password in %s)\n", base, dav, user, pwFile)
	}
	if dir := app.Outbox(); dir != "" {
		fmt.Fprintf(stdout, "  emails:        written to %s\n", dir)
	}
	if cfg.AdminToken != "" || cfg.AdminTokenFile != "" {
		fmt.Fprintf(stdout, "  admin API:     %s/v1/admin/ (bearer token of admin_token_file)\n", base)
		fmt.Fprintf(stdout, "  desk:          %s/desk/ (the practice's pages: log in with the admin token)\n", base)
	}
	if metricsURL != "" {
		fmt.Fprintf(stdout, "  metrics:       %s\n", metricsURL)
	}
	logger.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if msrv != nil {
		msrv.Shutdown(sctx)
	}
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

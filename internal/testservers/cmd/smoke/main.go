// Command smoke checks in a few seconds that the real servers of rdv's
// integration tests work on this machine: Radicale and sabre/dav store an
// event with a VTIMEZONE, PostgreSQL answers SELECT 1, headless Chromium lays
// out a page, ical.js expands an event. It starts them with the tests' own
// code (internal/testservers), and names the Debian packages to install when
// one fails. ./scripts/test runs it before the tests.
//
//	go run ./internal/testservers/cmd/smoke [radicale|sabredav|postgresql|chromium|icaljs ...]
//
// Run it from within the repository. It exits 1 if a check fails.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/rdvlibre/rdv/internal/testservers"
)

func main() {
	repo, err := repoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "smoke:", err)
		os.Exit(2)
	}
	// The servers run in process groups of their own, out of reach of ^C:
	// let the checks end and stop them (a few seconds) before exiting.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	err = testservers.Smoke(os.Stdout, repo, os.Args[1:]...)
	select {
	case sig := <-signals:
		fmt.Fprintln(os.Stderr, "smoke:", sig)
		os.Exit(1)
	default:
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "smoke:", err)
		os.Exit(1)
	}
}

// repoRoot returns the nearest directory holding go.mod, from the working
// directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod in the working directory or above it")
		}
		dir = parent
	}
}

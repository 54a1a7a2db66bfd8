//go:build rdvfault && unix

// This file is compiled only with -tags rdvfault, into the binary of the
// crash tests (crash_test.go). Never ship that binary.

package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/rdvlibre/rdv/booking"
)

// faultSteps are the steps at which RDV_FAULT may stop the process: the
// names booking.ServiceConfig.CrashTestHook is called with.
var faultSteps = booking.Steps()

// With RDV_FAULT=STEP, the process sends itself SIGKILL the first time the
// booking service reaches STEP: no deferred call, no flush, no graceful
// shutdown, as with kill -9, the OOM killer or a power cut (but for the
// files written, which the kernel keeps). An unknown step is an error, so
// that a typo does not silently test nothing.
func init() {
	want := os.Getenv("RDV_FAULT")
	if want == "" {
		return
	}
	if !slices.Contains(faultSteps, want) {
		fmt.Fprintf(os.Stderr, "rdv: RDV_FAULT=%q: want one of %s\n", want, strings.Join(faultSteps, ", "))
		os.Exit(2)
	}
	fmt.Fprintf(os.Stderr, "rdv: RDV_FAULT: the process kills itself at %s\n", want)
	stepHook = func(step string) {
		if step != want {
			return
		}
		fmt.Fprintf(os.Stderr, "rdv: RDV_FAULT: SIGKILL at %s\n", step)
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // SIGKILL can't be caught: this goroutine goes no further
	}
}

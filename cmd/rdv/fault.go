package main

// stepHook is the booking service's CrashTestHook (booking.ServiceConfig): nil in
// the normal build. The crash tests build rdv with -tags rdvfault, whose
// fault_rdvfault.go sets it to kill the process at the step named by the
// environment variable RDV_FAULT, one of booking.Steps().
var stepHook func(step string)

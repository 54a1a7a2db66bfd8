// Package bookingtest holds the test doubles of booking's ports, shared by
// the tests of booking and of the packages built on it: an in-memory
// Calendar, an in-memory Store, a recording Notifier and a settable Clock.
// Each keeps its state in memory, follows the contract booking/ports.go
// states for its port, and can be made to fail on demand (see Faults).
//
// It imports booking only. It is not for production use.
package bookingtest

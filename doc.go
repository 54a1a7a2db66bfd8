// Package rdv is the rdv application as a library: New wires the booking
// service to its store, calendars and mailer, Handler serves its HTTP API
// and pages, and Run runs its background jobs. A Go program embeds rdv with
// it; the rdv binary (cmd/rdv) is one such program.
//
// examples/embed shows a host mounting rdv under /rdv/ on its own mux;
// README.md (Embedding, and the configuration of the binary) says more.
package rdv

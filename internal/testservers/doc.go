// Package testservers starts real servers for rdv's integration tests:
// Radicale (a CalDAV server from Debian's radicale package) on a free loopback
// port with a throw-away storage. Each server is stopped when its test ends.
//
// When a server's program is missing the test is skipped, unless the
// environment variable RDV_REQUIRE_SERVERS=1 (set by ./scripts/test and CI),
// in which case it fails: a real-server test is never skipped in CI.
package testservers

// Package testservers starts real servers for rdv's integration tests, each
// on a free loopback port with throw-away storage, stopped when its test
// ends: Radicale and sabre/dav (CalDAV), PostgreSQL. Smoke checks, outside
// go test and with the same start code, that these servers, headless
// Chromium and ical.js work on this machine (cmd/smoke, run by
// ./scripts/test first).
//
// The Debian packages each one needs are listed in debian-packages.txt,
// which ./scripts/test installs. When a server's program is missing the test
// is skipped, unless the environment variable RDV_REQUIRE_SERVERS=1 (set by
// ./scripts/test and CI), in which case it fails: a real-server test is never
// skipped in CI. Either way the message names the packages to install.
package testservers

// Package davserver is the embedded CalDAV server (RFC 4791) of rdv's demo
// and tests: go-webdav's handler over files on disk (FileBackend, one .ics
// file per object), with an in-memory index, a CTag (getctag) and a
// sync-token per calendar, and the sync-collection REPORT (RFC 6578).
// InProcessTransport reaches it without a socket.
//
// It serves one user, without authentication, and is meant for small setups
// and tests; see docs/caldav.md.
package davserver

// Package api is the HTTP face of rdv: a JSON API for front ends and hosts,
// its OpenAPI document, and the web pages on which patients book.
//
// A Server serves:
//
//   - the JSON API under /v1/ (practitioners, free slots, bookings opened by
//     their manage token), built with huma v2 on a standard http.ServeMux;
//     its OpenAPI 3.1 document at /openapi.json and its docs at /docs (the
//     docs page loads its viewer from a CDN; nothing else does);
//   - the admin API under /v1/admin/, the practitioner's side: the bookings
//     of a range with the patients' contact, cancelling a booking whatever
//     its cut-off (the patient is told), and closed days added, listed and
//     removed at runtime. It needs Config.AdminToken as a bearer token
//     (RFC 6750; compared in constant time; 401 with a WWW-Authenticate
//     challenge otherwise) and answers 404 when no token is configured. Its
//     answers carry patient data, so all of them, errors included, are sent
//     with Cache-Control: no-store; the OpenAPI document declares the bearer
//     security scheme on each admin operation;
//   - /healthz (liveness) and /readyz (readiness);
//   - the patient pages, in French, server-rendered from embedded templates
//     with no JavaScript and nothing loaded from another site: / lists free
//     slots, /book takes one, /manage/{token} shows, confirms or cancels a
//     booking.
//
// Errors of the API are RFC 9457 problem details (application/problem+json).
// Each error of the booking service is mapped to a status in one table
// (invalid 422, not_found 404, conflict 409, unavailable 503, internal 500);
// the detail is the service's message, meant for the client, and an
// unexpected error is logged and shown as "internal error" only, so that no
// calendar URL or other internal detail leaks. Times are RFC 3339 instants
// written with the offset of the time zone asked for.
//
// Logs name the method, the route pattern (such as /v1/bookings/{token}: the
// token itself is a secret), the status and the duration, and never a
// patient's name, email or phone, nor the admin token.
//
// The pages accept a POST only from the site itself: a request whose
// Sec-Fetch-Site header is "cross-site", or whose Origin names another host,
// is refused. They are sent with a Content-Security-Policy that allows only
// the site's own style sheet and forms, and with Referrer-Policy no-referrer,
// since manage URLs carry tokens.
package api

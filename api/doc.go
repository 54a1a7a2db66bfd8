// Package api is the HTTP face of rdv: the JSON API under /v1/ (huma v2,
// OpenAPI 3.1 at /openapi.json), the admin API under /v1/admin/ behind a
// bearer token, health, readiness and metrics, and the patient pages. Errors
// are RFC 9457 problem details, mapped from the booking service's error
// codes in one table (errors.go); logs never carry patient data.
//
// What each part serves, and its security properties: docs/api.md.
package api

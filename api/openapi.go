package api

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

const apiDescription = `Online appointment booking from a practitioner's own calendar.

Errors are RFC 9457 problem details (application/problem+json). Times are
RFC 3339 instants written with the offset of the time zone asked for.
Responses are objects, never bare arrays, so that fields can be added.

The operations under /v1/admin/ are the practitioner's: they need the admin
token of the configuration as a bearer token, answer with the patients'
contact, and are never cached (Cache-Control: no-store). Without an admin
token configured they answer 404.`

// humaConfig returns the huma configuration of the API: JSON only, errors
// sanitised, no $schema links in responses, OpenAPI at /openapi.json, and
// no docs page of huma's (the server renders its own at /docs, docs.go).
// The document names BaseURL as its one server, and says of every
// operation who may call it (see declarePublic).
func (s *Server) humaConfig(version string) huma.Config {
	cfg := huma.DefaultConfig("rdv", version)
	cfg.Info.Description = apiDescription
	// Drop the hook that adds "$schema" to every response body: bodies are
	// exactly the documented objects.
	cfg.CreateHooks = nil
	cfg.SchemasPath = ""
	cfg.DocsPath = ""
	cfg.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", schemaName)
	cfg.Formats = map[string]huma.Format{
		"application/json": jsonFormat,
		"json":             jsonFormat, // application/*+json
	}
	cfg.Transformers = []huma.Transformer{sanitizeProblem}
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{adminScheme: adminSecurityScheme}
	// The server is where this instance is reachable; with a path, huma
	// also prefixes the links of /docs with it.
	cfg.Servers = []*huma.Server{{URL: s.baseURL, Description: "This rdv instance (its base_url)."}}
	cfg.OnAddOperation = append(cfg.OnAddOperation, declarePublic)
	return cfg
}

// publicSecurity is the security requirement of an operation anyone may
// call: none. It is an empty list, not nil, so that the document says
// "security": [] rather than nothing.
var publicSecurity = []map[string][]string{}

// declarePublic gives the operations that declare no security requirement
// an empty one, which says that they need no credentials. An operation needs
// the admin token only when registered by registerAdmin's op, which sets
// both its requirement and the middleware that enforces it; so the document
// says of each operation what the server does.
func declarePublic(_ *huma.OpenAPI, op *huma.Operation) {
	if op.Security == nil {
		op.Security = publicSecurity
	}
}

// schemaName names the schemas of the OpenAPI document after the Go types of
// this package, without their "JSON" suffix: bookingJSON is "Booking".
func schemaName(t reflect.Type, hint string) string {
	return strings.TrimSuffix(huma.DefaultSchemaNamer(t, hint), "JSON")
}

type statusJSON struct {
	Status string `json:"status" example:"ok" doc:"Always \"ok\"."`
}

type statusOutput struct {
	Body statusJSON
}

// readyJSON is the answer of /readyz. It is public: counts, never patient
// data.
type readyJSON struct {
	Status string `json:"status" example:"ok" doc:"Always \"ok\"."`
	// UnknownBookingEvents: see booking.Service.UnknownEvents.
	UnknownBookingEvents map[string]int `json:"unknown_booking_events,omitempty" example:"{\"demo\":2}" doc:"Per practitioner id, how many booking events of its bookings calendar this install has no record of (another install's, or this install's before its store was lost), as the last calendar pass of this process found them; left out when there are none. They don't make the service unready: rdv leaves them as they are and they stay busy time. The admin API lists them (unknown-events) and can adopt them."`
}

type readyOutput struct {
	Body readyJSON
}

func (s *Server) registerHealth() {
	huma.Register(s.api, huma.Operation{
		OperationID: "healthz",
		Method:      http.MethodGet,
		Path:        "/healthz",
		Summary:     "Liveness",
		Description: "Answers 200 as long as the process serves requests.",
		Tags:        []string{"health"},
	}, func(context.Context, *struct{}) (*statusOutput, error) {
		return &statusOutput{Body: statusJSON{Status: "ok"}}, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "readyz",
		Method:      http.MethodGet,
		Path:        "/readyz",
		Summary:     "Readiness",
		Description: "Answers 200 when the service can take bookings, 503 otherwise. The 200 answer also counts the booking events unknown to this install, per practitioner.",
		Tags:        []string{"health"},
		Errors:      []int{http.StatusServiceUnavailable},
	}, func(ctx context.Context, _ *struct{}) (*readyOutput, error) {
		if s.ready != nil {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := s.ready(ctx); err != nil {
				// Not a service error: readiness is 503 whatever the cause,
				// which is logged and never shown.
				s.log.WarnContext(ctx, "api: not ready", "err", err)
				return nil, huma.Error503ServiceUnavailable("not ready")
			}
		}
		return &readyOutput{Body: readyJSON{Status: "ok", UnknownBookingEvents: s.unknownCounts()}}, nil
	})
}

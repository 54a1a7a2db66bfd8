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
// sanitised, no $schema links in responses, OpenAPI at /openapi.json and
// docs at /docs.
func (s *Server) humaConfig(version string) huma.Config {
	cfg := huma.DefaultConfig("rdv", version)
	cfg.Info.Description = apiDescription
	// Drop the hook that adds "$schema" to every response body: bodies are
	// exactly the documented objects.
	cfg.CreateHooks = nil
	cfg.SchemasPath = ""
	cfg.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", schemaName)
	cfg.Formats = map[string]huma.Format{
		"application/json": jsonFormat,
		"json":             jsonFormat, // application/*+json
	}
	cfg.Transformers = []huma.Transformer{sanitizeProblem}
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{adminScheme: adminSecurityScheme}
	if s.basePath != "" {
		cfg.Servers = []*huma.Server{{URL: s.baseURL}}
	}
	return cfg
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
		Description: "Answers 200 when the service can take bookings, 503 otherwise.",
		Tags:        []string{"health"},
		Errors:      []int{http.StatusServiceUnavailable},
	}, func(ctx context.Context, _ *struct{}) (*statusOutput, error) {
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
		return &statusOutput{Body: statusJSON{Status: "ok"}}, nil
	})
}

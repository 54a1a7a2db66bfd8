package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/requestid"
)

// statusByCode is the one table from booking error codes to HTTP statuses.
var statusByCode = map[string]int{
	booking.EInvalid:     http.StatusUnprocessableEntity,
	booking.ENotFound:    http.StatusNotFound,
	booking.EConflict:    http.StatusConflict,
	booking.EUnavailable: http.StatusServiceUnavailable,
	booking.EInternal:    http.StatusInternalServerError,
	booking.ELimit:       http.StatusTooManyRequests,
}

// internalError is all a client learns of an unexpected error.
const internalError = "internal error"

// problem returns the HTTP status for err and the message that may be shown
// to the client. Every error of the service goes through it, for the API and
// the pages alike. An error that is not an *booking.Error, or has an unknown
// code, is logged and shown as "internal error" only; an unavailable
// dependency is logged too, with its cause. Error texts never carry patient
// data (booking keeps it out of them), so they may be logged.
func (s *Server) problem(ctx context.Context, err error) (int, string) {
	status, ok := statusByCode[booking.ErrorCode(err)]
	if !ok || status == http.StatusInternalServerError {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			s.log.InfoContext(ctx, "api: request cancelled", "err", err)
		} else {
			s.log.ErrorContext(ctx, "api: internal error", "err", err)
		}
		return http.StatusInternalServerError, internalError
	}
	if status == http.StatusServiceUnavailable {
		s.log.WarnContext(ctx, "api: dependency unavailable", "err", err)
	}
	return status, booking.ErrorMessage(err)
}

// apiError turns an error of the service into the problem+json error that an
// operation returns.
func (s *Server) apiError(ctx context.Context, err error) error {
	status, msg := s.problem(ctx, err)
	if status != http.StatusTooManyRequests {
		return huma.NewError(status, msg)
	}
	limit, wait := booking.ErrorLimit(err)
	p := &limitProblem{ErrorModel: huma.ErrorModel{Title: http.StatusText(status), Status: status, Detail: msg}, Limit: limit}
	if wait > 0 {
		return huma.ErrorWithHeaders(p, http.Header{"Retry-After": {retryAfter(wait)}})
	}
	return p
}

// limitProblem is the problem+json of a 429: besides the detail, meant for
// people, the limit that was reached, for clients that word their own
// message: one of the booking.Limit* names ("rate" for the per-client rate
// limits).
type limitProblem struct {
	huma.ErrorModel
	Limit     string `json:"limit,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// problemDoc is a problem document with the id of the request, to quote
// to the host: it finds the request's log lines by it.
type problemDoc struct {
	*huma.ErrorModel
	RequestID string `json:"request_id,omitempty"`
}

// declareRequestID adds request_id to the schema of the problem documents
// in doc, which allows no other member.
func declareRequestID(doc *huma.OpenAPI) {
	sch := doc.Components.Schemas.Map()["ErrorModel"]
	if sch == nil {
		return
	}
	if sch.Properties == nil {
		sch.Properties = map[string]*huma.Schema{}
	}
	sch.Properties["request_id"] = &huma.Schema{
		Type:        "string",
		Description: "The id of the request, also in the X-Request-Id response header: the host finds the request's log lines by it.",
		Examples:    []any{"AF2SAXJTPBXXKX3HBSMA5CIDMU"},
	}
}

// writeLimitProblem writes the 429 problem+json of the limit limit.
func writeLimitProblem(w http.ResponseWriter, limit, detail string) {
	id := w.Header().Get("X-Request-Id")
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusTooManyRequests)
	_ = json.NewEncoder(w).Encode(&limitProblem{
		ErrorModel: huma.ErrorModel{Title: http.StatusText(http.StatusTooManyRequests), Status: http.StatusTooManyRequests, Detail: detail},
		Limit:      limit,
		RequestID:  id,
	})
}

// sanitizeProblem is a huma transformer for the errors huma produces itself
// (bad JSON, schema violations, body too large, wrong content type): it
// gives them a useful detail, drops the echoed values (which may be patient
// data) and makes sure no 500 carries the text of an unexpected error. It
// adds the request's id to every problem document.
func sanitizeProblem(ctx huma.Context, _ string, v any) (any, error) {
	id := ""
	if ctx != nil {
		id = requestid.FromContext(ctx.Context())
	}
	if lp, ok := v.(*limitProblem); ok {
		lp.RequestID = id
		return lp, nil
	}
	em, ok := v.(*huma.ErrorModel)
	if !ok {
		return v, nil
	}
	return withRequestID(cleanProblem(em), id), nil
}

// withRequestID returns em with the request id id, em itself if id is "".
func withRequestID(em *huma.ErrorModel, id string) any {
	if id == "" {
		return em
	}
	return &problemDoc{ErrorModel: em, RequestID: id}
}

// cleanProblem is sanitizeProblem for an ErrorModel.
func cleanProblem(em *huma.ErrorModel) *huma.ErrorModel {
	for _, d := range em.Errors {
		if d != nil {
			d.Value = nil
		}
	}
	switch {
	case em.Status == http.StatusInternalServerError:
		em.Detail, em.Errors = internalError, nil
	case em.Status == http.StatusUnsupportedMediaType:
		em.Detail = "the request body must be JSON (Content-Type: application/json)"
	case em.Detail == "validation failed" && len(em.Errors) > 0:
		parts := make([]string, 0, len(em.Errors))
		for _, d := range em.Errors {
			if d == nil {
				continue
			}
			if d.Location != "" && d.Location != "body" {
				parts = append(parts, d.Location+": "+d.Message)
			} else {
				parts = append(parts, d.Message)
			}
		}
		em.Detail = "invalid request: " + strings.Join(parts, "; ")
	}
	return em
}

// jsonFormat is huma's JSON format with clearer messages for bodies that are
// not JSON, and which refuses a body that is not valid UTF-8 (huma answers
// 400).
var jsonFormat = huma.Format{
	Marshal: huma.DefaultJSONFormat.Marshal,
	Unmarshal: func(data []byte, v any) error {
		if !utf8.Valid(data) {
			// encoding/json would make U+FFFD of the bytes that are not
			// text, and book a name nobody typed.
			return errors.New("the body is not valid UTF-8 text")
		}
		err := json.Unmarshal(data, v)
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &syn):
			return fmt.Errorf("the body is not valid JSON: %s (at byte %d)", syn, syn.Offset)
		case errors.As(err, &typ):
			return fmt.Errorf("the body does not match the schema: %s", typ.Field)
		}
		return fmt.Errorf("the body is not valid JSON: %w", err)
	},
}

// writeProblem writes an RFC 9457 problem document outside huma (unknown
// routes, panics). An empty detail is the status text.
func writeProblem(w http.ResponseWriter, status int, detail string) {
	if detail == "" {
		detail = strings.ToLower(http.StatusText(status))
		if status == http.StatusInternalServerError {
			detail = internalError
		}
	}
	id := w.Header().Get("X-Request-Id")
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(withRequestID(&huma.ErrorModel{
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
	}, id))
}

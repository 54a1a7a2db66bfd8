package main

import (
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/rdvlibre/rdv/api"
	"github.com/rdvlibre/rdv/booking"
)

// openAPI writes the OpenAPI 3.1 document (JSON) that rdv serves at
// /openapi.json with the configuration cfg: its server is base_url (or the
// listen address), and GET /v1/challenge is in it when the challenge is on.
// It needs neither the store nor the calendars, and reaches no network.
func openAPI(cfg *Config, stdout io.Writer) error {
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + cfg.Addr
	}
	// A service with no store: the document is built when the handler is,
	// and GET /openapi.json does not touch the service.
	svc, err := booking.NewService(booking.ServiceConfig{})
	if err != nil {
		return err
	}
	// The key signs challenges, none of which is made here; any key will do.
	key := make([]byte, 32)
	rand.Read(key)
	srv, err := api.New(api.Config{
		Service: svc,
		BaseURL: cfg.BaseURL,
		Logger:  slog.New(slog.DiscardHandler),
		Challenge: api.ChallengeConfig{
			Enabled: cfg.Challenge.Enabled, Key: key,
			MaxNumber: cfg.Challenge.MaxNumber, Expires: cfg.Challenge.Expires.Duration,
		},
	})
	if err != nil {
		return err
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if w.Code != http.StatusOK {
		return fmt.Errorf("openapi: the handler answered %d", w.Code)
	}
	_, err = stdout.Write(w.Body.Bytes())
	return err
}

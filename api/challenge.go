package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rdvlibre/rdv/internal/pow"
)

// ChallengeConfig turns on a proof of work (ALTCHA's protocol, package
// internal/pow) before a booking: GET /v1/challenge gives a challenge,
// POST /v1/bookings needs its solution in the X-Altcha header, and the
// booking form solves it with a small script of the site. Off by default.
type ChallengeConfig struct {
	Enabled bool
	// Key signs the challenges (HMAC-SHA256): at least 32 bytes, the same
	// on every replica. Required when Enabled.
	Key []byte
	// MaxNumber is the difficulty: the client tries up to MaxNumber+1
	// hashes, half as many on average. Default pow.DefaultMaxNumber (50 000).
	MaxNumber int
	// Expires is how long a challenge may be solved and used; default 5
	// minutes, at least 1 minute.
	Expires time.Duration
}

// AltchaHeader carries the solved challenge of a POST /v1/bookings.
const AltchaHeader = "X-Altcha"

// challengeCSP is added to the Content-Security-Policy of the booking form
// when the challenge is on: its script and the request it makes, to the
// site itself only.
const challengeCSP = "; script-src 'self'; connect-src 'self'"

type challengeJSON struct {
	Algorithm string `json:"algorithm" enum:"SHA-256" doc:"Hash function: always SHA-256."`
	Challenge string `json:"challenge" example:"5d0f4c5e…" doc:"Hex SHA-256 of salt followed by the secret number in decimal: find the number."`
	MaxNumber int    `json:"maxnumber" example:"50000" doc:"The secret number lies in [0, maxnumber]."`
	Salt      string `json:"salt" example:"9b2c41d0e7a35f6b8c1d2e3f?expires=1796976300&" doc:"Random hex, then ?expires=<Unix time>&: hash it as is, followed by the number."`
	Signature string `json:"signature" doc:"HMAC of the challenge by the server: send it back as is."`
}

type challengeOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         challengeJSON
}

// newVerifier returns the verifier of cfg, nil when the challenge is off.
func newVerifier(cfg ChallengeConfig, now func() time.Time) (*pow.Verifier, error) {
	if !cfg.Enabled {
		return nil, nil
	}
	v, err := pow.New(pow.Config{Key: cfg.Key, MaxNumber: cfg.MaxNumber, Expires: cfg.Expires, Now: now})
	if err != nil {
		return nil, errors.New("api: Config.Challenge: " + err.Error())
	}
	return v, nil
}

// registerChallenge adds GET /v1/challenge, when the challenge is on (the
// form's script, static/challenge.js, is served only then: see
// serveStatic).
func (s *Server) registerChallenge() {
	if s.pow == nil {
		return
	}
	huma.Register(s.api, huma.Operation{
		OperationID: "getChallenge",
		Method:      http.MethodGet,
		Path:        "/v1/challenge",
		Summary:     "Get a proof-of-work challenge",
		Description: "A challenge in ALTCHA's protocol, to solve before POST /v1/bookings: find the number n in [0, maxnumber] " +
			"such that the hex SHA-256 of salt followed by n in decimal equals challenge, then send base64 of the JSON " +
			`{"algorithm","challenge","number","salt","signature"} in the X-Altcha header. A challenge serves once and expires ` +
			"(the expires parameter of its salt, Unix time). This operation exists only when the server asks for a proof of work. " +
			"429 when this address asked for too many (the lookup rate limit).",
		Tags:   []string{"bookings"},
		Errors: []int{http.StatusTooManyRequests},
	}, func(context.Context, *struct{}) (*challengeOutput, error) {
		c := s.pow.NewChallenge()
		return &challengeOutput{CacheControl: "no-store", Body: challengeJSON(c)}, nil
	})
}

// checkChallenge verifies the solution a client sent, if the challenge is
// on, and counts a refusal. It returns the reason of a refusal ("missing",
// "invalid", …; "" when accepted) and a message for the client.
func (s *Server) checkChallenge(payload string) (reason, msg string) {
	if s.pow == nil {
		return "", ""
	}
	err := s.pow.Verify(payload)
	if err == nil {
		return "", ""
	}
	reason, msg = "invalid", "the proof of work does not solve a challenge of this server; get one from GET /v1/challenge"
	switch {
	case errors.Is(err, pow.ErrMissing):
		reason, msg = "missing", "a proof of work is required: solve GET /v1/challenge and send the solution in the X-Altcha header"
	case errors.Is(err, pow.ErrMalformed):
		reason, msg = "malformed", "the X-Altcha header is not base64 of the JSON of a solved challenge (algorithm, challenge, number, salt, signature)"
	case errors.Is(err, pow.ErrExpired):
		reason, msg = "expired", "the challenge has expired; get a new one from GET /v1/challenge"
	case errors.Is(err, pow.ErrReplayed):
		reason, msg = "replayed", "this proof of work was already used; solve a new challenge for each booking"
	case errors.Is(err, pow.ErrBusy):
		reason, msg = "busy", "too many bookings at once; retry in a few minutes"
	}
	s.metrics.refused("challenge", reason)
	return reason, msg
}

// challengeError is the problem of a refused proof of work: 503 when too
// many are in use, 422 otherwise.
func challengeError(reason, msg string) error {
	if reason == "busy" {
		return huma.NewError(http.StatusServiceUnavailable, msg)
	}
	return huma.NewError(http.StatusUnprocessableEntity, msg)
}

// challengeURL is the path of GET /v1/challenge for the booking form, ""
// when the challenge is off.
func (s *Server) challengeURL() string {
	if s.pow == nil {
		return ""
	}
	return s.basePath + "/v1/challenge"
}

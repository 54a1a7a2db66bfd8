package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// adminScheme is the name of the admin API's security scheme in the
// OpenAPI document.
const adminScheme = "adminToken"

// adminSecurity is the security requirement of every admin operation.
var adminSecurity = []map[string][]string{{adminScheme: {}}}

// adminSecurityScheme documents the bearer token of the admin API.
var adminSecurityScheme = &huma.SecurityScheme{
	Type:   "http",
	Scheme: "bearer",
	Description: "The admin token of the configuration (admin_token_file), sent as " +
		"`Authorization: Bearer TOKEN`. Without a token configured the admin API is disabled (404).",
}

// MinAdminTokenLen is the shortest Config.AdminToken accepted.
const MinAdminTokenLen = 32

// adminAuth is the middleware of the admin operations. Their answers carry
// the patients' contact, so every one of them, errors included, is sent
// with Cache-Control: no-store. With no admin token configured the admin
// API is disabled and answers 404; a request without the token, or with
// another one, gets 401 with a WWW-Authenticate: Bearer challenge (RFC
// 6750). Tokens are compared in constant time, on their SHA-256, so that
// neither their content nor their length shows in the time of the answer.
func (s *Server) adminAuth(ctx huma.Context, next func(huma.Context)) {
	ctx.SetHeader("Cache-Control", "no-store")
	if s.adminTokenHash == nil {
		_ = huma.WriteErr(s.api, ctx, http.StatusNotFound, "the admin API is disabled: no admin token is configured")
		return
	}
	token, ok := bearerToken(ctx.Header("Authorization"))
	if !ok {
		ctx.SetHeader("WWW-Authenticate", `Bearer realm="rdv admin"`)
		_ = huma.WriteErr(s.api, ctx, http.StatusUnauthorized, "the admin API needs the admin token: Authorization: Bearer TOKEN")
		return
	}
	sum := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(sum[:], s.adminTokenHash) != 1 {
		s.authLog.warn(ctx.Context(), s.log, time.Now(), "api: admin token refused", "route", ctx.Operation().Path)
		ctx.SetHeader("WWW-Authenticate", `Bearer realm="rdv admin", error="invalid_token"`)
		_ = huma.WriteErr(s.api, ctx, http.StatusUnauthorized, "the admin token is not valid")
		return
	}
	next(ctx)
}

// bearerToken returns the token of an Authorization header of the Bearer
// scheme (RFC 6750 section 2.1; the scheme's name is case-insensitive).
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

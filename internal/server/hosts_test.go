package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"
)

// TestHostAndContentType sends what a web page can send to a daemon on
// loopback: a request through a rebound DNS name, and a simple cross-site
// POST (a form or text/plain body), with and without a token.
func TestHostAndContentType(t *testing.T) {
	body := `{"principal": "` + seedPrincipal + `", "action": "ec2:RunInstances"}`
	tests := []struct {
		name       string
		noAuth     bool
		method     string
		path       string
		host       string
		ctype      string
		wantStatus int
		wantCode   string
	}{
		{name: "loopback ip", noAuth: true, path: "/v1/diagnose", host: "127.0.0.1:8080", ctype: "application/json", wantStatus: 200},
		{name: "loopback ipv6", noAuth: true, path: "/v1/diagnose", host: "[::1]:8080", ctype: "application/json", wantStatus: 200},
		{name: "localhost", noAuth: true, path: "/v1/diagnose", host: "localhost:8080", ctype: "application/json", wantStatus: 200},
		{name: "localhost upper case, trailing dot", noAuth: true, path: "/v1/diagnose", host: "LOCALHOST.:8080", ctype: "application/json", wantStatus: 200},
		{name: "json with charset", noAuth: true, path: "/v1/diagnose", host: "127.0.0.1:8080", ctype: "application/json; charset=utf-8", wantStatus: 200},
		{name: "allowed name", noAuth: true, path: "/v1/diagnose", host: "iamdiag.internal:443", ctype: "application/json", wantStatus: 200},
		{name: "pod ip probe", path: "/healthz", method: "GET", host: "10.1.2.3:8080", wantStatus: 200},
		{name: "rebound name", noAuth: true, path: "/v1/diagnose", host: "attacker.example:8080", ctype: "application/json", wantStatus: 421, wantCode: "host_not_allowed"},
		{name: "rebound name, no port", noAuth: true, path: "/v1/diagnose", host: "attacker.example", ctype: "application/json", wantStatus: 421, wantCode: "host_not_allowed"},
		{name: "rebound name on probes too", noAuth: true, method: "GET", path: "/readyz", host: "attacker.example", wantStatus: 421, wantCode: "host_not_allowed"},
		{name: "rebound name with token", path: "/v1/diagnose", host: "attacker.example", ctype: "application/json", wantStatus: 421, wantCode: "host_not_allowed"},
		{name: "sub-domain of allowed name", noAuth: true, path: "/v1/diagnose", host: "x.iamdiag.internal", ctype: "application/json", wantStatus: 421, wantCode: "host_not_allowed"},
		{name: "simple post text/plain", noAuth: true, path: "/v1/diagnose", host: "127.0.0.1:8080", ctype: "text/plain", wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "simple post form", noAuth: true, path: "/v1/diagnose", host: "127.0.0.1:8080", ctype: "application/x-www-form-urlencoded", wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "no content type", noAuth: true, path: "/v1/diagnose", host: "127.0.0.1:8080", wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "json look-alike", noAuth: true, path: "/v1/diagnose", host: "127.0.0.1:8080", ctype: "application/jsonx", wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "text/plain with token", path: "/v1/diagnose", host: "127.0.0.1:8080", ctype: "text/plain", wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "lint text/plain", noAuth: true, path: "/v1/lint", host: "127.0.0.1:8080", ctype: "text/plain", wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "audit run simple post without token", noAuth: true, path: "/v1/audit/run", host: "127.0.0.1:8080", ctype: "text/plain", wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "audit run without body, with token", path: "/v1/audit/run", host: "127.0.0.1:8080", wantStatus: 404, wantCode: "audit_disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, zapcore.InfoLevel, func(c *Config) {
				c.AllowedHosts = []string{"iamdiag.internal"}
				if tt.noAuth {
					c.NoAuth, c.Token = true, ""
				}
			})
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			r := httptest.NewRequest(method, tt.path, strings.NewReader(body))
			if method == http.MethodGet {
				r = httptest.NewRequest(method, tt.path, nil)
			}
			r.Host = tt.host
			r.RemoteAddr = "127.0.0.1:40000"
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			if !tt.noAuth {
				r.Header.Set("Authorization", "Bearer "+testToken)
			}
			w := httptest.NewRecorder()
			ts.ServeHTTP(w, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d\n%s", w.Code, tt.wantStatus, w.Body)
			}
			if tt.wantCode == "" {
				return
			}
			e := errorOf(t, w)
			if e.Code != tt.wantCode {
				t.Errorf("code %q, want %q", e.Code, tt.wantCode)
			}
			if tt.wantStatus == 421 && !strings.Contains(e.Error, "IAMDIAG_ALLOWED_HOST=") {
				t.Errorf("the 421 message does not say what to configure: %q", e.Error)
			}
			if got := ts.diag.calls.Load(); got != 0 {
				t.Errorf("a refused request reached the source %d times", got)
			}
		})
	}
}

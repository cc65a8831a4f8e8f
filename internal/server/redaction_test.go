package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// lockedBuffer is a zap sink the handler's goroutines may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRedactedErrors asks about a principal the snapshot does not have,
// through the API (redacted and not) and Slack (redacted by default), and
// checks that neither a redacted answer nor the JSON log at the default
// level shows the ARN's role, session (an e-mail address) or account.
func TestRedactedErrors(t *testing.T) {
	const (
		unknown = "arn:aws:sts::210987654321:assumed-role/GhostRole/jane.doe@example.com"
		action  = "ec2:RunInstances"
	)
	leaks := []string{"210987654321", "GhostRole", "jane.doe", "example.com"}
	tests := []struct {
		name string
		// slack sends the question as a slash command.
		slack      bool
		redact     bool
		wantStatus int
	}{
		{name: "api redacted", redact: true, wantStatus: http.StatusNotFound},
		{name: "api not redacted", redact: false, wantStatus: http.StatusNotFound},
		{name: "slack", slack: true, redact: true, wantStatus: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs lockedBuffer
			enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
			ts := newTestServer(t, zapcore.InfoLevel, func(c *Config) {
				c.Log = zap.New(zapcore.NewCore(enc, zapcore.AddSync(&logs), zapcore.InfoLevel))
			})
			var rec *httptest.ResponseRecorder
			if tt.slack {
				b, h := signedSlack(testSecret, map[string]string{"text": unknown + " " + action}, time.Now())
				rec = ts.do(t, "POST", slackPath, "", b, h)
			} else {
				rec = ts.do(t, "POST", "/v1/diagnose", testToken, jsonBody(t, map[string]any{"principal": unknown, "action": action, "redact": tt.redact}), nil)
				if got := errorOf(t, rec).Code; got != "principal_not_found" {
					t.Errorf("code %q, want principal_not_found", got)
				}
			}
			body := rec.Body.String()
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d\n%s", rec.Code, tt.wantStatus, body)
			}
			for _, leak := range leaks {
				if tt.redact && strings.Contains(body, leak) {
					t.Errorf("the redacted answer shows %q:\n%s", leak, body)
				}
				if !tt.redact && !strings.Contains(body, leak) {
					// The unredacted answer names the principal: the
					// check above can fail.
					t.Errorf("the unredacted answer lacks %q:\n%s", leak, body)
				}
				if strings.Contains(logs.String(), leak) {
					t.Errorf("the log shows %q:\n%s", leak, logs.String())
				}
			}
			if !strings.Contains(logs.String(), `"request_id"`) || !strings.Contains(logs.String(), "ROLE-1") {
				t.Errorf("the log lacks the request id or the redacted reason:\n%s", logs.String())
			}
		})
	}
}

package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap/zapcore"
)

// slackSink is a response_url on 127.0.0.1 recording what is posted.
type slackSink struct {
	*httptest.Server
	mu    sync.Mutex
	posts []slackMessage
	got   chan struct{}
}

func newSlackSink(t *testing.T) *slackSink {
	s := &slackSink{got: make(chan struct{}, 10)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m slackMessage
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("posted body is not a Slack message: %v", err)
		}
		s.mu.Lock()
		s.posts = append(s.posts, m)
		s.mu.Unlock()
		s.got <- struct{}{}
	}))
	t.Cleanup(s.Close)
	return s
}

// allowLocal lets the tests post to the sink.
func allowLocal(c *Config) {
	c.SlackResponseURL = func(u *url.URL) error {
		if u.Hostname() != "127.0.0.1" {
			return errors.New("not the test sink")
		}
		return nil
	}
}

func TestSlackSignature(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	form := map[string]string{"text": seedPrincipal + " ec2:RunInstances", "user_id": "U1", "team_id": "T1"}
	tests := []struct {
		name   string
		secret string
		at     time.Time
		edit   func(h map[string]string)
	}{
		{name: "wrong secret", secret: "other", at: now},
		{name: "stale", secret: testSecret, at: now.Add(-5*time.Minute - time.Second)},
		{name: "from the future", secret: testSecret, at: now.Add(5*time.Minute + time.Second)},
		{name: "missing signature", secret: testSecret, at: now, edit: func(h map[string]string) { delete(h, slackSignatureHeader) }},
		{name: "missing timestamp", secret: testSecret, at: now, edit: func(h map[string]string) { delete(h, slackTimestampHeader) }},
		{name: "malformed timestamp", secret: testSecret, at: now, edit: func(h map[string]string) { h[slackTimestampHeader] = "soon" }},
		{name: "timestamp not signed", secret: testSecret, at: now, edit: func(h map[string]string) { h[slackTimestampHeader] = itoa(now.Unix() - 1) }},
		{name: "v1 scheme", secret: testSecret, at: now, edit: func(h map[string]string) { h[slackSignatureHeader] = "v1=" + h[slackSignatureHeader][3:] }},
		{name: "uppercase hex", secret: testSecret, at: now, edit: func(h map[string]string) { h[slackSignatureHeader] = strings.ToUpper(h[slackSignatureHeader]) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newSlackSink(t)
			ts := newTestServer(t, zapcore.InfoLevel, func(c *Config) { c.Now = func() time.Time { return now }; allowLocal(c) })
			f := map[string]string{"response_url": sink.URL + "/commands/x"}
			for k, v := range form {
				f[k] = v
			}
			body, h := signedSlack(tt.secret, f, tt.at)
			if tt.edit != nil {
				tt.edit(h)
			}
			w := ts.do(t, "POST", slackPath, "", body, h)
			if w.Code != http.StatusUnauthorized || errorOf(t, w).Code != "bad_signature" {
				t.Fatalf("got %d %s, want 401 bad_signature", w.Code, w.Body)
			}
			time.Sleep(20 * time.Millisecond)
			if n := ts.diag.calls.Load(); n != 0 {
				t.Errorf("a refused command ran %d diagnoses", n)
			}
			sink.mu.Lock()
			defer sink.mu.Unlock()
			if len(sink.posts) != 0 {
				t.Errorf("a refused command posted %d answers", len(sink.posts))
			}
		})
	}
}

// TestSlackWarm checks that a fast diagnosis is the direct answer, as Block
// Kit, within the budget.
func TestSlackWarm(t *testing.T) {
	ts := newTestServer(t, zapcore.InfoLevel, nil)
	body, h := signedSlack(testSecret, map[string]string{
		"text":         seedPrincipal + " ec2:RunInstances arn:aws:ec2:us-east-1:123456789012:instance/* aws:RequestedRegion=us-east-1",
		"response_url": "https://hooks.slack.com/commands/T1/1/abc",
	}, time.Now())
	start := time.Now()
	w := ts.do(t, "POST", slackPath, "", body, h)
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if d := time.Since(start); d > DefaultSlackBudget {
		t.Errorf("answered in %s, want within the budget", d)
	}
	var m slackMessage
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m.ResponseType != "ephemeral" || m.Text != "DENIED: explicit deny in a service control policy" {
		t.Errorf("answer %q (%s), want the SCP verdict, ephemeral", m.Text, m.ResponseType)
	}
	// Redacted by default: the policy and statement stay, ids go.
	all, _ := json.Marshal(m.Blocks)
	for _, want := range []string{"DenyEC2", "NoEC2", "OU Workloads (ou-OU-1)", "ACCOUNT-1"} {
		if !strings.Contains(string(all), want) {
			t.Errorf("blocks lack %q: %s", want, all)
		}
	}
	for _, leak := range []string{"123456789012", "ou-ab12-workloads", "MyFederatedRole"} {
		if strings.Contains(w.Body.String(), leak) {
			t.Errorf("the redacted answer shows %q", leak)
		}
	}
	if ts.diag.calls.Load() != 1 {
		t.Errorf("%d diagnoses, want 1", ts.diag.calls.Load())
	}

	body, h = signedSlack(testSecret, map[string]string{"text": seedPrincipal + " ec2:RunInstances --no-redact"}, time.Now())
	w = ts.do(t, "POST", slackPath, "", body, h)
	if !strings.Contains(w.Body.String(), "ou-ab12-workloads") || !strings.Contains(w.Body.String(), "MyFederatedRole") {
		t.Errorf("--no-redact answer is redacted: %s", w.Body)
	}
}

// TestSlackDeferred checks that a slow diagnosis is acknowledged at once
// and its verdict posted to response_url.
func TestSlackDeferred(t *testing.T) {
	sink := newSlackSink(t)
	ts := newTestServer(t, zapcore.InfoLevel, func(c *Config) { c.SlackBudget = 50 * time.Millisecond; allowLocal(c) })
	ts.diag.delay = 300 * time.Millisecond
	body, h := signedSlack(testSecret, map[string]string{"text": seedPrincipal + " ec2:RunInstances", "response_url": sink.URL + "/commands/T1/1/abc"}, time.Now())
	start := time.Now()
	w := ts.do(t, "POST", slackPath, "", body, h)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Diagnosing") {
		t.Fatalf("got %d %s, want the acknowledgement", w.Code, w.Body)
	}
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Errorf("acknowledged after %s", d)
	}
	select {
	case <-sink.got:
	case <-time.After(5 * time.Second):
		t.Fatal("nothing posted to response_url")
	}
	ts.pending.Wait()
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.posts) != 1 || !strings.HasPrefix(sink.posts[0].Text, "DENIED") || len(sink.posts[0].Blocks) == 0 {
		t.Errorf("posted %+v, want one verdict", sink.posts)
	}
	if v := value(t, ts.metrics.slackAsync, "success"); v != 1 {
		t.Errorf("deferred success counter %v, want 1", v)
	}
}

// TestSlackResponseURLRefused checks that a signed command whose
// response_url is not Slack's runs nothing and posts nothing.
func TestSlackResponseURLRefused(t *testing.T) {
	sink := newSlackSink(t)
	ts := newTestServer(t, zapcore.InfoLevel, nil) // the production check
	body, h := signedSlack(testSecret, map[string]string{"text": seedPrincipal + " ec2:RunInstances", "response_url": sink.URL + "/x"}, time.Now())
	w := ts.do(t, "POST", slackPath, "", body, h)
	if w.Code != 400 || errorOf(t, w).Code != "invalid_response_url" {
		t.Fatalf("got %d %s, want 400 invalid_response_url", w.Code, w.Body)
	}
	if ts.diag.calls.Load() != 0 || len(sink.posts) != 0 {
		t.Error("a refused response_url ran or posted")
	}
}

func TestSlackHelpAndErrors(t *testing.T) {
	ts := newTestServer(t, zapcore.InfoLevel, nil)
	for _, tt := range []struct{ text, want string }{
		{"", "Paste what you have"},
		{"help", "Paste what you have"},
		{"arn:aws:iam::123456789012:role/Nope s3:GetObject", "could not diagnose"},
	} {
		body, h := signedSlack(testSecret, map[string]string{"text": tt.text}, time.Now())
		w := ts.do(t, "POST", slackPath, "", body, h)
		if w.Code != 200 || !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("text %q: got %d %s, want %q", tt.text, w.Code, w.Body, tt.want)
		}
	}
}

func TestCheckSlackResponseURL(t *testing.T) {
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"https://hooks.slack.com/commands/T1/2/abc", true},
		{"https://hooks.slack.com:443/commands/T1/2/abc", true},
		{"http://hooks.slack.com/commands/T1/2/abc", false},
		{"https://hooks.slack.com.evil.example/commands", false},
		{"https://evil.example/hooks.slack.com", false},
		{"https://user@hooks.slack.com/commands", false},
		{"https://hooks.slack.com:8443/commands", false},
		{"https://127.0.0.1/commands", false},
	} {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckSlackResponseURL(u); (err == nil) != tt.ok {
			t.Errorf("CheckSlackResponseURL(%s) = %v, want ok %v", tt.url, err, tt.ok)
		}
	}
}

func TestParseSlackText(t *testing.T) {
	ct := `{"eventName":"RunInstances","errorCode":"Client.UnauthorizedOperation"}`
	tests := []struct {
		name       string
		text       string
		want       *DiagnoseRequest
		wantRedact bool
	}{
		{name: "flags", text: "arn:aws:iam::1:role/a s3:GetObject", wantRedact: true,
			want: &DiagnoseRequest{Format: "slack", Principal: "arn:aws:iam::1:role/a", Action: "s3:GetObject"}},
		{name: "flags resource context", text: "arn:aws:iam::1:role/a s3:GetObject arn:aws:s3:::b/k aws:SourceIp=10.0.0.1 aws:SourceIp=10.0.0.2", wantRedact: true,
			want: &DiagnoseRequest{Format: "slack", Principal: "arn:aws:iam::1:role/a", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k",
				Context: map[string]Values{"aws:SourceIp": {"10.0.0.1", "10.0.0.2"}}}},
		{name: "no redact", text: "arn:aws:iam::1:role/a s3:GetObject --no-redact", wantRedact: false,
			want: &DiagnoseRequest{Format: "slack", Principal: "arn:aws:iam::1:role/a", Action: "s3:GetObject"}},
		{name: "error text", text: "User: arn:aws:iam::1:user/bob is not authorized to perform: s3:GetObject", wantRedact: true,
			want: &DiagnoseRequest{Format: "slack", Error: "User: arn:aws:iam::1:user/bob is not authorized to perform: s3:GetObject"}},
		{name: "slack escapes", text: "a &lt;b&gt; &amp; <https://x.example/a|x.example>", wantRedact: true,
			want: &DiagnoseRequest{Format: "slack", Error: "a <b> & https://x.example/a"}},
		{name: "cloudtrail", text: ct, wantRedact: true, want: &DiagnoseRequest{Format: "slack", CloudTrailEvent: json.RawMessage(ct)}},
		{name: "decoded message", text: `{"allowed":false,"context":{}}`, wantRedact: true,
			want: &DiagnoseRequest{Format: "slack", DecodedMessage: json.RawMessage(`{"allowed":false,"context":{}}`)}},
		{name: "encoded", text: strings.Repeat("AbC-_9", 20), wantRedact: true, want: &DiagnoseRequest{Format: "slack", EncodedMessage: strings.Repeat("AbC-_9", 20)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, redact, ok := parseSlackText(tt.text)
			if !ok {
				t.Fatal("parsed as help")
			}
			if redact != tt.wantRedact {
				t.Errorf("redact %v, want %v", redact, tt.wantRedact)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

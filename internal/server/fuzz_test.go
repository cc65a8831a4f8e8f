package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamdiag/iamdiag/internal/diagnose"
)

// The daemon's HTTP inputs are untrusted: these targets send arbitrary
// bodies through the whole handler (middleware, decoding, validation, the
// real decoders, engine and renderers against the seed snapshot) in
// process, with no network: the Slack client's transport refuses every
// request, so a deferred answer could not leave the process even if one
// were attempted.

// fuzzMaxBody keeps 413 reachable by the fuzzer while every seed fits.
const fuzzMaxBody = 16 << 10

// fuzzNow is the fixed clock the Slack signatures are computed for.
var fuzzNow = time.Unix(1_800_000_000, 0)

// offlineTransport fails every request: fuzzing never dials out.
type offlineTransport struct{}

func (offlineTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("fuzzing: refusing to send %s %s", r.Method, r.URL.Host)
}

// seedSTS is an offline sts:DecodeAuthorizationMessage answering every
// message with examples/seed/decoded-message.json's DecodedMessage.
type seedSTS struct{ decoded string }

func (s seedSTS) DecodeAuthorizationMessage(context.Context, string) (string, error) {
	return s.decoded, nil
}

// fuzzSources are the pipeline's sources for fuzzing: the seed snapshot,
// and seedSTS for encoded messages.
func fuzzSources(t testing.TB) diagnose.Sources {
	t.Helper()
	var msg struct{ DecodedMessage string }
	if err := json.Unmarshal(readRepoFile(t, "examples/seed/decoded-message.json"), &msg); err != nil || msg.DecodedMessage == "" {
		t.Fatalf("reading the seed decoded message: %v", err)
	}
	return diagnose.Sources{Layers: newTestSource(t), Decoder: seedSTS{decoded: msg.DecodedMessage}}
}

// newFuzzServer is the Server the targets drive: no logs, the real
// decoders and linter, a small body limit, no rate limit, a fixed clock
// and a Slack client that cannot reach anything.
func newFuzzServer(t testing.TB) *Server {
	t.Helper()
	s, err := New(Config{
		Token:              testToken,
		SlackSigningSecret: testSecret,
		AllowedHosts:       []string{"example.com"}, // httptest.NewRequest's Host
		Sources:            fuzzSources(t),
		Linter:             LinterFunc(LintPolicies),
		MaxBodyBytes:       fuzzMaxBody,
		DiagnoseTimeout:    10 * time.Second,
		SlackBudget:        10 * time.Second,
		SlackClient:        &http.Client{Transport: offlineTransport{}},
		Now:                func() time.Time { return fuzzNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readRepoFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(repoFile(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post sends body to path with the bearer token through the handler.
func post(s *Server, path string, body []byte, hdr http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.RemoteAddr = "192.0.2.10:40000"
	r.Header = hdr
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func bearer() http.Header {
	return http.Header{"Authorization": {"Bearer " + testToken}, "Content-Type": {"application/json"}}
}

// checkCommon checks what every answer carries: a request id, and a JSON
// error body with its code and that id on any status but 200.
func checkCommon(t *testing.T, w *httptest.ResponseRecorder, allowed ...int) {
	t.Helper()
	id := w.Header().Get(requestIDHeader)
	if id == "" {
		t.Fatalf("status %d without %s", w.Code, requestIDHeader)
	}
	if !slices.Contains(allowed, w.Code) {
		t.Fatalf("status %d, want one of %v:\n%s", w.Code, allowed, w.Body)
	}
	if w.Code == http.StatusOK {
		return
	}
	var e errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("status %d: the error body is not JSON: %v\n%s", w.Code, err, w.Body)
	}
	if e.Code == "" || e.Error == "" || e.RequestID != id {
		t.Fatalf("status %d: error body %+v, want a code, a message and request id %q", w.Code, e, id)
	}
}

// fuzzDiagnoseStatuses are the statuses /v1/diagnose may answer a client's
// input with (README, "Status codes"): never 500, and 502/503 need STS or
// credentials, which the fuzz server does not use. 429 needs a rate limit,
// which it does not set either, but it is a documented answer.
var fuzzDiagnoseStatuses = []int{200, 400, 404, 413, 422, 429, 504}

func FuzzDiagnose(f *testing.F) {
	errText := readRepoFile(f, "examples/seed/error.txt")
	decoded := readRepoFile(f, "examples/seed/decoded-message.json")
	ct := readRepoFile(f, "examples/missing-allow/cloudtrail-event.json")
	flags := `"principal": "` + seedPrincipal + `", "action": "ec2:RunInstances", "resource": "arn:aws:ec2:us-east-1:123456789012:instance/*", "context": {"aws:RequestedRegion": ["us-east-1"]}`
	for _, seed := range []string{
		`{"error": ` + mustJSON(string(errText)) + `}`,
		`{"error": ` + mustJSON(string(errText)) + `, "format": "slack", "redact": true}`,
		`{` + flags + `}`,
		`{` + flags + `, "format": "markdown", "redact": true}`,
		`{` + flags + `, "format": "text"}`,
		`{` + flags + `, "format": "slack"}`,
		`{"principal": "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/jane", "action": "ec2:RunInstances", "context": {"aws:RequestedRegion": "us-east-1"}}`,
		`{"cloudtrail_event": ` + string(ct) + `}`,
		`{"cloudtrail_event": ` + mustJSON(string(ct)) + `, "principal": "` + seedPrincipal + `"}`,
		`{"decoded_message": ` + string(decoded) + `, "format": "text"}`,
		`{"decoded_message": ` + mustJSON(string(decoded)) + `}`,
		`{"encoded_message": "` + strings.Repeat("AbC-_9", 20) + `", "redact": true}`,
		`{"principal": "arn:aws:iam::123456789012:role/Nope", "action": "s3:GetObject"}`,
	} {
		f.Add([]byte(seed))
	}
	s := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		w := post(s, "/v1/diagnose", body, bearer())
		checkCommon(t, w, fuzzDiagnoseStatuses...)
		if w.Code != http.StatusOK {
			return
		}
		// A 200 means the body was a valid request: its format says what
		// the answer is.
		var req DiagnoseRequest
		if err := json.Unmarshal(body, &req); err != nil {
			t.Fatalf("200 for a body that is not a request: %v", err)
		}
		ctype := w.Header().Get("Content-Type")
		switch req.Format {
		case "", "json":
			var got map[string]json.RawMessage
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("200 json answer is not JSON: %v\n%s", err, w.Body)
			}
			if _, ok := got["decision"]; !ok || ctype != "application/json" {
				t.Fatalf("200 json answer (%s) without a decision:\n%s", ctype, w.Body)
			}
		case "slack":
			var m slackMessage
			if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || len(m.Blocks) == 0 || m.Text == "" {
				t.Fatalf("200 slack answer is not Block Kit (%v):\n%s", err, w.Body)
			}
		case "markdown", "text":
			if w.Body.Len() == 0 || !strings.HasPrefix(ctype, "text/") {
				t.Fatalf("200 %s answer (%s) is empty or mistyped", req.Format, ctype)
			}
		default:
			t.Fatalf("200 for format %q", req.Format)
		}
	})
}

// slackBody signs body for fuzzNow with the test secret.
func slackHeaders(body []byte) http.Header {
	ts := itoa(fuzzNow.Unix())
	return http.Header{
		"Content-Type":       {"application/x-www-form-urlencoded"},
		slackTimestampHeader: {ts},
		slackSignatureHeader: {SlackSignature(testSecret, ts, body)},
	}
}

func FuzzSlackCommand(f *testing.F) {
	errText := string(readRepoFile(f, "examples/seed/error.txt"))
	decoded := readRepoFile(f, "examples/seed/decoded-message.json")
	var msg struct{ DecodedMessage string }
	if err := json.Unmarshal(decoded, &msg); err != nil {
		f.Fatal(err)
	}
	ct := string(readRepoFile(f, "examples/missing-allow/cloudtrail-event.json"))
	hook := "https://hooks.slack.com/commands/T1/1/abc"
	for _, seed := range []struct{ text, user, team, responseURL, extra string }{
		{seedPrincipal + " ec2:RunInstances arn:aws:ec2:us-east-1:123456789012:instance/* aws:RequestedRegion=us-east-1", "U1", "T1", hook, ""},
		{seedPrincipal + " ec2:RunInstances --no-redact", "U1", "T1", "", ""},
		{errText, "U1", "T1", hook, "command=%2Fiamdiag"},
		{msg.DecodedMessage, "U1", "T1", hook, ""},
		{ct, "U1", "T1", hook, ""},
		{strings.Repeat("AbC-_9", 20), "U1", "T1", hook, ""},
		{"", "U1", "T1", "", ""},
		{"help", "U1", "T1", "", ""},
		{"arn:aws:iam::123456789012:role/Nope s3:GetObject", "U1", "T1", hook, ""},
		{"a &lt;b&gt; &amp; <https://x.example/a|x.example>", "U1", "T1", hook, ""},
		{seedPrincipal + " ec2:RunInstances", "U1", "T1", "https://evil.example/x", ""},
		{seedPrincipal + " ec2:RunInstances", "U1", "T1", "", "%zz"},
	} {
		f.Add(seed.text, seed.user, seed.team, seed.responseURL, seed.extra)
	}
	s := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, text, user, team, responseURL, extra string) {
		form := url.Values{"text": {text}, "user_id": {user}, "team_id": {team}, "command": {"/iamdiag"}}
		if responseURL != "" {
			form.Set("response_url", responseURL)
		}
		body := form.Encode()
		if extra != "" {
			// Raw form text the fuzzer shapes itself, signed like the
			// rest: it reaches url.ParseQuery as Slack would send it.
			body += "&" + extra
		}
		w := post(s, slackPath, []byte(body), slackHeaders([]byte(body)))
		// The detached diagnosis has answered within the budget (or
		// been handed to the offline client): wait for it, so that no
		// goroutine outlives the iteration.
		s.pending.Wait()
		checkCommon(t, w, http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge)
		if w.Code != http.StatusOK {
			// Only a malformed form, a response_url that is not Slack's
			// or an oversized body are refused.
			code := errorOf(t, w).Code
			if !slices.Contains([]string{"invalid_form", "invalid_response_url", "body_too_large"}, code) {
				t.Fatalf("status %d %q for a signed command", w.Code, code)
			}
			return
		}
		var m slackMessage
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
			t.Fatalf("200 answer is not JSON: %v\n%s", err, w.Body)
		}
		if m.ResponseType != "ephemeral" || m.Text == "" || len(m.Blocks) == 0 {
			t.Fatalf("200 answer is neither a verdict nor an ephemeral message:\n%s", w.Body)
		}
		if strings.Contains(m.Text, "iamdiag failed") {
			t.Fatalf("a signed command made the server fail:\n%s", w.Body)
		}
	})
}

func FuzzLintRoute(f *testing.F) {
	role := readRepoFile(f, "examples/missing-allow/role-policy.json")
	scp := readRepoFile(f, "examples/condition/scp-full-access.json")
	for _, seed := range []string{
		`{"policies": [{"name": "role.json", "type": "identity", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]}`,
		`{"policies": [{"type": "identity", "document": "{\"Statement\": []}"}]}`,
		`{"policies": [{"name": "role.json", "document": ` + string(role) + `}, {"name": "scp.json", "type": "scp", "document": ` + mustJSON(string(scp)) + `}]}`,
		`{"policies": [{"type": "trust", "document": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}}]}`,
		`{"policies": [{"type": "nonsense", "document": {}}]}`,
	} {
		f.Add([]byte(seed))
	}
	s := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		w := post(s, "/v1/lint", body, bearer())
		checkCommon(t, w, http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests)
		if w.Code != http.StatusOK {
			return
		}
		if !json.Valid(body) {
			t.Fatalf("200 for a body that is not JSON: %q", body)
		}
		var got struct {
			Findings *[]json.RawMessage `json:"findings"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.Findings == nil {
			t.Fatalf("200 answer without a findings list (%v):\n%s", err, w.Body)
		}
	})
}

// TestFuzzServerOffline checks the fuzz server's guard: a deferred Slack
// answer cannot leave the process.
func TestFuzzServerOffline(t *testing.T) {
	s := newFuzzServer(t)
	_, err := s.cfg.SlackClient.Get("https://hooks.slack.com/commands/T1/1/abc")
	if err == nil || !strings.Contains(err.Error(), "refusing to send") {
		t.Fatalf("the fuzz Slack client sent a request: %v", err)
	}
}

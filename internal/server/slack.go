package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/report"
)

// slackPath is the slash command's endpoint.
const slackPath = "/slack/command"

// slackMaxAge is how old a signed request may be: Slack's guide refuses
// requests more than five minutes from the local time, against replays
// (https://api.slack.com/authentication/verifying-requests-from-slack).
const slackMaxAge = 5 * time.Minute

// Slack's signature headers.
const (
	slackSignatureHeader = "X-Slack-Signature"
	slackTimestampHeader = "X-Slack-Request-Timestamp"
)

// SlackSignature returns the v0 signature of a request body sent at
// timestamp (Unix seconds): "v0=" and the hex HMAC-SHA256 of
// "v0:TIMESTAMP:BODY" keyed with the signing secret.
func SlackSignature(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// verifySlack checks the request's signature and age before anything else
// looks at the body.
func verifySlack(secret string, h http.Header, body []byte, now time.Time) error {
	unauthorized := func(msg string) error { return apiError(http.StatusUnauthorized, "bad_signature", msg) }
	ts := h.Get(slackTimestampHeader)
	sig := h.Get(slackSignatureHeader)
	if ts == "" || sig == "" {
		return unauthorized("missing Slack signature headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return unauthorized("malformed " + slackTimestampHeader)
	}
	if age := now.Sub(time.Unix(sec, 0)); age > slackMaxAge || age < -slackMaxAge {
		return unauthorized("stale Slack request: its timestamp is more than 5 minutes from now")
	}
	if !hmac.Equal([]byte(SlackSignature(secret, ts, body)), []byte(sig)) {
		return unauthorized("wrong Slack signature")
	}
	return nil
}

// CheckSlackResponseURL accepts only the URLs Slack hands out as
// response_url (https://hooks.slack.com/commands/…), so that a forged or
// tampered command cannot make the daemon post a diagnosis anywhere else.
func CheckSlackResponseURL(u *url.URL) error {
	if u.Scheme != "https" || u.Hostname() != "hooks.slack.com" || u.User != nil || (u.Port() != "" && u.Port() != "443") {
		return fmt.Errorf("response_url must be https://hooks.slack.com/…, not %s://%s", u.Scheme, u.Host)
	}
	return nil
}

// slackHelp is the answer to an empty command or "help".
const slackHelp = "Paste what you have after the command:\n" +
	"• the error text: `/iamdiag An error occurred (AccessDenied) when calling … is not authorized to perform: …`\n" +
	"• a principal, an action and optionally a resource and context: `/iamdiag arn:aws:sts::123456789012:assumed-role/app/jane ec2:RunInstances arn:aws:ec2:us-east-1:123456789012:instance/* aws:RequestedRegion=us-east-1`\n" +
	"• a CloudTrail event or a decoded authorization message (JSON)\n" +
	"• an encoded authorization failure message\n" +
	"Answers are redacted; add `--no-redact` to see account ids and names."

var (
	actionRE  = regexp.MustCompile(`^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$`)
	encodedRE = regexp.MustCompile(`^[A-Za-z0-9_\-+/=]{64,}$`)
	contextRE = regexp.MustCompile(`^[A-Za-z0-9-]+:[A-Za-z0-9/_.:-]+=`)
)

// parseSlackText turns the slash command's text into a request: JSON is a
// CloudTrail event or a decoded message; "ARN ACTION [RESOURCE]
// [KEY=VALUE]..." are the flags; one long base64 token is an encoded
// message; anything else is the pasted error text. ok is false when the
// text asks for help.
func parseSlackText(text string) (req *DiagnoseRequest, redact bool, ok bool) {
	redact = true
	text = strings.TrimSpace(unescapeSlack(text))
	if rest, found := strings.CutSuffix(text, "--no-redact"); found {
		text, redact = strings.TrimSpace(rest), false
	}
	if text == "" || strings.EqualFold(text, "help") {
		return nil, redact, false
	}
	req = &DiagnoseRequest{Format: "slack"}
	if strings.HasPrefix(text, "{") && json.Valid([]byte(text)) {
		var probe map[string]json.RawMessage
		_ = json.Unmarshal([]byte(text), &probe)
		_, records := probe["Records"]
		_, event := probe["eventName"]
		_, detail := probe["detail"]
		if records || event || detail {
			req.CloudTrailEvent = json.RawMessage(text)
		} else {
			req.DecodedMessage = json.RawMessage(text)
		}
		return req, redact, true
	}
	fields := strings.Fields(text)
	if len(fields) >= 2 && strings.HasPrefix(fields[0], "arn:") && actionRE.MatchString(fields[1]) {
		req.Principal, req.Action = fields[0], fields[1]
		rest := fields[2:]
		if len(rest) > 0 && !contextRE.MatchString(rest[0]) {
			req.Resource, rest = rest[0], rest[1:]
		}
		for _, kv := range rest {
			k, v, found := strings.Cut(kv, "=")
			if !found {
				// Not the flags form after all: treat it as error text.
				return &DiagnoseRequest{Format: "slack", Error: text}, redact, true
			}
			if req.Context == nil {
				req.Context = map[string]Values{}
			}
			req.Context[k] = append(req.Context[k], v)
		}
		return req, redact, true
	}
	if len(fields) == 1 && encodedRE.MatchString(fields[0]) && !strings.HasPrefix(fields[0], "arn:") {
		req.EncodedMessage = fields[0]
		return req, redact, true
	}
	req.Error = text
	return req, redact, true
}

// unescapeSlack undoes Slack's escaping of &, < and > and its <url|label>
// links in command text.
func unescapeSlack(s string) string {
	s = slackLinkRE.ReplaceAllString(s, "$1")
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

var slackLinkRE = regexp.MustCompile(`<((?:https?|mailto):[^|>]*)(?:\|[^>]*)?>`)

// slackEphemeral is an answer only the engineer who ran the command sees.
func slackEphemeral(text string) *slackMessage {
	return &slackMessage{ResponseType: "ephemeral", SlackMessage: *report.SlackNotice(text)}
}

func (s *Server) handleSlack(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.SlackSigningSecret == "" {
		return apiError(http.StatusNotFound, "slack_disabled", "the Slack command is not enabled: the daemon was started without the Slack app's signing secret (IAMDIAG_SLACK_SIGNING_SECRET)")
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	// Nothing is parsed, logged or run before the signature is checked.
	if err := verifySlack(s.cfg.SlackSigningSecret, r.Header, body, s.cfg.Now()); err != nil {
		return err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return apiError(http.StatusBadRequest, "invalid_form", "the command is not a valid form body")
	}
	log := loggerFrom(r.Context()).With(zap.String("slack_user", form.Get("user_id")), zap.String("slack_team", form.Get("team_id")))
	req, redact, ok := parseSlackText(form.Get("text"))
	if !ok {
		writeJSON(w, http.StatusOK, slackEphemeral(slackHelp))
		return nil
	}
	req.Redact = redact
	if err := req.validate(); err != nil {
		writeJSON(w, http.StatusOK, slackEphemeral(err.(*APIError).Message))
		return nil
	}
	var respURL *url.URL
	if raw := form.Get("response_url"); raw != "" {
		u, err := url.Parse(raw)
		if err == nil {
			err = s.cfg.SlackResponseURL(u)
		}
		if err != nil {
			return &APIError{Status: http.StatusBadRequest, Code: "invalid_response_url", Message: "response_url is not a Slack URL", Err: err}
		}
		respURL = u
	}

	// The diagnosis runs detached from the request, so that it can finish
	// and be posted after the acknowledgement.
	done := make(chan []byte, 1)
	ctx := context.WithoutCancel(r.Context())
	s.pending.Add(1)
	go func() {
		defer s.pending.Done()
		done <- s.slackAnswer(ctx, req, log) // buffered: never blocks
	}()
	timer := time.NewTimer(s.cfg.SlackBudget)
	defer timer.Stop()
	select {
	case msg := <-done:
		writeSlack(w, msg)
		return nil
	case <-timer.C:
	}
	if respURL == nil {
		writeJSON(w, http.StatusOK, slackEphemeral("The diagnosis is taking longer than Slack waits, and the command carries no response_url to post it to: try again in a minute."))
		return nil
	}
	// Too slow for Slack's 3 seconds: acknowledge now, post the verdict
	// when it is ready, in place of the acknowledgement.
	s.pending.Add(1)
	go func() {
		defer s.pending.Done()
		s.postSlack(ctx, respURL, <-done, log)
	}()
	writeJSON(w, http.StatusOK, slackEphemeral("Diagnosing… the verdict follows in a moment."))
	return nil
}

// writeSlack writes an encoded Slack message.
func writeSlack(w http.ResponseWriter, msg []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(msg)
}

// slackAnswer runs the diagnosis and renders it as an encoded Slack
// message, redacted unless the command said --no-redact; errors become a
// message the engineer can act on.
func (s *Server) slackAnswer(ctx context.Context, req *DiagnoseRequest, log *zap.Logger) []byte {
	ctx = context.WithValue(ctx, ctxLogger, log)
	var b []byte
	d, err := s.diagnose(ctx, req)
	if err == nil {
		b, _, err = renderBytes(d, "slack", req.Redact, func(m *slackMessage) {
			m.ResponseType, m.ReplaceOriginal = "ephemeral", ptr(true)
		})
	}
	if err == nil {
		return b
	}
	var msg *slackMessage
	var ae *APIError
	if !errors.As(err, &ae) {
		ae = &APIError{Status: http.StatusInternalServerError, Code: "internal", Err: err}
	}
	logRefusal(log, "slack command", ae, err)
	if ae.Status < 500 {
		// s.diagnose redacted the message unless the command said
		// --no-redact.
		msg = slackEphemeral("iamdiag could not diagnose this: " + ae.Message)
	} else {
		msg = slackEphemeral("iamdiag failed (request " + requestID(ctx) + "): see the daemon's log.")
	}
	msg.ReplaceOriginal = ptr(true)
	b, _ = json.Marshal(msg)
	return b
}

// postSlack posts an encoded message to the command's response_url.
func (s *Server) postSlack(ctx context.Context, u *url.URL, msg []byte, log *zap.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(msg))
	if err != nil {
		log.Error("posting the Slack answer", zap.Error(err))
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.cfg.SlackClient.Do(req)
	if err != nil {
		s.metrics.slackAsync.WithLabelValues("failure").Inc()
		// The URL holds a secret token: log only the host.
		log.Warn("posting the Slack answer failed", zap.String("host", u.Host), zap.String("error", redactURLError(err, u)))
		return
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		s.metrics.slackAsync.WithLabelValues("failure").Inc()
		log.Warn("Slack refused the answer", zap.Int("status", resp.StatusCode))
		return
	}
	s.metrics.slackAsync.WithLabelValues("success").Inc()
	log.Info("Slack answer posted")
}

// redactURLError removes the URL (whose path is a secret) from a client
// error.
func redactURLError(err error, u *url.URL) string {
	return strings.ReplaceAll(err.Error(), u.String(), u.Scheme+"://"+u.Host+"/…")
}

package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/iamdiag/iamdiag/internal/authrecord"
	"github.com/iamdiag/iamdiag/internal/diagnose"
	"github.com/iamdiag/iamdiag/internal/redact"
	"github.com/iamdiag/iamdiag/internal/report"
)

// DiagnoseRequest is the body of POST /v1/diagnose: the inputs of `iamdiag
// diagnose`, named like its flags. One message input at most
// (encoded_message, decoded_message, error, cloudtrail_event); principal,
// action, resource and context complete or override it, or are the whole
// input.
type DiagnoseRequest struct {
	// Principal is the caller's ARN (--principal).
	Principal string `json:"principal,omitempty"`
	// Action is SERVICE:ACTION (--action).
	Action string `json:"action,omitempty"`
	// Resource is the resource ARN (--resource).
	Resource string `json:"resource,omitempty"`
	// Context is the request context, key to values (--context KEY=VALUE).
	// A single string value is accepted for a one-value key.
	Context map[string]Values `json:"context,omitempty"`
	// EncodedMessage is an encoded authorization failure message, decoded
	// with sts:DecodeAuthorizationMessage (--encoded-message).
	EncodedMessage string `json:"encoded_message,omitempty"`
	// DecodedMessage is what `aws sts decode-authorization-message`
	// printed, as a JSON object or as a string (--decoded-message).
	DecodedMessage json.RawMessage `json:"decoded_message,omitempty"`
	// Error is the error text exactly as printed (--error).
	Error string `json:"error,omitempty"`
	// CloudTrailEvent is a CloudTrail record, log file or EventBridge event,
	// as a JSON object or a string (--cloudtrail-event).
	CloudTrailEvent json.RawMessage `json:"cloudtrail_event,omitempty"`
	// AuthorizationID is the ID of AWS's record of the denial
	// (--authorization-id); an error text carrying one is diagnosed from
	// the record as well.
	AuthorizationID string `json:"authorization_id,omitempty"`
	// Format is the answer's format: json (the default, the `diagnose
	// --format json` contract), markdown, text or slack (Block Kit).
	Format string `json:"format,omitempty"`
	// Redact asks for a redacted answer (--redact).
	Redact bool `json:"redact,omitempty"`
}

// Values is a list of context values; JSON may give one string.
type Values []string

// UnmarshalJSON accepts a string or a list of strings.
func (v *Values) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*v = Values{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("a context value must be a string or a list of strings")
	}
	*v = list
	return nil
}

// Bytes returns a raw JSON input as the bytes a decoder reads: the string's
// content when the JSON is a string, the JSON itself otherwise, nil when
// absent or null.
func Bytes(raw json.RawMessage) []byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return []byte(s)
		}
	}
	return raw
}

// input is the request as the pipeline's input.
func (r *DiagnoseRequest) input() diagnose.Input {
	return diagnose.Input{Principal: r.Principal, Action: r.Action, Resource: r.Resource, Context: r.contextValues(),
		EncodedMessage: r.EncodedMessage, ErrorText: r.Error, DecodedMessage: Bytes(r.DecodedMessage), CloudTrail: Bytes(r.CloudTrailEvent),
		AuthorizationID: r.AuthorizationID}
}

// contextValues returns the context as KEY=VALUE values, keys sorted.
func (r *DiagnoseRequest) contextValues() []string {
	var out []string
	for _, k := range sortedKeys(r.Context) {
		for _, v := range r.Context[k] {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// messageInputs names the message inputs given.
func (r *DiagnoseRequest) messageInputs() []string {
	var given []string
	if strings.TrimSpace(r.EncodedMessage) != "" {
		given = append(given, "encoded_message")
	}
	if Bytes(r.DecodedMessage) != nil {
		given = append(given, "decoded_message")
	}
	if strings.TrimSpace(r.Error) != "" {
		given = append(given, "error")
	}
	if Bytes(r.CloudTrailEvent) != nil {
		given = append(given, "cloudtrail_event")
	}
	return given
}

// validate checks the request's fields (400 errors).
func (r *DiagnoseRequest) validate() error {
	switch r.Format {
	case "":
		r.Format = "json"
	case "json", "markdown", "text", "slack":
	default:
		return apiError(http.StatusBadRequest, "invalid_request", fmt.Sprintf("format %q: want json, markdown, text or slack", r.Format))
	}
	given := r.messageInputs()
	if len(given) > 1 {
		return apiError(http.StatusBadRequest, "invalid_request", "give one input, not "+strings.Join(given, " and "))
	}
	if r.AuthorizationID != "" && !authrecord.ValidID(r.AuthorizationID) {
		return apiError(http.StatusBadRequest, "invalid_request", "authorization_id: want the letters and digits of the AccessDenied message's authorization id")
	}
	if len(given) == 0 && r.AuthorizationID == "" && (r.Principal == "" || r.Action == "") {
		return apiError(http.StatusBadRequest, "invalid_request", "no input: send error (the error text), cloudtrail_event, decoded_message, encoded_message, authorization_id, or principal and action")
	}
	for k := range r.Context {
		if strings.TrimSpace(k) == "" || strings.Contains(k, "=") {
			return apiError(http.StatusBadRequest, "invalid_request", fmt.Sprintf("context key %q: want a condition key such as aws:SourceIp", k))
		}
	}
	return nil
}

// decodeJSON decodes body into v strictly: one JSON value, no unknown
// fields.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apiError(http.StatusBadRequest, "invalid_json", "the request body is empty: send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &APIError{Status: http.StatusBadRequest, Code: "invalid_json", Message: "the request body is not valid JSON for this endpoint: " + jsonProblem(err)}
	}
	// Decoder.More reports false before a stray '}' or ']', so ask for a
	// second value instead: only the end of the body is acceptable.
	if err := dec.Decode(&json.RawMessage{}); err != io.EOF {
		return apiError(http.StatusBadRequest, "invalid_json", "the request body holds something after the JSON object: send exactly one JSON object")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s", te.Field, te.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "malformed JSON"
}

func (s *Server) handleDiagnose(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var req DiagnoseRequest
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	d, err := s.diagnose(r.Context(), &req)
	if err != nil {
		return err
	}
	return s.render(w, r, &req, d)
}

// diagnose runs the diagnosis pipeline on the request, with the diagnosis
// timeout and the daemon's sources.
func (s *Server) diagnose(ctx context.Context, req *DiagnoseRequest) (*report.Diagnosis, error) {
	if strings.TrimSpace(req.EncodedMessage) != "" && s.cfg.Sources.Decoder == nil {
		// Without a live source the daemon has no AWS configuration, and
		// must not go looking for one (the SDK's default chain ends at the
		// instance metadata service) on a client's request.
		return nil, apiError(http.StatusUnprocessableEntity, "cannot_decode",
			"this daemon has no live AWS source, so it cannot call sts:DecodeAuthorizationMessage: send decoded_message (what `aws sts decode-authorization-message` printed) or the error text instead, or run the daemon with the live AWS source (IAMDIAG_LIVE=true) and credentials allowed sts:DecodeAuthorizationMessage")
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.DiagnoseTimeout)
	defer cancel()
	src := s.cfg.Sources
	// The pipeline's own progress lines repeat the server's: keep its
	// warnings only, with the request id.
	src.Log = loggerFrom(ctx).WithOptions(zap.IncreaseLevel(zapcore.WarnLevel))
	d, err := diagnose.Run(ctx, req.input(), src)
	if err != nil {
		err = s.diagnoseError(err)
		var ae *APIError
		if req.Redact && errors.As(err, &ae) {
			// A redacted answer's error redacts what it echoes too: the
			// principal a 404 names, its session, its account.
			red := *ae
			red.Message = redactText(ae.Message)
			return nil, &red
		}
		return nil, err
	}
	if d == nil || d.Result == nil {
		return nil, errors.New("diagnosing: the pipeline returned no result")
	}
	s.metrics.diagnoses.WithLabelValues(d.Result.Decision.String()).Inc()
	loggerFrom(ctx).Info("diagnosed", zap.String("decision", d.Result.Decision.String()), zap.Int("blockers", len(d.Result.Blockers)))
	return d, nil
}

// diagnoseError maps the pipeline's error to the API's.
func (s *Server) diagnoseError(err error) error {
	var (
		ae *APIError
		de *diagnose.Error
	)
	switch {
	case errors.As(err, &ae):
		return err
	case errors.As(err, &de):
		return pipelineError(de)
	case errors.Is(err, context.DeadlineExceeded):
		return &APIError{Status: http.StatusGatewayTimeout, Code: "timeout", Message: fmt.Sprintf("the diagnosis took longer than %s", s.cfg.DiagnoseTimeout), Err: err}
	}
	return &APIError{Status: http.StatusInternalServerError, Code: "diagnosis_failed", Message: "the diagnosis failed: see the server log for the request id", Err: err}
}

// render writes d in the requested format.
func (s *Server) render(w http.ResponseWriter, _ *http.Request, req *DiagnoseRequest, d *report.Diagnosis) error {
	b, ctype, err := renderBytes(d, req.Format, req.Redact, nil)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}

// renderBytes renders d in format, redacted when asked (`diagnose
// --redact`: the report's renderer, then redact.Redactor over its bytes, so
// that every field, the fix and the Slack blocks included, passes through
// it). slack adjusts a Slack message before it is encoded.
func renderBytes(d *report.Diagnosis, format string, redacted bool, slack func(*slackMessage)) ([]byte, string, error) {
	ctype, syntax := "application/json", redact.SyntaxJSON
	var render func(io.Writer) error
	switch format {
	case "markdown":
		ctype, syntax = "text/markdown; charset=utf-8", redact.SyntaxMarkdown
		render = func(w io.Writer) error { return report.Markdown(w, d) }
	case "text":
		ctype, syntax = "text/plain; charset=utf-8", redact.SyntaxText
		render = func(w io.Writer) error { return report.Text(w, d, report.TextOptions{}) }
	case "slack":
		if slack == nil {
			render = func(w io.Writer) error { return report.Slack(w, d) }
			break
		}
		// The slash command's answer: report.Slack's message with who
		// sees it.
		render = func(w io.Writer) error {
			msg, err := slackBlocks(d)
			if err != nil {
				return err
			}
			if slack != nil {
				slack(msg)
			}
			b, err := json.MarshalIndent(msg, "", "  ")
			if err != nil {
				return err
			}
			_, err = w.Write(append(b, '\n'))
			return err
		}
	default:
		render = func(w io.Writer) error { return report.JSON(w, d) }
	}
	var buf bytes.Buffer
	var err error
	if redacted {
		err = new(redact.Redactor).Redact(&buf, d, syntax, render)
	} else {
		err = render(&buf)
	}
	if err != nil {
		return nil, "", fmt.Errorf("rendering the %s report: %w", format, err)
	}
	return buf.Bytes(), ctype, nil
}

// fieldName names an input field as the API does: its JSON name.
func fieldName(f diagnose.Field) string {
	switch f {
	case diagnose.FieldPrincipal:
		return "principal"
	case diagnose.FieldAction:
		return "action"
	case diagnose.FieldResource:
		return "resource"
	case diagnose.FieldContext:
		return "context"
	case diagnose.FieldEncodedMessage:
		return "encoded_message"
	case diagnose.FieldDecodedMessage:
		return "decoded_message"
	case diagnose.FieldErrorText:
		return "error"
	case diagnose.FieldCloudTrail:
		return "cloudtrail_event"
	case diagnose.FieldAuthorizationID:
		return "authorization_id"
	}
	return "the input"
}

// errorCode is what smithy.APIError, the AWS SDK's error, answers; the
// server reads the code without importing the SDK.
type errorCode interface{ ErrorCode() string }

// awsCode returns the AWS error code in err's chain, "" when there is none
// (no credentials, the network, a timeout).
func awsCode(err error) string {
	var c errorCode
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	return ""
}

// awsSummary is what a client is told of a failed AWS call: what failed,
// its AWS error code, and what to do. The SDK's own text (the credential
// chain's providers, endpoints, the daemon's role ARN) stays in the log,
// redacted, under the request id.
func awsSummary(e *diagnose.Error) string {
	code := awsCode(e.Err)
	with := ""
	if code != "" {
		with = " (" + code + ")"
	}
	switch e.Kind {
	case diagnose.STS:
		switch {
		case code == "InvalidAuthorizationMessageException":
			// https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html#API_DecodeAuthorizationMessage_Errors
			return "STS says the encoded message is not valid (InvalidAuthorizationMessageException): send the whole text after \"Encoded authorization failure message:\"; the daemon must run with credentials of the account that received the denied request, or send decoded_message"
		case strings.Contains(code, "AccessDenied") || code == "UnauthorizedOperation":
			return "the daemon's credentials may not call sts:DecodeAuthorizationMessage" + with + ": allow it to them, or send decoded_message (what `aws sts decode-authorization-message` printed)"
		}
		return "sts:DecodeAuthorizationMessage failed" + with + ": send decoded_message or the error text instead; the daemon's log has the details under the request id"
	case diagnose.Credentials:
		return "the daemon's AWS credentials are missing or were rejected" + with + ": fix the credentials it runs with (its IAM role, AWS_PROFILE, the environment); the daemon's log has the details under the request id"
	}
	call := "an AWS call"
	var op operationError
	if errors.As(e.Err, &op) {
		call = strings.ToLower(op.Service()) + ":" + op.Operation()
	}
	if strings.Contains(code, "AccessDenied") || code == "UnauthorizedOperation" {
		return call + " was denied to the daemon's credentials" + with + ": allow it to them (the README lists the permissions the live source needs), or diagnose from a snapshot"
	}
	return call + " failed" + with + ": retry later; the daemon's log has the details under the request id"
}

// operationError is what smithy.OperationError answers: the service and
// operation of the failed call.
type operationError interface {
	Service() string
	Operation() string
}

// pipelineError maps the pipeline's error to the API's status and code.
func pipelineError(e *diagnose.Error) *APIError {
	msg := e.Describe(fieldName)
	switch e.Kind {
	case diagnose.STS, diagnose.Credentials, diagnose.AWS:
		msg = awsSummary(e)
	}
	switch e.Kind {
	case diagnose.Invalid:
		return &APIError{Status: http.StatusBadRequest, Code: "invalid_request", Message: msg}
	case diagnose.STS:
		return &APIError{Status: http.StatusBadGateway, Code: "sts_failed", Message: msg, Err: e}
	case diagnose.PrincipalNotFound:
		return &APIError{Status: http.StatusNotFound, Code: "principal_not_found", Message: msg}
	case diagnose.Credentials:
		return &APIError{Status: http.StatusServiceUnavailable, Code: "aws_credentials", Message: msg, Err: e}
	case diagnose.AWS:
		return &APIError{Status: http.StatusBadGateway, Code: "aws_failed", Message: msg, Err: e}
	case diagnose.Source:
		return &APIError{Status: http.StatusUnprocessableEntity, Code: "cannot_resolve", Message: msg}
	}
	return &APIError{Status: http.StatusUnprocessableEntity, Code: "input_not_understood", Message: msg}
}

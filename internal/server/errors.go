package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/redact"
)

// APIError is an error with the HTTP status and the machine-readable code a
// client sees. Message is what the client is told; Err, when set, is the
// cause, logged but never sent (it may name internals).
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Code is a stable, machine-readable error code ("invalid_json").
	Code string
	// Message says what went wrong and what to do.
	Message string
	// Err is the underlying cause, if any.
	Err error
}

// Error returns the message and the cause.
func (e *APIError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *APIError) Unwrap() error { return e.Err }

// apiError returns an APIError with the given status, code and message.
func apiError(status int, code, msg string) *APIError {
	return &APIError{Status: status, Code: code, Message: msg}
}

// errorBody is the JSON every error response carries.
type errorBody struct {
	Error     string `json:"error"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
}

// handleError writes err as a JSON error response and logs it once: server
// errors at error level with their cause, client errors at info with the
// message only, both redacted (logRefusal).
func handleError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *APIError
	if !errors.As(err, &ae) {
		ae = &APIError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error: see the server log for the request id", Err: err}
	}
	logRefusal(loggerFrom(r.Context()), "request", ae, err)
	if ae.Status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" && r.URL.Path != slackPath {
		w.Header().Set("WWW-Authenticate", `Bearer realm="iamdiag"`)
	}
	writeJSON(w, ae.Status, errorBody{Error: ae.Message, Code: ae.Code, RequestID: requestID(r.Context())})
}

// logRefusal logs an error answer once: at error level with its cause for
// server errors ("<what> failed"), at info with the message for client
// errors ("<what> refused"). Messages and causes may echo the input (a
// principal's ARN and session name, an e-mail address in a session name,
// the account): they are logged redacted, each line with its own
// placeholders, and whole only at debug level. The request id in every
// line leads to the request.
func logRefusal(log *zap.Logger, what string, ae *APIError, err error) {
	if ae.Status >= 500 {
		log.Error(what+" failed", zap.Int("status", ae.Status), zap.String("code", ae.Code), redactedError(err))
	} else {
		log.Info(what+" refused", zap.Int("status", ae.Status), zap.String("code", ae.Code), zap.String("reason", redactText(ae.Message)))
	}
	if ce := log.Check(zap.DebugLevel, what+" error unredacted"); ce != nil {
		ce.Write(zap.Error(err))
	}
}

// redactText is s with account ids, IAM and STS names, e-mail and IP
// addresses replaced by placeholders (redact.Redactor).
func redactText(s string) string {
	return new(redact.Redactor).String(s)
}

// redactedError is err as a redacted "error" field.
func redactedError(err error) zap.Field {
	if err == nil {
		return zap.Skip()
	}
	return zap.String("error", redactText(err.Error()))
}

// writeJSON writes v as an indented JSON response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error": "internal error: encoding the response", "code": "internal"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

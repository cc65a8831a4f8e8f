package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"

	"github.com/iamdiag/iamdiag/internal/diagnose"
)

// fakeAPIError answers like smithy.APIError and smithy.OperationError.
type fakeAPIError struct{ service, op, code, msg string }

func (e *fakeAPIError) Error() string {
	return fmt.Sprintf("operation error %s: %s, https response error StatusCode: 403, RequestID: 1f2e, api error %s: %s", e.service, e.op, e.code, e.msg)
}
func (e *fakeAPIError) ErrorCode() string { return e.code }
func (e *fakeAPIError) Service() string   { return e.service }
func (e *fakeAPIError) Operation() string { return e.op }

// TestAWSErrorsSummarised: a client sees what failed, its AWS code and what
// to do, never the SDK's text (the credential chain's providers, the
// daemon's own ARN).
func TestAWSErrorsSummarised(t *testing.T) {
	chain := errors.New("get identity: get credentials: failed to refresh cached credentials, no EC2 IMDS role found, operation error ec2imds: GetMetadata, http response error StatusCode: 404")
	denied := &fakeAPIError{service: "IAM", op: "GetRole", code: "AccessDenied", msg: "User: arn:aws:sts::111122223333:assumed-role/iamdiag/i-0abc is not authorized to perform: iam:GetRole"}
	tests := []struct {
		name       string
		err        *diagnose.Error
		wantStatus int
		want       []string
	}{
		{name: "no credentials", err: &diagnose.Error{Kind: diagnose.Credentials, Err: chain}, wantStatus: 503, want: []string{"credentials are missing or were rejected", "IAM role"}},
		{name: "denied call", err: &diagnose.Error{Kind: diagnose.AWS, Err: fmt.Errorf("reading role X: %w", denied)}, wantStatus: 502, want: []string{"iam:GetRole was denied", "(AccessDenied)"}},
		{name: "throttled", err: &diagnose.Error{Kind: diagnose.AWS, Err: &fakeAPIError{service: "Organizations", op: "ListParents", code: "TooManyRequestsException"}}, wantStatus: 502, want: []string{"organizations:ListParents failed (TooManyRequestsException)", "retry later"}},
		{name: "invalid message", err: &diagnose.Error{Kind: diagnose.STS, Field: diagnose.FieldEncodedMessage, Err: &fakeAPIError{service: "STS", op: "DecodeAuthorizationMessage", code: "InvalidAuthorizationMessageException"}}, wantStatus: 502, want: []string{"not valid", "decoded_message"}},
		{name: "decode denied", err: &diagnose.Error{Kind: diagnose.STS, Field: diagnose.FieldEncodedMessage, Err: &fakeAPIError{service: "STS", op: "DecodeAuthorizationMessage", code: "AccessDenied"}}, wantStatus: 502, want: []string{"may not call sts:DecodeAuthorizationMessage (AccessDenied)"}},
		{name: "decode without credentials", err: &diagnose.Error{Kind: diagnose.STS, Field: diagnose.FieldEncodedMessage, Err: chain}, wantStatus: 502, want: []string{"sts:DecodeAuthorizationMessage failed:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ae := pipelineError(tt.err)
			if ae.Status != tt.wantStatus {
				t.Errorf("status %d, want %d", ae.Status, tt.wantStatus)
			}
			for _, w := range tt.want {
				if !strings.Contains(ae.Message, w) {
					t.Errorf("message %q lacks %q", ae.Message, w)
				}
			}
			for _, internal := range []string{"IMDS", "ec2imds", "get credentials", "111122223333", "RequestID", "StatusCode"} {
				if strings.Contains(ae.Message, internal) {
					t.Errorf("message shows the SDK's %q: %s", internal, ae.Message)
				}
			}
			if !errors.Is(ae, tt.err) {
				t.Error("the cause is not kept for the log")
			}
		})
	}
}

// TestEncodedMessageWithoutLiveSource: a daemon without a decoder (no live
// source) answers 422 and says what to configure, without running the
// pipeline.
func TestEncodedMessageWithoutLiveSource(t *testing.T) {
	ts := newTestServer(t, zapcore.InfoLevel, nil)
	w := ts.do(t, "POST", "/v1/diagnose", testToken, jsonBody(t, map[string]any{"encoded_message": strings.Repeat("AbC-_9", 20)}), nil)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422: %s", w.Code, w.Body)
	}
	e := errorOf(t, w)
	if e.Code != "cannot_decode" || !strings.Contains(e.Error, "IAMDIAG_LIVE") || !strings.Contains(e.Error, "decoded_message") {
		t.Errorf("got %+v, want cannot_decode naming the live source and decoded_message", e)
	}
	if n := ts.diag.calls.Load(); n != 0 {
		t.Errorf("the source was asked %d times", n)
	}
}

package diagnose

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/decode"
)

func TestCheckAction(t *testing.T) {
	tests := []struct {
		name             string
		action, resource string
		explicit         bool
		wantErr          string // substring; "" for no error
		wantWarning      string // substring of the only warning; "" for none
	}{
		{name: "known action, fitting ARN", action: "ec2:RunInstances", resource: "arn:aws:ec2:us-east-1:123456789012:instance/*"},
		{name: "typo typed by a person", action: "ec2:RunInstance", explicit: true, wantErr: "did you mean ec2:RunInstances?"},
		{name: "typo from a message is a warning", action: "ec2:RunInstance", wantWarning: "did you mean ec2:RunInstances?"},
		{name: "plausible new action is a warning", action: "ec2:FrobnicateWidgets", explicit: true, wantWarning: "if AWS added it since"},
		{name: "wildcard action is not checked", action: "ec2:Run*", explicit: true},
		{name: "mistyped resource type", action: "ec2:RunInstances", resource: "arn:aws:ec2:us-east-1:123456789012:instnce/i-1", wantWarning: "fits none of the resource types ec2:RunInstances"},
		{name: "bucket for an EC2 action", action: "ec2:TerminateInstances", resource: "arn:aws:s3:::b", wantWarning: "(instance)"},
		{name: "star-only action with an ARN", action: "s3:ListAllMyBuckets", resource: "arn:aws:s3:::b", wantWarning: `authorized against "*" only`},
		{name: "star resource", action: "s3:GetObject", resource: "*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warnings, _, err := checkAction(tt.action, tt.resource, tt.explicit)
			if tt.wantErr != "" {
				var e *Error
				if !errors.As(err, &e) || e.Kind != Invalid || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want an Invalid error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if tt.wantWarning == "" {
				if diff := cmp.Diff([]string(nil), warnings); diff != "" {
					t.Errorf("warnings (-want +got):\n%s", diff)
				}
				return
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], tt.wantWarning) {
				t.Errorf("warnings = %q, want one containing %q", warnings, tt.wantWarning)
			}
		})
	}
}

func TestNonARNResource(t *testing.T) {
	tests := []struct {
		name string
		req  decode.Request
		want string // substring; "" for no warning
	}{
		{"ARN", decode.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, ""},
		{"star", decode.Request{Action: "s3:ListAllMyBuckets", Resource: "*"}, ""},
		{"secret name", decode.Request{Principal: "arn:aws:sts::123456789012:assumed-role/R/s", Action: "secretsmanager:GetSecretValue", Resource: "prod/db/password"}, "it stands for arn:aws:secretsmanager:REGION:123456789012:secret:prod/db/password-??????"},
		{"parameter name", decode.Request{Account: "123456789012", Action: "ssm:GetParameter", Resource: "/prod/db"}, "it stands for arn:aws:ssm:REGION:123456789012:parameter/prod/db"},
		{"masked account", decode.Request{Principal: "arn:aws:iam::858XXXXXXXXX:user/u", Action: "secretsmanager:GetSecretValue", Resource: "settings"}, "REGION:ACCOUNT:secret:settings-??????"},
		{"unknown service", decode.Request{Action: "iam:GetPolicy", Resource: "policy my-policy"}, `"policy my-policy", which is not an ARN: evaluated as unknown`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := nonARNResource(&tt.req)
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("nonARNResource = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUnevaluable(t *testing.T) {
	both := []Field{FieldPrincipal, FieldAction}
	tests := []struct {
		name    string
		req     decode.Request
		missing []Field
		want    string // the whole message with Field.String names; "" for nil
	}{
		{"operation of several services", decode.Request{Source: decode.SourceErrorText, Operation: "PutObject"}, both,
			"the input does not name the caller (the caller's ARN) or the action (the action): the text names the PutObject operation but not its service, and 6 services have an action of that name (backup-storage:PutObject, mediapackagev2:PutObject, mediastore:PutObject, s3:PutObject, s3-object-lambda:PutObject, s3-outposts:PutObject)"},
		{"encoded message only", decode.Request{Source: decode.SourceErrorText, EncodedMessage: "abc"}, both,
			"the input does not name the caller (the caller's ARN) or the action (the action): the text holds only an encoded authorization message, which names both once decoded (sts:DecodeAuthorizationMessage); give it with the encoded authorization message"},
		{"nothing to add", decode.Request{Source: decode.SourceErrorText, Action: "s3:GetObject"}, []Field{FieldPrincipal}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := unevaluable(&tt.req, tt.missing)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("web identity", func(t *testing.T) {
		err := unevaluable(&decode.Request{Source: decode.SourceErrorText, Action: "sts:AssumeRoleWithWebIdentity", Resource: "arn:aws:iam::123456789012:role/ci"}, []Field{FieldPrincipal})
		var e *Error
		if !errors.As(err, &e) || e.Kind != Incomplete || !strings.Contains(err.Error(), "the trust policy of arn:aws:iam::123456789012:role/ci decides it alone") {
			t.Errorf("err = %v", err)
		}
	})
}

package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"

	"github.com/iamdiag/iamdiag/internal/authrecord"
)

// memRecords serves AWS's records from memory, ErrNotFound for others.
type memRecords map[string]*authrecord.Record

func (m memRecords) FetchRecord(_ context.Context, id, _ string) (*authrecord.Record, error) {
	if r, ok := m[id]; ok {
		return r, nil
	}
	return nil, authrecord.ErrNotFound
}

// TestDiagnoseAuthorizationID: /v1/diagnose takes authorization_id, and an
// error text carrying one is diagnosed from AWS's record.
func TestDiagnoseAuthorizationID(t *testing.T) {
	rec := &authrecord.Record{
		Format: authrecord.Format, AuthorizationID: "rec0001", Region: "us-east-1",
		RequestContext: map[string]json.RawMessage{"aws:PrincipalArn": json.RawMessage(`"arn:aws:iam::123456789012:role/MyFederatedRole"`), "aws:PrincipalAccount": json.RawMessage(`"123456789012"`)},
		Evaluations: []authrecord.Evaluation{{Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:123456789012:q", EvaluatedEffect: authrecord.EffectExplicitDeny,
			MatchedPolicies: []authrecord.MatchedPolicy{{URI: "session-1", MatchedStatements: []authrecord.MatchedStatement{{Sid: "NoSQS", EvaluatedEffect: "DENY"}}}}}},
		Policies: []authrecord.PolicyInfo{
			{Type: authrecord.TypeIdentity, URI: "arn:aws:iam::123456789012:policy/All"},
			{Type: authrecord.TypeSession, URI: "session-1", Inline: true},
		},
		Documents: map[string]json.RawMessage{
			"arn:aws:iam::123456789012:policy/All": json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
			"session-1":                            json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"NoSQS","Effect":"Deny","Action":"sqs:*","Resource":"*"}]}`),
		},
	}
	ts := newTestServer(t, zapcore.InfoLevel, func(c *Config) { c.Sources.Records = memRecords{"rec0001": rec} })
	errText := "User: arn:aws:sts::123456789012:assumed-role/MyFederatedRole/jane is not authorized to perform: sqs:SendMessage on resource: arn:aws:sqs:us-east-1:123456789012:q with an explicit deny in a session policy. Call the GetRequestAuthorizationDetails API with the following authorization id: rec0001"
	tests := []struct {
		name       string
		body       map[string]any
		wantStatus int
		want       []string
	}{
		{name: "the ID alone", body: map[string]any{"authorization_id": "rec0001"}, wantStatus: 200,
			want: []string{`"decision": "explicit-deny"`, `"authorization_record": {`, `"layer": "session-policy"`}},
		{name: "an error text carrying the ID", body: map[string]any{"error": errText}, wantStatus: 200,
			want: []string{`"authorization_id": "rec0001"`, `"agrees": true`}},
		{name: "a malformed ID", body: map[string]any{"authorization_id": "rec-0001"}, wantStatus: 400,
			want: []string{`"invalid_request"`, "authorization_id"}},
		{name: "an unknown ID alone", body: map[string]any{"authorization_id": "gone9"}, wantStatus: 422,
			want: []string{"was not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := ts.do(t, "POST", "/v1/diagnose", testToken, jsonBody(t, tt.body), nil)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d:\n%s", w.Code, tt.wantStatus, w.Body)
			}
			for _, s := range tt.want {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("the answer lacks %s:\n%s", s, w.Body)
				}
			}
		})
	}
}

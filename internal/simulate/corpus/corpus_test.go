package corpus

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/policy"
)

const minimal = `{"description": "d", "doc": ["https://docs.aws.amazon.com/x"],
 "request": {"principal": "arn:aws:iam::111122223333:role/R", "action": "s3:GetObject", "resource": "*", "context": {"aws:SourceIp": ["10.0.0.1"]}},
 "scp": [{"target": "ou-ab12-x", "type": "ORGANIZATIONAL_UNIT", "policies": [{"name": "P", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]}],
 "rcp_unreadable": "AccessDeniedException", "session_known": false,
 "expect": {"decision": "allowed", "blockers": []}}`

func write(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "case.json")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name, content, wantErr string
	}{
		{name: "minimal", content: minimal},
		{name: "unknown field", content: strings.Replace(minimal, `"description"`, `"descriptionn"`, 1), wantErr: "unknown field"},
		{name: "trailing data", content: minimal + ` {}`, wantErr: "trailing data"},
		{name: "too large", content: minimal + strings.Repeat(" ", MaxFile), wantErr: "larger than"},
		{name: "not json", content: `{"description": `, wantErr: "decoding"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(write(t, tc.content))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Description != "d" || c.Expect.Decision != "allowed" || c.Expect.Blockers == nil {
					t.Errorf("decoded %+v", c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestInputs(t *testing.T) {
	c, err := Load(write(t, minimal))
	if err != nil {
		t.Fatal(err)
	}
	req := c.PolicyRequest()
	if got, _ := req.Context.Get("aws:SourceIp"); !cmp.Equal(got, []string{"10.0.0.1"}) || req.Action != "s3:GetObject" {
		t.Errorf("request = %+v, context aws:SourceIp = %v", req, got)
	}
	l, err := c.PolicyLayers()
	if err != nil {
		t.Fatal(err)
	}
	if l.SessionKnown || !l.RCPRead.Unreadable || l.RCPRead.Error != "AccessDeniedException" || l.SCPRead.Unreadable {
		t.Errorf("session known %v, RCP read %+v, SCP read %+v", l.SessionKnown, l.RCPRead, l.SCPRead)
	}
	if len(l.SCP) != 1 || len(l.SCP[0].Policies) != 1 || l.SCP[0].Policies[0].Target != "ou-ab12-x" || l.SCP[0].Policies[0].Layer != policy.LayerSCP {
		t.Errorf("SCP levels = %+v", l.SCP)
	}
	if clock, err := c.Clock(); err != nil || clock != nil {
		t.Errorf("Clock without now: clock set %v, error %v", clock != nil, err)
	}

	c.Now = "2026-11-26T10:00:00Z"
	clock, err := c.Clock()
	if err != nil || clock == nil || !clock().Equal(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("Clock: clock set %v, error %v", clock != nil, err)
	}
	c.Now = "yesterday"
	if _, err := c.Clock(); err == nil {
		t.Error("Clock accepted a time that is not RFC 3339")
	}

	c.SCP[0].Policies[0].Document = nil
	if _, err := c.PolicyLayers(); !errors.Is(err, ErrInvalid) {
		t.Errorf("PolicyLayers without a document: %v, want ErrInvalid", err)
	}
}

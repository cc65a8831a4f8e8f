package diagnose

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/authrecord"
	"github.com/iamdiag/iamdiag/internal/decode"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// failingRecords fails every fetch with err.
type failingRecords struct{ err error }

func (f failingRecords) FetchRecord(context.Context, string, string) (*authrecord.Record, error) {
	return nil, f.err
}

// TestRecordFallbackLine: each reason AWS's record cannot be read gives
// one line that says which.
func TestRecordFallbackLine(t *testing.T) {
	tests := []struct {
		name    string
		records RecordFetcher
		region  string
		want    string
	}{
		{"unknown or expired", failingRecords{fmt.Errorf("%w: ResourceNotFoundException", authrecord.ErrNotFound)}, "us-east-1",
			"was not found in us-east-1: the ID is unknown there or has expired (records last at least 24 hours); diagnosing from the current policies instead"},
		{"not permitted", failingRecords{fmt.Errorf("%w: AccessDeniedException", authrecord.ErrAccessDenied)}, "",
			"cannot be read: access denied (allow iam:GetRequestAuthorizationDetails and iam:GetRequestAuthorizationPolicy"},
		{"unsupported region", failingRecords{fmt.Errorf("%w: no such host", authrecord.ErrUnsupportedRegion)}, "ap-south-2",
			"cannot be read: IAM Toolbox has no endpoint in ap-south-2; diagnosing from the current policies instead"},
		{"anything else", failingRecords{errors.New("connection reset")}, "",
			"cannot be read: connection reset; diagnosing from the current policies instead"},
		{"no fetcher", nil, "",
			"which this source cannot read: diagnose with AWS credentials allowed iam:GetRequestAuthorizationDetails"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec := &decode.Request{AuthorizationID: "abc123", AuthorizationRegion: tt.region}
			rec, line := record(context.Background(), Input{}, dec, Sources{Records: tt.records})
			if rec != nil {
				t.Fatal("a record from a failing fetch")
			}
			if !strings.Contains(line, tt.want) || strings.Contains(line, "\n") {
				t.Errorf("line %q, want one line with %q", line, tt.want)
			}
		})
	}
	if rec, line := record(context.Background(), Input{}, &decode.Request{}, Sources{}); rec != nil || line != "" {
		t.Errorf("no ID: %v %q, want nothing", rec, line)
	}
}

// TestPolicyChanges: the policies now beside the ones AWS evaluated, by
// ARN and attachment, by layer, and by document where they have no ARN.
func TestPolicyChanges(t *testing.T) {
	doc := func(action string) *policy.Document {
		d, err := policy.Parse([]byte(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "` + action + `", "Resource": "*"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	const scpARN = "arn:aws:organizations::999999999999:policy/o-abc/service_control_policy/p-deny"
	managed := func(name, action string) policy.Source {
		return policy.Source{Layer: policy.LayerIdentity, ARN: "arn:aws:iam::123456789012:policy/" + name, Name: name, Document: doc(action)}
	}
	base := func() *policy.Layers {
		return &policy.Layers{
			SessionKnown: true,
			SCP:          []policy.OrgLevel{{Target: "ou-ab12", Policies: []policy.Source{{Layer: policy.LayerSCP, ARN: scpARN, Name: "Deny", Document: doc("ec2:*")}}}},
			Identity:     []policy.Source{managed("Read", "s3:GetObject"), {Layer: policy.LayerIdentity, Name: "inline-1", Document: doc("sqs:*")}},
			VPCEndpoint:  &policy.Source{Layer: policy.LayerVPCEndpoint, Name: "vpce-1", Document: doc("*")},
		}
	}
	tests := []struct {
		name   string
		change func(now *policy.Layers)
		want   []string
	}{
		{"nothing changed", func(*policy.Layers) {}, nil},
		{"formatting is no change", func(now *policy.Layers) {
			now.Identity[1].Name = "another name for the same inline policy"
		}, nil},
		{"an SCP changed", func(now *policy.Layers) { now.SCP[0].Policies[0].Document = doc("ec2:Run*") }, []string{
			"the service control policy Deny (" + scpARN + ") at ou-ab12 has changed"}},
		{"an SCP moved", func(now *policy.Layers) { now.SCP[0].Target = "r-ab12" }, []string{
			"the service control policy Deny (" + scpARN + ") at ou-ab12 is no longer attached",
			"the service control policy Deny (" + scpARN + ") at r-ab12 is attached now, and AWS did not evaluate it"}},
		{"a managed policy detached, another attached", func(now *policy.Layers) { now.Identity[0] = managed("Write", "s3:PutObject") }, []string{
			"the identity-based policy Read (arn:aws:iam::123456789012:policy/Read) is no longer attached",
			"the identity-based policy Write (arn:aws:iam::123456789012:policy/Write) is attached now, and AWS did not evaluate it"}},
		{"an inline policy changed", func(now *policy.Layers) { now.Identity[1].Document = doc("sns:*") }, []string{
			"the identity-based policy inline-1 that AWS evaluated is gone or has changed",
			"the identity-based policy inline-1 is in force now, and AWS did not evaluate it"}},
		{"the endpoint policy changed", func(now *policy.Layers) { now.VPCEndpoint.Document = doc("s3:*") }, []string{
			"the VPC endpoint policy vpce-1 has changed"}},
		{"the SCPs are unknown now", func(now *policy.Layers) {
			now.SCP, now.SCPRead = nil, policy.Readability{Unreadable: true, Error: "AccessDeniedException"}
		}, []string{"the current service control policy layer is unknown (AccessDeniedException): not compared"}},
		{"session policies unknown now are not compared", func(now *policy.Layers) { now.SessionKnown = false }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := base()
			tt.change(now)
			if diff := cmp.Diff(tt.want, policyChanges(base(), now)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

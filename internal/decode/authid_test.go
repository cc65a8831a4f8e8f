package decode

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The user guide's example
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied-authorization-id.html).
const authIDExample = `User: arn:aws:iam::123456789012:user/janedoe is not authorized to perform: iam:CreateInstanceProfile on
resource: arn:aws:iam::123456789012:instance-profile/my-instance-profile with an explicit deny in an
identity-based policy: arn:aws:iam::123456789012:policy/ExampleDenyPolicy. Go to
https://us-east-1.console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/EXAMPLE1a2b3c4d5e
for complete details, or call the GetRequestAuthorizationDetails API with the following authorization id:
EXAMPLE1a2b3c4d5e`

func TestAuthorizationID(t *testing.T) {
	tests := []struct {
		name       string
		text       string
		ct         string // a CloudTrail record instead of text
		id, region string
		policyARN  string
	}{
		{name: "user guide example, wrapped", text: authIDExample, id: "EXAMPLE1a2b3c4d5e", region: "us-east-1",
			policyARN: "arn:aws:iam::123456789012:policy/ExampleDenyPolicy"},
		{name: "one line", text: joinLines(authIDExample), id: "EXAMPLE1a2b3c4d5e", region: "us-east-1",
			policyARN: "arn:aws:iam::123456789012:policy/ExampleDenyPolicy"},
		{name: "sentence only, lower case", text: "User: arn:aws:sts::111122223333:assumed-role/App/s is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k because no session policy allows the s3:GetObject action. Call the GetRequestAuthorizationDetails API with the following authorization id: 0a1b2c3d4e5f", id: "0a1b2c3d4e5f"},
		{name: "link only, ID cut by the terminal", text: "User: arn:aws:iam::123456789012:user/u is not authorized to perform: ec2:RunInstances on resource: * with an explicit deny in a service control policy. Go to https://eu-west-1.console.aws.amazon.com/iam/home?region=eu-west-1#/authorization-details/abc123\ndef456 for complete details", id: "abc123def456", region: "eu-west-1"},
		{name: "JSON error body", text: `{"__type":"AccessDeniedException","Message":"User: arn:aws:iam::123456789012:user/u is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/x because no permissions boundary allows the iam:CreateRole action. Go to https:\/\/us-east-1.console.aws.amazon.com\/iam\/home?region=us-east-1#\/authorization-details\/q1w2e3r4 for complete details, or call the GetRequestAuthorizationDetails API with the following authorization id: q1w2e3r4"}`, id: "q1w2e3r4", region: "us-east-1"},
		{name: "no ID", text: "User: arn:aws:iam::123456789012:user/u is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/x"},
		{name: "CloudTrail errorMessage", ct: `{"eventSource":"iam.amazonaws.com","eventName":"CreateRole","awsRegion":"us-east-1","errorCode":"AccessDenied","errorMessage":"User: arn:aws:iam::123456789012:user/u is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/x with an explicit deny in a service control policy. Go to https://us-east-1.console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/ct0001 for complete details, or call the GetRequestAuthorizationDetails API with the following authorization id: ct0001","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/u","accountId":"123456789012"}}`, id: "ct0001", region: "us-east-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				r   *Request
				err error
			)
			if tt.ct != "" {
				r, err = FromCloudTrail([]byte(tt.ct))
			} else {
				r, err = FromErrorText(tt.text)
			}
			if err != nil {
				t.Fatal(err)
			}
			got := [2]string{r.AuthorizationID, r.AuthorizationRegion}
			if diff := cmp.Diff([2]string{tt.id, tt.region}, got); diff != "" {
				t.Errorf("ID, region (-want +got):\n%s", diff)
			}
			if tt.policyARN != "" && (r.Hint == nil || r.Hint.PolicyARN != tt.policyARN) {
				t.Errorf("hint = %+v, want policy %s", r.Hint, tt.policyARN)
			}
		})
	}
}

func joinLines(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c == '\n' {
			out[i] = ' '
		}
	}
	return string(out)
}

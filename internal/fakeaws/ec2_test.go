package fakeaws

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

const vpceSnapshot = `{"format": "iamdiag-snapshot/v1", "account_id": "111111111111",
 "authorization_details": {},
 "vpc_endpoints": {
  "vpce-0a1b2c3d4e5f67890": {"owner_id": "222222222222", "region": "us-east-1",
    "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}]}},
  "vpce-0eu": {"region": "eu-west-1", "policy": {"Version": "2012-10-17", "Statement": []}}
 }}`

// TestDescribeVpcEndpoints checks the ec2 query protocol against the SDK's
// own EC2 client: the endpoints found in their region with their policy
// (plain JSON, as EC2 sends it) and owner, and EC2's errors.
func TestDescribeVpcEndpoints(t *testing.T) {
	tests := []struct {
		name      string
		ids       []string
		region    string
		opts      Options
		want      map[string]string // id → owner
		wantCode  string
		wantInDoc string
	}{
		{name: "found", ids: []string{"vpce-0a1b2c3d4e5f67890"}, region: "us-east-1",
			want: map[string]string{"vpce-0a1b2c3d4e5f67890": "222222222222"}, wantInDoc: `"s3:PutObject"`},
		{name: "owner defaults to the account", ids: []string{"vpce-0eu"}, region: "eu-west-1",
			want: map[string]string{"vpce-0eu": "111111111111"}},
		{name: "all of the region", region: "eu-west-1", want: map[string]string{"vpce-0eu": "111111111111"}},
		{name: "other region", ids: []string{"vpce-0a1b2c3d4e5f67890"}, region: "eu-west-1", wantCode: "InvalidVpcEndpointId.NotFound"},
		{name: "unknown", ids: []string{"vpce-0nope"}, region: "us-east-1", wantCode: "InvalidVpcEndpointId.NotFound"},
		{name: "denied", ids: []string{"vpce-0a1b2c3d4e5f67890"}, region: "us-east-1",
			opts: Options{Deny: map[string]string{"DescribeVpcEndpoints": ""}}, wantCode: "UnauthorizedOperation"},
		{name: "throttled then answered", ids: []string{"vpce-0a1b2c3d4e5f67890"}, region: "us-east-1",
			opts: Options{Throttle: map[string]int{"ec2:DescribeVpcEndpoints": 2}},
			want: map[string]string{"vpce-0a1b2c3d4e5f67890": "222222222222"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, u := serve(t, parseSnapshot(t, vpceSnapshot), tt.opts)
			cfg := awsConfig(u)
			cfg.Region = tt.region
			c := ec2.NewFromConfig(cfg)
			out, err := c.DescribeVpcEndpoints(context.Background(), &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: tt.ids})
			if tt.wantCode != "" {
				var ae smithy.APIError
				if !errors.As(err, &ae) {
					t.Fatalf("err = %v, want %s", err, tt.wantCode)
				}
				if diff := cmp.Diff(tt.wantCode, ae.ErrorCode()); diff != "" {
					t.Errorf("code (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, ep := range out.VpcEndpoints {
				got[aws.ToString(ep.VpcEndpointId)] = aws.ToString(ep.OwnerId)
				if tt.wantInDoc != "" && !strings.Contains(aws.ToString(ep.PolicyDocument), tt.wantInDoc) {
					t.Errorf("policy document %q lacks %s", aws.ToString(ep.PolicyDocument), tt.wantInDoc)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("endpoints (-want +got):\n%s", diff)
			}
			if s.Calls()["DescribeVpcEndpoints"] == 0 {
				t.Error("no DescribeVpcEndpoints call logged")
			}
		})
	}
}

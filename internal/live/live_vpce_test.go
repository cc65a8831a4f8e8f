package live_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/live"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// denyPutEndpoint is a VPC endpoint policy that denies s3:PutObject.
const denyPutEndpoint = `{"Version": "2012-10-17", "Statement": [{"Sid": "NoPut", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}]}`

// withEndpoint adds endpoint id (owner, region) with policy doc to s.
func withEndpoint(t testing.TB, s *layers.Snapshot, id, owner, region, doc string) {
	t.Helper()
	raw, err := layers.NewRawPolicy(json.RawMessage(doc))
	if err != nil {
		t.Fatal(err)
	}
	if s.VPCEndpoints == nil {
		s.VPCEndpoints = map[string]layers.VPCEndpoint{}
	}
	s.VPCEndpoints[id] = layers.VPCEndpoint{OwnerID: owner, Region: region, Policy: raw}
}

// vpceRequest is prod's role putting an object through endpoint vpce
// ("": through none), with extra context keys.
func vpceRequest(t testing.TB, snap *layers.Snapshot, vpce string, kv ...string) *policy.Request {
	t.Helper()
	req := prodRole(t, snap)
	req.Action, req.Resource = "s3:PutObject", "arn:aws:s3:::reports/x"
	if vpce != "" {
		req.Context.Set("aws:SourceVpce", vpce)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Context.Set(kv[i], kv[i+1])
	}
	return req
}

// vpceLayer is what a test compares of the VPC endpoint policy layer.
type vpceLayer struct {
	ARN, Name  string
	Statements int
	Unreadable bool
	Error      string
}

func vpceOf(l *policy.Layers) vpceLayer {
	v := vpceLayer{Unreadable: l.VPCEndpointRead.Unreadable, Error: l.VPCEndpointRead.Error}
	if s := l.VPCEndpoint; s != nil {
		v.ARN, v.Name, v.Statements = s.ARN, s.Name, len(s.Document.Statements)
	}
	return v
}

// TestLiveVPCEndpoint reads the policy of the endpoint a request went
// through with ec2:DescribeVpcEndpoints from the fake: found (its ARN
// names the owner and region), not found, denied, in another region,
// without an EC2 client, and no endpoint at all.
func TestLiveVPCEndpoint(t *testing.T) {
	const id = "vpce-0a1b2c3d4e5f67890"
	tests := []struct {
		name     string
		vpce     string
		kv       []string
		opts     fakeaws.Options
		noEC2    bool
		want     vpceLayer
		wantMsg  []string // in VPCEndpointRead.Message
		wantCall int
	}{
		{name: "found", vpce: id, wantCall: 1,
			want: vpceLayer{ARN: "arn:aws:ec2:us-east-1:444455556666:vpc-endpoint/" + id, Name: id, Statements: 1}},
		{name: "found in the requested region", vpce: "vpce-0eu", kv: []string{"aws:RequestedRegion", "eu-west-1"}, wantCall: 1,
			want: vpceLayer{ARN: "arn:aws:ec2:eu-west-1:444455556666:vpc-endpoint/vpce-0eu", Name: "vpce-0eu", Statements: 1}},
		{name: "not in the requested region", vpce: id, kv: []string{"aws:RequestedRegion", "eu-west-1"}, wantCall: 1,
			want:    vpceLayer{Unreadable: true, Error: "InvalidVpcEndpointId.NotFound"},
			wantMsg: []string{"vpce-0a1b2c3d4e5f67890 is not found in eu-west-1", "owns its VPC"}},
		{name: "not found", vpce: "vpce-0nope", wantCall: 1,
			want:    vpceLayer{Unreadable: true, Error: "InvalidVpcEndpointId.NotFound"},
			wantMsg: []string{"vpce-0nope is not found in us-east-1"}},
		{name: "denied", vpce: id, opts: fakeaws.Options{Deny: map[string]string{"DescribeVpcEndpoints": ""}}, wantCall: 1,
			want:    vpceLayer{Unreadable: true, Error: "UnauthorizedOperation"},
			wantMsg: []string{"ec2:DescribeVpcEndpoints was denied (UnauthorizedOperation)", "allow ec2:DescribeVpcEndpoints"}},
		{name: "no EC2 client", vpce: id, noEC2: true,
			want:    vpceLayer{Unreadable: true, Error: "NotConfigured"},
			wantMsg: []string{"no EC2 client"}},
		{name: "through no endpoint", want: vpceLayer{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := loadSnap(t, realisticSnapshot)
			withEndpoint(t, snap, id, "444455556666", "us-east-1", denyPutEndpoint)
			withEndpoint(t, snap, "vpce-0eu", "444455556666", "eu-west-1", denyPutEndpoint)
			c := startFake(t, snap, tt.opts)
			if tt.noEC2 {
				c.ec2 = nil
			}
			clients := live.Clients{IAM: c.iam, Organizations: c.org, S3: c.s3, KMS: c.kms}
			if c.ec2 != nil {
				clients.EC2 = c.ec2
			}
			rd := live.New(clients, live.Options{})
			l, err := rd.Layers(context.Background(), vpceRequest(t, snap, tt.vpce, tt.kv...))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, vpceOf(l)); diff != "" {
				t.Errorf("VPC endpoint layer (-want +got):\n%s", diff)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(l.VPCEndpointRead.Message, m) {
					t.Errorf("message %q lacks %q", l.VPCEndpointRead.Message, m)
				}
			}
			if got := c.fake.Calls()["DescribeVpcEndpoints"]; got != tt.wantCall {
				t.Errorf("DescribeVpcEndpoints calls = %d, want %d", got, tt.wantCall)
			}
			if tt.want.Statements > 0 {
				// The live layer is the snapshot's (reloaded: the index
				// was built before the endpoints were added).
				b, err := snap.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				reloaded, err := layers.Load(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				want, err := reloaded.Layers(vpceRequest(t, reloaded, tt.vpce, tt.kv...))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want.VPCEndpoint, l.VPCEndpoint, layersCmp); diff != "" {
					t.Errorf("live differs from the snapshot (-snapshot +live):\n%s", diff)
				}
			}
		})
	}
}

// TestLiveVPCEndpointAcrossAccounts reads an endpoint through per-account
// roles: the resource's account first, then the principal's; an endpoint
// neither owns is unknown, saying what each account answered.
func TestLiveVPCEndpointAcrossAccounts(t *testing.T) {
	var snaps []*layers.Snapshot
	for _, n := range []string{"management", "workloads", "data", "sandbox"} {
		snaps = append(snaps, loadSnap(t, filepath.Join("..", "fakeaws", "testdata", "org", n+".json")))
	}
	withEndpoint(t, snaps[2], "vpce-0data", "222233334444", "us-east-1", denyPutEndpoint)
	withEndpoint(t, snaps[1], "vpce-0work", "123456789012", "us-east-1", denyPutEndpoint)
	o := fakeaws.NewOrg(snaps, fakeaws.OrgOptions{ExternalID: "iamdiag-test",
		Keys: map[string]string{"AKIAWORKLOADONCALL01": "arn:aws:iam::123456789012:user/oncall"}})
	u := o.Start()
	t.Cleanup(o.Close)
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAWORKLOADONCALL01", "secret", ""),
		BaseEndpoint: aws.String(u),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 20 * time.Millisecond })
		},
	}
	ic, ec := iam.NewFromConfig(cfg), ec2.NewFromConfig(cfg)
	base := &live.AccountClients{IAM: ic, EC2: ec, Simulator: ic}
	acc := live.NewRoleAccounts(cfg, live.RoleOptions{Role: "iamdiag-reader", ExternalID: "iamdiag-test", Base: base})
	rd := live.New(live.Clients{IAM: ic, Organizations: organizations.NewFromConfig(cfg), EC2: ec}, live.Options{AccountID: "123456789012", Accounts: acc})

	tests := []struct {
		name    string
		vpce    string
		want    vpceLayer
		wantMsg []string
	}{
		{name: "owned by the resource's account", vpce: "vpce-0data",
			want: vpceLayer{ARN: "arn:aws:ec2:us-east-1:222233334444:vpc-endpoint/vpce-0data", Name: "vpce-0data", Statements: 1}},
		{name: "owned by the principal's account", vpce: "vpce-0work",
			want: vpceLayer{ARN: "arn:aws:ec2:us-east-1:123456789012:vpc-endpoint/vpce-0work", Name: "vpce-0work", Statements: 1}},
		{name: "owned by neither", vpce: "vpce-0elsewhere",
			want:    vpceLayer{Unreadable: true, Error: "InvalidVpcEndpointId.NotFound"},
			wantMsg: []string{"account 222233334444: VPC endpoint vpce-0elsewhere is not found", "account 123456789012: VPC endpoint vpce-0elsewhere is not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &policy.Request{Principal: policy.Principal{ARN: "arn:aws:sts::123456789012:assumed-role/Analytics/job"},
				Action: "s3:PutObject", Resource: "arn:aws:s3:::data-prod-exports/x", Context: &policy.Context{}}
			req.Context.Set("aws:ResourceAccount", "222233334444")
			req.Context.Set("aws:SourceVpce", tt.vpce)
			l, err := rd.Layers(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, vpceOf(l)); diff != "" {
				t.Errorf("VPC endpoint layer (-want +got):\n%s", diff)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(l.VPCEndpointRead.Message, m) {
					t.Errorf("message %q lacks %q", l.VPCEndpointRead.Message, m)
				}
			}
		})
	}
}

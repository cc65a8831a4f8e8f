package live_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/live"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// sdk are real SDK clients pointed at a fake server.
type sdk struct {
	iam  *iam.Client
	org  *organizations.Client
	s3   *s3.Client
	kms  *kms.Client
	sts  *sts.Client
	ec2  *ec2.Client
	fake *fakeaws.Server
}

// startFake serves snap with opts and returns clients for it: static
// credentials, us-east-1, BaseEndpoint the fake's URL (as AWS_ENDPOINT_URL
// would set it), S3 path-style, the standard retryer with short backoff.
func startFake(t testing.TB, snap *layers.Snapshot, opts fakeaws.Options) *sdk {
	t.Helper()
	f := fakeaws.New(snap, opts)
	url := f.Start()
	t.Cleanup(f.Close)
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAFAKEFAKEFAKEFAKE", "secret", ""),
		BaseEndpoint: aws.String(url),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 20 * time.Millisecond })
		},
	}
	return &sdk{
		iam: iam.NewFromConfig(cfg), org: organizations.NewFromConfig(cfg),
		s3:  s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		kms: kms.NewFromConfig(cfg), sts: sts.NewFromConfig(cfg), ec2: ec2.NewFromConfig(cfg), fake: f,
	}
}

func (c *sdk) live(opt live.Options) *live.Reader {
	return live.New(live.Clients{IAM: c.iam, Organizations: c.org, S3: c.s3, KMS: c.kms, EC2: c.ec2}, opt)
}

func loadSnap(t testing.TB, path string) *layers.Snapshot {
	t.Helper()
	s, err := layers.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func snapshotFiles(t testing.TB) []string {
	files, err := filepath.Glob("../../examples/*/snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, realisticSnapshot)
	return files
}

// requests builds requests covering the snapshot: every role (as an
// assumed-role session) and user, each with one of the resources of
// interest in turn (bucket objects and keys with policies, another role to
// assume, a wildcard), plus the root user and a federated user.
func requests(s *layers.Snapshot) []*policy.Request {
	d := &s.AuthorizationDetails
	type target struct{ action, resource string }
	targets := []target{{"ec2:RunInstances", "*"}}
	for _, rp := range s.ResourcePolicies {
		switch {
		case strings.HasPrefix(rp.ARN, "arn:aws:s3:::"):
			targets = append(targets, target{"s3:GetObject", rp.ARN + "/reports/q1.csv"}, target{"s3:ListBucket", rp.ARN})
		case strings.Contains(rp.ARN, ":kms:"):
			targets = append(targets, target{"kms:Decrypt", rp.ARN})
		}
	}
	targets = append(targets, target{"s3:GetObject", "arn:aws:s3:::no-policy-bucket-" + s.AccountID + "/x"})
	for i, r := range d.RoleDetailList {
		if i%3 == 0 {
			targets = append(targets, target{"sts:AssumeRole", r.Arn})
		}
	}
	var out []*policy.Request
	n := 0
	add := func(principal string) {
		t := targets[n%len(targets)]
		n++
		out = append(out, policy.NewRequest(principal, t.action, t.resource))
	}
	for _, r := range d.RoleDetailList {
		a := strings.SplitN(r.Arn, ":", 6)
		add("arn:aws:sts::" + a[4] + ":assumed-role/" + r.RoleName + "/session-" + fmt.Sprint(n))
		if n%5 == 0 {
			add(r.Arn) // a role ARN, with its path
		}
	}
	for _, u := range d.UserDetailList {
		add(u.Arn)
	}
	add("arn:aws:iam::" + s.AccountID + ":root")
	add("arn:aws:sts::" + s.AccountID + ":federated-user/bob")
	return out
}

// layersCmp compares two resolutions: documents by their JSON, readability
// by whether the layer was read (live and snapshot explain an unreadable
// layer in their own words and codes).
var layersCmp = cmp.Options{
	cmp.Transformer("document", func(d *policy.Document) string {
		if d == nil {
			return "<nil>"
		}
		b, err := d.MarshalJSON()
		if err != nil {
			return "error: " + err.Error()
		}
		return string(b)
	}),
	cmp.Transformer("readability", func(r policy.Readability) bool { return r.Unreadable }),
	cmpopts.EquateEmpty(),
}

func TestLiveMatchesSnapshot(t *testing.T) {
	for _, file := range snapshotFiles(t) {
		t.Run(filepath.Base(filepath.Dir(file)), func(t *testing.T) {
			snap := loadSnap(t, file)
			c := startFake(t, snap, fakeaws.Options{})
			rd := c.live(live.Options{})
			// covered counts what the compared resolutions held, so that
			// an empty-handed pair cannot pass unnoticed.
			covered := map[string]int{}
			t.Cleanup(func() {
				t.Logf("covered: %v", covered)
				for _, k := range []string{"identity", "scp-levels", "resource"} {
					if covered[k] == 0 {
						t.Errorf("no request resolved a %s layer: %v", k, covered)
					}
				}
			})
			for _, req := range requests(snap) {
				t.Run(req.Principal.ARN+" "+req.Action+" "+req.Resource, func(t *testing.T) {
					want, err := snap.Layers(req)
					if err != nil {
						t.Fatal(err)
					}
					got, err := rd.Layers(context.Background(), req)
					if err != nil {
						t.Fatal(err)
					}
					if want.ResourceRead.Error == layers.CodeNotCaptured && got.Resource == nil && !got.ResourceRead.Unreadable {
						// The live account says the bucket has no policy;
						// the snapshot never captured it: it knows less.
						want.ResourceRead = got.ResourceRead
						covered["resource-not-captured"]++
					}
					if diff := cmp.Diff(want, got, layersCmp); diff != "" {
						t.Errorf("Live.Layers differs from Snapshot.Layers (-snapshot +live):\n%s", diff)
					}
					if len(got.Identity) > 0 {
						covered["identity"]++
					}
					if len(got.SCP) > 0 {
						covered["scp-levels"]++
					}
					if got.Resource != nil || (req.Resource != "*" && want.Resource == nil && !want.ResourceRead.Unreadable && strings.HasPrefix(req.Resource, "arn:aws:s3:::") && !strings.Contains(req.Resource, "no-policy-bucket")) {
						// A policy, or a bucket the snapshot captured as
						// having none.
						covered["resource"]++
					}
					if got.Boundary != nil {
						covered["boundary"]++
					}
					if len(got.Principal.Tags) > 0 {
						covered["tags"]++
					}
					if got.ResourceRead.Unreadable {
						covered["resource-unreadable"]++
					}
				})
			}
		})
	}
}

// TestLivePagesAndThrottling serves one item per page and throttles the
// first call of the main operations once: the SDK's paginators and retryer
// must make it invisible.
func TestLivePagesAndThrottling(t *testing.T) {
	snap := loadSnap(t, realisticSnapshot)
	c := startFake(t, snap, fakeaws.Options{PageSize: 1, Throttle: map[string]int{
		"GetRole": 1, "ListRolePolicies": 1, "ListAttachedRolePolicies": 1, "GetPolicyVersion": 1,
		"ListParents": 1, "ListPoliciesForTarget": 1, "DescribePolicy": 1, "GetUser": 1, "ListGroupsForUser": 1,
	}})
	rd := c.live(live.Options{})
	reqs := requests(snap)
	for i, req := range reqs {
		if i%7 != 0 {
			continue
		}
		want, err := snap.Layers(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rd.Layers(context.Background(), req)
		if err != nil {
			t.Fatalf("%s: %v", req.Principal.ARN, err)
		}
		if diff := cmp.Diff(want, got, layersCmp); diff != "" {
			t.Errorf("%s: (-snapshot +live):\n%s", req.Principal.ARN, diff)
		}
	}
	if calls := c.fake.Calls(); calls["ListParents"] < 4 {
		t.Errorf("ListParents called %d times: pages of one were not followed", calls["ListParents"])
	}
}

// prodRole is an assumed-role session of a role of the realistic snapshot,
// in the account under the three-level organization.
func prodRole(t testing.TB, snap *layers.Snapshot) *policy.Request {
	t.Helper()
	for _, r := range snap.AuthorizationDetails.RoleDetailList {
		if len(r.AttachedManagedPolicies) > 0 && len(r.RolePolicyList) > 0 && strings.Contains(r.Arn, ":"+snap.AccountID+":") {
			return policy.NewRequest("arn:aws:sts::"+snap.AccountID+":assumed-role/"+r.RoleName+"/oncall", "ec2:RunInstances", "*")
		}
	}
	t.Fatal("no role with inline and managed policies")
	return nil
}

func TestLiveFailures(t *testing.T) {
	snap := loadSnap(t, realisticSnapshot)
	base := prodRole(t, snap)
	tests := []struct {
		name  string
		opts  fakeaws.Options
		req   *policy.Request
		check func(t *testing.T, l *policy.Layers, err error)
	}{
		{
			name: "organizations denied",
			opts: fakeaws.Options{Deny: map[string]string{"ListParents": "AccessDeniedException"}},
			check: func(t *testing.T, l *policy.Layers, err error) {
				if err != nil {
					t.Fatal(err)
				}
				for name, r := range map[string]policy.Readability{"scp": l.SCPRead, "rcp": l.RCPRead} {
					if !r.Unreadable || r.Error != "AccessDeniedException" || !strings.Contains(r.Message, "organizations:ListParents was denied (AccessDeniedException); run from the management account or a delegated administrator") {
						t.Errorf("%s read = %+v, want unreadable AccessDeniedException naming ListParents", name, r)
					}
				}
				if l.SCP != nil || l.RCP != nil {
					t.Errorf("unreadable layers hold levels: %v %v", l.SCP, l.RCP)
				}
				if len(l.Identity) == 0 || l.IdentityRead.Unreadable {
					t.Errorf("identity layer lost: %+v", l.IdentityRead)
				}
			},
		},
		{
			name: "not in an organization",
			opts: fakeaws.Options{Errors: map[string]fakeaws.Failure{"DescribeOrganization": {Code: "AWSOrganizationsNotInUseException"}}},
			check: func(t *testing.T, l *policy.Layers, err error) {
				if err != nil {
					t.Fatal(err)
				}
				// AWSOrganizationsNotInUseException says the credentials'
				// account, the principal's, is in no organization: no SCP
				// or RCP applies, which is known, not unreadable.
				for name, r := range map[string]policy.Readability{"scp": l.SCPRead, "rcp": l.RCPRead} {
					if r.Unreadable || !strings.Contains(r.Message, "is not in an organization") {
						t.Errorf("%s read = %+v, want read with a note", name, r)
					}
				}
				if l.SCP != nil || l.RCP != nil || l.OrgID != "" || l.Principal.OrgID != "" {
					t.Errorf("standalone account has organization data: %v %v %q %q", l.SCP, l.RCP, l.OrgID, l.Principal.OrgID)
				}
			},
		},
		{
			name: "identity list denied",
			opts: fakeaws.Options{Deny: map[string]string{"ListAttachedRolePolicies": ""}},
			check: func(t *testing.T, l *policy.Layers, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if !l.IdentityRead.Unreadable || l.IdentityRead.Error != "AccessDenied" || !strings.Contains(l.IdentityRead.Message, "iam:ListAttachedRolePolicies was denied") {
					t.Errorf("identity read = %+v", l.IdentityRead)
				}
				if l.SCPRead.Unreadable {
					t.Errorf("scp read = %+v", l.SCPRead)
				}
			},
		},
		{
			name: "unknown role",
			req:  policy.NewRequest("arn:aws:sts::"+snap.AccountID+":assumed-role/NoSuchRoleHere/x", "ec2:RunInstances", "*"),
			check: func(t *testing.T, l *policy.Layers, err error) {
				if !errors.Is(err, live.ErrNoSuchPrincipal) || !strings.Contains(err.Error(), "NoSuchRoleHere") {
					t.Errorf("err = %v, want ErrNoSuchPrincipal naming the role", err)
				}
			},
		},
		{
			name: "expired token",
			opts: fakeaws.Options{Errors: map[string]fakeaws.Failure{"GetRole": {Code: "ExpiredToken"}}},
			check: func(t *testing.T, l *policy.Layers, err error) {
				if !errors.Is(err, live.ErrCredentials) || !strings.Contains(err.Error(), "refresh the credentials") {
					t.Errorf("err = %v, want ErrCredentials saying to refresh", err)
				}
			},
		},
		{
			name: "malformed GetRole",
			opts: fakeaws.Options{Malformed: map[string]bool{"GetRole": true}},
			check: func(t *testing.T, l *policy.Layers, err error) {
				if err == nil || !strings.Contains(err.Error(), "iam:GetRole") {
					t.Errorf("err = %v, want an error naming iam:GetRole", err)
				}
			},
		},
		{
			name: "malformed DescribePolicy",
			opts: fakeaws.Options{Malformed: map[string]bool{"DescribePolicy": true}},
			check: func(t *testing.T, l *policy.Layers, err error) {
				if err == nil || !strings.Contains(err.Error(), "organizations:DescribePolicy") {
					t.Errorf("err = %v, want an error naming organizations:DescribePolicy", err)
				}
			},
		},
		{
			name: "malformed bucket policy",
			opts: fakeaws.Options{Malformed: map[string]bool{"GetBucketPolicy": true}},
			req:  policy.NewRequest(base.Principal.ARN, "s3:GetObject", snap.ResourcePolicies[0].ARN+"/k"),
			check: func(t *testing.T, l *policy.Layers, err error) {
				if err == nil || !strings.Contains(err.Error(), "bucket policy") {
					t.Errorf("err = %v, want a bucket policy parse error", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startFake(t, snap, tt.opts)
			req := tt.req
			if req == nil {
				req = base
			}
			l, err := c.live(live.Options{}).Layers(context.Background(), req)
			tt.check(t, l, err)
		})
	}
}

// TestLiveDeniedReadStable: when several concurrent reads of a layer are
// denied, the layer names the first in the walk's order, on every run
// (the reads are not cached between runs).
func TestLiveDeniedReadStable(t *testing.T) {
	snap := loadSnap(t, realisticSnapshot)
	req := prodRole(t, snap)
	orgWhat := func(l *policy.Layers) policy.Readability { return l.SCPRead }
	tests := []struct {
		name string
		deny []string
		read func(*policy.Layers) policy.Readability
		want string
	}{
		{"every organizations read", []string{"DescribeOrganization", "ListRoots", "ListParents", "ListPoliciesForTarget", "DescribePolicy"}, orgWhat, "organizations:DescribeOrganization was denied"},
		{"the walk's reads", []string{"ListRoots", "ListParents", "ListPoliciesForTarget", "DescribePolicy"}, orgWhat, "organizations:ListParents was denied"},
		{"the policies of each level", []string{"ListPoliciesForTarget", "DescribePolicy"}, orgWhat, "organizations:ListPoliciesForTarget was denied"},
		{"identity lists", []string{"ListAttachedRolePolicies", "ListRolePolicies", "GetRolePolicy"}, func(l *policy.Layers) policy.Readability { return l.IdentityRead }, "iam:ListRolePolicies was denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deny := map[string]string{}
			for _, op := range tt.deny {
				deny[op] = ""
			}
			c := startFake(t, snap, fakeaws.Options{Deny: deny})
			seen := map[string]int{}
			for range 12 {
				l, err := c.live(live.Options{}).Layers(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				r := tt.read(l)
				if !r.Unreadable {
					t.Fatalf("read %+v, want unreadable", r)
				}
				seen[r.Message]++
			}
			if len(seen) != 1 {
				t.Errorf("the message varies between runs: %v", seen)
			}
			for m := range seen {
				if !strings.Contains(m, tt.want) {
					t.Errorf("message %q, want one naming %q", m, tt.want)
				}
			}
		})
	}
}

// TestLiveRoundTrips checks the critical path of a cold resolution in the
// three-level organization, and that a warm one reads the organization
// from the Cache.
func TestLiveRoundTrips(t *testing.T) {
	snap := loadSnap(t, realisticSnapshot)
	c := startFake(t, snap, fakeaws.Options{})
	rd := c.live(live.Options{})
	req := prodRole(t, snap)
	_, st, err := rd.LayersStats(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if st.RoundTrips > 8 || st.RoundTrips < 3 {
		t.Errorf("cold round trips = %d, want 3..8 (%s)", st.RoundTrips, st)
	}
	if got, want := st.Total(), c.fake.TotalCalls(); got != want {
		t.Errorf("stats count %d calls, the server answered %d", got, want)
	}
	_, warm, err := rd.LayersStats(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	for op := range warm.Calls {
		if strings.HasPrefix(op, "organizations:") {
			t.Errorf("warm resolution called %s (%s)", op, warm)
		}
	}
	if warm.CacheHits == 0 {
		t.Errorf("warm resolution had no cache hits (%s)", warm)
	}
}

// realisticSnapshot is the generated snapshot of a realistic account that
// internal/layers's tests use too.
const realisticSnapshot = "../layers/testdata/realistic/snapshot.json"

package simulate

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// TestInferContext checks the inferred global condition keys
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
func TestInferContext(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.FixedZone("X", 3600)) }
	cases := []struct {
		name string
		req  *policy.Request
		l    *policy.Layers
		opt  Options
		want map[string][]string // inferred keys only
		kept map[string][]string // keys given by the input, never overridden
	}{{
		name: "assumed-role session in a member account",
		req: func() *policy.Request {
			r := policy.NewRequest(sessARN, "ec2:RunInstances", "arn:aws:ec2:eu-west-1:111111111111:instance/*")
			r.Context.Set("aws:PrincipalTag/team", "given")
			return r
		}(),
		l: func() *policy.Layers {
			l := base(t)
			l.Principal.UserID = "AROAEXAMPLE:jane"
			l.Principal.Tags = map[string]string{"team": "platform", "cost": "42"}
			return l
		}(),
		opt: Options{Now: now},
		want: map[string][]string{
			"aws:PrincipalArn":          {roleARN},
			"aws:PrincipalAccount":      {acct},
			"aws:userid":                {"AROAEXAMPLE:jane"},
			"aws:PrincipalType":         {"AssumedRole"},
			"aws:PrincipalTag/cost":     {"42"},
			"aws:PrincipalOrgID":        {orgID},
			"aws:PrincipalOrgPaths":     {"o-abc/r-root/ou-work/"},
			"aws:PrincipalIsAWSService": {"false"},
			"aws:RequestedRegion":       {"eu-west-1"},
			"aws:ResourceAccount":       {acct},
			"aws:ResourceOrgID":         {orgID},
			"aws:CurrentTime":           {"2026-11-26T09:00:00Z"},
			"aws:EpochTime":             {"1795683600"},
		},
		kept: map[string][]string{"aws:PrincipalTag/team": {"given"}},
	}, {
		name: "IAM user, S3 resource without region, no clock",
		req:  policy.NewRequest(userARN, "s3:GetObject", object),
		l:    &policy.Layers{ResourceAccount: other},
		want: map[string][]string{
			"aws:PrincipalArn":          {userARN},
			"aws:PrincipalAccount":      {acct},
			"aws:username":              {"alice"},
			"aws:PrincipalType":         {"User"},
			"aws:PrincipalIsAWSService": {"false"},
			"aws:ResourceAccount":       {other},
		},
	}, {
		name: "service principal",
		req:  &policy.Request{Principal: policy.Principal{Type: "Service", Service: "cloudtrail.amazonaws.com"}, Action: "s3:PutObject", Resource: object},
		l:    &policy.Layers{},
		want: map[string][]string{
			"aws:PrincipalType":         {"Service"},
			"aws:PrincipalIsAWSService": {"true"},
			"aws:PrincipalServiceName":  {"cloudtrail.amazonaws.com"},
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Evaluate(c.req, c.l, c.opt)
			got := map[string][]string{}
			for _, k := range r.Request.Context.InferredKeys() {
				got[k], _ = r.Request.Context.Get(k)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("inferred keys (-want +got):\n%s", diff)
			}
			for k, want := range c.kept {
				v, _ := r.Request.Context.Get(k)
				if r.Request.Context.Inferred(k) || !cmp.Equal(v, want) {
					t.Errorf("%s = %v (inferred %v), want the given %v", k, v, r.Request.Context.Inferred(k), want)
				}
			}
			if c.req.Context != nil && c.req.Context.Len() > len(c.kept) {
				t.Errorf("the caller's context was modified: %v", c.req.Context.Keys())
			}
		})
	}
}

// TestMissingKeys checks that keys tested by statements that otherwise
// matched, and absent from the request, are reported.
func TestMissingKeys(t *testing.T) {
	mfa := `{"Version":"2012-10-17","Statement":[{"Sid":"NeedMFA","Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"StringEquals":{"ec2:InstanceType":"t3.micro","aws:RequestedRegion":"us-east-1"}}},
	  {"Sid":"Other","Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"home/"}}}]}`
	l := base(t, mfa)
	req := policy.NewRequest(sessARN, "ec2:RunInstances", instance)
	r := Evaluate(req, l, Options{})
	var got []string
	for _, m := range r.Missing {
		got = append(got, m.Key+"@"+m.Statement)
		if !strings.Contains(m.Message, "give the context key "+m.Key+" with its value") {
			t.Errorf("message %q does not say how to pass the key", m.Message)
		}
		if m.Policy != "arn:aws:iam::111111111111:policy/IdA" {
			t.Errorf("policy = %q", m.Policy)
		}
	}
	// aws:RequestedRegion is inferred from the resource ARN; s3:prefix is
	// in a statement that does not match the action.
	want := []string{"aws:MultiFactorAuthPresent@NeedMFA", "ec2:InstanceType@NeedMFA"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("missing keys (-want +got):\n%s", diff)
	}
	if r.Decision != ImplicitDeny || len(r.Blockers) != 1 || r.Blockers[0].Statement != "NeedMFA" || len(r.Blockers[0].Conditions) != 2 {
		t.Errorf("blockers = %+v, want the NeedMFA statement with its 2 failed conditions", r.Blockers)
	}
}

// TestExplicitDenyConditions checks that an explicit-deny blocker carries
// the conditions that matched and the SCP's attachment point.
func TestExplicitDenyConditions(t *testing.T) {
	region := `{"Version":"2012-10-17","Statement":[{"Sid":"NoEU","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1"]}}}]}`
	l := base(t, allow("ec2:*", "*"))
	l.SCP = scpLevels(t, acct, map[string][]string{"ou-work": {region}}, nil)
	req := policy.NewRequest(sessARN, "ec2:RunInstances", "arn:aws:ec2:eu-west-1:111111111111:instance/*")
	r := Evaluate(req, l, Options{})
	if len(r.Blockers) != 1 {
		t.Fatalf("blockers = %+v", r.Blockers)
	}
	b := r.Blockers[0]
	want := []policy.ConditionTrace{{Operator: "StringNotEquals", Key: "aws:RequestedRegion", PolicyValues: []string{"us-east-1"}, RequestValues: []string{"eu-west-1"}, KeyPresent: true, Matched: true}}
	if diff := cmp.Diff(want, b.Conditions); diff != "" || b.Target != "ou-work" || b.Statement != "NoEU" {
		t.Errorf("blocker %+v; conditions (-want +got):\n%s", b, diff)
	}
}

// TestIsOrgPath checks isOrgPath against the path orgPath builds.
func TestIsOrgPath(t *testing.T) {
	lv := func(target, typ string) policy.OrgLevel { return policy.OrgLevel{Target: target, Type: typ} }
	levels := []policy.OrgLevel{lv("r-root", "ROOT"), lv("ou-a", "ORGANIZATIONAL_UNIT"), lv("ou-b", "ORGANIZATIONAL_UNIT"), lv(acct, "ACCOUNT")}
	cases := []struct {
		name   string
		orgID  string
		levels []policy.OrgLevel
		path   string
		want   bool
	}{
		{"same", "o-abc", levels, "o-abc/r-root/ou-a/ou-b/", true},
		{"other organization", "o-abd", levels, "o-abc/r-root/ou-a/ou-b/", false},
		{"shorter", "o-abc", levels[:2], "o-abc/r-root/ou-a/ou-b/", false},
		{"longer", "o-abc", levels, "o-abc/r-root/ou-a/", false},
		{"no trailing slash", "o-abc", levels, "o-abc/r-root/ou-a/ou-b", false},
		{"split differently", "o-abc", []policy.OrgLevel{lv("r-root/ou-a", "ROOT"), lv("ou-b", "ORGANIZATIONAL_UNIT")}, "o-abc/r-root/ou-a/ou-b/", true},
		{"no levels", "o-abc", nil, "", true},
		{"no organization", "", levels, "o-abc/r-root/ou-a/ou-b/", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := isOrgPath(c.path, c.orgID, c.levels); got != c.want {
				t.Errorf("isOrgPath(%q) = %v, want %v", c.path, got, c.want)
			}
			if built := orgPath(c.orgID, c.levels); (built == c.path) != c.want {
				t.Errorf("orgPath = %q, which disagrees with want %v", built, c.want)
			}
		})
	}
}

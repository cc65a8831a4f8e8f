package simulate

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// AWS pages the test cases follow.
const (
	docDenyAllow  = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html"
	docCross      = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"
	docBoundaries = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"
	docSession    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session"
	docSCPEval    = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html"
	docSCP        = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html"
	docRCP        = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html"
	docKMS        = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html"
	docPrincipal  = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts"
	docCondKeys   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"
)

const (
	acct     = "111111111111"
	other    = "222222222222"
	mgmt     = "999999999999"
	orgID    = "o-abc"
	roleARN  = "arn:aws:iam::111111111111:role/App"
	sessARN  = "arn:aws:sts::111111111111:assumed-role/App/jane"
	userARN  = "arn:aws:iam::111111111111:user/alice"
	bucket   = "arn:aws:s3:::data-bucket"
	object   = "arn:aws:s3:::data-bucket/report.csv"
	instance = "arn:aws:ec2:us-east-1:111111111111:instance/*"
	keyARN   = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

func doc(t testing.TB, js string) *policy.Document {
	t.Helper()
	d, err := policy.Parse([]byte(js))
	if err != nil {
		t.Fatalf("parsing %s: %v", js, err)
	}
	return d
}

func src(t testing.TB, layer policy.Layer, name, js string) policy.Source {
	return policy.Source{Layer: layer, Name: name, ARN: "arn:aws:iam::111111111111:policy/" + name, Document: doc(t, js)}
}

func allow(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"Allow","Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func deny(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"Deny","Effect":"Deny","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func orgPolicy(t testing.TB, layer policy.Layer, name, target, js string) policy.Source {
	s := src(t, layer, name, js)
	s.ARN = "arn:aws:organizations::999999999999:policy/o-abc/" + name
	s.Target = target
	s.AWSManaged = name == "FullAWSAccess" || name == "RCPFullAWSAccess"
	return s
}

// scpLevels builds root → OU → account levels with FullAWSAccess at each,
// plus extra policies per level.
func scpLevels(t testing.TB, account string, extra map[string][]string, full map[string]bool) []policy.OrgLevel {
	levels := []policy.OrgLevel{
		{Target: "r-root", Type: "ROOT"},
		{Target: "ou-work", Type: "ORGANIZATIONAL_UNIT", Name: "Workloads"},
		{Target: account, Type: "ACCOUNT"},
	}
	for i := range levels {
		tg := levels[i].Target
		if full == nil || full[tg] {
			levels[i].Policies = append(levels[i].Policies, orgPolicy(t, policy.LayerSCP, "FullAWSAccess", tg, allow("*", "*")))
		}
		for j, js := range extra[tg] {
			levels[i].Policies = append(levels[i].Policies, orgPolicy(t, policy.LayerSCP, "Extra"+tg+string(rune('A'+j)), tg, js))
		}
	}
	return levels
}

func rcpLevels(t testing.TB, account string, extra map[string][]string) []policy.OrgLevel {
	levels := scpLevels(t, account, nil, map[string]bool{})
	for i := range levels {
		tg := levels[i].Target
		levels[i].Policies = []policy.Source{orgPolicy(t, policy.LayerRCP, "RCPFullAWSAccess", tg, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`)}
		for j, js := range extra[tg] {
			levels[i].Policies = append(levels[i].Policies, orgPolicy(t, policy.LayerRCP, "RCP"+tg+string(rune('A'+j)), tg, js))
		}
	}
	return levels
}

// base returns the layers of an assumed-role session in a member account
// whose identity policy is js.
func base(t testing.TB, js ...string) *policy.Layers {
	l := &policy.Layers{
		Principal:         policy.Principal{IAMARN: roleARN},
		OrgID:             orgID,
		ManagementAccount: mgmt,
		SessionKnown:      true,
		SCP:               scpLevels(t, acct, nil, nil),
	}
	for i, s := range js {
		l.Identity = append(l.Identity, src(t, policy.LayerIdentity, "Id"+string(rune('A'+i)), s))
	}
	return l
}

func boundary(t testing.TB, js string) *policy.Source {
	s := src(t, policy.LayerBoundary, "Boundary", js)
	return &s
}

func bucketPolicy(t testing.TB, principal, effect string) *policy.Source {
	s := policy.Source{Layer: policy.LayerResource, ARN: bucket, Name: "data-bucket", Document: doc(t,
		`{"Version":"2012-10-17","Statement":[{"Sid":"Bucket","Effect":"`+effect+`","Principal":`+principal+`,"Action":"s3:GetObject","Resource":"`+bucket+`/*"}]}`)}
	return &s
}

// bl is the part of a Blocker that tests compare: ids, not wording.
type bl struct {
	Layer                     string
	Kind                      BlockerKind
	Policy, Statement, Target string
}

func blockersOf(r *Result) []bl {
	var out []bl
	for _, b := range r.Blockers {
		out = append(out, bl{string(b.Layer), b.Kind, b.Policy, b.Statement, b.Target})
	}
	return out
}

func layerDecisions(r *Result) map[policy.Layer]LayerDecision {
	m := map[policy.Layer]LayerDecision{}
	for _, lr := range r.Layers {
		m[lr.Layer] = lr.Decision
	}
	return m
}

type evalCase struct {
	name string
	doc  string // the AWS page the expectation follows
	req  *policy.Request
	l    *policy.Layers
	want Decision
	// blockers, when non-nil, must equal the result's.
	blockers []bl
	// layers, when non-nil, are checked for the listed layers only.
	layers   map[policy.Layer]LayerDecision
	suspects []policy.Layer
	// warning, when set, must be a substring of one warning.
	warning string
}

func evalCases(t testing.TB) []evalCase {
	scpARN := func(name string) string { return "arn:aws:organizations::999999999999:policy/o-abc/" + name }
	idARN := func(name string) string { return "arn:aws:iam::111111111111:policy/" + name }
	run := policy.NewRequest(sessARN, "ec2:RunInstances", instance)
	get := policy.NewRequest(sessARN, "s3:GetObject", object)
	var cases []evalCase

	cases = append(cases, evalCase{
		name: "identity allow alone", doc: docDenyAllow, req: run,
		l: base(t, allow("ec2:*", "*")), want: Allowed, blockers: []bl{},
		layers: map[policy.Layer]LayerDecision{policy.LayerSCP: LayerAllow, policy.LayerRCP: LayerExempt,
			policy.LayerResource: LayerNotApplicable, policy.LayerIdentity: LayerAllow,
			policy.LayerBoundary: LayerNotApplicable, policy.LayerSession: LayerNotApplicable},
	})

	l := base(t, allow("ec2:*", "*"))
	l.SCP = scpLevels(t, acct, map[string][]string{"ou-work": {deny("ec2:RunInstances", "*")}}, nil)
	cases = append(cases, evalCase{
		name: "SCP deny at OU with allow at root", doc: docSCPEval, req: run, l: l, want: ExplicitDeny,
		blockers: []bl{{"scp", BlockerExplicitDeny, scpARN("Extraou-workA"), "Deny", "ou-work"}},
	})

	l = base(t, allow("ec2:*", "*"))
	l.SCP = scpLevels(t, acct, map[string][]string{acct: {allow("s3:*", "*")}}, map[string]bool{"r-root": true, "ou-work": true})
	cases = append(cases, evalCase{
		name: "SCP without an allow at the account level", doc: docSCPEval, req: run, l: l, want: ImplicitDeny,
		blockers: []bl{{"scp", BlockerImplicitDeny, "", "", acct}},
	})

	l = base(t, allow("ec2:*", "*"))
	l.SCP = scpLevels(t, acct, nil, map[string]bool{"r-root": true})
	cases = append(cases, evalCase{
		name: "SCP without an allow at two levels lists both", doc: docSCPEval, req: run, l: l, want: ImplicitDeny,
		blockers: []bl{{"scp", BlockerImplicitDeny, "", "", "ou-work"}, {"scp", BlockerImplicitDeny, "", "", acct}},
	})

	l = base(t, allow("ec2:*", "*"))
	l.Principal = policy.Principal{IAMARN: "arn:aws:iam::999999999999:role/App"}
	l.SCP = scpLevels(t, mgmt, map[string][]string{"r-root": {deny("*", "*")}}, nil)
	cases = append(cases, evalCase{
		name: "management account exempt from SCPs", doc: docSCP,
		req: policy.NewRequest("arn:aws:sts::999999999999:assumed-role/App/jane", "ec2:RunInstances", "arn:aws:ec2:us-east-1:999999999999:instance/*"),
		l:   l, want: Allowed, layers: map[policy.Layer]LayerDecision{policy.LayerSCP: LayerExempt},
	})

	l = base(t, allow("ec2:*", "*"))
	l.Principal = policy.Principal{IAMARN: "arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"}
	l.SCP = scpLevels(t, acct, map[string][]string{"r-root": {deny("*", "*")}}, nil)
	cases = append(cases, evalCase{
		name: "service-linked role exempt from SCPs", doc: docSCP,
		req: policy.NewRequest("arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForAutoScaling/AutoScaling", "ec2:RunInstances", instance),
		l:   l, want: Allowed, layers: map[policy.Layer]LayerDecision{policy.LayerSCP: LayerExempt, policy.LayerRCP: LayerExempt},
	})

	rcpDeny := `{"Version":"2012-10-17","Statement":[{"Sid":"OrgOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abc"}}}]}`
	l = base(t, allow("s3:*", "*"))
	l.ResourceAccount = acct
	l.Resource = bucketPolicy(t, `{"AWS":"arn:aws:iam::222222222222:root"}`, "Allow")
	l.Principal = policy.Principal{IAMARN: "arn:aws:iam::222222222222:role/Partner"}
	l.SCP = nil
	l.RCP = rcpLevels(t, acct, map[string][]string{"ou-work": {rcpDeny}})
	cases = append(cases, evalCase{
		name: "RCP deny on an S3 bucket of a member account", doc: docRCP,
		req: policy.NewRequest("arn:aws:sts::222222222222:assumed-role/Partner/bob", "s3:GetObject", object),
		l:   l, want: ExplicitDeny,
		blockers: []bl{{"rcp", BlockerExplicitDeny, scpARN("RCPou-workA"), "OrgOnly", "ou-work"}},
	})

	l = base(t, allow("ec2:*", "*"))
	l.RCP = rcpLevels(t, acct, map[string][]string{"r-root": {`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`}})
	cases = append(cases, evalCase{
		name: "RCP does not apply to an unsupported service", doc: docRCP, req: run, l: l, want: Allowed,
		layers: map[policy.Layer]LayerDecision{policy.LayerRCP: LayerExempt},
	})

	l = base(t, allow("s3:*", "*"))
	l.ResourceAccount = mgmt
	l.Resource = bucketPolicy(t, `{"AWS":"`+roleARN+`"}`, "Allow")
	l.RCP = rcpLevels(t, mgmt, map[string][]string{"r-root": {`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`}})
	cases = append(cases, evalCase{
		name: "RCPs do not restrict resources of the management account", doc: docRCP, req: get, l: l, want: Allowed,
		layers: map[policy.Layer]LayerDecision{policy.LayerRCP: LayerExempt},
	})

	l = base(t, allow("s3:*", "*"))
	l.RCP = rcpLevels(t, acct, nil)
	l.RCP[2].Policies = nil // a gatherer that left out RCPFullAWSAccess
	l.ResourceAccount = acct
	cases = append(cases, evalCase{
		name: "RCPFullAWSAccess is implied at every level", doc: "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html",
		req: get, l: l, want: Allowed, layers: map[policy.Layer]LayerDecision{policy.LayerRCP: LayerAllow},
	})

	partnerReq := policy.NewRequest("arn:aws:sts::222222222222:assumed-role/Partner/bob", "s3:GetObject", object)
	l = base(t, allow("s3:GetObject", "*"))
	l.Principal = policy.Principal{IAMARN: "arn:aws:iam::222222222222:role/Partner"}
	l.SCP = nil
	l.ResourceAccount = acct
	l.Resource = bucketPolicy(t, `{"AWS":"arn:aws:iam::333333333333:root"}`, "Allow")
	cases = append(cases, evalCase{
		name: "cross-account: identity allows, resource policy does not", doc: docCross, req: partnerReq, l: l, want: ImplicitDeny,
		blockers: []bl{{"resource-policy", BlockerImplicitDeny, bucket, "", ""}},
	})

	l = base(t, allow("s3:GetObject", "*"))
	l.Principal = policy.Principal{IAMARN: "arn:aws:iam::222222222222:role/Partner"}
	l.SCP = nil
	l.ResourceAccount = acct
	l.Resource = bucketPolicy(t, `{"AWS":"arn:aws:iam::222222222222:root"}`, "Allow")
	cases = append(cases, evalCase{
		name: "cross-account: both allow", doc: docCross, req: partnerReq, l: l, want: Allowed,
	})

	l = base(t)
	l.Principal = policy.Principal{IAMARN: "arn:aws:iam::222222222222:role/Partner"}
	l.SCP = nil
	l.ResourceAccount = acct
	l.Resource = bucketPolicy(t, `{"AWS":"arn:aws:sts::222222222222:assumed-role/Partner/bob"}`, "Allow")
	cases = append(cases, evalCase{
		name: "cross-account: resource policy naming the session still needs the identity side", doc: docCross, req: partnerReq, l: l,
		want: ImplicitDeny, blockers: []bl{{"identity-policy", BlockerImplicitDeny, "", "", ""}},
	})

	l = base(t)
	l.ResourceAccount = acct
	l.Resource = bucketPolicy(t, `{"AWS":"`+sessARN+`"}`, "Allow")
	cases = append(cases, evalCase{
		name: "same account: resource policy alone allows", doc: docDenyAllow, req: get, l: l, want: Allowed,
		layers: map[policy.Layer]LayerDecision{policy.LayerIdentity: LayerImplicitDeny, policy.LayerResource: LayerAllow},
	})

	l = base(t)
	l.ResourceAccount = acct
	l.Resource = bucketPolicy(t, `{"AWS":"`+roleARN+`"}`, "Allow")
	cases = append(cases, evalCase{
		name: "same account: resource policy naming the role allows without boundary", doc: docDenyAllow, req: get, l: l, want: Allowed,
	})

	l = base(t)
	l.ResourceAccount = acct
	l.Resource = bucketPolicy(t, `{"AWS":"arn:aws:iam::111111111111:root"}`, "Allow")
	cases = append(cases, evalCase{
		name: "same account: account principal delegates to identity policies", doc: docPrincipal, req: get, l: l, want: ImplicitDeny,
		blockers: []bl{{"identity-policy", BlockerImplicitDeny, "", "", ""}},
	})

	l = base(t, allow("ec2:*", "*"))
	l.Boundary = boundary(t, allow("s3:*", "*"))
	cases = append(cases, evalCase{
		name: "boundary blocks an identity allow", doc: docBoundaries, req: run, l: l, want: ImplicitDeny,
		blockers: []bl{{"permissions-boundary", BlockerImplicitDeny, idARN("Boundary"), "", ""}},
	})

	l = base(t, allow("s3:*", "*"))
	l.Boundary = boundary(t, allow("ec2:*", "*"))
	l.ResourceAccount = acct
	l.Resource = bucketPolicy(t, `{"AWS":"`+sessARN+`"}`, "Allow")
	cases = append(cases, evalCase{
		name: "resource policy naming the session ARN is not limited by the boundary", doc: docDenyAllow, req: get, l: l, want: Allowed,
		layers: map[policy.Layer]LayerDecision{policy.LayerBoundary: LayerImplicitDeny},
	})

	l = base(t, allow("s3:*", "*"))
	l.Boundary = boundary(t, allow("ec2:*", "*"))
	l.ResourceAccount = acct
	l.Resource = bucketPolicy(t, `{"AWS":"`+roleARN+`"}`, "Allow")
	cases = append(cases, evalCase{
		name: "resource policy naming the role ARN is limited by the boundary", doc: docDenyAllow, req: get, l: l, want: ImplicitDeny,
		blockers: []bl{{"permissions-boundary", BlockerImplicitDeny, idARN("Boundary"), "", ""}},
	})

	l = base(t)
	l.Principal = policy.Principal{}
	l.Boundary = boundary(t, allow("ec2:*", "*"))
	l.ResourceAccount = acct
	l.Resource = bucketPolicy(t, `{"AWS":"`+userARN+`"}`, "Allow")
	cases = append(cases, evalCase{
		name: "resource policy naming the IAM user is not limited by identity policies or the boundary", doc: docDenyAllow,
		req: policy.NewRequest(userARN, "s3:GetObject", object), l: l, want: Allowed,
	})

	l = base(t, allow("ec2:*", "*"))
	l.Session = []policy.Source{src(t, policy.LayerSession, "Session", allow("s3:*", "*"))}
	cases = append(cases, evalCase{
		name: "session policy intersection", doc: docSession, req: run, l: l, want: ImplicitDeny,
		blockers: []bl{{"session-policy", BlockerImplicitDeny, "", "", ""}},
	})

	l = base(t, allow("ec2:*", "*"))
	l.Session = []policy.Source{src(t, policy.LayerSession, "Session", allow("ec2:Describe*", "*")), src(t, policy.LayerSession, "Session2", allow("ec2:RunInstances", "*"))}
	cases = append(cases, evalCase{
		name: "session policies: any of them may allow", doc: docSession, req: run, l: l, want: Allowed,
	})

	l = base(t, allow("s3:*", "*"))
	l.Session = []policy.Source{src(t, policy.LayerSession, "Session", allow("ec2:*", "*"))}
	l.ResourceAccount = acct
	l.Resource = bucketPolicy(t, `{"AWS":"`+roleARN+`"}`, "Allow")
	cases = append(cases, evalCase{
		name: "resource policy naming the role ARN is limited by session policies", doc: docDenyAllow, req: get, l: l, want: ImplicitDeny,
		blockers: []bl{{"session-policy", BlockerImplicitDeny, "", "", ""}},
	})

	// "*" does not name the session: the conservative reading lets the
	// session policy limit it, and says so when that decides the result.
	for _, p := range []string{`"*"`, `{"AWS":"*"}`} {
		l = base(t)
		l.Session = []policy.Source{src(t, policy.LayerSession, "Session", allow("ec2:*", "*"))}
		l.ResourceAccount = acct
		l.Resource = bucketPolicy(t, p, "Allow")
		cases = append(cases, evalCase{
			name: "resource policy granting " + p + " is limited by session policies", doc: docSession, req: get, l: l, want: ImplicitDeny,
			blockers: []bl{{"session-policy", BlockerImplicitDeny, "", "", ""}},
			warning:  "says nothing of \"*\"",
		})
	}
	l = base(t)
	l.Boundary = boundary(t, allow("ec2:*", "*"))
	l.ResourceAccount = acct
	l.Resource = bucketPolicy(t, `"*"`, "Allow")
	cases = append(cases, evalCase{
		name: "resource policy granting \"*\" is not limited by the boundary", doc: docDenyAllow, req: get, l: l, want: Allowed,
		layers: map[policy.Layer]LayerDecision{policy.LayerBoundary: LayerImplicitDeny},
	})

	l = base(t, allow("ec2:*", "*"))
	l.SessionKnown = false
	cases = append(cases, evalCase{
		name: "unknown session policies make an allow inconclusive", doc: docSession, req: run, l: l, want: Inconclusive,
		suspects: []policy.Layer{policy.LayerSession}, warning: "session policies cannot be read after the fact",
		layers: map[policy.Layer]LayerDecision{policy.LayerSession: LayerUnknown},
	})

	l = base(t)
	l.SessionKnown = false
	cases = append(cases, evalCase{
		name: "unknown session policies with a readable implicit deny", doc: docSession, req: run, l: l, want: ImplicitDeny,
		blockers: []bl{{"identity-policy", BlockerImplicitDeny, "", "", ""}}, warning: "session policies cannot be read after the fact",
	})

	l = base(t, allow("ec2:*", "*"))
	l.SCP = nil
	l.SCPRead = policy.Readability{Unreadable: true, Error: "AccessDeniedException", Message: "run from the management account"}
	cases = append(cases, evalCase{
		name: "unreadable SCPs make an allow inconclusive", doc: docSCPEval, req: run, l: l, want: Inconclusive,
		suspects: []policy.Layer{policy.LayerSCP}, warning: "AccessDeniedException",
		layers: map[policy.Layer]LayerDecision{policy.LayerSCP: LayerUnknown},
	})

	l = base(t, allow("ec2:*", "*"), deny("ec2:RunInstances", "*"))
	l.SCP = nil
	l.SCPRead = policy.Readability{Unreadable: true, Error: "AccessDeniedException"}
	cases = append(cases, evalCase{
		name: "unreadable SCPs but an identity explicit deny", doc: docDenyAllow, req: run, l: l, want: ExplicitDeny,
		blockers: []bl{{"identity-policy", BlockerExplicitDeny, idARN("IdB"), "Deny", ""}}, warning: "SCPs could not be read",
	})

	l = base(t, allow("ec2:*", "*"))
	l.Identity = nil
	l.IdentityRead = policy.Readability{Unreadable: true, Error: "AccessDenied"}
	cases = append(cases, evalCase{
		name: "unreadable identity policies make an allow inconclusive", doc: docDenyAllow, req: run, l: l, want: Inconclusive,
		suspects: []policy.Layer{policy.LayerIdentity},
	})

	kmsReq := policy.NewRequest(sessARN, "kms:Decrypt", keyARN)
	keyPolicy := func(principal string) *policy.Source {
		s := policy.Source{Layer: policy.LayerResource, ARN: keyARN, Name: "key", Document: doc(t,
			`{"Version":"2012-10-17","Statement":[{"Sid":"Key","Effect":"Allow","Principal":{"AWS":"`+principal+`"},"Action":"kms:*","Resource":"*"}]}`)}
		return &s
	}
	l = base(t, allow("kms:*", "*"))
	l.Resource = keyPolicy("arn:aws:iam::111111111111:role/KeyAdmin")
	cases = append(cases, evalCase{
		name: "KMS: IAM policies alone cannot allow", doc: docKMS, req: kmsReq, l: l, want: ImplicitDeny,
		blockers: []bl{{"resource-policy", BlockerImplicitDeny, keyARN, "", ""}},
	})

	l = base(t, allow("kms:*", "*"))
	l.Resource = keyPolicy("arn:aws:iam::111111111111:root")
	cases = append(cases, evalCase{
		name: "KMS: key policy delegating to IAM plus an identity allow", doc: docKMS, req: kmsReq, l: l, want: Allowed,
	})

	l = base(t)
	l.Resource = keyPolicy("arn:aws:iam::111111111111:root")
	cases = append(cases, evalCase{
		name: "KMS: key policy delegating to IAM without an identity allow", doc: docKMS, req: kmsReq, l: l, want: ImplicitDeny,
		blockers: []bl{{"identity-policy", BlockerImplicitDeny, "", "", ""}},
	})

	l = base(t, allow("kms:*", "*"))
	cases = append(cases, evalCase{
		name: "KMS: key policy not provided", doc: docKMS, req: kmsReq, l: l, want: Inconclusive,
		suspects: []policy.Layer{policy.LayerResource},
	})

	l = base(t, allow("s3:*", "*"))
	l.Principal = policy.Principal{IAMARN: userARN}
	cases = append(cases, evalCase{
		name: "federated user without a session policy", doc: docDenyAllow,
		req: policy.NewRequest("arn:aws:sts::111111111111:federated-user/alice", "s3:GetObject", object), l: l, want: ImplicitDeny,
		blockers: []bl{{"session-policy", BlockerImplicitDeny, "", "", ""}},
	})

	l = base(t)
	l.Principal = policy.Principal{}
	cases = append(cases, evalCase{
		name: "root user has full access in a member account", doc: docDenyAllow,
		req: policy.NewRequest("arn:aws:iam::111111111111:root", "ec2:RunInstances", instance), l: l, want: Allowed,
	})

	region := `{"Version":"2012-10-17","Statement":[{"Sid":"EastOnly","Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`
	l = base(t, region, allow("s3:*", "*"))
	cases = append(cases, evalCase{
		name: "implicit deny names the nearest statement", doc: docDenyAllow,
		req: policy.NewRequest(sessARN, "ec2:RunInstances", "arn:aws:ec2:eu-west-1:111111111111:instance/*"), l: l, want: ImplicitDeny,
		blockers: []bl{{"identity-policy", BlockerImplicitDeny, idARN("IdA"), "EastOnly", ""}},
	})

	l = base(t, allow("ec2:*", "*"))
	l.SCP = scpLevels(t, acct, map[string][]string{"r-root": {deny("ec2:*", "*")}}, nil)
	l.Boundary = boundary(t, allow("s3:*", "*"))
	cases = append(cases, evalCase{
		name: "every blocker, explicit first", doc: docDenyAllow, req: run, l: l, want: ExplicitDeny,
		blockers: []bl{
			{"scp", BlockerExplicitDeny, scpARN("Extrar-rootA"), "Deny", "r-root"},
			{"permissions-boundary", BlockerImplicitDeny, idARN("Boundary"), "", ""},
		},
	})

	trust := policy.Source{Layer: policy.LayerResource, ARN: "arn:aws:iam::111111111111:role/Target", Document: doc(t,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`)}
	l = base(t, allow("s3:*", "*"))
	l.Resource = &trust
	cases = append(cases, evalCase{
		name: "role trust policy delegating to the account needs an identity allow", doc: docDenyAllow,
		req: policy.NewRequest(sessARN, "sts:AssumeRole", "arn:aws:iam::111111111111:role/Target"), l: l, want: ImplicitDeny,
		blockers: []bl{{"identity-policy", BlockerImplicitDeny, "", "", ""}},
	})

	l = base(t, allow("s3:*", "*"))
	l.Boundary = boundary(t, allow("s3:*", "*"))
	l.ResourceAccount = acct
	l.Resource = &policy.Source{Layer: policy.LayerResource, ARN: bucket, Document: doc(t,
		`{"Version":"2012-10-17","Statement":[{"Sid":"OnlyApp","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111111111111:root","`+roleARN+`","`+sessARN+`"]},"Action":"s3:*","Resource":"`+bucket+`/*"}]}`)}
	cases = append(cases, evalCase{
		name: "Deny with NotPrincipal denies a principal with a boundary, even a listed one", doc: docBoundaries, req: get, l: l, want: ExplicitDeny,
		blockers: []bl{{"resource-policy", BlockerExplicitDeny, bucket, "OnlyApp", ""}},
	})

	l = base(t, allow("s3:*", "*"))
	l.ResourceAccount = acct
	l.Resource = &policy.Source{Layer: policy.LayerResource, ARN: bucket, Document: doc(t,
		`{"Version":"2012-10-17","Statement":[{"Sid":"OnlyApp","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111111111111:root","`+roleARN+`","`+sessARN+`"]},"Action":"s3:*","Resource":"`+bucket+`/*"}]}`)}
	cases = append(cases, evalCase{
		name: "Deny with NotPrincipal spares a listed principal without a boundary", doc: docBoundaries, req: get, l: l, want: Allowed,
	})

	// The resource's account given with the layers wins over the ARN's;
	// the report says they differ.
	queue := &policy.Request{Principal: policy.Principal{ARN: sessARN}, Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:111111111111:jobs", Context: &policy.Context{}}
	l = base(t, allow("sqs:*", "*"))
	l.ResourceAccount = other
	cases = append(cases, evalCase{
		name: "the resource account given wins over the ARN's: cross-account without a queue policy", doc: docCross, req: queue, l: l, want: ImplicitDeny,
		blockers: []bl{{"resource-policy", BlockerImplicitDeny, "", "", ""}}, warning: "its account was given as " + other,
	})
	managedRead := &policy.Request{Principal: policy.Principal{ARN: sessARN}, Action: "iam:GetPolicy", Resource: "arn:aws:iam::aws:policy/ReadOnlyAccess", Context: &policy.Context{}}
	l = base(t, allow("iam:Get*", "*"))
	cases = append(cases, evalCase{
		name: "an AWS managed policy is in no account: reading it is not cross-account", doc: "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/about-managed-policy-reference.html",
		req: managedRead, l: l, want: Allowed, layers: map[policy.Layer]LayerDecision{policy.LayerResource: LayerNotApplicable},
	})

	svc := policy.Request{Principal: policy.Principal{Type: "Service", Service: "cloudtrail.amazonaws.com"}, Action: "s3:PutObject", Resource: object, Context: &policy.Context{}}
	l = &policy.Layers{OrgID: orgID, ManagementAccount: mgmt, ResourceAccount: acct, SessionKnown: true}
	l.Resource = &policy.Source{Layer: policy.LayerResource, ARN: bucket, Document: doc(t,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"`+bucket+`/*"}]}`)}
	cases = append(cases, evalCase{
		name: "service principal granted by the bucket policy", doc: docDenyAllow, req: &svc, l: l, want: Allowed,
		layers: map[policy.Layer]LayerDecision{policy.LayerSCP: LayerNotApplicable, policy.LayerIdentity: LayerNotApplicable},
	})
	return cases
}

func TestEvaluate(t *testing.T) {
	for _, c := range evalCases(t) {
		t.Run(c.name, func(t *testing.T) {
			r := Evaluate(c.req, c.l, Options{})
			if r.Decision != c.want {
				t.Fatalf("%s: decision = %s, want %s\nblockers %+v\nlayers %v\nwarnings %q", c.doc, r.Decision, c.want, r.Blockers, layerDecisions(r), r.Warnings)
			}
			if c.blockers != nil {
				got := blockersOf(r)
				if len(c.blockers) == 0 && len(got) == 0 {
					got = c.blockers
				}
				if diff := cmp.Diff(c.blockers, got); diff != "" {
					t.Errorf("%s: blockers (-want +got):\n%s", c.doc, diff)
				}
			}
			got := layerDecisions(r)
			for layer, want := range c.layers {
				if got[layer] != want {
					t.Errorf("%s: layer %s = %s, want %s", c.doc, layer, got[layer], want)
				}
			}
			if diff := cmp.Diff(c.suspects, r.Suspects); diff != "" {
				t.Errorf("%s: suspects (-want +got):\n%s", c.doc, diff)
			}
			if c.warning != "" && !containsAny(r.Warnings, c.warning) {
				t.Errorf("%s: no warning contains %q: %q", c.doc, c.warning, r.Warnings)
			}
			if len(r.Layers) != len(layerOrder) {
				t.Fatalf("%d layers, want %d", len(r.Layers), len(layerOrder))
			}
			for i, lr := range r.Layers {
				if lr.Layer != layerOrder[i] {
					t.Errorf("layer %d = %s, want %s", i, lr.Layer, layerOrder[i])
				}
			}
		})
	}
}

// TestDecideAgrees checks that the fast path reaches Evaluate's decision on
// every case.
func TestDecideAgrees(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) }
	for _, c := range evalCases(t) {
		t.Run(c.name, func(t *testing.T) {
			for _, opt := range []Options{{}, {Now: now}} {
				if got, want := Decide(c.req, c.l, opt), Evaluate(c.req, c.l, opt).Decision; got != want {
					t.Errorf("Decide = %s, Evaluate = %s", got, want)
				}
			}
		})
	}
}

func containsAny(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestEvaluateNil(t *testing.T) {
	r := Evaluate(nil, nil, Options{})
	if r.Decision != ImplicitDeny || Decide(nil, nil, Options{}) != ImplicitDeny {
		t.Errorf("nil request and layers: %s", r.Decision)
	}
}

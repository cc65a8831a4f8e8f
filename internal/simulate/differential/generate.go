package differential

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate/corpus"
)

// This file generates random but realistic policy sets and requests for the
// differential test against @cloud-copilot/iam-simulate. A Case is a corpus
// case: the same value gives iamdiag's request and layers
// (corpus.Case.PolicyRequest and PolicyLayers) and the iam-simulate input
// (Case.simulation), and disagreements are kept as corpus case files under
// internal/simulate/testdata/differential.

// Accounts used by the generator. The management account never makes the
// request: iam-simulate has no notion of it, and AWS exempts it from SCPs
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html).
const (
	account      = "111111111111"
	otherAccount = "222222222222"
	mgmtAccount  = "999999999999"
	orgID        = "o-a1b2c3d4e5"
)

// Case is one differential case: a corpus case and the name it is saved
// under. A generated case has a request with its context, a principal, the
// layers that apply and no expectation; the request context gives exactly
// one value for every key iam-simulate types as single-valued. The RCP
// levels list RCPFullAWSAccess, which iamdiag evaluates and iam-simulate
// adds itself.
type Case struct {
	// ID names the case; Save writes it to ID + ".json".
	ID string
	corpus.Case
}

// principal returns the case's principal, empty when the case has none.
func (c *Case) principal() corpus.Principal {
	if c.Principal == nil {
		return corpus.Principal{}
	}
	return *c.Principal
}

// document and statement are the JSON shape of a generated policy document.
type document struct {
	Version   string      `json:"Version,omitempty"`
	Statement []statement `json:"Statement"`
}

type statement struct {
	Sid          string                    `json:"Sid,omitempty"`
	Effect       string                    `json:"Effect"`
	Principal    any                       `json:"Principal,omitempty"`
	NotPrincipal any                       `json:"NotPrincipal,omitempty"`
	Action       any                       `json:"Action,omitempty"`
	NotAction    any                       `json:"NotAction,omitempty"`
	Resource     any                       `json:"Resource,omitempty"`
	NotResource  any                       `json:"NotResource,omitempty"`
	Condition    map[string]map[string]any `json:"Condition,omitempty"`
}

// catalogAction is one action of the catalog, with how to build a resource for
// it and which service condition keys iam-simulate accepts for it.
type catalogAction struct {
	action string
	// kind selects the resource builder; "" means a wildcard-only action
	// whose resource is "*".
	kind string
	// keys are service-specific condition keys valid for the action.
	keys []string
}

var catalog = []catalogAction{
	{"s3:GetObject", "s3object", nil},
	{"s3:PutObject", "s3object", []string{"s3:x-amz-acl"}},
	{"s3:DeleteObject", "s3object", nil},
	{"s3:ListBucket", "s3bucket", []string{"s3:prefix"}},
	{"s3:DeleteBucket", "s3bucket", nil},
	{"s3:ListAllMyBuckets", "", nil},
	{"ec2:RunInstances", "instance", []string{"ec2:InstanceType", "ec2:Region"}},
	{"ec2:StartInstances", "instance", []string{"ec2:InstanceType", "ec2:Region"}},
	{"ec2:TerminateInstances", "instance", []string{"ec2:InstanceType", "ec2:Region"}},
	{"ec2:DescribeInstances", "", []string{"ec2:Region"}},
	{"iam:PassRole", "role", []string{"iam:PassedToService"}},
	{"iam:GetRole", "role", nil},
	{"iam:CreateUser", "user", nil},
	{"iam:ListRoles", "", nil},
	{"sts:AssumeRole", "role", []string{"sts:ExternalId"}},
	{"kms:Decrypt", "key", []string{"kms:ViaService", "kms:EncryptionContextKeys"}},
	{"kms:Encrypt", "key", []string{"kms:ViaService", "kms:EncryptionContextKeys"}},
	{"kms:GenerateDataKey", "key", []string{"kms:ViaService", "kms:EncryptionContextKeys"}},
	{"kms:ListKeys", "", nil},
	{"dynamodb:GetItem", "table", []string{"dynamodb:LeadingKeys"}},
	{"dynamodb:PutItem", "table", []string{"dynamodb:LeadingKeys"}},
	{"dynamodb:Query", "table", []string{"dynamodb:LeadingKeys"}},
	{"lambda:InvokeFunction", "function", nil},
	{"lambda:GetFunction", "function", nil},
	{"sqs:SendMessage", "queue", nil},
	{"sqs:ReceiveMessage", "queue", nil},
}

// rcpServices are the services whose actions generated RCPs name: RCPs apply
// to a subset of services only
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
var rcpServices = []string{"s3", "sts", "kms", "sqs"}

// resourcePolicyKinds are resource kinds that carry a resource-based policy.
var resourcePolicyKinds = map[string]bool{
	"s3object": true, "s3bucket": true, "key": true, "queue": true, "function": true, "role": true, "table": true,
}

// arrayKeys are the condition keys iam-simulate types as multi-valued
// (ArrayOfString), so their context values stay lists.
var arrayKeys = map[string]bool{
	"aws:tagkeys": true, "aws:principalorgpaths": true, "aws:calledvia": true,
	"dynamodb:leadingkeys": true, "kms:encryptioncontextkeys": true,
}

type generator struct {
	r *rand.Rand
	c *Case
	// shape is the case's shape (Shape): ShapeClassic, or one of the
	// shapes that exercise a rule AWS applies beyond ordinary policy
	// evaluation.
	shape string
	// region of the request.
	region string
	// act is the catalog entry of the request.
	act catalogAction
	// inOrg: the accounts belong to an organization (SCPs, RCPs, and the
	// principal's org keys are present).
	inOrg bool
}

func (g *generator) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g *generator) chance(p float64) bool    { return g.r.Float64() < p }

// Shapes of generated cases, as Shape names them.
const (
	// ShapeClassic is an ordinary request by a role session or an IAM user.
	ShapeClassic = "classic"
	// ShapeAWSManagedPolicy reads or changes an AWS managed policy
	// (arn:aws:iam::aws:policy/…), a resource that no account owns.
	ShapeAWSManagedPolicy = "aws-managed-policy"
	// ShapeNoPermissionNeeded calls sts:GetCallerIdentity (or, for an IAM
	// user, sts:GetSessionToken), which AWS answers whatever the policies
	// say, with denies of it around.
	ShapeNoPermissionNeeded = "no-permission-needed"
	// ShapeNotPrincipalAllow has a resource-based policy with an Allow
	// statement that uses NotPrincipal.
	ShapeNotPrincipalAllow = "notprincipal-allow"
	// ShapeRoleARNPrincipal gives a role's ARN, not a session's, as the
	// request's principal.
	ShapeRoleARNPrincipal = "role-arn-principal"
)

// shapeSalt separates the stream that picks a case's shape from the one
// that builds it, so that a classic case is the same case it was before
// the other shapes existed.
const shapeSalt = 0x5a4e5f9e3c2b1d07

// pickShape picks the shape of case i: about 6% each of the four newer
// shapes, the rest classic.
func pickShape(seed uint64, i int) string {
	x := rand.New(rand.NewPCG(seed^shapeSalt, uint64(i))).Float64()
	switch {
	case x < 0.06:
		return ShapeAWSManagedPolicy
	case x < 0.12:
		return ShapeNoPermissionNeeded
	case x < 0.18:
		return ShapeNotPrincipalAllow
	case x < 0.24:
		return ShapeRoleARNPrincipal
	}
	return ShapeClassic
}

// Shape returns the shape of a case, generated or kept: the first of
// ShapeAWSManagedPolicy, ShapeNoPermissionNeeded, ShapeNotPrincipalAllow
// and ShapeRoleARNPrincipal that it has, else ShapeClassic.
func Shape(c *Case) string {
	res, _ := policy.ParseARN(c.Request.Resource)
	action := strings.ToLower(c.Request.Action)
	switch {
	case res.Service == "iam" && res.Account == "aws" && strings.HasPrefix(res.Resource, "policy/"):
		return ShapeAWSManagedPolicy
	case action == "sts:getcalleridentity" || action == "sts:getsessiontoken":
		return ShapeNoPermissionNeeded
	case c.ResourcePolicy != nil && hasNotPrincipalAllow(c.ResourcePolicy.Document):
		return ShapeNotPrincipalAllow
	case c.Principal != nil && c.Request.Principal == c.Principal.IAMARN && strings.Contains(c.Request.Principal, ":role/"):
		return ShapeRoleARNPrincipal
	}
	return ShapeClassic
}

// hasNotPrincipalAllow reports whether a generated policy document has an
// Allow statement with NotPrincipal.
func hasNotPrincipalAllow(doc json.RawMessage) bool {
	var d document
	if json.Unmarshal(doc, &d) != nil {
		return false
	}
	for _, st := range d.Statement {
		if st.Effect == "Allow" && st.NotPrincipal != nil {
			return true
		}
	}
	return false
}

// Generate builds case number i of the stream seeded by seed: the same
// seed and i always give the same case.
func Generate(seed uint64, i int) *Case {
	g := &generator{r: rand.New(rand.NewPCG(seed, uint64(i))), c: &Case{ID: fmt.Sprintf("s%d-%d", seed, i)}}
	g.shape = pickShape(seed, i)
	g.c.Principal = &corpus.Principal{}
	g.principal()
	g.request()
	g.inOrg = g.chance(0.9)
	g.context()
	g.policies()
	// iam-simulate does not model S3 Block Public Access: with the
	// settings known to be off, both engines answer on the policies alone.
	g.c.S3PublicAccess = &corpus.PublicAccess{}
	// The endpoint policy comes last, from a stream of its own, so that
	// every other part of a case is what it was before it existed.
	g.r = rand.New(rand.NewPCG(seed^endpointSalt, uint64(i)))
	g.endpointPolicy()
	return g.c
}

// endpointSalt separates the stream that builds a case's VPC endpoint
// policy.
const endpointSalt = 0x7c3e9a51d2b4f608

// endpointPolicy gives half the requests made through a VPC endpoint
// (aws:SourceVpce) the endpoint's policy: statements like an identity
// policy's with Principal "*", the form gateway endpoints require
// (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html);
// iam-simulate does not match an endpoint policy's Principal, so no other
// form is generated.
func (g *generator) endpointPolicy() {
	c := g.c
	if _, ok := c.Request.Context["aws:SourceVpce"]; !ok || !g.chance(0.5) {
		return
	}
	stmts := g.identityStatements()
	if g.chance(0.3) {
		// The default policy, full access, beside the others.
		stmts = append(stmts, statement{Effect: "Allow", Action: "*", Resource: "*"})
	}
	for i := range stmts {
		stmts[i].Principal = "*"
	}
	c.VPCEndpointPolicy = &corpus.Policy{Name: "endpoint-policy", ARN: "arn:aws:ec2:us-east-1:" + account + ":vpc-endpoint/" + c.Request.Context["aws:SourceVpce"][0],
		Document: g.doc(stmts, false)}
}

func (g *generator) principal() {
	p := g.c.Principal
	p.Account = account
	if g.shape == ShapeRoleARNPrincipal || g.chance(0.8) {
		role := g.pick("MyFederatedRole", "AppRole", "Admin", "ci-deployer")
		path := g.pick("/", "/", "/service-role/", "/teams/data/")
		p.SessionName = g.pick("jane", "bob", "i-0abc1234", "botocore-session-1")
		g.c.Request.Principal = "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + p.SessionName
		p.IAMARN = "arn:aws:iam::" + account + ":role" + path + role
		p.Type = "AssumedRole"
		p.UserID = "AROAEXAMPLEID" + strings.ToUpper(role[:2]) + ":" + p.SessionName
		if g.shape == ShapeRoleARNPrincipal {
			// Only the role is known (a person pasted the role's ARN):
			// the request still comes from one of its sessions, whose
			// aws:userid the context keeps.
			g.c.Request.Principal = p.IAMARN
			p.SessionName = ""
		}
	} else {
		p.Username = g.pick("bob", "jane", "alice")
		p.IAMARN = "arn:aws:iam::" + account + ":user/" + p.Username
		g.c.Request.Principal = p.IAMARN
		p.Type = "User"
		p.UserID = "AIDAEXAMPLE" + strings.ToUpper(p.Username)
	}
	if g.chance(0.7) {
		p.Tags = map[string]string{"team": g.pick("platform", "data", "jane", "bob")}
	}
}

// managedPolicyActions are the actions of ShapeAWSManagedPolicy: reads,
// which an identity policy alone allows, and changes, which always fail.
var managedPolicyActions = []catalogAction{
	{"iam:GetPolicy", "awspolicy", nil},
	{"iam:GetPolicyVersion", "awspolicy", nil},
	{"iam:ListPolicyVersions", "awspolicy", nil},
	{"iam:ListEntitiesForPolicy", "awspolicy", nil},
	{"iam:CreatePolicyVersion", "awspolicy", nil},
}

func (g *generator) request() {
	switch g.shape {
	case ShapeAWSManagedPolicy:
		g.act = managedPolicyActions[g.r.IntN(len(managedPolicyActions))]
	case ShapeNoPermissionNeeded:
		g.act = catalogAction{action: "sts:GetCallerIdentity"}
		if g.c.Principal.Type == "User" && g.chance(0.3) {
			g.act.action = "sts:GetSessionToken"
		}
	case ShapeNotPrincipalAllow, ShapeRoleARNPrincipal:
		// Requests on resources that carry a resource-based policy.
		for {
			g.act = catalog[g.r.IntN(len(catalog))]
			if resourcePolicyKinds[g.act.kind] && (g.act.kind != "role" || g.act.action == "sts:AssumeRole") {
				break
			}
		}
	default:
		g.act = catalog[g.r.IntN(len(catalog))]
	}
	g.c.Request.Action = g.act.action
	g.region = g.pick("us-east-1", "us-east-1", "eu-west-1")
	g.c.ResourceAccount = account
	if g.chance(0.3) {
		g.c.ResourceAccount = otherAccount
	}
	acct := g.c.ResourceAccount
	switch g.act.kind {
	case "":
		g.c.Request.Resource = "*"
		g.c.ResourceAccount = account
	case "s3object":
		g.c.Request.Resource = "arn:aws:s3:::" + g.pick("app-data", "logs-archive") + "/" +
			g.pick("reports/2026/q1.csv", "home/jane/notes.txt", "home/bob/a.txt", "public/index.html")
	case "s3bucket":
		g.c.Request.Resource = "arn:aws:s3:::" + g.pick("app-data", "logs-archive")
	case "instance":
		g.c.Request.Resource = "arn:aws:ec2:" + g.region + ":" + acct + ":instance/" + g.pick("i-0abc1234", "i-0def5678")
	case "role":
		g.c.Request.Resource = "arn:aws:iam::" + acct + ":role/" + g.pick("app", "deploy", "Admin")
	case "user":
		g.c.Request.Resource = "arn:aws:iam::" + acct + ":user/" + g.pick("bob", "newhire")
	case "awspolicy":
		// "aws" in place of the account: the policy belongs to no account.
		g.c.Request.Resource = "arn:aws:iam::aws:policy/" + g.pick("ReadOnlyAccess", "AdministratorAccess", "job-function/ViewOnlyAccess", "service-role/AWSLambdaBasicExecutionRole")
		g.c.ResourceAccount = ""
	case "key":
		g.c.Request.Resource = "arn:aws:kms:" + g.region + ":" + acct + ":key/" + g.pick("1234abcd-12ab-34cd-56ef-1234567890ab", "0987dcba-09fe-87dc-65ba-ab0987654321")
	case "table":
		g.c.Request.Resource = "arn:aws:dynamodb:" + g.region + ":" + acct + ":table/" + g.pick("Orders", "Users")
	case "function":
		g.c.Request.Resource = "arn:aws:lambda:" + g.region + ":" + acct + ":function:" + g.pick("resize", "billing")
	case "queue":
		g.c.Request.Resource = "arn:aws:sqs:" + g.region + ":" + acct + ":" + g.pick("jobs", "dead-letters")
	}
}

// context fills the request context. Principal keys are always given
// explicitly: iam-simulate does not derive them from the principal, and the
// test must not depend on iamdiag's inference either.
func (g *generator) context() {
	p := g.c.Principal
	ctx := map[string][]string{
		"aws:PrincipalArn":     {p.IAMARN},
		"aws:PrincipalAccount": {p.Account},
		"aws:PrincipalType":    {p.Type},
		"aws:userid":           {p.UserID},
	}
	if p.Username != "" {
		ctx["aws:username"] = []string{p.Username}
	}
	for k, v := range p.Tags {
		ctx["aws:PrincipalTag/"+k] = []string{v}
	}
	// AWS puts these keys in every request that has them; iamdiag infers
	// them from the layers when the input lacks them, iam-simulate does
	// not, so the generator always gives them, consistent with the layers.
	// A regional resource is always called in its own region.
	if strings.Count(g.c.Request.Resource, ":") >= 5 && strings.Split(g.c.Request.Resource, ":")[3] != "" || g.chance(0.8) {
		ctx["aws:RequestedRegion"] = []string{g.region}
	}
	if g.inOrg {
		ctx["aws:PrincipalOrgID"] = []string{orgID}
		ctx["aws:PrincipalOrgPaths"] = []string{orgID + "/r-ab12/ou-ab12-workloads/"}
	}
	if g.chance(0.6) {
		ctx["aws:SourceIp"] = []string{g.pick("10.1.2.3", "203.0.113.7", "198.51.100.20", "2001:db8::1")}
	}
	if g.chance(0.6) {
		ctx["aws:SecureTransport"] = []string{g.pick("true", "true", "false")}
	}
	if g.chance(0.5) {
		ctx["aws:MultiFactorAuthPresent"] = []string{g.pick("true", "false")}
		if g.chance(0.7) {
			ctx["aws:MultiFactorAuthAge"] = []string{g.pick("30", "600", "7200")}
		}
	}
	if g.chance(0.5) {
		ctx["aws:CurrentTime"] = []string{g.pick("2026-03-01T12:00:00Z", "2025-06-30T23:59:59Z", "2027-01-15T08:00:00Z")}
	}
	if g.chance(0.4) {
		ctx["aws:TagKeys"] = g.subset("env", "team", "cost-center", "Owner")
		if g.chance(0.7) {
			ctx["aws:RequestTag/env"] = []string{g.pick("prod", "dev", "staging")}
		}
	}
	if g.chance(0.2) {
		ctx["aws:CalledVia"] = g.subset("cloudformation.amazonaws.com", "athena.amazonaws.com")
	}
	if g.chance(0.3) {
		ctx["aws:SourceVpce"] = []string{g.pick("vpce-1a2b3c4d", "vpce-9z8y7x6w")}
	}
	for _, k := range g.act.keys {
		if !g.chance(0.6) {
			continue
		}
		switch k {
		case "ec2:InstanceType":
			ctx[k] = []string{g.pick("t3.micro", "t3.large", "m5.xlarge", "p4d.24xlarge")}
		case "ec2:Region":
			ctx[k] = []string{g.region}
		case "s3:prefix":
			ctx[k] = []string{g.pick("home/jane/", "home/bob/", "reports/", "")}
		case "s3:x-amz-acl":
			ctx[k] = []string{g.pick("private", "public-read", "bucket-owner-full-control")}
		case "iam:PassedToService":
			ctx[k] = []string{g.pick("ec2.amazonaws.com", "lambda.amazonaws.com")}
		case "sts:ExternalId":
			ctx[k] = []string{g.pick("ext-123", "ext-999")}
		case "kms:ViaService":
			ctx[k] = []string{g.pick("s3."+g.region+".amazonaws.com", "ec2."+g.region+".amazonaws.com")}
		case "kms:EncryptionContextKeys":
			ctx[k] = g.subset("aws:s3:arn", "app", "tenant")
		case "dynamodb:LeadingKeys":
			ctx[k] = g.subset("jane", "bob", "AIDAEXAMPLEBOB", "tenant-1")
		}
	}
	g.c.Request.Context = ctx
}

// subset returns a random non-empty subset of xs (sometimes empty for
// multi-valued keys, which ForAllValues treats specially).
func (g *generator) subset(xs ...string) []string {
	out := []string{}
	for _, x := range xs {
		if g.chance(0.5) {
			out = append(out, x)
		}
	}
	if len(out) == 0 && g.chance(0.8) {
		out = append(out, xs[g.r.IntN(len(xs))])
	}
	return out
}

func (g *generator) policies() {
	c := g.c
	n := g.r.IntN(3) + 1
	if g.chance(0.1) {
		n = 0
	}
	for i := range n {
		c.Identity = append(c.Identity, corpus.Policy{Name: fmt.Sprintf("identity-%d", i+1), Document: g.doc(g.identityStatements(), true)})
	}
	if g.chance(0.35) {
		c.Boundary = &corpus.Policy{Name: "boundary", ARN: "arn:aws:iam::" + account + ":policy/boundary", Document: g.doc(g.identityStatements(), true)}
	}
	if c.Principal.Type == "AssumedRole" && g.chance(0.25) {
		c.Session = []corpus.Policy{{Name: "session", Document: g.doc(g.identityStatements(), true)}}
	}
	if g.inOrg {
		c.Org = &corpus.Org{ID: orgID, ManagementAccount: mgmtAccount}
		c.SCP = g.orgLevels(false)
	}
	// An AWS managed policy belongs to no account, so no account's RCPs
	// apply to it (nor do RCPs apply to IAM).
	if c.SCP != nil && g.shape != ShapeAWSManagedPolicy && g.chance(0.6) {
		c.RCP = g.orgLevels(true)
	}
	if g.shape == ShapeNoPermissionNeeded {
		g.denyAround()
	}
	// A role's trust policy governs sts:AssumeRole only, not iam:GetRole or
	// iam:PassRole on the role.
	if resourcePolicyKinds[g.act.kind] && (g.act.kind != "role" || g.c.Request.Action == "sts:AssumeRole") {
		// Every KMS key has a key policy and every role a trust policy
		// (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html).
		always := g.act.kind == "key" || g.act.kind == "role" && g.c.Request.Action == "sts:AssumeRole" ||
			g.shape == ShapeNotPrincipalAllow || g.shape == ShapeRoleARNPrincipal
		if always || g.chance(0.5) {
			c.ResourcePolicy = &corpus.Policy{Name: "resource-policy", ARN: c.Request.Resource, Document: g.doc(g.resourceStatements(), false)}
		}
	}
}

// denyAround adds denies of the request's action (for
// ShapeNoPermissionNeeded) to the identity policies, the permissions
// boundary or an SCP, some of them guarded by a condition.
func (g *generator) denyAround() {
	c := g.c
	deny := func() statement {
		s := statement{Effect: "Deny", Action: g.pick(c.Request.Action, "sts:*", "sts:Get*", "*"), Resource: "*"}
		if g.chance(0.3) {
			s.Condition = g.conditions(1)
		}
		return s
	}
	if g.chance(0.6) {
		c.Identity = append(c.Identity, corpus.Policy{Name: "deny-sts", Document: g.doc([]statement{deny()}, true)})
	}
	if c.Boundary != nil && g.chance(0.3) {
		var d document
		if json.Unmarshal(c.Boundary.Document, &d) == nil {
			d.Statement = append(d.Statement, deny())
			c.Boundary.Document = g.doc(d.Statement, true)
		}
	}
	if len(c.SCP) > 0 && g.chance(0.3) {
		lv := &c.SCP[g.r.IntN(len(c.SCP))]
		lv.Policies = append(lv.Policies, corpus.Policy{
			Name: "scp-deny-sts", ARN: fmt.Sprintf("arn:aws:organizations::%s:policy/%s/service_control_policy/p-denysts", mgmtAccount, orgID),
			Document: g.doc([]statement{deny()}, false),
		})
	}
}

func (g *generator) doc(stmts []statement, _ bool) json.RawMessage {
	d := document{Version: "2012-10-17", Statement: stmts}
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // generated values always marshal
	}
	return b
}

func (g *generator) identityStatements() []statement {
	n := g.r.IntN(3) + 1
	out := make([]statement, 0, n)
	for i := range n {
		s := statement{Effect: "Allow"}
		if g.chance(0.15) {
			s.Effect = "Deny"
		}
		if g.chance(0.5) {
			s.Sid = fmt.Sprintf("S%d", i+1)
		}
		g.actionElem(&s, false)
		g.resourceElem(&s)
		s.Condition = g.conditions(g.condCount(s.Effect))
		out = append(out, s)
	}
	return out
}

// orgLevels builds 1–3 levels (root, OU, account) of SCPs or RCPs.
func (g *generator) orgLevels(rcp bool) []corpus.Level {
	targets := []corpus.Level{{Target: "r-ab12", Type: "ROOT"}, {Target: "ou-ab12-workloads", Type: "ORGANIZATIONAL_UNIT"}, {Target: g.c.Principal.Account, Type: "ACCOUNT"}}
	if rcp {
		targets[2].Target = g.c.ResourceAccount
	}
	n := g.r.IntN(3) + 1
	levels := append([]corpus.Level(nil), targets[:1]...)
	if n >= 2 {
		levels = append(levels, targets[1])
	}
	if n == 3 {
		levels = append(levels, targets[2])
	}
	for li := range levels {
		if rcp {
			// RCPFullAWSAccess is attached everywhere and cannot be
			// detached; iam-simulate adds it itself (simulation leaves it
			// out), iamdiag reads it from the case.
			levels[li].Policies = append(levels[li].Policies, rcpFullAWSAccessPolicy())
			if g.chance(0.5) {
				levels[li].Policies = append(levels[li].Policies, corpus.Policy{
					Name: fmt.Sprintf("rcp-%d", li+1), ARN: fmt.Sprintf("arn:aws:organizations::%s:policy/%s/resource_control_policy/p-rcp%d", mgmtAccount, orgID, li+1),
					Document: g.doc(g.rcpStatements(), false),
				})
			}
			continue
		}
		if g.chance(0.85) {
			levels[li].Policies = append(levels[li].Policies, corpus.Policy{
				Name: "FullAWSAccess", ARN: "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess", AWSManaged: true,
				Document: json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
			})
		}
		if g.chance(0.35) {
			levels[li].Policies = append(levels[li].Policies, corpus.Policy{
				Name: fmt.Sprintf("scp-%d", li+1), ARN: fmt.Sprintf("arn:aws:organizations::%s:policy/%s/service_control_policy/p-scp%d", mgmtAccount, orgID, li+1),
				Document: g.doc(g.scpStatements(), false),
			})
		}
	}
	return levels
}

func (g *generator) scpStatements() []statement {
	n := g.r.IntN(2) + 1
	out := make([]statement, 0, n)
	for range n {
		s := statement{Effect: "Deny"}
		if g.chance(0.35) {
			s.Effect = "Allow"
		}
		g.actionElem(&s, false)
		if g.chance(0.7) {
			s.Resource = "*"
		} else {
			g.resourceElem(&s)
		}
		s.Condition = g.conditions(g.condCount(s.Effect))
		out = append(out, s)
	}
	return out
}

// condCount returns how many conditions a statement gets: deny statements
// are usually guarded by a condition in real policies.
func (g *generator) condCount(effect string) int {
	if effect == "Deny" && g.chance(0.7) {
		return g.r.IntN(2) + 1
	}
	return g.r.IntN(3)
}

// rcpStatements builds custom RCP statements: Deny only, Principal "*", an
// Action naming RCP services (not "*", no NotAction).
func (g *generator) rcpStatements() []statement {
	n := g.r.IntN(2) + 1
	out := make([]statement, 0, n)
	for range n {
		s := statement{Effect: "Deny", Principal: "*"}
		svc := g.pick(rcpServices...)
		if svc == strings.SplitN(g.c.Request.Action, ":", 2)[0] && g.chance(0.6) {
			s.Action = g.actionPattern()
		} else {
			s.Action = svc + ":" + g.pick("*", "Get*", "*Object", "Decrypt")
		}
		if g.chance(0.7) {
			s.Resource = "*"
		} else {
			g.resourceElem(&s)
			s.NotResource = nil
			if s.Resource == nil {
				s.Resource = "*"
			}
		}
		s.Condition = g.conditions(g.r.IntN(2) + 1)
		out = append(out, s)
	}
	return out
}

func (g *generator) resourceStatements() []statement {
	n := g.r.IntN(3) + 1
	out := make([]statement, 0, n)
	for i := range n {
		s := statement{Effect: "Allow"}
		if g.chance(0.15) {
			s.Effect = "Deny"
		}
		if g.chance(0.5) {
			s.Sid = fmt.Sprintf("R%d", i+1)
		}
		switch {
		case g.shape == ShapeNotPrincipalAllow && (i == 0 || g.chance(0.4)):
			// AWS does not support NotPrincipal with Allow.
			s.Effect = "Allow"
			s.NotPrincipal = map[string]any{"AWS": g.principalValue()}
		case s.Effect == "Deny" && g.chance(0.1):
			s.NotPrincipal = map[string]any{"AWS": g.principalValue()}
		default:
			switch g.r.IntN(6) {
			case 0:
				s.Principal = "*"
			default:
				s.Principal = map[string]any{"AWS": g.principalValue()}
			}
		}
		g.actionElem(&s, true)
		if g.act.kind == "role" && g.c.Request.Action == "sts:AssumeRole" || g.chance(0.3) {
			// Trust policies usually omit Resource; other resource
			// policies name it.
			if g.c.Request.Action == "sts:AssumeRole" {
				s.Resource = nil
			} else {
				s.Resource = "*"
			}
		} else {
			g.resourceElem(&s)
		}
		s.Condition = g.conditions(g.condCount(s.Effect) % 2)
		out = append(out, s)
	}
	return out
}

// principalValue picks a Principal AWS value: the caller's session ARN, role
// or user ARN, its account (root ARN or bare id), or someone else.
func (g *generator) principalValue() any {
	p := g.c.Principal
	vals := []string{
		p.IAMARN, p.IAMARN, g.c.Request.Principal,
		"arn:aws:iam::" + p.Account + ":root", p.Account,
		"arn:aws:iam::" + otherAccount + ":root",
		"arn:aws:iam::" + p.Account + ":role/SomeoneElse",
		"*",
	}
	if g.chance(0.2) {
		return []string{vals[g.r.IntN(len(vals))], vals[g.r.IntN(len(vals))]}
	}
	return vals[g.r.IntN(len(vals))]
}

// actionPattern returns a pattern that often matches the request's action.
func (g *generator) actionPattern() string {
	svc, name, _ := strings.Cut(g.c.Request.Action, ":")
	switch g.r.IntN(9) {
	case 0:
		return svc + ":*"
	case 1:
		return strings.ToLower(svc + ":" + name)
	case 2:
		return svc + ":" + name[:3] + "*"
	case 3:
		return svc + ":*" + name[len(name)-3:]
	case 4:
		return svc + ":" + name[:len(name)-1] + "?"
	case 5:
		other := catalog[g.r.IntN(len(catalog))].action
		return other
	case 6:
		return svc + ":" + g.pick("Get*", "List*", "Describe*", "Put*", "Delete*")
	default:
		return g.c.Request.Action
	}
}

func (g *generator) actionElem(s *statement, resourcePolicy bool) {
	var acts []string
	if !resourcePolicy && g.chance(0.1) {
		acts = []string{"*"}
	} else {
		for range g.r.IntN(2) + 1 {
			acts = append(acts, g.actionPattern())
		}
	}
	var v any = acts
	if len(acts) == 1 && g.chance(0.5) {
		v = acts[0]
	}
	if g.chance(0.12) && acts[0] != "*" {
		s.NotAction = v
		return
	}
	s.Action = v
}

// resourcePattern returns a pattern that often matches the request's
// resource, including policy variables.
func (g *generator) resourcePattern() string {
	res := g.c.Request.Resource
	if res == "*" || g.chance(0.15) {
		return "*"
	}
	parts := strings.SplitN(res, ":", 6)
	switch g.r.IntN(10) {
	case 0:
		// Region and account wildcards.
		return strings.Join([]string{parts[0], parts[1], parts[2], "*", "*", parts[5]}, ":")
	case 1:
		// Trailing wildcard on the resource part.
		if i := strings.LastIndexAny(res, "/:"); i > 0 {
			return res[:i+1] + "*"
		}
		return res + "*"
	case 2:
		// Another account.
		if parts[4] != "" {
			return strings.Join([]string{parts[0], parts[1], parts[2], parts[3], otherAccount, parts[5]}, ":")
		}
		return "arn:aws:s3:::other-bucket/*"
	case 3:
		if strings.HasPrefix(res, "arn:aws:s3:::") {
			b, _, _ := strings.Cut(strings.TrimPrefix(res, "arn:aws:s3:::"), "/")
			return "arn:aws:s3:::" + b + "/home/${aws:username}/*"
		}
		return res
	case 4:
		if strings.HasPrefix(res, "arn:aws:s3:::") {
			b, _, _ := strings.Cut(strings.TrimPrefix(res, "arn:aws:s3:::"), "/")
			return "arn:aws:s3:::" + b + "/home/${aws:PrincipalTag/team}/*"
		}
		return strings.Join([]string{parts[0], parts[1], parts[2], parts[3], "${aws:PrincipalAccount}", parts[5]}, ":")
	case 5:
		// Single-character wildcard.
		return res[:len(res)-1] + "?"
	case 6:
		return strings.ToUpper(res[:len(res)-2]) + res[len(res)-2:]
	default:
		return res
	}
}

func (g *generator) resourceElem(s *statement) {
	var rs []string
	for range g.r.IntN(2) + 1 {
		rs = append(rs, g.resourcePattern())
	}
	var v any = rs
	if len(rs) == 1 && g.chance(0.5) {
		v = rs[0]
	}
	if g.chance(0.1) && rs[0] != "*" {
		s.NotResource = v
		return
	}
	s.Resource = v
}

// condTemplate builds one operator, key and values.
type condTemplate func(g *generator) (op, key string, values []string)

var condTemplates = []condTemplate{
	func(g *generator) (string, string, []string) {
		return g.pick("StringEquals", "StringNotEquals", "StringEqualsIfExists", "StringNotEqualsIfExists"), g.pick("aws:RequestedRegion", "aws:requestedregion"), g.vals("us-east-1", "eu-west-1", "ap-south-1")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("StringLike", "StringNotLike", "StringLikeIfExists"), "aws:RequestedRegion", g.vals("us-*", "eu-*", "*-west-?")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("StringEquals", "StringEqualsIgnoreCase", "StringNotEquals", "StringLike"), "aws:PrincipalTag/team", g.vals("platform", "Data", "${aws:username}", "${aws:PrincipalTag/team}")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("StringEquals", "StringNotEquals", "StringEqualsIfExists"), "aws:PrincipalOrgID", g.vals(orgID, "o-zz9999zzzz")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals", "StringLike", "ArnLikeIfExists"), "aws:PrincipalArn",
			g.vals("arn:aws:iam::*:role/Admin", "arn:aws:iam::"+account+":role/*", "arn:aws:iam::*:role/service-role/*", "arn:aws:iam::"+account+":user/*")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("StringEquals", "StringNotEquals"), "aws:PrincipalAccount", g.vals(account, otherAccount)
	},
	func(g *generator) (string, string, []string) {
		return g.pick("IpAddress", "NotIpAddress", "IpAddressIfExists", "NotIpAddressIfExists"), "aws:SourceIp", g.vals("10.0.0.0/8", "203.0.113.0/24", "198.51.100.20/32", "2001:db8::/32")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("Bool", "BoolIfExists"), g.pick("aws:SecureTransport", "aws:MultiFactorAuthPresent"), []string{g.pick("true", "false")}
	},
	func(g *generator) (string, string, []string) {
		return g.pick("NumericLessThan", "NumericGreaterThan", "NumericLessThanEquals", "NumericGreaterThanEqualsIfExists", "NumericEquals", "NumericNotEquals"), "aws:MultiFactorAuthAge", g.vals("600", "3600", "30")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("DateGreaterThan", "DateLessThan", "DateGreaterThanEquals", "DateLessThanEqualsIfExists", "DateNotEquals"), "aws:CurrentTime", g.vals("2026-01-01T00:00:00Z", "2026-12-31T23:59:59Z", "2025-01-01")
	},
	func(g *generator) (string, string, []string) {
		return "Null", g.pick("aws:PrincipalTag/team", "aws:SourceIp", "aws:MultiFactorAuthAge", "aws:RequestTag/env", "aws:TagKeys", "aws:SourceVpce"), []string{g.pick("true", "false")}
	},
	func(g *generator) (string, string, []string) {
		return g.pick("ForAnyValue:StringEquals", "ForAllValues:StringEquals", "ForAnyValue:StringLike", "ForAllValues:StringLike", "ForAnyValue:StringNotEquals", "ForAllValues:StringNotLike"),
			"aws:TagKeys", g.vals("env", "team", "cost-*", "Owner")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("ForAnyValue:StringLike", "ForAllValues:StringLike", "ForAnyValue:StringEquals"), "aws:PrincipalOrgPaths", g.vals("o-a1b2c3d4e5/r-ab12/ou-ab12-workloads/*", "o-a1b2c3d4e5/*")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("StringEquals", "StringNotEquals", "StringEqualsIfExists"), "aws:RequestTag/env", g.vals("prod", "dev")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("ForAnyValue:StringEquals", "ForAllValues:StringEquals"), "aws:CalledVia", g.vals("cloudformation.amazonaws.com", "athena.amazonaws.com")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("StringEquals", "StringNotEquals", "StringNotEqualsIfExists"), "aws:SourceVpce", g.vals("vpce-1a2b3c4d")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("StringEquals", "StringLike", "StringNotEquals"), "aws:userid", g.vals("AROA*:jane", "AIDAEXAMPLEBOB", "*:${aws:username}")
	},
	// Service keys: present only when the request's action has them.
	func(g *generator) (string, string, []string) {
		return g.pick("StringEquals", "StringLike", "StringNotLike", "StringNotEqualsIfExists"), "ec2:InstanceType", g.vals("t3.*", "t3.micro", "m5.xlarge")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("StringLike", "StringEquals", "StringNotLike"), "s3:prefix", g.vals("home/${aws:username}/*", "home/${aws:username}/", "reports/*", "")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("StringEquals", "StringNotEquals"), "iam:PassedToService", g.vals("ec2.amazonaws.com", "lambda.amazonaws.com")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("StringLike", "StringEquals"), "kms:ViaService", g.vals("s3.*.amazonaws.com", "ec2.us-east-1.amazonaws.com")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("ForAllValues:StringEquals", "ForAnyValue:StringEquals", "ForAllValues:StringLike"), "dynamodb:LeadingKeys", g.vals("${aws:username}", "${aws:userid}", "tenant-*", "jane")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("ForAnyValue:StringEquals", "ForAllValues:StringEquals"), "kms:EncryptionContextKeys", g.vals("aws:s3:arn", "app")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("StringEquals", "StringNotEquals"), "sts:ExternalId", g.vals("ext-123")
	},
	func(g *generator) (string, string, []string) {
		return g.pick("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase"), "s3:x-amz-acl", g.vals("private", "PUBLIC-READ")
	},
}

// vals returns one to three values from xs.
func (g *generator) vals(xs ...string) []string {
	n := 1
	if g.chance(0.3) {
		n = 2
	}
	out := make([]string, 0, n)
	for range n {
		out = append(out, xs[g.r.IntN(len(xs))])
	}
	return out
}

// conditions builds n operator/key pairs, never the same pair twice (a JSON
// object cannot repeat a key).
func (g *generator) conditions(n int) map[string]map[string]any {
	if n == 0 {
		return nil
	}
	out := map[string]map[string]any{}
	for range n {
		op, key, values := condTemplates[g.r.IntN(len(condTemplates))](g)
		if out[op] == nil {
			out[op] = map[string]any{}
		}
		if len(values) == 1 && g.chance(0.5) {
			out[op][key] = values[0]
		} else {
			out[op][key] = values
		}
	}
	return out
}

// rcpFullAWSAccessARN is the AWS managed RCP attached to every root, OU and
// account, which cannot be detached
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
const rcpFullAWSAccessARN = "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess"

const rcpFullAWSAccess = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`

func rcpFullAWSAccessPolicy() corpus.Policy {
	return corpus.Policy{Name: "RCPFullAWSAccess", ARN: rcpFullAWSAccessARN, AWSManaged: true, Document: json.RawMessage(rcpFullAWSAccess)}
}

// simulation returns the iam-simulate Simulation input for the case. It
// fails for what a Simulation cannot express: an unreadable layer, session
// policies that cannot be known or more than one session policy.
func (c *Case) simulation() (map[string]any, error) {
	switch {
	case c.IdentityUnreadable != "" || c.BoundaryUnreadable != "" || c.SCPUnreadable != "" || c.RCPUnreadable != "" || c.ResourceUnreadable != "" || c.VPCEndpointUnreadable != "":
		return nil, fmt.Errorf("%w: case %s has an unreadable layer", ErrUnsupported, c.ID)
	case c.Request.ResourceUnknown:
		return nil, fmt.Errorf("%w: case %s does not know its resource", ErrUnsupported, c.ID)
	case c.SessionKnown != nil && !*c.SessionKnown:
		return nil, fmt.Errorf("%w: case %s does not know its session policies", ErrUnsupported, c.ID)
	case len(c.Session) > 1:
		return nil, fmt.Errorf("%w: case %s has %d session policies", ErrUnsupported, c.ID, len(c.Session))
	}
	ctx := map[string]any{}
	for k, v := range c.Request.Context {
		if arrayKeys[strings.ToLower(k)] {
			ctx[k] = v
		} else if len(v) > 0 {
			ctx[k] = v[0]
		}
	}
	named := func(ps []corpus.Policy) []map[string]any {
		out := []map[string]any{}
		for _, p := range ps {
			out = append(out, map[string]any{"name": p.Name, "policy": p.Document})
		}
		return out
	}
	levels := func(ls []corpus.Level) []map[string]any {
		out := []map[string]any{}
		for _, l := range ls {
			out = append(out, map[string]any{"orgIdentifier": l.Target, "policies": named(l.Policies)})
		}
		return out
	}
	// iam-simulate adds RCPFullAWSAccess to every level itself.
	rcp := make([]corpus.Level, len(c.RCP))
	for i, l := range c.RCP {
		rcp[i] = l
		rcp[i].Policies = nil
		for _, p := range l.Policies {
			if !isRCPFullAWSAccess(p) {
				rcp[i].Policies = append(rcp[i].Policies, p)
			}
		}
	}
	// A resource with no account given has the account its ARN names; for
	// an AWS managed policy that is "aws", no account at all, which
	// iam-simulate takes as another account than the caller's.
	resAccount := c.ResourceAccount
	if a, ok := policy.ParseARN(c.Request.Resource); resAccount == "" && ok {
		resAccount = a.Account
	}
	sim := map[string]any{
		"request": map[string]any{
			"principal":        c.Request.Principal,
			"action":           c.Request.Action,
			"resource":         map[string]any{"resource": c.Request.Resource, "accountId": resAccount},
			"contextVariables": ctx,
		},
		"identityPolicies":        named(c.Identity),
		"serviceControlPolicies":  levels(c.SCP),
		"resourceControlPolicies": levels(rcp),
	}
	if c.Boundary != nil {
		sim["permissionBoundaryPolicies"] = named([]corpus.Policy{*c.Boundary})
	}
	if len(c.Session) > 0 {
		sim["sessionPolicy"] = c.Session[0].Document
	}
	if c.ResourcePolicy != nil {
		sim["resourcePolicy"] = c.ResourcePolicy.Document
	}
	if c.VPCEndpointPolicy != nil {
		sim["vpcEndpointPolicies"] = named([]corpus.Policy{*c.VPCEndpointPolicy})
	}
	return sim, nil
}

// isRCPFullAWSAccess reports whether p is the AWS managed RCPFullAWSAccess.
func isRCPFullAWSAccess(p corpus.Policy) bool {
	return p.AWSManaged && p.ARN == rcpFullAWSAccessARN
}

// inputs returns iamdiag's request and layers for the case.
func (c *Case) inputs() (*policy.Request, *policy.Layers, error) {
	l, err := c.PolicyLayers()
	if err != nil {
		return nil, nil, fmt.Errorf("building case %s: %w", c.ID, err)
	}
	return c.PolicyRequest(), l, nil
}

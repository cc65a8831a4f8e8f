package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// traceRow is the part of a StatementTrace the tests compare.
type traceRow struct {
	ID                                      string
	Action, Resource, Principal, Conditions bool
	Applies                                 bool
	Traced                                  int // len(Conditions)
}

func rows(ev *Evaluation) []traceRow {
	out := make([]traceRow, len(ev.Statements))
	for i, s := range ev.Statements {
		out[i] = traceRow{s.Statement.ID(), s.ActionMatched, s.ResourceMatched, s.PrincipalMatched, s.ConditionsMatched, s.Applies, len(s.Conditions)}
	}
	return out
}

func TestEvaluate(t *testing.T) {
	identity := `{"Version":"2012-10-17","Statement":[
		{"Sid":"AllowEC2","Effect":"Allow","Action":"ec2:*","Resource":"*"},
		{"Sid":"DenyOutsideRegion","Effect":"Deny","Action":"ec2:RunInstances","Resource":"*",
		 "Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1"]}}},
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`
	bucket := `{"Version":"2012-10-17","Statement":[
		{"Sid":"Public","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/public/*"},
		{"Sid":"Team","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/service-role/Deployer"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"},
		{"Sid":"OnlyDeployer","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:sts::123456789012:assumed-role/Deployer/jane","arn:aws:iam::123456789012:role/service-role/Deployer","123456789012"]},
		 "Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}`
	trust := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}`
	rcp := `{"Version":"2012-10-17","Statement":[
		{"Sid":"Full","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},
		{"Sid":"OrgOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abc"}}},
		{"Sid":"Named","Effect":"Deny","Principal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"},
		{"Sid":"Not","Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"},
		{"Sid":"NoPrincipal","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`
	scp := `{"Version":"2012-10-17","Statement":[
		{"Sid":"Full","Effect":"Allow","Action":"*","Resource":"*"},
		{"Sid":"WithPrincipal","Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`

	ec2Req := func(region string) *Request {
		r := NewRequest(callerSession.ARN, "ec2:RunInstances", "arn:aws:ec2:"+region+":123456789012:instance/*")
		r.Principal = callerSession
		r.Context.Set("aws:RequestedRegion", region)
		return r
	}
	s3Req := func(caller Principal, action, resource string) *Request {
		r := NewRequest(caller.ARN, action, resource)
		r.Principal = caller
		return r
	}
	tests := []struct {
		name     string
		doc      string
		kind     Kind
		req      *Request
		decision Decision
		rows     []traceRow
		errs     []EvalError
	}{
		{
			name: "identity: allowed in region", doc: identity, kind: IdentityBased, req: ec2Req("us-east-1"), decision: Allowed,
			rows: []traceRow{
				{"AllowEC2", true, true, true, true, true, 0},
				{"DenyOutsideRegion", true, true, true, false, false, 1},
				{"#3", false, false, true, false, false, 0},
			},
		},
		{
			name: "identity: explicit deny outside region", doc: identity, kind: IdentityBased, req: ec2Req("eu-west-1"), decision: Denied,
			rows: []traceRow{
				{"AllowEC2", true, true, true, true, true, 0},
				{"DenyOutsideRegion", true, true, true, true, true, 1},
				{"#3", false, false, true, false, false, 0},
			},
		},
		{
			name: "identity: nil context, failing condition", doc: identity, kind: IdentityBased,
			req:      &Request{Principal: callerUser, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
			decision: NotApplicable,
			rows: []traceRow{
				{"AllowEC2", false, true, true, true, false, 0},
				// A negated operator matches when the key is absent
				// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
				{"DenyOutsideRegion", false, true, true, true, false, 0},
				{"#3", true, true, true, false, false, 1},
			},
		},
		{
			name: "identity: Principal element is an error", doc: bucket, kind: IdentityBased,
			req:      s3Req(callerSession, "s3:GetObject", "arn:aws:s3:::b/public/x"),
			decision: NotApplicable,
			rows: []traceRow{
				{"Public", true, true, false, true, false, 0},
				{"Team", true, true, false, true, false, 0},
				{"OnlyDeployer", false, true, false, true, false, 0},
			},
			errs: []EvalError{
				{1, "Principal is not allowed in an identity-based policy; the statement does not apply"},
				{2, "Principal is not allowed in an identity-based policy; the statement does not apply"},
				{3, "NotPrincipal is not allowed in an identity-based policy; the statement does not apply"},
			},
		},
		{
			name: "bucket: the deployer session may write", doc: bucket, kind: ResourceBased,
			req:      s3Req(callerSession, "s3:PutObject", "arn:aws:s3:::b/k"),
			decision: Allowed,
			rows: []traceRow{
				{"Public", false, false, true, true, false, 0},
				{"Team", true, true, true, true, true, 0},
				{"OnlyDeployer", true, true, false, true, false, 0},
			},
		},
		{
			name: "bucket: another principal is denied by NotPrincipal", doc: bucket, kind: ResourceBased,
			req:      s3Req(callerUser, "s3:PutObject", "arn:aws:s3:::b/public/k"),
			decision: Denied,
			rows: []traceRow{
				{"Public", false, true, true, true, false, 0},
				{"Team", true, true, false, true, false, 0},
				{"OnlyDeployer", true, true, true, true, true, 0},
			},
		},
		{
			name: "bucket: anonymous read of public objects", doc: bucket, kind: ResourceBased,
			req:      s3Req(callerAnonymous, "s3:GetObject", "arn:aws:s3:::b/public/index.html"),
			decision: Allowed,
			rows: []traceRow{
				{"Public", true, true, true, true, true, 0},
				{"Team", true, true, false, true, false, 0},
				{"OnlyDeployer", false, true, true, true, false, 0},
			},
		},
		{
			name: "trust policy without Resource applies to its role", doc: trust, kind: ResourceBased,
			req:      s3Req(callerService, "sts:AssumeRole", "arn:aws:iam::123456789012:role/web"),
			decision: Allowed,
			rows: []traceRow{
				{"#1", true, true, true, true, true, 0},
				{"#2", true, true, false, false, false, 0},
			},
		},
		{
			name: "trust policy external id missing", doc: trust, kind: ResourceBased,
			req:      s3Req(callerOther, "sts:AssumeRole", "arn:aws:iam::123456789012:role/web"),
			decision: NotApplicable,
			rows: []traceRow{
				{"#1", true, true, false, true, false, 0},
				{"#2", true, true, true, false, false, 1},
			},
		},
		{
			name: "statement without Resource outside a resource policy", doc: trust, kind: IdentityBased,
			req:      s3Req(callerService, "sts:AssumeRole", "arn:aws:iam::123456789012:role/web"),
			decision: NotApplicable,
			rows: []traceRow{
				{"#1", true, false, false, true, false, 0},
				{"#2", true, false, false, false, false, 0},
			},
			errs: []EvalError{
				{1, "statement has neither Resource nor NotResource, which only a role trust policy may omit; it does not apply"},
				{1, "Principal is not allowed in an identity-based policy; the statement does not apply"},
				{2, "statement has neither Resource nor NotResource, which only a role trust policy may omit; it does not apply"},
				{2, "Principal is not allowed in an identity-based policy; the statement does not apply"},
			},
		},
		{
			name: "rcp: principal rules", doc: rcp, kind: ResourceControl,
			req: func() *Request {
				r := s3Req(callerOther, "s3:GetObject", "arn:aws:s3:::b/k")
				r.Context.Set("aws:PrincipalOrgID", "o-other")
				return r
			}(),
			decision: Denied,
			rows: []traceRow{
				{"Full", true, true, true, true, true, 0},
				{"OrgOnly", true, true, true, true, true, 1},
				{"Named", true, true, false, true, false, 0},
				{"Not", true, true, false, true, false, 0},
				{"NoPrincipal", true, true, false, true, false, 0},
			},
			errs: []EvalError{
				{3, `Principal must be "*" in a resource control policy; the statement does not apply`},
				{4, "NotPrincipal is not supported in a resource control policy; the statement does not apply"},
				{5, `a resource control policy statement needs "Principal": "*"; the statement does not apply`},
			},
		},
		{
			name: "scp: Principal is an error", doc: scp, kind: ServiceControl,
			req:      ec2Req("us-east-1"),
			decision: Allowed,
			rows: []traceRow{
				{"Full", true, true, true, true, true, 0},
				{"WithPrincipal", true, true, false, true, false, 0},
			},
			errs: []EvalError{{2, "Principal is not allowed in a service control policy; the statement does not apply"}},
		},
		{
			name: "resource-based statement needs a principal", kind: ResourceBased,
			doc:      `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`,
			req:      s3Req(callerUser, "s3:GetObject", "arn:aws:s3:::b/k"),
			decision: NotApplicable,
			rows:     []traceRow{{"#1", true, true, false, true, false, 0}},
			errs:     []EvalError{{1, "a resource-based policy statement needs Principal or NotPrincipal; the statement does not apply"}},
		},
		{
			name: "resource that is not an ARN is recorded", kind: IdentityBased,
			doc:      `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":["my-bucket/*","arn:aws:s3:::b/*"]}}`,
			req:      s3Req(callerUser, "s3:GetObject", "arn:aws:s3:::b/k"),
			decision: Allowed,
			rows:     []traceRow{{"#1", true, true, true, true, true, 0}},
			errs:     []EvalError{{1, `resource "my-bucket/*" is neither "*" nor an ARN: it matches nothing`}},
		},
		{
			name: "NotAction and NotResource", kind: IdentityBased,
			doc:      `{"Statement":{"Sid":"D","Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:s3:::safe/*"}}`,
			req:      s3Req(callerUser, "s3:DeleteObject", "arn:aws:s3:::data/k"),
			decision: Denied,
			rows:     []traceRow{{"D", true, true, true, true, true, 0}},
		},
		// Policy variables with no value
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value):
		// a negated operator matches, a positive one does not, a Resource
		// pattern matches nothing and a NotResource pattern excludes
		// nothing; each is recorded.
		{
			name: "unresolved variable: negated operator matches", kind: IdentityBased,
			doc: `{"Version":"2012-10-17","Statement":{"Sid":"D","Effect":"Deny","Action":"s3:*","Resource":"*",
				"Condition":{"StringNotEquals":{"aws:userid":"*:${aws:username}"}}}}`,
			req:      s3Req(callerSession, "s3:GetObject", "arn:aws:s3:::b/k"),
			decision: Denied,
			rows:     []traceRow{{"D", true, true, true, true, true, 1}},
			errs: []EvalError{{1, `condition StringNotEquals "aws:userid": ${aws:username} has no value in this request, ` +
				`so the value "*:${aws:username}" matches nothing, and the negated operator counts it as not matching`}},
		},
		{
			name: "unresolved variable: positive operator does not match", kind: IdentityBased,
			doc: `{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*",
				"Condition":{"StringLike":{"s3:prefix":["home/${aws:PrincipalTag/team}/*"]}}}}`,
			req: func() *Request {
				r := s3Req(callerUser, "s3:ListBucket", "arn:aws:s3:::b")
				r.Context.Set("s3:prefix", "home/x/")
				return r
			}(),
			decision: NotApplicable,
			rows:     []traceRow{{"A", true, true, true, false, false, 1}},
			errs: []EvalError{{1, `condition StringLike "s3:prefix": ${aws:PrincipalTag/team} has no value in this request, ` +
				`so the value "home/${aws:PrincipalTag/team}/*" matches nothing`}},
		},
		{
			name: "unresolved variable: multivalued key", kind: IdentityBased,
			doc: `{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*",
				"Condition":{"StringEquals":{"s3:prefix":["${aws:CalledVia}", "x"]}}}}`,
			req: func() *Request {
				r := s3Req(callerUser, "s3:ListBucket", "arn:aws:s3:::b")
				r.Context.Set("s3:prefix", "x")
				r.Context.Set("aws:CalledVia", "athena.amazonaws.com", "glue.amazonaws.com")
				return r
			}(),
			decision: Allowed,
			rows:     []traceRow{{"A", true, true, true, true, true, 1}},
			errs: []EvalError{{1, `condition StringEquals "s3:prefix": ${aws:CalledVia} has several values in this request, ` +
				`and a multivalued key cannot be a policy variable, so the value "${aws:CalledVia}" matches nothing`}},
		},
		{
			name: "unresolved variable: NotResource excludes nothing", kind: IdentityBased,
			doc:      `{"Version":"2012-10-17","Statement":{"Sid":"D","Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::b/home/${aws:username}/*"}}`,
			req:      s3Req(callerSession, "s3:GetObject", "arn:aws:s3:::b/home/jane/k"),
			decision: Denied,
			rows:     []traceRow{{"D", true, true, true, true, true, 0}},
			errs: []EvalError{{1, `NotResource "arn:aws:s3:::b/home/${aws:username}/*": ${aws:username} has no value in this request, ` +
				`so it matches no resource and excludes nothing`}},
		},
		{
			name: "unresolved variable: Resource matches nothing", kind: IdentityBased,
			doc:      `{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}}`,
			req:      s3Req(callerSession, "s3:GetObject", "arn:aws:s3:::b/home/jane/k"),
			decision: NotApplicable,
			rows:     []traceRow{{"A", true, false, true, true, false, 0}},
			errs:     []EvalError{{1, `Resource "arn:aws:s3:::b/home/${aws:username}/*": ${aws:username} has no value in this request, so it matches no resource`}},
		},
		{
			name: "default value resolves, nothing recorded", kind: IdentityBased,
			doc:      `{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/home/${aws:username, 'shared'}/*"}}`,
			req:      s3Req(callerSession, "s3:GetObject", "arn:aws:s3:::b/home/shared/k"),
			decision: Allowed,
			rows:     []traceRow{{"A", true, true, true, true, true, 0}},
		},
		{
			name: "NotAction excludes the action", kind: IdentityBased,
			doc:      `{"Statement":{"Sid":"D","Effect":"Deny","NotAction":"IAM:*","Resource":"*"}}`,
			req:      s3Req(callerUser, "iam:CreateRole", "arn:aws:iam::123456789012:role/x"),
			decision: NotApplicable,
			rows:     []traceRow{{"D", false, true, true, true, false, 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := mustParse(t, tt.doc)
			ev := Evaluate(doc, tt.req, tt.kind)
			if ev.Decision != tt.decision {
				t.Errorf("Decision = %v, want %v", ev.Decision, tt.decision)
			}
			if diff := cmp.Diff(tt.rows, rows(ev)); diff != "" {
				t.Errorf("traces (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.errs, ev.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if got := Decide(doc, tt.req, tt.kind); got != ev.Decision {
				t.Errorf("Decide = %v, Evaluate = %v", got, ev.Decision)
			}
			for i := range ev.Statements {
				if ev.Statements[i].Statement != &doc.Statements[i] {
					t.Errorf("trace %d does not point at statement %d", i, i+1)
				}
			}
		})
	}
}

func TestEvaluateConditionTrace(t *testing.T) {
	doc := mustParse(t, `{"Version":"2012-10-17","Statement":{"Sid":"D","Effect":"Deny","Action":"ec2:*","Resource":"*",
		"Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]},"StringLike":{"aws:PrincipalTag/team":"ops-*"}}}}`)
	req := NewRequest(callerSession.ARN, "ec2:RunInstances", "*")
	req.Context.Set("aws:RequestedRegion", "ap-south-1")
	ev := Evaluate(doc, req, IdentityBased)
	want := []ConditionTrace{
		{Operator: "StringNotEquals", Key: "aws:RequestedRegion", PolicyValues: []string{"us-east-1", "eu-west-1"},
			RequestValues: []string{"ap-south-1"}, KeyPresent: true, Matched: true},
		{Operator: "StringLike", Key: "aws:PrincipalTag/team", PolicyValues: []string{"ops-*"}, Matched: false},
	}
	if diff := cmp.Diff(want, ev.Statements[0].Conditions); diff != "" {
		t.Errorf("condition traces (-want +got):\n%s", diff)
	}
	if ev.Decision != NotApplicable || ev.Statements[0].ConditionsMatched {
		t.Errorf("Decision = %v, ConditionsMatched = %v; want not-applicable, false", ev.Decision, ev.Statements[0].ConditionsMatched)
	}
}

func TestEvaluateNil(t *testing.T) {
	if ev := Evaluate(nil, nil, IdentityBased); ev.Decision != NotApplicable || len(ev.Statements) != 0 {
		t.Errorf("Evaluate(nil) = %+v", ev)
	}
	doc := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
	if got := Decide(doc, nil, IdentityBased); got != Allowed {
		t.Errorf("Decide(doc, nil) = %v, want allow", got)
	}
	if got := Decide(nil, nil, IdentityBased); got != NotApplicable {
		t.Errorf("Decide(nil, nil) = %v", got)
	}
}

// TestDecideBuiltInGo checks a document built in Go, without Parse.
func TestDecideBuiltInGo(t *testing.T) {
	doc := &Document{Version: Version2012, Statements: []Statement{
		{Index: 1, Effect: Allow, Action: []string{"s3:*"}, Resource: []string{"arn:aws:s3:::b/*"}},
		{Index: 2, Effect: Deny, Action: []string{"s3:DeleteObject"}, Resource: []string{"*"}},
	}}
	tests := []struct {
		action string
		want   Decision
	}{
		{"s3:GetObject", Allowed},
		{"s3:DeleteObject", Denied},
		{"ec2:RunInstances", NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			req := NewRequest(callerUser.ARN, tt.action, "arn:aws:s3:::b/k")
			if got := Decide(doc, req, IdentityBased); got != tt.want {
				t.Errorf("Decide = %v, want %v", got, tt.want)
			}
			if got := Evaluate(doc, req, IdentityBased).Decision; got != tt.want {
				t.Errorf("Evaluate = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestEvaluateIntoReuse checks that EvaluateInto gives what Evaluate gives
// when its Evaluation and trace storage hold an earlier result, and through
// a Prepared request.
func TestEvaluateIntoReuse(t *testing.T) {
	docs := []string{
		`{"Version":"2012-10-17","Statement":[{"Sid":"D","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"123456789012"},"Bool":{"aws:SecureTransport":"false"}}},
		  {"Sid":"A","Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"},{"Sid":"X","Effect":"Allow","Action":"ec2:*","Resource":"nonsense"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"N","Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/*"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"},{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Null":{"aws:MultiFactorAuthAge":"true"}}}]}`,
	}
	req := NewRequest("arn:aws:iam::123456789012:user/alice", "s3:GetObject", "arn:aws:s3:::b/k")
	req.Principal.Account = "123456789012"
	req.Context.Set("aws:SecureTransport", "false")
	var ev Evaluation
	traces := make([]StatementTrace, 3)
	for round := range 2 {
		for i, js := range docs {
			doc := mustParse(t, js)
			want := Evaluate(doc, req, IdentityBased)
			EvaluateInto(&ev, traces, doc, req, IdentityBased)
			if diff := cmp.Diff(want, &ev, allUnexported); diff != "" {
				t.Errorf("round %d, doc %d: EvaluateInto on used storage (-Evaluate +EvaluateInto):\n%s", round, i, diff)
			}
			p := Prepare(req)
			p.EvaluateInto(&ev, traces, doc, IdentityBased)
			if diff := cmp.Diff(want, &ev, allUnexported); diff != "" {
				t.Errorf("round %d, doc %d: Prepared.EvaluateInto (-Evaluate +Prepared):\n%s", round, i, diff)
			}
			if got := p.Decide(doc, IdentityBased); got != want.Decision {
				t.Errorf("round %d, doc %d: Prepared.Decide = %v, want %v", round, i, got, want.Decision)
			}
		}
	}
}

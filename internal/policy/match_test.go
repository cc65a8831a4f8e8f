package policy

import (
	"encoding/json"
	"strconv"
	"testing"
)

func TestMatchAction(t *testing.T) {
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"*", "s3:GetObject", true},
		{"*", "", true},
		{"s3:GetObject", "s3:GetObject", true},
		{"s3:getobject", "S3:GETOBJECT", true}, // action names are not case sensitive
		{"S3:Get*", "s3:GetObjectAcl", true},
		{"s3:Get*", "s3:PutObject", false},
		{"s3:*", "s3:GetObject", true},
		{"s3:*", "s3express:CreateSession", false},
		{"ec2:*Instances", "ec2:RunInstances", true},
		{"ec2:*Instances", "ec2:RunInstance", false},
		{"iam:?etRole", "iam:GetRole", true},
		{"iam:?etRole", "iam:GetRolePolicy", false},
		{"iam:Get?", "iam:Get", false}, // ? is exactly one character
		{"s3:Get*Acl", "s3:GetObjectVersionAcl", true},
		{"s3:*Object*", "s3:PutObjectTagging", true},
		{"s3:GetObject", "s3:GetObjectAcl", false},
		{"sts:AssumeRole", "sts:AssumeRoleWithSAML", false},
		{"*:Describe*", "ec2:DescribeInstances", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" vs "+tt.action, func(t *testing.T) {
			if got := MatchAction(tt.pattern, tt.action); got != tt.want {
				t.Errorf("MatchAction(%q, %q) = %v, want %v", tt.pattern, tt.action, got, tt.want)
			}
		})
	}
}

func TestMatchARN(t *testing.T) {
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
	tests := []struct {
		name, pattern, arn string
		want               bool
	}{
		{"star matches any ARN", "*", "arn:aws:s3:::b/k", true},
		{"star matches the no-resource marker", "*", "*", true},
		{"exact", "arn:aws:sqs:us-east-2:123456789012:queue1", "arn:aws:sqs:us-east-2:123456789012:queue1", true},
		{"bucket objects", "arn:aws:s3:::b/*", "arn:aws:s3:::b/dir/key.txt", true},
		{"bucket objects do not include the bucket", "arn:aws:s3:::b/*", "arn:aws:s3:::b", false},
		{"user name is case sensitive", "arn:aws:iam::123456789012:user/Bob", "arn:aws:iam::123456789012:user/bob", false},
		{"resource part case sensitive", "arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/x", false},
		{"partition case sensitive", "arn:AWS:s3:::b", "arn:aws:s3:::b", false},
		{"path wildcard", "arn:aws:iam::123456789012:user/accounting/*", "arn:aws:iam::123456789012:user/accounting/eng/Ann", true},
		{"question mark", "arn:aws:s3:::log?/*", "arn:aws:s3:::logs/x", true},
		{"question mark is one character", "arn:aws:s3:::log?/*", "arn:aws:s3:::log/x", false},
		{"region wildcard", "arn:aws:ec2:*:123456789012:instance/*", "arn:aws:ec2:eu-west-1:123456789012:instance/i-1", true},
		{"region prefix", "arn:aws:ec2:us-*:123456789012:instance/*", "arn:aws:ec2:eu-west-1:123456789012:instance/i-1", false},
		{"account wildcard", "arn:aws:iam::*:role/Admin", "arn:aws:iam::999999999999:role/Admin", true},
		{"empty region must stay empty", "arn:aws:iam:us-east-1:123456789012:role/Admin", "arn:aws:iam::123456789012:role/Admin", false},
		{"wildcard does not cross a segment colon", "arn:aws:ec2:us-east-1*:instance/*", "arn:aws:ec2:us-east-1:123456789012:instance/i-1", false},
		{"wildcard in region does not swallow the account", "arn:aws:sqs:*:queue1", "arn:aws:sqs:us-east-1:123456789012:queue1", false},
		{"colons in the resource part", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:*", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:log-stream:2024/x", true},
		{"resource wildcard crosses colons", "arn:aws:logs:*:*:*", "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s", true},
		{"resource question mark matches a colon", "arn:aws:sns:us-east-1:1:t?x", "arn:aws:sns:us-east-1:1:t:x", true},
		{"trailing star spans the rest", "arn:aws:s3:*", "arn:aws:s3:::b/k", true},
		{"trailing star spans the rest, other service", "arn:aws:s3:*", "arn:aws:s3express:us-east-1:1:bucket/b", false},
		{"truncated pattern without star", "arn:aws:s3", "arn:aws:s3:::b", false},
		{"all ARNs", "arn:*", "arn:aws-cn:ec2:cn-north-1:1:vpc/v", true},
		{"GovCloud partition", "arn:aws-us-gov:s3:::gov-*", "arn:aws-us-gov:s3:::gov-data", true},
		{"GovCloud pattern vs commercial ARN", "arn:aws-us-gov:s3:::gov-*", "arn:aws:s3:::gov-data", false},
		{"China partition", "arn:aws-cn:iam::123456789012:role/*", "arn:aws-cn:iam::123456789012:role/x", true},
		{"partition wildcard", "arn:aws*:iam::123456789012:role/x", "arn:aws-cn:iam::123456789012:role/x", true},
		{"pattern not an ARN", "s3:::b/*", "arn:aws:s3:::b/k", false},
		{"pattern bucket name only", "my-bucket", "arn:aws:s3:::my-bucket", false},
		{"request not an ARN", "arn:aws:s3:::b/*", "b/k", false},
		{"request no-resource marker", "arn:aws:s3:::*", "*", false},
		{"request with too few colons", "arn:*", "arn:aws:s3", false},
		{"empty pattern", "", "arn:aws:s3:::b", false},
		{"unicode resource", "arn:aws:s3:::café/?", "arn:aws:s3:::café/é", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MatchARN(tt.pattern, tt.arn); got != tt.want {
				t.Errorf("MatchARN(%q, %q) = %v, want %v", tt.pattern, tt.arn, got, tt.want)
			}
		})
	}
}

func TestResourceVariables(t *testing.T) {
	req := NewRequest("arn:aws:iam::123456789012:user/alice", "s3:GetObject", "")
	req.Principal.Username = "alice"
	req.Context.Set("aws:username", "alice")
	req.Context.Set("aws:PrincipalTag/team", "ops*")
	req.Context.Set("aws:PrincipalAccount", "123456789012")
	req.Context.Set("aws:RequestedRegion", "us-east-1")
	tests := []struct {
		name, version, pattern, resource string
		want                             bool
	}{
		{"variable expands", Version2012, "arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/alice/x", true},
		{"variable other user", Version2012, "arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/bob/x", false},
		{"no variables in 2008", Version2008, "arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/alice/x", false},
		{"literal in 2008", Version2008, "arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/${aws:username}/x", true},
		{"no variables without Version", "", "arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/alice/x", false},
		{"missing key matches nothing", Version2012, "arn:aws:s3:::home/${aws:PrincipalTag/none}/*", "arn:aws:s3:::home//x", false},
		{"default value", Version2012, "arn:aws:s3:::home/${aws:PrincipalTag/none, 'shared'}/*", "arn:aws:s3:::home/shared/x", true},
		{"substituted star is literal", Version2012, "arn:aws:s3:::t/${aws:PrincipalTag/team}", "arn:aws:s3:::t/ops*", true},
		{"substituted star is not a wildcard", Version2012, "arn:aws:s3:::t/${aws:PrincipalTag/team}", "arn:aws:s3:::t/opsx", false},
		{"escaped star", Version2012, "arn:aws:s3:::t/a${*}", "arn:aws:s3:::t/a*", true},
		{"escaped star is literal", Version2012, "arn:aws:s3:::t/a${*}", "arn:aws:s3:::t/ab", false},
		// Variables are substituted only after the fifth colon
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-resourceelement).
		{"account segment is literal", Version2012, "arn:aws:dynamodb:eu-west-1:${aws:PrincipalAccount}:table/Orders", "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders", false},
		{"region segment is literal", Version2012, "arn:aws:sqs:${aws:RequestedRegion}:*:q", "arn:aws:sqs:us-east-1:123456789012:q", false},
		{"service segment is literal", Version2012, "arn:aws:${aws:username}:::x", "arn:aws:alice:::x", false},
		{"resource part after a literal account", Version2012, "arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::123456789012:user/alice", true},
		{"resource part with colons", Version2012, "arn:aws:sqs:us-east-1:123456789012:q:${aws:username}", "arn:aws:sqs:us-east-1:123456789012:q:alice", true},
		{"literal segment and resource variable", Version2012, "arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}", "arn:aws:iam::123456789012:user/alice", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := &Document{Version: tt.version, Statements: []Statement{{Index: 1, Effect: Allow,
				Action: []string{"s3:GetObject"}, Resource: []string{tt.pattern}}}}
			r := *req
			r.Resource = tt.resource
			want := NotApplicable
			if tt.want {
				want = Allowed
			}
			if got := Decide(doc, &r, IdentityBased); got != want {
				t.Errorf("Decide = %v, want %v", got, want)
			}
			if got := Evaluate(doc, &r, IdentityBased).Statements[0].ResourceMatched; got != tt.want {
				t.Errorf("ResourceMatched = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestStaleCompiled checks that a statement edited after Parse is matched
// against its new patterns.
func TestStaleCompiled(t *testing.T) {
	d := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a/*"}}`)
	req := NewRequest("arn:aws:iam::123456789012:user/u", "s3:PutObject", "arn:aws:s3:::b/k")
	if got := Decide(d, req, IdentityBased); got != NotApplicable {
		t.Fatalf("before edit: %v", got)
	}
	d.Statements[0].Action = []string{"s3:PutObject"}
	d.Statements[0].Resource[0] = "arn:aws:s3:::b/*"
	if got := Decide(d, req, IdentityBased); got != Allowed {
		t.Errorf("after edit: Decide = %v, want allow", got)
	}

	// A long (indexed) Action list: a new slice is noticed, and so is an
	// in-place edit of its first or last element.
	long := make([]string, 2*actionIndexMin)
	for i := range long {
		long[i] = "svc" + strconv.Itoa(i) + ":Get*"
	}
	js, _ := json.Marshal(long)
	d = mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":`+string(js)+`,"Resource":"*"}}`)
	if got := Decide(d, req, IdentityBased); got != NotApplicable {
		t.Fatalf("long list before edit: %v", got)
	}
	edited := append([]string(nil), d.Statements[0].Action...)
	edited[actionIndexMin] = "s3:Put*"
	d.Statements[0].Action = edited
	if got := Decide(d, req, IdentityBased); got != Allowed {
		t.Errorf("long list replaced: Decide = %v, want allow", got)
	}
	d = mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":`+string(js)+`,"Resource":"*"}}`)
	d.Statements[0].Action[len(long)-1] = "s3:PutObject"
	if got := Decide(d, req, IdentityBased); got != Allowed {
		t.Errorf("long list, last element edited in place: Decide = %v, want allow", got)
	}
}

func TestStatementCoversAction(t *testing.T) {
	// longList is long enough for Parse to index it (actionIndexMin).
	var longList []string
	for i := range actionIndexMin {
		longList = append(longList, "svc"+itoa(i)+":Get*")
	}
	longList = append(longList, "s3:PutObject", "ec2:Describe?nstances")
	tests := []struct {
		name      string
		action    []string
		notAction []string
		req       string
		want      bool
	}{
		{name: "exact", action: []string{"s3:GetObject"}, req: "s3:GetObject", want: true},
		{name: "case-insensitive", action: []string{"S3:getobject"}, req: "s3:GetObject", want: true},
		{name: "other action", action: []string{"s3:GetObject"}, req: "s3:PutObject"},
		{name: "star", action: []string{"*"}, req: "iam:PassRole", want: true},
		{name: "service star", action: []string{"ec2:*"}, req: "EC2:RunInstances", want: true},
		{name: "prefix wildcard", action: []string{"s3:Get*"}, req: "s3:GetObjectAcl", want: true},
		{name: "question mark is one character", action: []string{"s3:GetObjec?"}, req: "s3:GetObject", want: true},
		{name: "question mark is not two", action: []string{"s3:GetObje?"}, req: "s3:GetObject"},
		{name: "wildcard stays in the service", action: []string{"s3:*"}, req: "s3x:GetObject"},
		{name: "one of several", action: []string{"sqs:SendMessage", "s3:Put*"}, req: "s3:PutObject", want: true},
		{name: "indexed list exact", action: longList, req: "S3:PUTOBJECT", want: true},
		{name: "indexed list wildcard", action: longList, req: "svc3:GetThing", want: true},
		{name: "indexed list question mark", action: longList, req: "ec2:DescribeInstances", want: true},
		{name: "indexed list miss", action: longList, req: "svc3:PutThing"},
		{name: "non-ASCII action", action: []string{"s3:Get*"}, req: "s3:GetÖbject", want: true},
		{name: "NotAction excludes", notAction: []string{"iam:*"}, req: "iam:CreateRole"},
		{name: "NotAction excludes case-insensitively", notAction: []string{"iam:*"}, req: "IAM:CreateRole"},
		{name: "NotAction covers the rest", notAction: []string{"iam:*"}, req: "s3:GetObject", want: true},
		{name: "NotAction indexed list", notAction: longList, req: "s3:PutObject"},
		{name: "NotAction indexed list rest", notAction: longList, req: "s3:GetObject", want: true},
		{name: "empty action", action: []string{"s3:GetObject"}, req: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := Statement{Effect: Allow, Action: tc.action, NotAction: tc.notAction, Resource: []string{"*"}}
			if got := st.CoversAction(tc.req); got != tc.want {
				t.Errorf("built in Go: CoversAction(%q) = %v, want %v", tc.req, got, tc.want)
			}
			doc := &Document{Version: Version2012, Statements: []Statement{st}}
			b, err := doc.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			parsed := mustParse(t, string(b))
			if got := parsed.Statements[0].CoversAction(tc.req); got != tc.want {
				t.Errorf("parsed: CoversAction(%q) = %v, want %v", tc.req, got, tc.want)
			}
			// The engine's answer is the same test.
			ev := Evaluate(parsed, &Request{Action: tc.req, Resource: "arn:aws:s3:::b"}, IdentityBased)
			if got := len(ev.Statements) == 1 && ev.Statements[0].ActionMatched; got != tc.want {
				t.Errorf("Evaluate: ActionMatched = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStatementCoversActionAfterEdit(t *testing.T) {
	doc := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)
	st := &doc.Statements[0]
	if !st.CoversAction("s3:GetObject") {
		t.Fatal("CoversAction(s3:GetObject) = false before the edit")
	}
	st.Action = []string{"s3:PutObject"}
	if st.CoversAction("s3:GetObject") || !st.CoversAction("s3:PutObject") {
		t.Errorf("CoversAction reads the patterns compiled before the edit")
	}
	st.Action, st.NotAction = nil, []string{"s3:PutObject"}
	if !st.CoversAction("s3:GetObject") || st.CoversAction("s3:PutObject") {
		t.Errorf("CoversAction after the switch to NotAction is wrong")
	}
}

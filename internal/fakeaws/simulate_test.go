package fakeaws

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/iamdiag/iamdiag/internal/awserr"
)

// simSnapshot: role app may read objects (only in us-east-1) and write
// them, its boundary allows only s3:GetObject, and an SCP on its OU denies
// ec2:*.
const simSnapshot = `{"format":"iamdiag-snapshot/v1","account_id":"111122223333","authorization_details":{
 "RoleDetailList":[{"Path":"/team/","RoleName":"app","RoleId":"AROAAPP","Arn":"arn:aws:iam::111122223333:role/team/app",
  "AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]},
  "RolePolicyList":[{"PolicyName":"s3","PolicyDocument":{"Version":"2012-10-17","Statement":[
   {"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}},
   {"Sid":"Write","Effect":"Allow","Action":["s3:PutObject","ec2:*"],"Resource":"*"}]}}],
  "AttachedManagedPolicies":[],"InstanceProfileList":[],
  "PermissionsBoundary":{"PermissionsBoundaryType":"Policy","PermissionsBoundaryArn":"arn:aws:iam::111122223333:policy/boundary"}}],
 "GroupDetailList":[{"Path":"/","GroupName":"readers","GroupId":"AGPAR","Arn":"arn:aws:iam::111122223333:group/readers",
  "GroupPolicyList":[],"AttachedManagedPolicies":[{"PolicyName":"AmazonS3ReadOnlyAccess","PolicyArn":"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}]}],
 "Policies":[
  {"PolicyName":"boundary","PolicyId":"ANPAB","Arn":"arn:aws:iam::111122223333:policy/boundary","Path":"/","DefaultVersionId":"v1","AttachmentCount":0,"PermissionsBoundaryUsageCount":1,"IsAttachable":true,
   "PolicyVersionList":[{"VersionId":"v1","IsDefaultVersion":true,"Document":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","ec2:*"],"Resource":"*"}]}}]},
  {"PolicyName":"AmazonS3ReadOnlyAccess","PolicyId":"ANPAS3","Arn":"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess","Path":"/","DefaultVersionId":"v2","AttachmentCount":1,"PermissionsBoundaryUsageCount":0,"IsAttachable":true,
   "PolicyVersionList":[{"VersionId":"v2","IsDefaultVersion":true,"Document":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}}]}]},
 "organization":{"id":"o-abcdefghij","management_account_id":"999999999999",
  "nodes":[{"id":"r-ab12","type":"ROOT"},{"id":"ou-ab12-workload","type":"ORGANIZATIONAL_UNIT","parent":"r-ab12","name":"Workloads"},
   {"id":"111122223333","type":"ACCOUNT","parent":"ou-ab12-workload"},{"id":"999999999999","type":"ACCOUNT","parent":"r-ab12"}],
  "policies":[
   {"id":"p-FullAWSAccess","arn":"arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess","name":"FullAWSAccess","type":"SERVICE_CONTROL_POLICY","aws_managed":true,
    "targets":["r-ab12","ou-ab12-workload","111122223333","999999999999"],"content":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"},
   {"id":"p-denyec2","arn":"arn:aws:organizations::999999999999:policy/o-abcdefghij/service_control_policy/p-denyec2","name":"DenyEC2","type":"SERVICE_CONTROL_POLICY","aws_managed":false,
    "targets":["ou-ab12-workload"],"content":{"Version":"2012-10-17","Statement":[{"Sid":"NoEC2","Effect":"Deny","Action":"ec2:*","Resource":"*"}]}}]}}`

func TestSimulatePrincipalPolicy(t *testing.T) {
	snap := parseSnapshot(t, simSnapshot)
	_, u := serve(t, snap, Options{PageSize: 1})
	c := newClients(awsConfig(u)).iam
	region := []types.ContextEntry{{ContextKeyName: aws.String("aws:RequestedRegion"), ContextKeyType: types.ContextKeyTypeEnumString, ContextKeyValues: []string{"us-east-1"}}}
	yes, no := true, false
	type result struct {
		Decision       types.PolicyEvaluationDecisionType
		Orgs, Boundary *bool
		Matched        []string
		Missing        []string
	}
	tests := []struct {
		name    string
		source  string
		action  string
		context []types.ContextEntry
		want    result
	}{
		{"allowed by the inline policy, inside the boundary", "arn:aws:iam::111122223333:role/team/app", "s3:GetObject", region,
			result{types.PolicyEvaluationDecisionTypeAllowed, &yes, &yes, []string{"role:s3"}, nil}},
		{"condition key missing", "arn:aws:iam::111122223333:role/team/app", "s3:GetObject", nil,
			result{types.PolicyEvaluationDecisionTypeImplicitDeny, &yes, &yes, nil, []string{"aws:RequestedRegion"}}},
		{"outside the boundary", "arn:aws:iam::111122223333:role/team/app", "s3:PutObject", nil,
			result{types.PolicyEvaluationDecisionTypeImplicitDeny, &yes, &no, nil, nil}},
		{"denied by an SCP", "arn:aws:iam::111122223333:role/team/app", "ec2:RunInstances", nil,
			result{types.PolicyEvaluationDecisionTypeExplicitDeny, &no, &yes, nil, nil}},
		{"group with an AWS managed policy", "arn:aws:iam::111122223333:group/readers", "s3:ListBucket", nil,
			result{types.PolicyEvaluationDecisionTypeAllowed, &yes, nil, []string{"aws-managed:AmazonS3ReadOnlyAccess"}, nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.SimulatePrincipalPolicy(context.Background(), &iam.SimulatePrincipalPolicyInput{
				PolicySourceArn: aws.String(tc.source), ActionNames: []string{tc.action}, ContextEntries: tc.context,
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.EvaluationResults) != 1 {
				t.Fatalf("%d results, want 1", len(out.EvaluationResults))
			}
			r := out.EvaluationResults[0]
			got := result{Decision: r.EvalDecision, Missing: r.MissingContextValues}
			if d := r.OrganizationsDecisionDetail; d != nil {
				got.Orgs = &d.AllowedByOrganizations
			}
			if d := r.PermissionsBoundaryDecisionDetail; d != nil {
				got.Boundary = &d.AllowedByPermissionsBoundary
			}
			for _, m := range r.MatchedStatements {
				got.Matched = append(got.Matched, string(m.SourcePolicyType)+":"+aws.ToString(m.SourcePolicyId))
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if aws.ToString(r.EvalActionName) != tc.action || aws.ToString(r.EvalResourceName) != "*" {
				t.Errorf("EvalActionName %q, EvalResourceName %q", aws.ToString(r.EvalActionName), aws.ToString(r.EvalResourceName))
			}
		})
	}
}

// TestSimulatePrincipalPolicyPages returns one result per page and the
// paginator collects all of them, in order.
func TestSimulatePrincipalPolicyPages(t *testing.T) {
	_, u := serve(t, parseSnapshot(t, simSnapshot), Options{PageSize: 1})
	c := newClients(awsConfig(u)).iam
	actions := []string{"s3:GetObject", "s3:PutObject", "ec2:RunInstances"}
	p := iam.NewSimulatePrincipalPolicyPaginator(c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::111122223333:role/team/app"), ActionNames: actions,
		ResourceArns: []string{"arn:aws:s3:::a/k", "arn:aws:s3:::b/k"},
	})
	var got []string
	for page := range allPages(t, context.Background(), p.HasMorePages, p.NextPage) {
		if len(page.EvaluationResults) != 1 {
			t.Errorf("page of %d results, want 1", len(page.EvaluationResults))
		}
		for _, r := range page.EvaluationResults {
			got = append(got, aws.ToString(r.EvalActionName)+" "+aws.ToString(r.EvalResourceName))
		}
	}
	want := []string{"s3:GetObject arn:aws:s3:::a/k", "s3:GetObject arn:aws:s3:::b/k", "s3:PutObject arn:aws:s3:::a/k",
		"s3:PutObject arn:aws:s3:::b/k", "ec2:RunInstances arn:aws:s3:::a/k", "ec2:RunInstances arn:aws:s3:::b/k"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestSimulateOverride makes the simulator disagree with iamdiag's engine,
// and checks the override sees the computed answer.
func TestSimulateOverride(t *testing.T) {
	var seen []string
	opts := Options{SimulateOverride: func(q SimulateQuery, computed SimulateAnswer) SimulateAnswer {
		seen = append(seen, q.Action+"="+computed.Decision)
		computed.Decision = EvalAllowed
		computed.AllowedByOrganizations = nil
		return computed
	}}
	_, u := serve(t, parseSnapshot(t, simSnapshot), opts)
	out, err := newClients(awsConfig(u)).iam.SimulatePrincipalPolicy(context.Background(), &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::111122223333:role/team/app"), ActionNames: []string{"ec2:RunInstances"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := out.EvaluationResults[0]
	if r.EvalDecision != types.PolicyEvaluationDecisionTypeAllowed || r.OrganizationsDecisionDetail != nil {
		t.Errorf("overridden result: %s, organizations detail %v", r.EvalDecision, r.OrganizationsDecisionDetail)
	}
	if diff := cmp.Diff([]string{"ec2:RunInstances=explicitDeny"}, seen); diff != "" {
		t.Errorf("override saw (-want +got):\n%s", diff)
	}
}

func TestSimulatePrincipalPolicyErrors(t *testing.T) {
	_, u := serve(t, parseSnapshot(t, simSnapshot), Options{})
	c := newClients(awsConfig(u)).iam
	tests := []struct {
		name, source, policy, code string
	}{
		{"assumed-role session", "arn:aws:sts::111122223333:assumed-role/app/jane", "", "InvalidInput"},
		{"unknown role", "arn:aws:iam::111122223333:role/nope", "", "NoSuchEntity"},
		{"unknown group", "arn:aws:iam::111122223333:group/nope", "", "NoSuchEntity"},
		{"malformed extra policy", "arn:aws:iam::111122223333:role/team/app", `{"Statement":`, "MalformedPolicyDocument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(tc.source), ActionNames: []string{"s3:GetObject"}}
			if tc.policy != "" {
				in.PolicyInputList = []string{tc.policy}
			}
			_, err := c.SimulatePrincipalPolicy(context.Background(), in)
			if got := awserr.Code(err); got != tc.code {
				t.Errorf("error %v: code %q, want %q", err, got, tc.code)
			}
		})
	}
}

package decode

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFromCloudTrail(t *testing.T) {
	bare, err := os.ReadFile("testdata/cloudtrail/runinstances-scp.json")
	if err != nil {
		t.Fatal(err)
	}
	ok := `{"eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1"}`
	records := `{"Records":[` + ok + `,` + string(bare) + `]}`
	eventBridge := `{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","detail":` + string(bare) + `}`
	lookup, _ := json.Marshal(map[string]any{"Events": []map[string]string{{"EventName": "GetObject", "CloudTrailEvent": ok}, {"EventName": "RunInstances", "CloudTrailEvent": string(bare)}}})

	wantRun := view{
		JSON: mustJSON(t, `{"principal":"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_abc123/jane","action":"ec2:RunInstances",
			"resource":"arn:aws:ec2:eu-west-1:123456789012:instance/*",
			"context":{"aws:MultiFactorAuthPresent":["false"],"aws:PrincipalAccount":["123456789012"],
				"aws:PrincipalArn":["arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_abc123"],
				"aws:PrincipalType":["AssumedRole"],"aws:RequestedRegion":["eu-west-1"],"aws:SecureTransport":["true"],"aws:SourceIp":["203.0.113.7"],
				"aws:TokenIssueTime":["2026-06-16T12:27:13Z"],"aws:UserAgent":["aws-cli/2.15.0"],"aws:userid":["AROAEXAMPLEID:jane"],"ec2:InstanceType":["p4d.24xlarge"]},
			"hint":{"layer":"scp","kind":"explicit-deny","policy_arn":null},"encoded_message":"AbCdEf0123456789_-AbCdEf0123456789","authorization_id":null}`),
		RoleARN: "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_abc123",
		Account: "123456789012",
		Source:  SourceCloudTrail,
	}
	tests := []struct {
		name    string
		data    string
		want    view
		wantErr error
	}{
		{name: "bare record", data: string(bare), want: wantRun},
		{name: "log file: first denied record", data: records, want: wantRun},
		{name: "EventBridge envelope", data: eventBridge, want: wantRun},
		{name: "lookup-events output", data: string(lookup), want: wantRun},
		{
			name: "lambda event name version suffix, S3 resource from parameters, service caller",
			data: `{"eventSource":"lambda.amazonaws.com","eventName":"GetFunction20150331v2","awsRegion":"us-gov-west-1","sourceIPAddress":"cloudformation.amazonaws.com",
				"errorCode":"AccessDenied","recipientAccountId":"123456789012","requestParameters":{"functionName":"fn"},
				"userIdentity":{"type":"IAMUser","arn":"arn:aws-us-gov:iam::123456789012:user/bob","accountId":"123456789012","principalId":"AIDAEXAMPLE"}}`,
			want: view{
				JSON: mustJSON(t, `{"principal":"arn:aws-us-gov:iam::123456789012:user/bob","action":"lambda:GetFunction","resource":"arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:fn",
					"context":{"aws:PrincipalAccount":["123456789012"],"aws:PrincipalArn":["arn:aws-us-gov:iam::123456789012:user/bob"],"aws:PrincipalType":["User"],"aws:RequestedRegion":["us-gov-west-1"],"aws:userid":["AIDAEXAMPLE"]},
					"hint":null,"encoded_message":null,"authorization_id":null}`),
				Account: "123456789012",
				Source:  SourceCloudTrail,
				Missing: []string{
					`action: lambda:GetFunction derived from eventName "GetFunction20150331v2" of lambda.amazonaws.com`,
					"resource: arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:fn built from requestParameters.functionName",
				},
			},
		},
		{
			name: "CloudWatch logs as monitoring.amazonaws.com; first denied record taken",
			data: `{"Records":[{"eventSource":"monitoring.amazonaws.com","eventName":"PutMetricData","errorCode":"AccessDenied","awsRegion":"us-east-1"},
				{"eventSource":"s3.amazonaws.com","eventName":"ListObjects","errorCode":"AccessDenied"}]}`,
			want: view{
				JSON:    mustJSON(t, `{"principal":null,"action":"cloudwatch:PutMetricData","resource":null,"context":{"aws:RequestedRegion":["us-east-1"]},"hint":null,"encoded_message":null,"authorization_id":null}`),
				Source:  SourceCloudTrail,
				Missing: []string{"principal", "resource"},
			},
		},
		{
			name: "S3 operation mapped to its IAM action, bucket and key parameters",
			data: `{"eventSource":"s3.amazonaws.com","eventName":"HeadObject","errorCode":"AccessDenied","awsRegion":"cn-north-1","requestParameters":{"bucketName":"b","key":"k/x.txt"}}`,
			want: view{
				JSON:   mustJSON(t, `{"principal":null,"action":"s3:GetObject","resource":"arn:aws-cn:s3:::b/k/x.txt","context":{"aws:RequestedRegion":["cn-north-1"]},"hint":null,"encoded_message":null,"authorization_id":null}`),
				Source: SourceCloudTrail,
				Missing: []string{
					`action: s3:GetObject derived from eventName "HeadObject" of s3.amazonaws.com`,
					"principal",
					"resource: arn:aws-cn:s3:::b/k/x.txt built from requestParameters.bucketName and key",
				},
			},
		},
		{name: "no denied record", data: `{"Records":[` + ok + `]}`, wantErr: ErrNoDeniedEvent},
		{name: "not CloudTrail", data: `{"foo":1}`, wantErr: ErrInvalid},
		{name: "not JSON", data: `User: x`, wantErr: ErrInvalid},
		{name: "empty", data: "", wantErr: ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := FromCloudTrail([]byte(tt.data))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, viewOf(t, r)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestFromCloudTrailNonIAMCallers: a service principal (userIdentity type
// AWSService, invokedBy) and an anonymous S3 request (accountId
// "anonymous") become the callers the sources know: the service's name and
// "anonymous", with no account
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
func TestFromCloudTrailNonIAMCallers(t *testing.T) {
	tests := []struct {
		name, data, principal string
	}{
		{"service principal", `{"eventSource":"sns.amazonaws.com","eventName":"Publish","awsRegion":"us-east-1","errorCode":"AuthorizationError",
			"userIdentity":{"type":"AWSService","invokedBy":"events.amazonaws.com"},"requestParameters":{"topicArn":"arn:aws:sns:us-east-1:111122223333:alerts"}}`,
			"events.amazonaws.com"},
		{"anonymous S3 request", `{"eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","errorCode":"AccessDenied",
			"userIdentity":{"type":"AWSAccount","principalId":"","accountId":"anonymous"},"requestParameters":{"bucketName":"site","key":"a.html"}}`,
			"anonymous"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := FromCloudTrail([]byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if r.Principal != tc.principal || r.Account != "" {
				t.Errorf("principal %q, account %q; want %q and no account", r.Principal, r.Account, tc.principal)
			}
			if r.Context != nil {
				if v, ok := r.Context.Get("aws:PrincipalAccount"); ok {
					t.Errorf("aws:PrincipalAccount = %v, want absent", v)
				}
			}
		})
	}
}

// TestRunInstancesContext: a RunInstances record's request parameters give
// the keys a fix pins: instance type, subnet, image and requested tags.
func TestRunInstancesContext(t *testing.T) {
	rec := `{"eventVersion":"1.09","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1",
		"recipientAccountId":"123456789012","errorCode":"Client.UnauthorizedOperation",
		"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/R/s","accountId":"123456789012"},
		"requestParameters":{"instanceType":"t3.medium","instancesSet":{"items":[{"imageId":"ami-0abc","minCount":1,"maxCount":1}]},
			"networkInterfaceSet":{"items":[{"deviceIndex":0,"subnetId":"subnet-0def"}]},
			"tagSpecificationSet":{"items":[{"resourceType":"instance","tags":[{"key":"team","value":"data"},{"key":"env","value":"dev"}]}]}}}`
	r, err := FromCloudTrail([]byte(rec))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"ec2:InstanceType":     {"t3.medium"},
		"ec2:ImageID":          {"ami-0abc"},
		"ec2:Subnet":           {"arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0def"},
		"aws:RequestTag/team":  {"data"},
		"aws:RequestTag/env":   {"dev"},
		"aws:TagKeys":          {"team", "env"},
		"aws:RequestedRegion":  {"us-east-1"},
		"aws:PrincipalAccount": {"123456789012"},
		"aws:PrincipalType":    {"AssumedRole"},
	}
	got := map[string][]string{}
	for _, k := range r.Context.Keys() {
		v, _ := r.Context.Get(k)
		got[k] = v
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("context (-want +got):\n%s", diff)
	}
}

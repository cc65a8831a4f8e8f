package layers

import (
	"bytes"
	"testing"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// FuzzLoad checks that Load never panics on any input and that whatever it
// accepts answers Layers for every principal it holds without panicking.
func FuzzLoad(f *testing.F) {
	// Seeds stay small: the fuzzer minimises every new interesting input,
	// which takes minutes on a 100 KB file. The full fixtures are loaded by
	// TestLoadGAAD.
	f.Add([]byte(`{"UserDetailList":[{"Path":"/","UserName":"u","UserId":"AIDAEXAMPLE","Arn":"arn:aws:iam::123456789012:user/u","GroupList":["g"],
		"AttachedManagedPolicies":[{"PolicyName":"P","PolicyArn":"arn:aws:iam::123456789012:policy/P"}],
		"PermissionsBoundary":{"PermissionsBoundaryType":"Policy","PermissionsBoundaryArn":"arn:aws:iam::123456789012:policy/P"},
		"UserPolicyList":[{"PolicyName":"i","PolicyDocument":"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A*%22%2C%22Resource%22%3A%22*%22%7D%7D"}]}],
		"GroupDetailList":[{"Path":"/","GroupName":"g","GroupId":"AGPAEXAMPLE","Arn":"arn:aws:iam::123456789012:group/g","GroupPolicyList":[],
		"AttachedManagedPolicies":[{"PolicyName":"P","PolicyArn":"arn:aws:iam::123456789012:policy/P"}]}],
		"Policies":[{"PolicyName":"P","Arn":"arn:aws:iam::123456789012:policy/P","DefaultVersionId":"v2","PolicyVersionList":[
		{"Document":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]},"VersionId":"v2","IsDefaultVersion":true},
		{"Document":{"Statement":[{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:s3:::x"}]},"VersionId":"v1","IsDefaultVersion":false}]}]}`))
	f.Add([]byte(`{"format":"iamdiag-snapshot/v1","account_id":"123456789012","authorization_details":{"RoleDetailList":[{"Path":"/","RoleName":"R","RoleId":"AROAEXAMPLE","Arn":"arn:aws:iam::123456789012:role/R","AssumeRolePolicyDocument":"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D"}]},
		"organization":{"id":"o-abcdefghij","nodes":[{"id":"r-ab12","type":"ROOT"},{"id":"ou-ab12-aaaaaaaa","type":"ORGANIZATIONAL_UNIT","parent":"r-ab12"},{"id":"123456789012","type":"ACCOUNT","parent":"ou-ab12-aaaaaaaa"}],
		"policies":[{"id":"p-x1234567","name":"D","type":"SERVICE_CONTROL_POLICY","targets":["ou-ab12-aaaaaaaa"],"content":{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:*","Resource":"*"}]}}]},
		"resource_policies":[{"arn":"arn:aws:s3:::b","policy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}}],
		"session_policies":{"arn:aws:sts::123456789012:assumed-role/R/s":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}}}`))
	f.Add([]byte(`{"format":"iamdiag-snapshot/v2"}`))
	f.Add([]byte(`{"UserDetailList":[{"UserName":"u","Arn":"arn:aws:iam::123456789012:user/u","GroupList":["g"]}],"GroupDetailList":[{"GroupName":"g","Arn":"arn:aws:iam::123456789012:group/g"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := LoadLimit(bytes.NewReader(b), 1<<20)
		if err != nil {
			return
		}
		var principals []string
		for _, r := range s.AuthorizationDetails.RoleDetailList {
			principals = append(principals, r.Arn, "arn:aws:sts::"+s.AccountID+":assumed-role/"+r.RoleName+"/s")
		}
		for _, u := range s.AuthorizationDetails.UserDetailList {
			principals = append(principals, u.Arn)
		}
		for _, p := range principals {
			for _, res := range []string{"*", p, "arn:aws:s3:::b/k"} {
				l, err := s.Layers(policy.NewRequest(p, "sts:AssumeRole", res))
				if err == nil && l == nil {
					t.Fatal("Layers returned neither layers nor an error")
				}
			}
		}
		if _, err := s.Marshal(); err != nil {
			t.Fatalf("Marshal of a loaded snapshot failed: %v", err)
		}
	})
}

package fakeaws

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzServeHTTP sends arbitrary bodies to every protocol: the server must
// answer each with a status AWS uses, never panic.
func FuzzServeHTTP(f *testing.F) {
	seeds := []struct {
		target, body string
	}{
		{"", "Action=GetRole&Version=2010-05-08&RoleName=app"},
		{"", "Action=ListRolePolicies&Version=2010-05-08&RoleName=app&MaxItems=1&Marker=R2V0Um9sZXwx"},
		{"", "Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn=arn:aws:iam::111122223333:role/team/app&ActionNames.member.1=s3:GetObject&ContextEntries.member.1.ContextKeyName=aws:RequestedRegion&ContextEntries.member.1.ContextKeyValues.member.1=us-east-1"},
		{"", "Action=GetAccountAuthorizationDetails&Version=2010-05-08&Filter.member.1=Role&MaxItems=0"},
		{"", "Action=DecodeAuthorizationMessage&Version=2011-06-15&EncodedMessage=x"},
		{"", "%zz&Action="},
		{"AWSOrganizationsV20161128.ListChildren", `{"ParentId":"r-ab12","ChildType":"ACCOUNT","MaxResults":1,"NextToken":"TGlzdENoaWxkcmVufDE"}`},
		{"AWSOrganizationsV20161128.ListPoliciesForTarget", `{"TargetId":"r-ab12","Filter":"SERVICE_CONTROL_POLICY"}`},
		{"AWSOrganizationsV20161128.DescribePolicy", `{"PolicyId":`},
		{"TrentService.GetKeyPolicy", `{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab"}`},
	}
	for _, s := range seeds {
		f.Add(s.target, s.body)
	}
	srv := New(parseSnapshot(f, scenarioSnapshot(f)), Options{PageSize: 1})
	f.Fuzz(func(t *testing.T, target, body string) {
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader(body))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAFUZZ/20260101/us-east-1/iam/aws4_request")
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		switch w.Code {
		case 200, 400, 403, 404, 500:
		default:
			t.Errorf("status %d for %q %q", w.Code, target, body)
		}
		if w.Body.Len() == 0 {
			t.Errorf("empty body for %q %q", target, body)
		}
	})
}

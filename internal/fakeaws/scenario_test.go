package fakeaws

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/awserr"
)

// oneCall is one call of each service against simSnapshot, named by the
// operation the scenario maps use.
type oneCall struct {
	op   string
	call func(context.Context, clients) error
}

var oneOfEach = []oneCall{
	{"GetRole", func(ctx context.Context, c clients) error {
		_, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
		return err
	}},
	{"SimulatePrincipalPolicy", func(ctx context.Context, c clients) error {
		_, err := c.iam.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::111122223333:role/team/app"), ActionNames: []string{"s3:GetObject"}})
		return err
	}},
	{"GetCallerIdentity", func(ctx context.Context, c clients) error {
		_, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}},
	{"ListParents", func(ctx context.Context, c clients) error {
		_, err := c.org.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("111122223333")})
		return err
	}},
	{"DescribePolicy", func(ctx context.Context, c clients) error {
		_, err := c.org.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String("p-denyec2")})
		return err
	}},
	{"GetBucketPolicy", func(ctx context.Context, c clients) error {
		_, err := c.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("data")})
		return err
	}},
	{"GetKeyPolicy", func(ctx context.Context, c clients) error {
		_, err := c.kms.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String("1234abcd-12ab-34cd-56ef-1234567890ab")})
		return err
	}},
}

// scenarioSnapshot is simSnapshot with a bucket policy and a key policy.
func scenarioSnapshot(t testing.TB) string {
	t.Helper()
	return strings.TrimSuffix(strings.TrimSpace(simSnapshot), "}") + `,"resource_policies":[
 {"arn":"arn:aws:s3:::data","policy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/team/app"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}},
 {"arn":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab","policy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}}]}`
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// TestEveryServiceAnswers checks the baseline: every call succeeds.
func TestEveryServiceAnswers(t *testing.T) {
	_, u := serve(t, parseSnapshot(t, scenarioSnapshot(t)), Options{})
	c := newClients(awsConfig(u))
	for _, oc := range oneOfEach {
		if err := oc.call(context.Background(), c); err != nil {
			t.Errorf("%s: %v", oc.op, err)
		}
	}
}

// TestThrottleOnce: the first call of each operation is throttled with the
// service's code, the SDK's retryer retries, the call succeeds.
func TestThrottleOnce(t *testing.T) {
	throttle := map[string]int{}
	for _, oc := range oneOfEach {
		throttle[oc.op] = 1
	}
	srv, u := serve(t, parseSnapshot(t, scenarioSnapshot(t)), Options{Throttle: throttle})
	c := newClients(awsConfig(u))
	for _, oc := range oneOfEach {
		if err := oc.call(context.Background(), c); err != nil {
			t.Errorf("%s throttled once: %v", oc.op, err)
		}
		if n := srv.Calls()[oc.op]; n != 2 {
			t.Errorf("%s: %d calls, want 2 (throttled, retried)", oc.op, n)
		}
	}
}

// TestThrottleForever: the retryer gives up and the error names the
// service's throttling code.
func TestThrottleForever(t *testing.T) {
	want := map[string]string{
		"GetRole": "Throttling", "SimulatePrincipalPolicy": "Throttling", "GetCallerIdentity": "Throttling",
		"ListParents": "TooManyRequestsException", "DescribePolicy": "TooManyRequestsException",
		"GetBucketPolicy": "SlowDown", "GetKeyPolicy": "ThrottlingException",
	}
	throttle := map[string]int{}
	for op := range want {
		throttle[op] = 100
	}
	srv, u := serve(t, parseSnapshot(t, scenarioSnapshot(t)), Options{Throttle: throttle})
	c := newClients(awsConfig(u))
	for _, oc := range oneOfEach {
		err := oc.call(context.Background(), c)
		if got := awserr.Code(err); got != want[oc.op] {
			t.Errorf("%s: error %v, code %q, want %q", oc.op, err, got, want[oc.op])
		}
		if n := srv.Calls()[oc.op]; n != 3 {
			t.Errorf("%s: %d calls, want the standard retryer's 3 attempts", oc.op, n)
		}
	}
}

// TestDeny: a denied operation fails with the service's access-denied code
// and status; the SDK does not retry it.
func TestDeny(t *testing.T) {
	want := map[string]struct {
		code   string
		status int
	}{
		"GetRole": {"AccessDenied", 403}, "SimulatePrincipalPolicy": {"AccessDenied", 403}, "GetCallerIdentity": {"AccessDenied", 403},
		"ListParents": {"AccessDeniedException", 400}, "DescribePolicy": {"AccessDeniedException", 400},
		"GetBucketPolicy": {"AccessDenied", 403}, "GetKeyPolicy": {"AccessDeniedException", 400},
	}
	deny := map[string]string{}
	for op := range want {
		deny[op] = ""
	}
	srv, u := serve(t, parseSnapshot(t, scenarioSnapshot(t)), Options{Deny: deny, CallerARN: "arn:aws:sts::111122223333:assumed-role/reader/me"})
	c := newClients(awsConfig(u))
	for _, oc := range oneOfEach {
		err := oc.call(context.Background(), c)
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			t.Fatalf("%s: %v is not a smithy.APIError", oc.op, err)
		}
		if ae.ErrorCode() != want[oc.op].code || httpStatus(err) != want[oc.op].status {
			t.Errorf("%s: code %q status %d, want %q %d", oc.op, ae.ErrorCode(), httpStatus(err), want[oc.op].code, want[oc.op].status)
		}
		if srv.Calls()[oc.op] != 1 {
			t.Errorf("%s: %d calls, want 1 (access denied is not retried)", oc.op, srv.Calls()[oc.op])
		}
	}
	// The AccessDenied message names the caller and the action, as AWS's does.
	_, err := c.iam.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("app")})
	var ae smithy.APIError
	if errors.As(err, &ae) && !strings.Contains(ae.ErrorMessage(), "assumed-role/reader/me is not authorized to perform: iam:GetRole") {
		t.Errorf("AccessDenied message %q", ae.ErrorMessage())
	}
}

// TestOrganizationsReadsDenied is the member-account scenario: the
// organization is visible, its policies are not.
func TestOrganizationsReadsDenied(t *testing.T) {
	_, u := serve(t, parseSnapshot(t, simSnapshot), Options{Deny: OrganizationsReadsDenied()})
	c := newClients(awsConfig(u)).org
	ctx := context.Background()
	if _, err := c.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{}); err != nil {
		t.Errorf("DescribeOrganization: %v", err)
	}
	_, err := c.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: aws.String("r-ab12"), Filter: orgtypes.PolicyTypeServiceControlPolicy})
	var ade *orgtypes.AccessDeniedException
	if !errors.As(err, &ade) {
		t.Errorf("ListPoliciesForTarget: %v, want *types.AccessDeniedException", err)
	}
}

// TestErrors injects the failures a live run meets.
func TestErrors(t *testing.T) {
	tests := []struct {
		name   string
		fail   Failure
		op     int // index into oneOfEach
		code   string
		status int
		calls  int
	}{
		{"NoSuchEntity", Failure{Code: "NoSuchEntity"}, 0, "NoSuchEntity", 404, 1},
		{"ExpiredToken on IAM", Failure{Code: "ExpiredToken", Message: "The security token included in the request is expired"}, 0, "ExpiredToken", 403, 1},
		{"InvalidClientTokenId on STS", Failure{Code: "InvalidClientTokenId"}, 2, "InvalidClientTokenId", 403, 1},
		{"ExpiredTokenException on Organizations", Failure{Code: "ExpiredTokenException"}, 3, "ExpiredTokenException", 400, 1},
		{"server error retried then succeeds", Failure{Code: "ServiceFailure", Times: 1}, 0, "", 0, 2},
		{"explicit status", Failure{Code: "Teapot", Status: 418}, 5, "Teapot", 418, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			oc := oneOfEach[tc.op]
			srv, u := serve(t, parseSnapshot(t, scenarioSnapshot(t)), Options{Errors: map[string]Failure{oc.op: tc.fail}})
			err := oc.call(context.Background(), newClients(awsConfig(u)))
			if got := awserr.Code(err); got != tc.code || httpStatus(err) != tc.status {
				t.Errorf("%s: error %v: code %q status %d, want %q %d", oc.op, err, got, httpStatus(err), tc.code, tc.status)
			}
			if n := srv.Calls()[oc.op]; n != tc.calls {
				t.Errorf("%s: %d calls, want %d", oc.op, n, tc.calls)
			}
		})
	}
}

// TestMalformed: a garbled 200 body is a deserialization error, not a
// result.
func TestMalformed(t *testing.T) {
	malformed := map[string]bool{}
	for _, oc := range oneOfEach {
		malformed[oc.op] = true
	}
	_, u := serve(t, parseSnapshot(t, scenarioSnapshot(t)), Options{Malformed: malformed})
	c := newClients(awsConfig(u))
	for _, oc := range oneOfEach {
		err := oc.call(context.Background(), c)
		if oc.op == "GetBucketPolicy" {
			// S3 sends the bare document: half of it is still a string.
			if err != nil {
				t.Errorf("%s: %v", oc.op, err)
			}
			continue
		}
		// awsJson clients report a *smithy.DeserializationError; the
		// schema-based awsquery clients of IAM and STS wrap the
		// *xml.SyntaxError itself. Neither is an APIError.
		var de *smithy.DeserializationError
		var se *xml.SyntaxError
		if !errors.As(err, &de) && !errors.As(err, &se) || awserr.Code(err) != "" {
			t.Errorf("%s: error %v (%T), want a deserialization error", oc.op, err, err)
		}
	}
}

// TestLatencyAndRoundTrips: latency is applied to every call; sequential
// calls are round trips each, concurrent ones share one.
func TestLatencyAndRoundTrips(t *testing.T) {
	const latency = 40 * time.Millisecond
	srv, u := serve(t, parseSnapshot(t, scenarioSnapshot(t)), Options{Latency: latency})
	c := newClients(awsConfig(u))
	ctx := context.Background()

	start := time.Now()
	for _, oc := range oneOfEach[:3] {
		if err := oc.call(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el < 3*latency {
		t.Errorf("3 sequential calls took %v, want at least %v", el, 3*latency)
	}
	if got := srv.RoundTrips(); got != 3 {
		t.Errorf("sequential: RoundTrips = %d, want 3", got)
	}

	srv.Reset()
	var wg sync.WaitGroup
	for _, oc := range oneOfEach {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := oc.call(ctx, c); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := srv.RoundTrips(); got != 1 {
		t.Errorf("concurrent: RoundTrips = %d, want 1", got)
	}
	if got := srv.TotalCalls(); got != len(oneOfEach) {
		t.Errorf("TotalCalls = %d, want %d", got, len(oneOfEach))
	}
	for _, call := range srv.Log() {
		if call.End.Sub(call.Start) < latency {
			t.Errorf("%s answered after %v, want at least %v", call.Op, call.End.Sub(call.Start), latency)
		}
		if call.AccessKeyID != testKey {
			t.Errorf("%s signed with %q, want %q", call.Op, call.AccessKeyID, testKey)
		}
	}
}

func TestCriticalPath(t *testing.T) {
	at := func(ms int) time.Time { return time.Unix(0, int64(ms)*int64(time.Millisecond)) }
	c := func(start, end int) Call { return Call{Start: at(start), End: at(end)} }
	tests := []struct {
		name  string
		calls []Call
		want  int
	}{
		{"none", nil, 0},
		{"one", []Call{c(0, 10)}, 1},
		{"chain", []Call{c(0, 10), c(10, 20), c(21, 30)}, 3},
		{"fan out", []Call{c(0, 10), c(1, 11), c(2, 12)}, 1},
		{"fan out then one", []Call{c(0, 10), c(1, 11), c(12, 20)}, 2},
		{"two chains, longest wins", []Call{c(0, 10), c(11, 20), c(21, 30), c(0, 50)}, 3},
		{"unsorted", []Call{c(21, 30), c(0, 10), c(11, 20)}, 3},
		{"overlap breaks a chain", []Call{c(0, 10), c(9, 20), c(19, 30)}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := criticalPath(tc.calls); got != tc.want {
				t.Errorf("criticalPath = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestSTS covers GetCallerIdentity and the Encode/Decode round trip.
func TestSTS(t *testing.T) {
	srv, u := serve(t, parseSnapshot(t, simSnapshot), Options{CallerARN: "arn:aws:sts::111122223333:assumed-role/app/jane"})
	c := newClients(awsConfig(u)).sts
	ctx := context.Background()
	id, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{aws.ToString(id.Account), aws.ToString(id.Arn), aws.ToString(id.UserId)}; !cmp.Equal(got, []string{"111122223333", "arn:aws:sts::111122223333:assumed-role/app/jane", "AROAAPP:jane"}) {
		t.Errorf("GetCallerIdentity = %v", got)
	}
	decoded := `{"allowed":false,"explicitDeny":false,"matchedStatements":{"items":[]},"context":{"principal":{"id":"AROAAPP:jane","arn":"arn:aws:sts::111122223333:assumed-role/app/jane"},"action":"ec2:RunInstances","resource":"arn:aws:ec2:us-east-1:111122223333:instance/*","conditions":{"items":[{"key":"aws:RequestedRegion","values":{"items":[{"value":"us-east-1"}]}}]}}}`
	tok := srv.Encode([]byte(decoded))
	if tok2 := srv.Encode([]byte(decoded)); tok2 == tok {
		t.Error("Encode returned the same token twice")
	}
	out, err := c.DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(tok)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.DecodedMessage); got != decoded {
		t.Errorf("DecodedMessage = %s, want %s", got, decoded)
	}
	_, err = c.DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String("made-up")})
	var inv *ststypes.InvalidAuthorizationMessageException
	if !errors.As(err, &inv) {
		t.Errorf("unknown token: %v, want *types.InvalidAuthorizationMessageException", err)
	}
}

// TestGetCallerIdentityDefault names a session of the snapshot's account.
func TestGetCallerIdentityDefault(t *testing.T) {
	_, u := serve(t, parseSnapshot(t, simSnapshot), Options{})
	id, err := newClients(awsConfig(u)).sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != "111122223333" || !strings.HasPrefix(aws.ToString(id.Arn), "arn:aws:sts::111122223333:assumed-role/") {
		t.Errorf("default caller %s in %s", aws.ToString(id.Arn), aws.ToString(id.Account))
	}
}

// TestUnsigned: like AWS, the server refuses a request without an
// Authorization header, so a test can prove credentials were sent.
func TestUnsigned(t *testing.T) {
	srv, u := serve(t, parseSnapshot(t, simSnapshot), Options{})
	tests := []struct {
		name, target, body, contentType, code string
		status                                int
	}{
		{"iam", "", "Action=GetRole&Version=2010-05-08&RoleName=app", "application/x-www-form-urlencoded", "<Code>MissingAuthenticationToken</Code>", 403},
		{"organizations", "AWSOrganizationsV20161128.ListRoots", "{}", "application/x-amz-json-1.1", `"__type":"MissingAuthenticationTokenException"`, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tc.contentType)
			if tc.target != "" {
				req.Header.Set("X-Amz-Target", tc.target)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b := make([]byte, 4096)
			n, _ := resp.Body.Read(b)
			if resp.StatusCode != tc.status || !strings.Contains(string(b[:n]), tc.code) {
				t.Errorf("status %d body %s; want %d with %s", resp.StatusCode, b[:n], tc.status, tc.code)
			}
		})
	}
	for _, call := range srv.Log() {
		if call.AccessKeyID != "" {
			t.Errorf("unsigned call logged access key %q", call.AccessKeyID)
		}
	}
}

// TestOrganizationSection: the snapshot format says an absent organization
// section is unreadable and {"standalone": true} is no organization; the
// server answers each as AWS would: AccessDeniedException (a member account
// without delegated administration) and AWSOrganizationsNotInUseException.
func TestOrganizationSection(t *testing.T) {
	const account = `{"format": "iamdiag-snapshot/v1", "account_id": "123456789012",
		"authorization_details": {"RoleDetailList": [], "UserDetailList": [], "GroupDetailList": [], "Policies": []}`
	tests := []struct {
		name     string
		snapshot string
		want     string // the error code of every Organizations read
	}{
		{"absent", account + `}`, "AccessDeniedException"},
		{"standalone", account + `, "organization": {"standalone": true}}`, "AWSOrganizationsNotInUseException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, u := serve(t, parseSnapshot(t, tc.snapshot), Options{})
			c := newClients(awsConfig(u)).org
			ctx := context.Background()
			calls := map[string]func() error{
				"DescribeOrganization": func() error {
					_, err := c.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
					return err
				},
				"ListParents": func() error {
					_, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("123456789012")})
					return err
				},
				"ListPoliciesForTarget": func() error {
					_, err := c.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: aws.String("123456789012"), Filter: orgtypes.PolicyTypeServiceControlPolicy})
					return err
				},
				"ListRoots": func() error {
					_, err := c.ListRoots(ctx, &organizations.ListRootsInput{})
					return err
				},
			}
			got := map[string]string{}
			want := map[string]string{}
			for op, call := range calls {
				want[op] = tc.want
				var ae smithy.APIError
				if err := call(); errors.As(err, &ae) {
					got[op] = ae.ErrorCode()
				} else {
					got[op] = fmt.Sprint(err)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("error codes (-want +got):\n%s", diff)
			}
		})
	}
}

package decode

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// view is what tests compare: the decode JSON plus the Go-only fields.
type view struct {
	JSON    map[string]any
	RoleARN string
	Account string
	Source  string
	Missing []string
}

func viewOf(t *testing.T, r *Request) view {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return view{JSON: m, RoleARN: r.RoleARN, Account: r.Account, Source: r.Source, Missing: r.Missing}
}

func mustJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON: %v", err)
	}
	return m
}

func TestMarshalJSON(t *testing.T) {
	ctx := &policy.Context{}
	ctx.Add("aws:SourceIp", "203.0.113.7")
	tests := []struct {
		name string
		r    *Request
		want string
	}{
		{"empty request is all null", &Request{}, `{"principal":null,"action":null,"resource":null,"context":null,"hint":null,"encoded_message":null,"authorization_id":null}`},
		{"bare explicit deny has kind without layer", &Request{Action: "s3:GetObject", Hint: &Hint{Kind: KindExplicitDeny}},
			`{"principal":null,"action":"s3:GetObject","resource":null,"context":null,"hint":{"layer":null,"kind":"explicit-deny","policy_arn":null},"encoded_message":null,"authorization_id":null}`},
		{"masked account id is not HTML-escaped", &Request{Principal: "arn:aws:iam::<ID>:role/x", Context: ctx, EncodedMessage: "abc"},
			`{"principal":"arn:aws:iam::<ID>:role/x","action":null,"resource":null,"context":{"aws:SourceIp":["203.0.113.7"]},"hint":null,"encoded_message":"abc","authorization_id":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.r.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromFlags(t *testing.T) {
	tests := []struct {
		name                        string
		principal, action, resource string
		context                     []string
		want                        string
		wantMissing                 []string
		wantErr                     error
	}{
		{
			name: "repeated key is multi-value", principal: "arn:aws:iam::123456789012:role/R", action: "ec2:RunInstances",
			context:     []string{"aws:RequestedRegion=eu-west-1", "aws:TagKeys=a", "aws:TagKeys=b=c"},
			want:        `{"principal":"arn:aws:iam::123456789012:role/R","action":"ec2:RunInstances","resource":null,"context":{"aws:RequestedRegion":["eu-west-1"],"aws:TagKeys":["a","b=c"]},"hint":null,"encoded_message":null,"authorization_id":null}`,
			wantMissing: []string{"resource"},
		},
		{name: "nothing given", wantErr: ErrEmpty},
		{name: "action without service", principal: "p", action: "RunInstances", wantErr: ErrInvalid},
		{name: "context without equals", action: "s3:GetObject", context: []string{"aws:SourceIp"}, wantErr: ErrInvalid},
		{name: "space in principal", principal: "arn:aws:iam::1:user/a b", action: "s3:GetObject", wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := FromFlags(tt.principal, tt.action, tt.resource, tt.context)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := viewOf(t, r)
			want := view{JSON: mustJSON(t, tt.want), Source: SourceFlags, Missing: tt.wantMissing}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromErrorTextErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want error
	}{
		{"empty", "  \n ", ErrEmpty},
		{"no denial", "Error: creating S3 bucket: BucketAlreadyExists", ErrNoDenial},
		{"too large", strings.Repeat("a", MaxInputSize+1), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromErrorText(tt.text)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestFromErrorTextMissing checks what the Missing list says, which the
// corpus (decode JSON only) does not compare.
func TestFromErrorTextMissing(t *testing.T) {
	tests := []struct {
		name        string
		text        string
		wantAction  string
		wantMissing []string
		wantAccount string
	}{
		{
			name:       "Go SDK operation gives the action",
			text:       "operation error EC2: RunInstances, https response error StatusCode: 403, RequestID: x, api error UnauthorizedOperation: You are not authorized to perform this operation.",
			wantAction: "ec2:RunInstances",
			wantMissing: []string{
				`action: not in the text; ec2:RunInstances derived from the RunInstances operation (the Go SDK error) and the service "EC2"`,
				"principal", "resource",
			},
		},
		{
			name:       "S3 operation renamed in IAM",
			text:       "operation error S3: ListObjectsV2, https response error StatusCode: 403, RequestID: x, HostID: y, api error AccessDenied: Access Denied",
			wantAction: "s3:ListBucket",
			wantMissing: []string{
				`action: not in the text; s3:ListBucket derived from the ListObjectsV2 operation (the Go SDK error) and the service "S3"; the IAM action of that operation has another name`,
				"principal", "resource",
			},
		},
		{
			name:        "CLI operation alone names no service",
			text:        "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied",
			wantMissing: []string{"action: the text names the GetObject operation but not its service", "principal", "resource"},
		},
		{
			name:        "logs account and bare operation",
			text:        "User with accountId: 123456789012 is not authorized to perform CreateLogStream on resource arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s",
			wantAction:  "logs:CreateLogStream",
			wantAccount: "123456789012",
			wantMissing: []string{
				"action: not in the text; logs:CreateLogStream derived from the CreateLogStream operation (the message) and the resource ARN",
				"principal: the text names only the account 123456789012",
			},
		},
		{
			name:       "cut encoded message",
			text:       "UnauthorizedOperation: You are not authorized to perform this operation. User: arn:aws:iam::1:user/u is not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-1:1:instance/* because no identity-based policy allows the ec2:RunInstances action. Encoded authorization failure message: g4oZPBqZ4Bni8dE5dGjxYTnOZ...",
			wantAction: "ec2:RunInstances",
			wantMissing: []string{
				"encoded message: cut short in the text (it ends with an ellipsis)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := FromErrorText(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			got := []any{r.Action, r.Account, r.Missing}
			want := []any{tt.wantAction, tt.wantAccount, tt.wantMissing}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

const decodedRunInstances = `{"allowed":false,"explicitDeny":true,"matchedStatements":{"items":[{"statementId":"DenyBigInstances","effect":"DENY"}]},"failures":{"items":[]},"context":{"principal":{"id":"AROAEXAMPLE:jane","arn":"arn:aws:sts::123456789012:assumed-role/MyFederatedRole/jane"},"action":"RunInstances","resource":"arn:aws:ec2:us-east-1:123456789012:instance/*","conditions":{"items":[{"key":"ec2:instancetype","values":{"items":[{"value":"p4d.24xlarge"}]}},{"key":"aws:RequestedRegion","values":{"items":[{"value":"us-east-1"}]}},{"key":"aws:TagKeys","values":{"items":[{"value":"Name"},{"value":"team"}]}}]}}}`

func TestFromDecodedMessage(t *testing.T) {
	outer, _ := json.Marshal(map[string]string{"DecodedMessage": decodedRunInstances})
	tests := []struct {
		name        string
		data        string
		want        string
		wantMissing []string
		wantErr     error
	}{
		{
			name: "CLI output, action without prefix, keys kept as written",
			data: string(outer),
			want: `{"principal":"arn:aws:sts::123456789012:assumed-role/MyFederatedRole/jane","action":"ec2:RunInstances","resource":"arn:aws:ec2:us-east-1:123456789012:instance/*",
				"context":{"aws:RequestedRegion":["us-east-1"],"aws:TagKeys":["Name","team"],"ec2:instancetype":["p4d.24xlarge"]},
				"hint":{"layer":null,"kind":"explicit-deny","policy_arn":null},"encoded_message":null,"authorization_id":null}`,
			wantMissing: []string{`action: the message says "RunInstances" without its service; ec2:RunInstances derived from the resource ARN`},
		},
		{
			name:        "inner JSON, implicit deny, no resource",
			data:        `{"allowed":false,"explicitDeny":false,"context":{"principal":{"id":"AIDA","arn":"arn:aws:iam::1:user/u"},"action":"DescribeInstances"}}`,
			want:        `{"principal":"arn:aws:iam::1:user/u","action":"DescribeInstances","resource":null,"context":null,"hint":{"layer":null,"kind":"implicit-deny","policy_arn":null},"encoded_message":null,"authorization_id":null}`,
			wantMissing: []string{`action: the message says "DescribeInstances" without its service, and names no resource ARN to take it from`, "resource"},
		},
		{name: "not JSON", data: "User: x is not authorized", wantErr: ErrInvalid},
		{name: "JSON of something else", data: `{"Records":[]}`, wantErr: ErrInvalid},
		{name: "empty", data: " ", wantErr: ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := FromDecodedMessage([]byte(tt.data))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := view{JSON: mustJSON(t, tt.want), Source: SourceDecodedMessage, Missing: tt.wantMissing}
			if diff := cmp.Diff(want, viewOf(t, r)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// fakeDecoder stands in for STS; the real SDK path (internal/live's
// adapter of the STS client) is tested against a fake STS server.
type fakeDecoder struct {
	gotEncoded string
	out        string
	err        error
}

func (f *fakeDecoder) DecodeAuthorizationMessage(_ context.Context, encoded string) (string, error) {
	f.gotEncoded = encoded
	return f.out, f.err
}

func TestFromEncoded(t *testing.T) {
	stsErr := errors.New("api error AccessDenied: not allowed sts:DecodeAuthorizationMessage")
	tests := []struct {
		name        string
		encoded     string
		dec         *fakeDecoder
		wantSent    string
		wantErr     error
		wantPrinc   string
		wantSource  string
		wantEncoded string
	}{
		{
			name: "decoded, wrapped lines rejoined", encoded: "abc_DEF-123\n456  ",
			dec:      &fakeDecoder{out: decodedRunInstances},
			wantSent: "abc_DEF-123456", wantPrinc: "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/jane",
			wantSource: SourceEncodedMessage, wantEncoded: "abc_DEF-123456",
		},
		{name: "STS error", encoded: "abc", dec: &fakeDecoder{err: stsErr}, wantSent: "abc", wantErr: ErrSTS},
		{name: "STS returns nothing", encoded: "abc", dec: &fakeDecoder{out: ""}, wantSent: "abc", wantErr: ErrSTS},
		{name: "not an encoded message", encoded: "User: x is not", dec: &fakeDecoder{}, wantErr: ErrInvalid},
		{name: "empty", encoded: "", dec: &fakeDecoder{}, wantErr: ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := FromEncoded(context.Background(), tt.dec, tt.encoded)
			if tt.dec.gotEncoded != tt.wantSent {
				t.Errorf("sent %q to STS, want %q", tt.dec.gotEncoded, tt.wantSent)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				if tt.dec.err != nil && !errors.Is(err, tt.dec.err) {
					t.Errorf("error %v does not wrap the STS error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []string{r.Principal, r.Source, r.EncodedMessage}
			if diff := cmp.Diff([]string{tt.wantPrinc, tt.wantSource, tt.wantEncoded}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

package authrecord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// memClient serves pages and documents from memory and counts calls.
type memClient struct {
	pages   []DetailsPage
	docs    map[string]json.RawMessage
	err     error
	mu      sync.Mutex
	tokens  []string
	docURIs []string
}

func (c *memClient) GetRequestAuthorizationDetails(_ context.Context, _, token string) (*DetailsPage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tokens = append(c.tokens, token)
	if c.err != nil {
		return nil, c.err
	}
	i := 0
	if token != "" {
		fmt.Sscan(token, &i)
	}
	p := c.pages[i]
	return &p, nil
}

func (c *memClient) GetRequestAuthorizationPolicy(_ context.Context, _, uri string) (json.RawMessage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.docURIs = append(c.docURIs, uri)
	d, ok := c.docs[uri]
	if !ok {
		return nil, errors.New("ResourceNotFoundException: no such policy")
	}
	return d, nil
}

func (c *memClient) Region() string { return "us-east-1" }

const (
	allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	denyEC2  = `{"Version":"2012-10-17","Statement":[{"Sid":"NoEC2","Effect":"Deny","Action":"ec2:*","Resource":"*"}]}`
	fullSCP  = "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
	denySCP  = "arn:aws:organizations::999999999999:policy/o-abc/service_control_policy/p-denyec2"
	rootARN  = "arn:aws:organizations::999999999999:root/o-abc/r-ab12"
	ouARN    = "arn:aws:organizations::999999999999:ou/o-abc/ou-ab12-workloads"
	acctARN  = "arn:aws:organizations::999999999999:account/o-abc/123456789012"
	roleARN  = "arn:aws:iam::123456789012:role/app/MyRole"
)

func TestFetch(t *testing.T) {
	pol := func(typ, uri string, at ...string) PolicyInfo {
		p := PolicyInfo{Type: typ, URI: uri}
		for _, a := range at {
			p.AttachedTo = append(p.AttachedTo, AttachedTo{ARN: a})
		}
		return p
	}
	tests := []struct {
		name       string
		client     *memClient
		wantTokens []string
		wantDocs   int
		wantDocErr []string
		wantErr    error
	}{
		{
			name: "two pages, policies named on both fetched once each",
			client: &memClient{
				pages: []DetailsPage{
					{Evaluations: []Evaluation{{Action: "ec2:RunInstances", EvaluatedEffect: EffectExplicitDeny}}, Policies: []PolicyInfo{pol(TypeSCP, fullSCP, rootARN), pol(TypeSCP, denySCP, ouARN)}, NextToken: "1"},
					{Evaluations: []Evaluation{{Action: "iam:PassRole", EvaluatedEffect: EffectAllow}}, Policies: []PolicyInfo{pol(TypeSCP, fullSCP, rootARN), pol(TypeIdentity, "inline-1", roleARN)}},
				},
				docs: map[string]json.RawMessage{fullSCP: json.RawMessage(allowAll), denySCP: json.RawMessage(denyEC2), "inline-1": json.RawMessage(allowAll)},
			},
			wantTokens: []string{"", "1"},
			wantDocs:   3,
		},
		{
			name: "a document that cannot be fetched is recorded, not fatal",
			client: &memClient{
				pages: []DetailsPage{{Evaluations: []Evaluation{{Action: "s3:GetObject", EvaluatedEffect: EffectImplicitDeny}}, Policies: []PolicyInfo{pol(TypeIdentity, "gone")}}},
				docs:  map[string]json.RawMessage{},
			},
			wantTokens: []string{""},
			wantDocErr: []string{"gone"},
		},
		{
			name:       "the details failing is the fetch failing",
			client:     &memClient{err: ErrNotFound},
			wantTokens: []string{""},
			wantErr:    ErrNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := Fetch(context.Background(), tt.client, "abc123")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantTokens, tt.client.tokens); diff != "" {
				t.Errorf("tokens (-want +got):\n%s", diff)
			}
			if err != nil {
				return
			}
			if len(rec.Documents) != tt.wantDocs || len(tt.client.docURIs) != len(rec.Policies) {
				t.Errorf("%d documents from %d calls for %d policies, want %d documents, one call each", len(rec.Documents), len(tt.client.docURIs), len(rec.Policies), tt.wantDocs)
			}
			var docErr []string
			for u := range rec.DocumentErrors {
				docErr = append(docErr, u)
			}
			if diff := cmp.Diff(tt.wantDocErr, docErr); diff != "" {
				t.Errorf("document errors (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := Fetch(context.Background(), &memClient{}, "not-an-id!"); !errors.Is(err, ErrInvalid) {
		t.Errorf("a malformed ID: %v, want ErrInvalid", err)
	}
}

func TestEvaluate(t *testing.T) {
	rec := &Record{
		Format: Format, AuthorizationID: "abc123",
		RequestContext: map[string]json.RawMessage{
			"aws:CurrentTime":            json.RawMessage(`"2026-12-03T09:41:07Z"`),
			"aws:PrincipalArn":           json.RawMessage(`"arn:aws:iam::123456789012:role/MyRole"`),
			"aws:PrincipalAccount":       json.RawMessage(`"123456789012"`),
			"aws:MultiFactorAuthPresent": json.RawMessage(`false`),
		},
		Evaluations: []Evaluation{
			{Action: "iam:PassRole", Resource: "*", EvaluatedEffect: EffectAllow},
			{Action: "ec2:RunInstances", Resource: "arn:aws:ec2:us-east-1:123456789012:instance/*", EvaluatedEffect: EffectExplicitDeny,
				Context: map[string]json.RawMessage{"ec2:InstanceType": json.RawMessage(`["p4d.24xlarge"]`)}},
		},
		Policies: []PolicyInfo{
			{Type: TypeSCP, URI: denySCP, AttachedTo: []AttachedTo{{ARN: ouARN}}},
			{Type: TypeSCP, URI: fullSCP, AttachedTo: []AttachedTo{{ARN: acctARN}, {ARN: rootARN}, {ARN: ouARN}}},
			{Type: TypeIdentity, URI: "arn:aws:iam::123456789012:policy/Launch", AttachedTo: []AttachedTo{{ARN: roleARN}}},
			{Type: TypeSession, URI: "session-1", Inline: true},
			{Type: TypeBoundary, URI: "arn:aws:iam::123456789012:policy/Boundary", AttachedTo: []AttachedTo{{ARN: roleARN}}},
			{Type: TypeVPCEndpoint, URI: "vpce-policy-1", AttachedTo: []AttachedTo{{ARN: "arn:aws:ec2:us-east-1:123456789012:vpc-endpoint/vpce-0abc"}}},
		},
		Documents: map[string]json.RawMessage{
			denySCP: json.RawMessage(denyEC2), fullSCP: json.RawMessage(allowAll),
			"arn:aws:iam::123456789012:policy/Launch": json.RawMessage(allowAll),
			"session-1":     json.RawMessage(`"` + `{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}` + `"`),
			"vpce-policy-1": json.RawMessage(allowAll),
		},
		DocumentErrors: map[string]string{"arn:aws:iam::123456789012:policy/Boundary": "AccessDeniedException: no"},
	}
	ev, err := rec.Evaluate("arn:aws:sts::123456789012:assumed-role/MyRole/jane", "")
	if err != nil {
		t.Fatal(err)
	}
	type level struct {
		Target, Type string
		Policies     []string
	}
	var got []level
	for _, l := range ev.Layers.SCP {
		lv := level{Target: l.Target, Type: l.Type}
		for _, p := range l.Policies {
			lv.Policies = append(lv.Policies, p.Name+"@"+p.Target)
		}
		got = append(got, lv)
	}
	want := []level{
		{"r-ab12", "ROOT", []string{"p-FullAWSAccess@r-ab12"}},
		{"ou-ab12-workloads", "ORGANIZATIONAL_UNIT", []string{"p-denyec2@ou-ab12-workloads", "p-FullAWSAccess@ou-ab12-workloads"}},
		{"123456789012", "ACCOUNT", []string{"p-FullAWSAccess@123456789012"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SCP levels (-want +got):\n%s", diff)
	}
	l := ev.Layers
	checks := []struct{ name, got, want string }{
		{"action", ev.Request.Action, "ec2:RunInstances"},
		{"principal", ev.Request.Principal.ARN, "arn:aws:sts::123456789012:assumed-role/MyRole/jane"},
		{"role with its path", ev.Request.Principal.IAMARN, roleARN},
		{"account", ev.Request.Principal.Account, "123456789012"},
		{"org", l.OrgID, "o-abc"},
		{"management account", l.ManagementAccount, "999999999999"},
		{"evaluation context", fmt.Sprint(ev.Request.Context.Get("ec2:InstanceType")), "[p4d.24xlarge] true"},
		{"boolean context", fmt.Sprint(ev.Request.Context.Get("aws:MultiFactorAuthPresent")), "[false] true"},
		{"session known and read", fmt.Sprint(l.SessionKnown, len(l.Session)), "true 1"},
		{"boundary unreadable", fmt.Sprintf("%v %v", l.BoundaryRead.Unreadable, l.BoundaryRead.Error), "true GetRequestAuthorizationPolicy"},
		{"VPC endpoint policy kept", fmt.Sprintf("%v %v", len(ev.VPCEndpoint), ev.VPCEndpoint[0].Layer), "1 vpc-endpoint-policy"},
		{"time", rec.Time().Format(time.RFC3339), "2026-12-03T09:41:07Z"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if ev.Layers.Identity[0].Layer != policy.LayerIdentity {
		t.Errorf("identity layer %q", ev.Layers.Identity[0].Layer)
	}
	if _, err := (&Record{AuthorizationID: "x"}).Evaluate("", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("a record without evaluations: %v, want ErrInvalid", err)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, data string
		ok         bool
	}{
		{"saved record", `{"format":"iamdiag-authorization-record/v1","authorization_id":"abc123"}`, true},
		{"another format", `{"format":"iamdiag-snapshot/v1","authorization_id":"abc123"}`, false},
		{"bad ID", `{"format":"iamdiag-authorization-record/v1","authorization_id":"a/b"}`, false},
		{"not JSON", `User: arn:aws:iam::1:user/u is not authorized`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data))
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
				t.Errorf("Parse: %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

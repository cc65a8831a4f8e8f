// Package corpus reads and writes the case files of the evaluation corpus
// of internal/simulate (internal/simulate/testdata/corpus, format described
// in its README.md) and turns a case into the engine's inputs. The corpus
// test of internal/simulate, the fix test of internal/report, the corpus
// generator (package cases) and the differential test share it, so that the
// format has one definition.
package corpus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// MaxFile bounds the size of one case file.
const MaxFile = 1 << 20

// ErrInvalid marks a case file that cannot be read as a case.
var ErrInvalid = errors.New("invalid corpus case")

// Case is one case file: a request, the layers it is evaluated against and
// the expected outcome. Absent fields are read as testdata/corpus/README.md
// says.
type Case struct {
	Description string     `json:"description"`
	Doc         []string   `json:"doc"`
	Now         string     `json:"now,omitempty"`
	Request     Request    `json:"request"`
	Principal   *Principal `json:"principal,omitempty"`
	Org         *Org       `json:"org,omitempty"`

	Identity           []Policy `json:"identity,omitempty"`
	IdentityUnreadable string   `json:"identity_unreadable,omitempty"`
	Boundary           *Policy  `json:"boundary,omitempty"`
	BoundaryUnreadable string   `json:"boundary_unreadable,omitempty"`
	Session            []Policy `json:"session,omitempty"`
	SessionKnown       *bool    `json:"session_known,omitempty"`
	SCP                []Level  `json:"scp,omitempty"`
	SCPUnreadable      string   `json:"scp_unreadable,omitempty"`
	RCP                []Level  `json:"rcp,omitempty"`
	RCPUnreadable      string   `json:"rcp_unreadable,omitempty"`
	ResourcePolicy     *Policy  `json:"resource_policy,omitempty"`
	ResourceUnreadable string   `json:"resource_policy_unreadable,omitempty"`
	ResourceAccount    string   `json:"resource_account,omitempty"`
	// S3PublicAccess holds the S3 Block Public Access settings; absent
	// means unknown.
	S3PublicAccess *PublicAccess `json:"s3_public_access,omitempty"`
	// VPCEndpointPolicy is the policy of the VPC endpoint the request went
	// through; VPCEndpointUnreadable says why it is unknown.
	VPCEndpointPolicy     *Policy `json:"vpc_endpoint_policy,omitempty"`
	VPCEndpointUnreadable string  `json:"vpc_endpoint_policy_unreadable,omitempty"`

	// Differential is set on a case kept from the differential test
	// against iam-simulate (package simulate/differential).
	Differential *Differential `json:"differential,omitempty"`

	Expect Expect `json:"expect"`
}

// Differential records how iam-simulate answers a case kept from the
// differential test.
type Differential struct {
	// Class is the accepted class of disagreement (docs/DISAGREEMENTS.md)
	// that iam-simulate's answer falls in, several joined by "+"; empty
	// when iam-simulate agrees with the expectation.
	Class string `json:"class,omitempty"`
}

// Request is the call under evaluation.
type Request struct {
	Principal string              `json:"principal"`
	Action    string              `json:"action"`
	Resource  string              `json:"resource"`
	Context   map[string][]string `json:"context,omitempty"`
	// ResourceUnknown: the input named no resource, "*" stands in for it.
	ResourceUnknown bool `json:"resource_unknown,omitempty"`
}

// Principal is the caller as the source resolved it.
type Principal struct {
	IAMARN        string            `json:"iam_arn,omitempty"`
	Account       string            `json:"account,omitempty"`
	Type          string            `json:"type,omitempty"`
	UserID        string            `json:"user_id,omitempty"`
	Username      string            `json:"username,omitempty"`
	SessionName   string            `json:"session_name,omitempty"`
	Service       string            `json:"service,omitempty"`
	Tags          map[string]string `json:"tags,omitempty"`
	ServiceLinked bool              `json:"service_linked,omitempty"`
	OrgID         string            `json:"org_id,omitempty"`
	OrgPaths      []string          `json:"org_paths,omitempty"`
}

// PublicAccess is S3 Block Public Access, as get-public-access-block
// prints it.
type PublicAccess struct {
	BlockPublicAcls       bool `json:"BlockPublicAcls"`
	IgnorePublicAcls      bool `json:"IgnorePublicAcls"`
	BlockPublicPolicy     bool `json:"BlockPublicPolicy"`
	RestrictPublicBuckets bool `json:"RestrictPublicBuckets"`
}

// Org describes the organization.
type Org struct {
	ID                string `json:"id"`
	ManagementAccount string `json:"management_account"`
}

// Policy is one policy with where it comes from.
type Policy struct {
	Name       string          `json:"name,omitempty"`
	ARN        string          `json:"arn,omitempty"`
	Origin     string          `json:"origin,omitempty"`
	AWSManaged bool            `json:"aws_managed,omitempty"`
	Document   json.RawMessage `json:"document"`
}

// Level is one level of the organization with its SCPs or RCPs.
type Level struct {
	Target   string   `json:"target"`
	Type     string   `json:"type"`
	Name     string   `json:"name,omitempty"`
	Policies []Policy `json:"policies"`
}

// Expect is the expected outcome. Decision and Blockers are always checked;
// the other fields only when present.
type Expect struct {
	Decision string              `json:"decision"`
	Blockers []Blocker           `json:"blockers"`
	Layers   map[string]string   `json:"layers,omitempty"`
	Suspects *[]string           `json:"suspects,omitempty"`
	Inferred map[string][]string `json:"inferred,omitempty"`
	Missing  *[]string           `json:"missing,omitempty"`
	Warnings *bool               `json:"warnings,omitempty"`
	// Exception is the rule of Result.Exception ("" = none).
	Exception *string `json:"exception,omitempty"`
	// PolicyDecision is Result.Exception.PolicyDecision: what the
	// policies alone decide when a rule of AWS overrides them.
	PolicyDecision string `json:"policy_decision,omitempty"`
}

// Blocker is an expected blocker. Layer and Kind are always compared;
// Policy, Statement, Target and Conditions only when not nil (present with
// "" means "must be empty").
type Blocker struct {
	Layer      string    `json:"layer"`
	Kind       string    `json:"kind"`
	Policy     *string   `json:"policy,omitempty"`
	Statement  *string   `json:"statement,omitempty"`
	Target     *string   `json:"target,omitempty"`
	Conditions *[]string `json:"conditions,omitempty"`
}

// Load reads one case file strictly: a file larger than MaxFile, unknown
// fields and trailing data are errors. It checks the format only, not
// whether the expectations name known decisions and layers.
func Load(path string) (*Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > MaxFile {
		return nil, fmt.Errorf("reading %s: %w: larger than %d bytes", path, ErrInvalid, MaxFile)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Case
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("decoding %s: %w: trailing data after the case", path, ErrInvalid)
	}
	return &c, nil
}

// Marshal encodes a case as a case file: indented by two spaces, HTML
// characters unescaped, with a final newline. Every writer of case files
// uses it, so that a regenerated file differs only when the case does.
func Marshal(c *Case) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encoding case: %w", err)
	}
	return buf.Bytes(), nil
}

// PolicyRequest returns the case's request. (A method named Request would
// clash with the field.)
func (c *Case) PolicyRequest() *policy.Request {
	req := policy.NewRequest(c.Request.Principal, c.Request.Action, c.Request.Resource)
	req.ResourceUnknown = c.Request.ResourceUnknown
	for k, v := range c.Request.Context {
		req.Context.Set(k, v...)
	}
	return req
}

// PolicyLayers returns the case's layers; it fails when a policy document
// is missing or does not parse.
func (c *Case) PolicyLayers() (*policy.Layers, error) {
	l := &policy.Layers{SessionKnown: true}
	if p := c.Principal; p != nil {
		l.Principal = policy.Principal{
			ARN: c.Request.Principal, IAMARN: p.IAMARN, Account: p.Account, Type: p.Type,
			UserID: p.UserID, Username: p.Username, SessionName: p.SessionName, Service: p.Service,
			Tags: p.Tags, ServiceLinked: p.ServiceLinked, OrgID: p.OrgID, OrgPaths: p.OrgPaths,
		}
	}
	if c.Org != nil {
		l.OrgID, l.ManagementAccount = c.Org.ID, c.Org.ManagementAccount
	}
	var err error
	if l.Identity, err = sources(policy.LayerIdentity, "", c.Identity); err != nil {
		return nil, err
	}
	l.IdentityRead = readability(c.IdentityUnreadable)
	if c.Boundary != nil {
		s, err := c.Boundary.source(policy.LayerBoundary, "")
		if err != nil {
			return nil, err
		}
		l.Boundary = &s
	}
	l.BoundaryRead = readability(c.BoundaryUnreadable)
	if l.Session, err = sources(policy.LayerSession, "", c.Session); err != nil {
		return nil, err
	}
	if c.SessionKnown != nil {
		l.SessionKnown = *c.SessionKnown
	}
	if l.SCP, err = levels(policy.LayerSCP, c.SCP); err != nil {
		return nil, err
	}
	l.SCPRead = readability(c.SCPUnreadable)
	if l.RCP, err = levels(policy.LayerRCP, c.RCP); err != nil {
		return nil, err
	}
	l.RCPRead = readability(c.RCPUnreadable)
	if c.ResourcePolicy != nil {
		s, err := c.ResourcePolicy.source(policy.LayerResource, "")
		if err != nil {
			return nil, err
		}
		l.Resource = &s
	}
	l.ResourceRead = readability(c.ResourceUnreadable)
	l.ResourceAccount = c.ResourceAccount
	if c.VPCEndpointPolicy != nil {
		s, err := c.VPCEndpointPolicy.source(policy.LayerVPCEndpoint, "")
		if err != nil {
			return nil, err
		}
		l.VPCEndpoint = &s
	}
	l.VPCEndpointRead = readability(c.VPCEndpointUnreadable)
	if pa := c.S3PublicAccess; pa != nil {
		l.S3PublicAccess = &policy.PublicAccessBlock{BlockPublicAcls: pa.BlockPublicAcls, IgnorePublicAcls: pa.IgnorePublicAcls,
			BlockPublicPolicy: pa.BlockPublicPolicy, RestrictPublicBuckets: pa.RestrictPublicBuckets, Origin: "the case"}
	}
	return l, nil
}

// Clock returns the case's time of the request as a clock for
// simulate.Options.Now, nil when the case gives none.
func (c *Case) Clock() (func() time.Time, error) {
	if c.Now == "" {
		return nil, nil
	}
	now, err := time.Parse(time.RFC3339, c.Now)
	if err != nil {
		return nil, fmt.Errorf("parsing now: %w", err)
	}
	return func() time.Time { return now }, nil
}

func (p *Policy) source(layer policy.Layer, target string) (policy.Source, error) {
	if len(p.Document) == 0 {
		return policy.Source{}, fmt.Errorf("%w: %s policy %q has no document", ErrInvalid, layer, p.Name)
	}
	doc, err := policy.Parse(p.Document)
	if err != nil {
		return policy.Source{}, fmt.Errorf("parsing %s policy %q: %w", layer, p.Name, err)
	}
	return policy.Source{
		Layer: layer, ARN: p.ARN, Name: p.Name, Origin: p.Origin, Target: target,
		AWSManaged: p.AWSManaged, Document: doc,
	}, nil
}

func sources(layer policy.Layer, target string, ps []Policy) ([]policy.Source, error) {
	var out []policy.Source
	for i := range ps {
		s, err := ps[i].source(layer, target)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func levels(layer policy.Layer, in []Level) ([]policy.OrgLevel, error) {
	var out []policy.OrgLevel
	for _, lv := range in {
		ps, err := sources(layer, lv.Target, lv.Policies)
		if err != nil {
			return nil, err
		}
		out = append(out, policy.OrgLevel{Target: lv.Target, Type: lv.Type, Name: lv.Name, Policies: ps})
	}
	return out, nil
}

// readability marks a layer unreadable with the AWS error code the case
// gives, readable when code is empty.
func readability(code string) policy.Readability {
	if code == "" {
		return policy.Readability{}
	}
	return policy.Readability{Unreadable: true, Error: code, Message: "the corpus case marks this layer unreadable (" + code + ")"}
}

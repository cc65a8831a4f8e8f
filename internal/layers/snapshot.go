package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// Format is the format string of the snapshot files this package reads and
// writes.
const Format = "iamdiag-snapshot/v1"

// DefaultMaxBytes is the size limit Load and LoadFile apply to a snapshot
// file: far above a large account's authorization details, far below what
// would exhaust memory.
const DefaultMaxBytes = 256 << 20

// Errors callers can branch on.
var (
	// ErrInvalid is wrapped by every error about a malformed or
	// inconsistent snapshot or policy file.
	ErrInvalid = errors.New("invalid snapshot")
	// ErrTooLarge is wrapped when an input exceeds its size limit.
	ErrTooLarge = errors.New("input too large")
	// ErrPrincipalNotFound is wrapped when the request's principal is not in
	// the snapshot.
	ErrPrincipalNotFound = errors.New("principal not found in snapshot")
)

// errInvalid is ErrInvalid under a name that reads well inside this package.
var errInvalid = ErrInvalid

// Snapshot is an iamdiag-snapshot/v1 file: one account's IAM authorization
// details, the organization's SCPs and RCPs where readable, resource-based
// policies and known session policies. Load returns it indexed; Layers
// answers one request from it. An indexed Snapshot is safe for concurrent
// use by Layers.
type Snapshot struct {
	// Format is always "iamdiag-snapshot/v1".
	Format string `json:"format"`
	// CapturedAt is when the snapshot was captured; zero when unknown (a
	// bare get-account-authorization-details file).
	CapturedAt time.Time `json:"captured_at,omitzero"`
	// AccountID is the account the authorization details belong to.
	AccountID string `json:"account_id"`
	// AuthorizationDetails is exactly what
	// `aws iam get-account-authorization-details` prints.
	AuthorizationDetails AuthorizationDetails `json:"authorization_details"`
	// Organization holds the SCPs and RCPs. Nil means they were not captured:
	// the SCP and RCP layers are then unreadable, not empty. An
	// Organization with Standalone set ({"standalone": true}) says the
	// account is in no organization: no SCP or RCP applies to it.
	Organization *Organization `json:"organization,omitempty"`
	// ResourcePolicies are resource-based policies by resource ARN; a null
	// policy says the resource has none. A resource of a service with
	// resource-based policies that is not listed is not captured: its
	// resource-policy layer is unknown.
	ResourcePolicies []ResourcePolicy `json:"resource_policies,omitempty"`
	// SessionPolicies maps a session ARN (assumed-role or federated-user) to
	// the session policy passed when the session was created.
	SessionPolicies map[string]RawPolicy `json:"session_policies,omitempty"`
	// VPCEndpoints maps a VPC endpoint id ("vpce-…") to the endpoint: its
	// owner and policy. A request through an endpoint it does not list
	// (aws:SourceVpce) has an unknown VPC endpoint policy layer.
	VPCEndpoints map[string]VPCEndpoint `json:"vpc_endpoints,omitempty"`

	idx *index
}

// VPCEndpoint is one VPC endpoint of a snapshot, as
// ec2:DescribeVpcEndpoints describes it.
type VPCEndpoint struct {
	// OwnerID is the account that owns the endpoint; Region is its
	// region. Both optional: they name the endpoint's ARN and who can
	// change its policy.
	OwnerID string `json:"owner_id,omitempty"`
	Region  string `json:"region,omitempty"`
	// Policy is the endpoint's PolicyDocument (a JSON object or string).
	Policy RawPolicy `json:"policy"`
}

// Organization is the part of AWS Organizations a snapshot holds.
type Organization struct {
	ID                  string      `json:"id"`
	ManagementAccountID string      `json:"management_account_id"`
	Nodes               []OrgNode   `json:"nodes"`
	Policies            []OrgPolicy `json:"policies"`
	// Standalone marks a snapshot of an account that is in no organization
	// (Organizations answered AWSOrganizationsNotInUseException): its SCP
	// and RCP layers are read and empty. A standalone Organization has no
	// other field and is written as {"standalone": true}.
	Standalone bool `json:"standalone,omitempty"`
}

// MarshalJSON writes a standalone Organization as {"standalone": true} and
// any other with all its fields.
func (o Organization) MarshalJSON() ([]byte, error) {
	if o.Standalone {
		return []byte(`{"standalone":true}`), nil
	}
	type plain Organization
	return json.Marshal(plain(o))
}

// The node types of an organization.
const (
	NodeRoot    = "ROOT"
	NodeOU      = "ORGANIZATIONAL_UNIT"
	NodeAccount = "ACCOUNT"
)

// The organization policy types iamdiag evaluates.
const (
	PolicyTypeSCP = "SERVICE_CONTROL_POLICY"
	PolicyTypeRCP = "RESOURCE_CONTROL_POLICY"
)

// OrgNode is the root, an OU or an account.
type OrgNode struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Parent string `json:"parent,omitempty"`
	Name   string `json:"name,omitempty"`
}

// OrgPolicy is an organization policy with the targets it is attached to.
// Policies of types other than SCP and RCP (tag, backup … policies) are kept
// but not parsed: they are not authorization policies.
type OrgPolicy struct {
	ID         string    `json:"id"`
	ARN        string    `json:"arn"`
	Name       string    `json:"name"`
	Type       string    `json:"type"`
	AWSManaged bool      `json:"aws_managed"`
	Targets    []string  `json:"targets"`
	Content    RawPolicy `json:"content"`
}

// ResourcePolicy is the resource-based policy of one resource.
type ResourcePolicy struct {
	ARN    string    `json:"arn"`
	Policy RawPolicy `json:"policy"`
}

// Load reads a snapshot (iamdiag-snapshot/v1, or a bare
// get-account-authorization-details file) of at most DefaultMaxBytes,
// parses every policy document in it and indexes it.
func Load(r io.Reader) (*Snapshot, error) {
	return LoadLimit(r, DefaultMaxBytes)
}

// LoadFile is Load on the named file.
func LoadFile(path string) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening snapshot: %w", err)
	}
	defer f.Close()
	s, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("loading snapshot %s: %w", path, err)
	}
	return s, nil
}

// LoadLimit is Load with a size limit of maxBytes.
func LoadLimit(r io.Reader, maxBytes int64) (*Snapshot, error) {
	b, err := readLimited(r, maxBytes)
	if err != nil {
		return nil, err
	}
	return parseSnapshot(b)
}

// readLimited reads all of r, failing when it holds more than max bytes.
func readLimited(r io.Reader, maxBytes int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading: %w", err)
	}
	if int64(len(b)) > maxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxBytes)
	}
	return b, nil
}

// fileShape accepts both a v1 snapshot and a bare authorization-details
// file in one decoding pass: the embedded AuthorizationDetails picks up the
// top-level UserDetailList … of a bare file.
type fileShape struct {
	Snapshot
	bareLists
}

// bareLists are the top-level keys of a bare get-account-authorization-details
// file.
type bareLists struct {
	UserDetailList  *[]User          `json:"UserDetailList"`
	GroupDetailList *[]Group         `json:"GroupDetailList"`
	RoleDetailList  *[]Role          `json:"RoleDetailList"`
	Policies        *[]ManagedPolicy `json:"Policies"`
	IsTruncated     bool             `json:"IsTruncated"`
	Marker          string           `json:"Marker"`
}

func (l *bareLists) present() bool {
	return l.UserDetailList != nil || l.GroupDetailList != nil || l.RoleDetailList != nil || l.Policies != nil
}

func parseSnapshot(b []byte) (*Snapshot, error) {
	// Windows PowerShell's ">" writes UTF-16 and some editors add a UTF-8
	// byte order mark: accept the mark, explain UTF-16.
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(b, []byte("\xff\xfe")) || bytes.HasPrefix(b, []byte("\xfe\xff")) {
		return nil, fmt.Errorf("%w: the file is UTF-16 encoded (as PowerShell's > writes it): save it as UTF-8, e.g. with Out-File -Encoding utf8", errInvalid)
	}
	var f fileShape
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: decoding JSON: %w", errInvalid, jsonPosition(b, err))
	}
	s := &f.Snapshot
	switch {
	case s.Format == Format:
		if f.bareLists.present() {
			return nil, fmt.Errorf("%w: a %s file has its authorization details under authorization_details, not at the top level", errInvalid, Format)
		}
	case s.Format == "":
		if !f.bareLists.present() {
			return nil, fmt.Errorf("%w: neither an %s file (no \"format\") nor get-account-authorization-details output (no UserDetailList, GroupDetailList, RoleDetailList or Policies)", errInvalid, Format)
		}
		s.Format = Format
		s.AuthorizationDetails = AuthorizationDetails{IsTruncated: f.IsTruncated, Marker: f.Marker}
		if f.UserDetailList != nil {
			s.AuthorizationDetails.UserDetailList = *f.UserDetailList
		}
		if f.GroupDetailList != nil {
			s.AuthorizationDetails.GroupDetailList = *f.GroupDetailList
		}
		if f.RoleDetailList != nil {
			s.AuthorizationDetails.RoleDetailList = *f.RoleDetailList
		}
		if f.Policies != nil {
			s.AuthorizationDetails.Policies = *f.Policies
		}
		s.AccountID = majorityAccount(&s.AuthorizationDetails)
	case strings.HasPrefix(s.Format, "iamdiag-snapshot/"):
		return nil, fmt.Errorf("%w: format %q is not supported: this iamdiag reads %s; use a newer iamdiag or capture the snapshot again with this one", errInvalid, s.Format, Format)
	default:
		return nil, fmt.Errorf("%w: unknown format %q: expected %q or a bare get-account-authorization-details file", errInvalid, s.Format, Format)
	}
	if err := s.Index(); err != nil {
		return nil, err
	}
	return s, nil
}

// jsonPosition adds the line and column to a JSON syntax or type error.
func jsonPosition(b []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(b)) {
		return err
	}
	line, col := lineCol(b[:off])
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

func lineCol(b []byte) (line, col int) {
	line = 1 + bytes.Count(b, []byte("\n"))
	col = len(b) - bytes.LastIndexByte(b, '\n')
	return line, col
}

// majorityAccount returns the account most IAM entities of a bare
// authorization-details file belong to: the file does not name its account.
func majorityAccount(d *AuthorizationDetails) string {
	count := map[string]int{}
	add := func(arn string) {
		if a, ok := policy.ParseARN(arn); ok && policy.IsAccountID(a.Account) {
			count[a.Account]++
		}
	}
	for i := range d.UserDetailList {
		add(d.UserDetailList[i].Arn)
	}
	for i := range d.GroupDetailList {
		add(d.GroupDetailList[i].Arn)
	}
	for i := range d.RoleDetailList {
		add(d.RoleDetailList[i].Arn)
	}
	for i := range d.Policies {
		add(d.Policies[i].Arn)
	}
	best, n := "", 0
	for acct, c := range count {
		if c > n || (c == n && acct < best) {
			best, n = acct, c
		}
	}
	return best
}

// Marshal writes the snapshot as an iamdiag-snapshot/v1 file.
func (s *Snapshot) Marshal() ([]byte, error) {
	out := *s
	out.Format = Format
	b, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding snapshot: %w", err)
	}
	return append(b, '\n'), nil
}

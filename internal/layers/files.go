package layers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// ErrInvalidPolicyFile is wrapped by every error about an ad-hoc policy file
// or its target.
var ErrInvalidPolicyFile = errors.New("invalid policy file")

// ErrUnknownTarget is wrapped, with ErrInvalidPolicyFile, when the TARGET
// of "TARGET=FILE" is no organization level: the question is malformed.
var ErrUnknownTarget = errors.New("unknown target")

// Files names ad-hoc policy files for a "what if" question: each file holds
// one whole JSON policy document. Layers no field names are not part of the
// question: FromFiles returns them empty and readable.
type Files struct {
	// Identity are identity-based policies of the principal.
	Identity []string
	// Session are session policies.
	Session []string
	// Boundary is the permissions boundary.
	Boundary string
	// Resource is the resource-based policy of the request's resource.
	Resource string
	// VPCEndpoint is the policy of the VPC endpoint the request went
	// through (named by aws:SourceVpce in the request's context).
	VPCEndpoint string
	// SCP and RCP are "[TARGET=]FILE": TARGET is "root", a root id
	// ("r-…"), an OU id ("ou-…"), an account id or "account" (the
	// default). Levels are ordered root, OUs in the order first given,
	// account.
	SCP, RCP []string
	// NoDefaultSCP omits the FullAWSAccess SCP FromFiles otherwise adds to
	// every SCP level given.
	NoDefaultSCP bool
	// PrincipalARN is the caller's IAM ARN with its path (aws:PrincipalArn):
	// the role ARN behind an assumed-role session, whose ARN drops the path,
	// or the IAM user behind a federated-user session. Optional.
	PrincipalARN string
	// OrgID, ManagementAccount and ResourceAccount describe the organization
	// and the resource's owner when the question needs them. ResourceAccount
	// defaults to the account in the resource ARN.
	OrgID, ManagementAccount, ResourceAccount string
	// MaxBytes limits each file; 0 means policy.MaxDocumentSize.
	MaxBytes int64
}

// The AWS managed policies attached by default. FullAWSAccess is attached to
// every root, OU and account when SCPs are enabled and most organizations
// keep it (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_strategies.html);
// RCPFullAWSAccess is attached to every node when RCPs are enabled and cannot
// be detached (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
const (
	fullAWSAccessJSON    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	rcpFullAWSAccessJSON = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
)

var defaultOrgPolicies = sync.OnceValues(func() ([2]*policy.Document, error) {
	scp, err := policy.Parse([]byte(fullAWSAccessJSON))
	if err != nil {
		return [2]*policy.Document{}, fmt.Errorf("parsing FullAWSAccess: %w", err)
	}
	rcp, err := policy.Parse([]byte(rcpFullAWSAccessJSON))
	if err != nil {
		return [2]*policy.Document{}, fmt.Errorf("parsing RCPFullAWSAccess: %w", err)
	}
	return [2]*policy.Document{scp, rcp}, nil
})

// FromFiles reads the named policy files and returns them as the layers of
// req. The principal comes from req (its account from the ARN). SCP and RCP
// with no file mean "no organization policies considered": no levels, and
// readable.
func FromFiles(f Files, req *policy.Request) (*policy.Layers, error) {
	if req == nil || req.Principal.ARN == "" {
		return nil, errors.New("reading policy files: the request has no principal ARN: give the caller's ARN")
	}
	pa, err := ParseCaller(req.Principal.ARN)
	if err != nil {
		return nil, fmt.Errorf("resolving principal: %w", err)
	}
	maxBytes := f.MaxBytes
	if maxBytes <= 0 {
		maxBytes = policy.MaxDocumentSize
	}
	l := &policy.Layers{Principal: req.Principal, SessionKnown: true, OrgID: f.OrgID, ManagementAccount: f.ManagementAccount}
	filePrincipal(&l.Principal, pa, f)

	for _, path := range f.Identity {
		src, err := readSource(path, policy.LayerIdentity, maxBytes)
		if err != nil {
			return nil, err
		}
		l.Identity = append(l.Identity, src)
	}
	for _, path := range f.Session {
		src, err := readSource(path, policy.LayerSession, maxBytes)
		if err != nil {
			return nil, err
		}
		l.Session = append(l.Session, src)
	}
	if f.Boundary != "" {
		src, err := readSource(f.Boundary, policy.LayerBoundary, maxBytes)
		if err != nil {
			return nil, err
		}
		l.Boundary = &src
	}
	l.ResourceAccount = f.ResourceAccount
	if a, ok := policy.ParseARN(req.Resource); ok && l.ResourceAccount == "" {
		l.ResourceAccount = a.AccountID()
	}
	if f.Resource != "" {
		src, err := readSource(f.Resource, policy.LayerResource, maxBytes)
		if err != nil {
			return nil, err
		}
		src.ARN = policyHolder(req.Resource)
		l.Resource = &src
	}
	if f.VPCEndpoint != "" {
		src, err := readSource(f.VPCEndpoint, policy.LayerVPCEndpoint, maxBytes)
		if err != nil {
			return nil, err
		}
		l.VPCEndpoint = &src
	}

	// The layers no file was given for are not part of the question.
	l.BoundaryRead.Omitted = f.Boundary == ""
	l.SessionRead.Omitted = len(f.Session) == 0
	l.ResourceRead.Omitted = f.Resource == ""
	l.VPCEndpointRead.Omitted = f.VPCEndpoint == ""
	l.SCPRead.Omitted = len(f.SCP) == 0
	l.RCPRead.Omitted = len(f.RCP) == 0

	defaults, err := defaultOrgPolicies()
	if err != nil {
		return nil, err
	}
	part := pa.Partition
	if len(f.SCP) > 0 {
		var def *policy.Source
		if !f.NoDefaultSCP {
			def = &policy.Source{
				Layer: policy.LayerSCP, ARN: "arn:" + part + ":organizations::aws:policy/service_control_policy/p-FullAWSAccess",
				Name: "FullAWSAccess", Origin: "implicit (attached by default at every level the given SCPs name, unless omitted)", AWSManaged: true, Document: defaults[0],
			}
		}
		l.SCP, err = fileLevels(f.SCP, policy.LayerSCP, l.Principal.Account, def, maxBytes)
		if err != nil {
			return nil, err
		}
	}
	if len(f.RCP) > 0 {
		def := &policy.Source{
			Layer: policy.LayerRCP, ARN: "arn:" + part + ":organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess",
			Name: "RCPFullAWSAccess", Origin: "implicit (RCPFullAWSAccess is attached to every node and cannot be detached)", AWSManaged: true, Document: defaults[1],
		}
		// RCPs follow the resource's account; without one, the caller's
		// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
		acct := l.ResourceAccount
		if acct == "" {
			acct = l.Principal.Account
		}
		l.RCP, err = fileLevels(f.RCP, policy.LayerRCP, acct, def, maxBytes)
		if err != nil {
			return nil, err
		}
	}
	return l, nil
}

// filePrincipal fills in what the ARN says about the caller.
func filePrincipal(p *policy.Principal, pa Caller, f Files) {
	acct := pa.ARN.Account
	p.Account = acct
	if f.OrgID != "" && p.OrgID == "" {
		p.OrgID = f.OrgID
	}
	switch pa.Kind {
	case KindAssumedRole:
		p.Type = "AssumedRole"
		p.SessionName = pa.Session
		// The session ARN drops the role's path; without PrincipalARN the
		// path is assumed to be "/".
		p.IAMARN = "arn:" + pa.Partition + ":iam::" + acct + ":role/" + pa.Name
	case KindRole:
		p.Type = "AssumedRole"
		p.IAMARN = pa.Raw
	case KindUser:
		p.Type = "User"
		p.Username = pa.Name
		p.IAMARN = pa.Raw
	case KindFederatedUser:
		p.Type = "FederatedUser"
		p.UserID = acct + ":" + pa.Name
		p.IAMARN = ""
	case KindRoot:
		p.Type = "Account"
		p.UserID = acct
		p.IAMARN = pa.Raw
	case KindAnonymous, KindService:
		nonIAMPrincipal(p, pa)
		return
	}
	if f.PrincipalARN != "" {
		p.IAMARN = f.PrincipalARN
	}
	if a, ok := policy.ParseARN(p.IAMARN); ok && a.Service == "iam" && strings.HasPrefix(a.Resource, "role/aws-service-role/") {
		p.ServiceLinked = true
	}
}

// readSource reads and parses one policy file.
func readSource(path string, layer policy.Layer, maxBytes int64) (policy.Source, error) {
	fh, err := os.Open(path)
	if err != nil {
		return policy.Source{}, fmt.Errorf("reading %s policy: %w", layer, err)
	}
	defer fh.Close()
	b, err := readLimited(fh, maxBytes)
	if err != nil {
		return policy.Source{}, fmt.Errorf("reading %s policy %s: %w", layer, path, err)
	}
	doc, err := policy.Parse(b)
	if err != nil {
		return policy.Source{}, fmt.Errorf("%w: parsing %s policy %s: %w", ErrInvalidPolicyFile, layer, path, err)
	}
	return policy.Source{Layer: layer, Name: filepath.Base(path), Origin: "file:" + path, Document: doc}, nil
}

// fileTarget is a parsed "[TARGET=]FILE".
type fileTarget struct {
	typ, id, path string
}

// parseTarget splits "[TARGET=]FILE"; a prefix before "=" that is not a
// target is part of the file name.
func parseTarget(s, account string, layer policy.Layer) (fileTarget, error) {
	t, path, found := strings.Cut(s, "=")
	if found && !looksLikeTarget(t) && !strings.ContainsAny(t, `/\.`) {
		// "bogus=scp.json": a word before "=" is a target mistyped when
		// what follows is a file and the whole argument is not.
		if _, err := os.Stat(s); err != nil && fileExists(path) {
			return fileTarget{}, fmt.Errorf("%w: %s %q: %w %q: want root, a root id (r-…), an OU id (ou-…), account or a 12-digit account id", ErrInvalidPolicyFile, layer, s, ErrUnknownTarget, t)
		}
	}
	if !found || !looksLikeTarget(t) {
		t, path = "account", s
	}
	if path == "" {
		return fileTarget{}, fmt.Errorf("%w: %s %q names no file", ErrInvalidPolicyFile, layer, s)
	}
	switch {
	case t == "root":
		return fileTarget{NodeRoot, "", path}, nil
	case strings.HasPrefix(t, "r-"):
		return fileTarget{NodeRoot, t, path}, nil
	case strings.HasPrefix(t, "ou-"):
		return fileTarget{NodeOU, t, path}, nil
	case t == "account":
		return fileTarget{NodeAccount, account, path}, nil
	default: // a 12-digit account id
		if account != "" && t != account {
			whose := "the principal's account"
			if layer == policy.LayerRCP {
				whose = "the resource's account"
			}
			return fileTarget{}, fmt.Errorf("%w: %s target %s is not %s (%s): only the levels above that account apply", ErrInvalidPolicyFile, layer, t, whose, account)
		}
		return fileTarget{NodeAccount, t, path}, nil
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func looksLikeTarget(t string) bool {
	return t == "root" || t == "account" || policy.IsAccountID(t) ||
		(strings.HasPrefix(t, "r-") && len(t) > 2) || (strings.HasPrefix(t, "ou-") && len(t) > 3)
}

// fileLevels builds the organization levels for SCP or RCP files, root
// first, then OUs in the order given, then the account; def, when not nil,
// is added first at every level.
func fileLevels(specs []string, layer policy.Layer, account string, def *policy.Source, maxBytes int64) ([]policy.OrgLevel, error) {
	var root, acct *policy.OrgLevel
	var ous []*policy.OrgLevel
	ouIndex := map[string]*policy.OrgLevel{}
	newLevel := func(typ, id string) *policy.OrgLevel {
		lv := &policy.OrgLevel{Target: id, Type: typ}
		if def != nil {
			d := *def
			d.Target = id
			lv.Policies = append(lv.Policies, d)
		}
		return lv
	}
	for _, spec := range specs {
		ft, err := parseTarget(spec, account, layer)
		if err != nil {
			return nil, err
		}
		var lv *policy.OrgLevel
		switch ft.typ {
		case NodeRoot:
			if root == nil {
				root = newLevel(NodeRoot, "root")
			}
			if ft.id != "" {
				if root.Target != "root" && root.Target != ft.id {
					return nil, fmt.Errorf("%w: %s targets two roots, %s and %s: an organization has one", ErrInvalidPolicyFile, layer, root.Target, ft.id)
				}
				root.Target = ft.id
			}
			lv = root
		case NodeOU:
			lv = ouIndex[ft.id]
			if lv == nil {
				lv = newLevel(NodeOU, ft.id)
				ouIndex[ft.id] = lv
				ous = append(ous, lv)
			}
		case NodeAccount:
			if acct == nil {
				id := ft.id
				if id == "" {
					id = "account"
				}
				acct = newLevel(NodeAccount, id)
			}
			lv = acct
		}
		src, err := readSource(ft.path, layer, maxBytes)
		if err != nil {
			return nil, err
		}
		lv.Policies = append(lv.Policies, src)
	}
	var levels []policy.OrgLevel
	if root != nil {
		levels = append(levels, *root)
	}
	for _, ou := range ous {
		levels = append(levels, *ou)
	}
	if acct != nil {
		levels = append(levels, *acct)
	}
	// Every source at a level carries the level's final target id (a root
	// named "root" first and "r-…" later takes the id).
	for i := range levels {
		for j := range levels[i].Policies {
			levels[i].Policies[j].Target = levels[i].Target
		}
	}
	return levels, nil
}

// policyHolder returns the ARN of the resource whose policy governs res: the
// bucket for an S3 object ARN
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-arn-format.html),
// res itself otherwise.
func policyHolder(res string) string {
	a, ok := policy.ParseARN(res)
	if !ok || a.Service != "s3" || a.Account != "" {
		return res
	}
	bucket, _, found := strings.Cut(a.Resource, "/")
	if !found {
		return res
	}
	return "arn:" + a.Partition + ":s3:::" + bucket
}

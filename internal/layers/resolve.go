package layers

import (
	"errors"
	"fmt"
	"strings"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// CallerKind is the form of a principal ARN.
type CallerKind int

// The caller ARN forms a source resolves.
const (
	// KindAssumedRole is arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION.
	KindAssumedRole CallerKind = iota + 1
	// KindRole is arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME.
	KindRole
	// KindUser is arn:PARTITION:iam::ACCOUNT:user/[PATH/]NAME.
	KindUser
	// KindFederatedUser is arn:PARTITION:sts::ACCOUNT:federated-user/NAME.
	KindFederatedUser
	// KindRoot is arn:PARTITION:iam::ACCOUNT:root.
	KindRoot
	// KindAnonymous is a caller without credentials, given as "anonymous"
	// or "*": only resource-based policies and RCPs can allow or deny it.
	KindAnonymous
	// KindService is an AWS service principal (lambda.amazonaws.com),
	// calling on its own behalf: only resource-based policies and RCPs
	// apply to it.
	KindService
)

// Principal types of the callers that are not IAM principals, as
// policy.Principal.Type holds them.
const (
	TypeAnonymous = "Anonymous"
	TypeService   = "Service"
)

// IsServicePrincipal reports whether s has the form of an AWS service
// principal: a DNS name under amazonaws.com (or amazonaws.com.cn), such as
// "events.amazonaws.com"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-services).
func IsServicePrincipal(s string) bool {
	host, ok := strings.CutSuffix(s, ".amazonaws.com")
	if !ok {
		host, ok = strings.CutSuffix(s, ".amazonaws.com.cn")
	}
	if !ok || host == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// IsAnonymous reports whether s names an anonymous caller: "anonymous"
// (any case) or "*".
func IsAnonymous(s string) bool {
	return s == "*" || strings.EqualFold(s, "anonymous")
}

// Caller is a caller ARN split into what resolution needs; the snapshot
// and the live sources share it.
type Caller struct {
	Kind      CallerKind
	Raw       string
	ARN       policy.ARN
	Name      string // role, user or federated-user name
	Session   string // assumed-role session name
	HasPath   bool   // role or user ARN with a path
	Partition string
}

// ParseCaller recognises the caller ARN forms of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns.
func ParseCaller(s string) (Caller, error) {
	switch {
	case IsAnonymous(s):
		return Caller{Kind: KindAnonymous, Raw: s}, nil
	case IsServicePrincipal(s):
		return Caller{Kind: KindService, Raw: s, Name: s}, nil
	}
	a, ok := policy.ParseARN(s)
	if !ok {
		return Caller{}, fmt.Errorf("%w: principal %q is not an ARN, an AWS service principal (NAME.amazonaws.com) or \"anonymous\"", errUnsupportedPrincipal, s)
	}
	if !policy.IsAccountID(a.Account) {
		return Caller{}, fmt.Errorf("%w: principal %q has no 12-digit account id", errUnsupportedPrincipal, s)
	}
	p := Caller{Raw: s, ARN: a, Partition: a.Partition}
	typ, rest, _ := strings.Cut(a.Resource, "/")
	switch {
	case a.Service == "sts" && typ == "assumed-role":
		// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION: the role's path is
		// dropped and a session name cannot contain "/".
		role, sess, ok := strings.Cut(rest, "/")
		if !ok || role == "" || sess == "" || strings.Contains(sess, "/") {
			return Caller{}, fmt.Errorf("%w: %q is not assumed-role/ROLE/SESSION", errUnsupportedPrincipal, s)
		}
		p.Kind, p.Name, p.Session = KindAssumedRole, role, sess
	case a.Service == "sts" && typ == "federated-user":
		if rest == "" || strings.Contains(rest, "/") {
			return Caller{}, fmt.Errorf("%w: %q is not federated-user/NAME", errUnsupportedPrincipal, s)
		}
		p.Kind, p.Name = KindFederatedUser, rest
	case a.Service == "iam" && a.Resource == "root":
		p.Kind = KindRoot
	case a.Service == "iam" && (typ == "role" || typ == "user"):
		p.Name = lastSegment(rest)
		if p.Name == "" {
			return Caller{}, fmt.Errorf("%w: %q has no %s name", errUnsupportedPrincipal, s, typ)
		}
		p.HasPath = strings.Contains(rest, "/")
		p.Kind = KindUser
		if typ == "role" {
			p.Kind = KindRole
		}
	default:
		return Caller{}, fmt.Errorf("%w: %q is not an assumed-role, federated-user, role, user or root ARN", errUnsupportedPrincipal, s)
	}
	return p, nil
}

// nonIAMPrincipal describes an anonymous caller or a service principal:
// no account, no IAM identity, and only resource-based policies and RCPs
// apply (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html).
func nonIAMPrincipal(p *policy.Principal, pa Caller) {
	p.Account, p.IAMARN, p.UserID, p.OrgID, p.OrgPaths = "", "", "", "", nil
	if pa.Kind == KindService {
		p.Type, p.Service = TypeService, pa.Name
		return
	}
	p.Type = TypeAnonymous
	// aws:userid of an anonymous caller is "anonymous"
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable).
	p.UserID = "anonymous"
}

// NonIAMPrincipal describes an anonymous caller or a service principal in
// p; it does nothing for IAM principals. The live source shares it.
func NonIAMPrincipal(p *policy.Principal, pa Caller) {
	if pa.Kind == KindAnonymous || pa.Kind == KindService {
		nonIAMPrincipal(p, pa)
	}
}

// errUnsupportedPrincipal is wrapped when a principal ARN has a form this
// package cannot resolve.
var errUnsupportedPrincipal = errors.New("unsupported principal")

// trustActions are the actions whose authorization reads the target role's
// trust policy as its resource-based policy
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy;
// sts:TagSession and sts:SetSourceIdentity must also be allowed by the trust
// policy: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html).
var trustActions = []string{
	"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity",
	"sts:TagSession", "sts:SetSourceIdentity", "sts:SetContext",
}

// IsTrustAction reports whether the authorization of action reads the
// target role's trust policy as its resource-based policy.
func IsTrustAction(action string) bool {
	for _, a := range trustActions {
		if strings.EqualFold(a, action) {
			return true
		}
	}
	return false
}

// Layers returns every policy layer the snapshot holds for req. The result
// shares policy documents and slices with the snapshot: treat it as
// read-only. It fails when the principal is not in the snapshot (the error
// wraps ErrPrincipalNotFound and says what to do) or has a form that cannot
// be resolved.
func (s *Snapshot) Layers(req *policy.Request) (*policy.Layers, error) {
	ix := s.idx
	if ix == nil {
		return nil, errors.New("resolving layers: the snapshot is not indexed: obtain it from Load or call Index")
	}
	if req == nil || req.Principal.ARN == "" {
		return nil, errors.New("resolving layers: the request has no principal ARN")
	}
	pa, err := ParseCaller(req.Principal.ARN)
	if err != nil {
		return nil, fmt.Errorf("resolving principal: %w", err)
	}
	l := &policy.Layers{Principal: req.Principal}
	p := &l.Principal
	p.Account = pa.ARN.Account
	acct := pa.ARN.Account

	hint := hintOf(req)
	switch pa.Kind {
	case KindAssumedRole, KindRole:
		e, err := ix.findRole(acct, pa, hint)
		if err != nil {
			return nil, err
		}
		if e == nil {
			return nil, s.notFound("role", pa, req.Principal.ARN)
		}
		FillEntity(l, e)
		p.Type = "AssumedRole"
		if pa.Kind == KindAssumedRole {
			p.SessionName = pa.Session
			if e.ID != "" {
				// aws:userid of a role session is ROLEID:SESSION
				// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable).
				p.UserID = e.ID + ":" + pa.Session
			}
			l.Session, l.SessionKnown, l.SessionRead = ix.session(req.Principal.ARN)
		} else {
			// A role ARN is not a session: no session policy applies.
			l.SessionKnown = true
		}
	case KindUser:
		e, err := ix.findUser(acct, pa, hint)
		if err != nil {
			return nil, err
		}
		if e == nil {
			return nil, s.notFound("user", pa, req.Principal.ARN)
		}
		FillEntity(l, e)
		p.Type = "User"
		p.UserID = e.ID
		p.Username = e.Name
		l.SessionKnown = true
	case KindFederatedUser:
		p.Type = "FederatedUser"
		p.IAMARN = ""
		// aws:userid of a federated user is ACCOUNT:NAME
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable).
		p.UserID = acct + ":" + pa.Name
		// The session carries the permissions of the IAM user that called
		// sts:GetFederationToken, intersected with the session policy
		// (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html);
		// the federated-user name is chosen by the caller and names no IAM
		// user.
		msg := "a federated-user session (" + req.Principal.ARN + ") has the permissions of the IAM user that called sts:GetFederationToken, which its ARN does not name: find that user in CloudTrail (the GetFederationToken event) and diagnose again with that user's ARN (arn:" + pa.Partition + ":iam::" + acct + ":user/NAME) as the principal and the session policy passed to GetFederationToken"
		l.IdentityRead = policy.Readability{Unreadable: true, Error: "FederatedUserSourceUnknown", Message: msg}
		l.BoundaryRead = policy.Readability{Unreadable: true, Error: "FederatedUserSourceUnknown", Message: msg}
		l.Session, l.SessionKnown, l.SessionRead = ix.session(req.Principal.ARN)
	case KindAnonymous, KindService:
		nonIAMPrincipal(p, pa)
		l.SessionKnown = true
	case KindRoot:
		// The root user has no identity-based policies: it is allowed
		// everything in its account except what SCPs and resource policies
		// deny (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html).
		p.Type = "Account"
		p.IAMARN = req.Principal.ARN
		p.UserID = acct
		l.SessionKnown = true
	}

	resAcct := s.resource(req, l)
	l.VPCEndpoint, l.VPCEndpointRead = ix.vpcEndpoint(req)
	switch {
	case ix.standalone:
		// The snapshot's account is in no organization: no SCP or RCP
		// applies to it. Another account's organization is unknown.
		if resAcct == "" {
			resAcct = acct
		}
		l.SCPRead = s.standaloneRead(acct, "SCPs")
		l.RCPRead = s.standaloneRead(resAcct, "RCPs")
	case ix.org == nil:
		l.SCPRead, l.RCPRead = ix.noOrgSCP, ix.noOrgRCP
	default:
		l.OrgID, l.ManagementAccount = ix.org.id, ix.org.management
		if ap, ok := ix.org.accounts[acct]; ok {
			l.SCP, l.SCPRead = ap.scp, ap.scpRead
			if p.OrgID == "" {
				p.OrgID = ix.org.id
			}
			if p.OrgPaths == nil {
				p.OrgPaths = ap.orgPaths
			}
		} else {
			l.SCPRead = notInOrg(acct, ix.org.id, "SCPs")
		}
		// RCPs are attached along the resource's account. When the request
		// names no resource (or its account is unknown) the caller's
		// account is used, as AWS does for actions without a resource
		// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
		if resAcct == "" {
			resAcct = acct
		}
		if ap, ok := ix.org.accounts[resAcct]; ok {
			l.RCP, l.RCPRead = ap.rcp, ap.rcpRead
		} else {
			l.RCPRead = notInOrg(resAcct, ix.org.id, "RCPs")
		}
	}
	return l, nil
}

// standaloneRead is the SCP or RCP layer of acct in a snapshot of an
// account that is in no organization: read and empty for that account,
// unknown for any other.
func (s *Snapshot) standaloneRead(acct, what string) policy.Readability {
	if acct == s.AccountID || s.AccountID == "" {
		return policy.Readability{Message: StandaloneNote(acct, what)}
	}
	return policy.Readability{Unreadable: true, Error: "NoOrganizationData",
		Message: fmt.Sprintf("the snapshot's account %s is in no organization, and account %s is not the snapshot's, so its %s are unknown: capture a snapshot of that account's organization, or pass the policies as files", orUnknown(s.AccountID), acct, what)}
}

func notInOrg(acct, org, what string) policy.Readability {
	return policy.Readability{Unreadable: true, Error: "AccountNotInOrganization",
		Message: fmt.Sprintf("account %s is not in the snapshot's organization %s, so its %s are unknown: it may belong to another organization; capture a snapshot from that organization's management account, or pass the policies as files", acct, orUnknown(org), what)}
}

// FillEntity copies a role's or user's resolved layers into l.
func FillEntity(l *policy.Layers, e *Entity) {
	p := &l.Principal
	p.IAMARN = e.ARN
	p.ServiceLinked = e.ServiceLinked
	switch {
	case len(p.Tags) == 0:
		p.Tags = e.Tags
	case len(e.Tags) > 0:
		// Session tags override the role's or user's tags with the same key
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html).
		m := make(map[string]string, len(e.Tags)+len(p.Tags))
		for k, v := range e.Tags {
			m[k] = v
		}
		for k, v := range p.Tags {
			m[k] = v
		}
		p.Tags = m
	}
	l.Identity, l.IdentityRead = e.Identity, e.IdentityRead
	l.Boundary, l.BoundaryRead = e.Boundary, e.BoundaryRead
}

// findRole finds the role pa names; nil when the snapshot lacks it. A name
// that several roles share is an *AmbiguousError unless h picks one.
func (ix *index) findRole(acct string, pa Caller, h resolveHint) (*Entity, error) {
	if pa.Kind == KindRole {
		if e := ix.roles[pa.Raw]; e != nil {
			return e, nil
		}
		if pa.HasPath {
			// A role ARN with a path names exactly one role.
			return nil, nil
		}
	}
	// An assumed-role ARN (and a role ARN written without its path) names
	// the role by name only: the path is dropped from session ARNs
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns).
	return findByName(ix.roleNames, ix.roleNamesCI, ix.roleDups, acct, pa, h)
}

func (ix *index) findUser(acct string, pa Caller, h resolveHint) (*Entity, error) {
	if e := ix.users[pa.Raw]; e != nil {
		return e, nil
	}
	if pa.HasPath {
		return nil, nil
	}
	return findByName(ix.userNames, ix.userNamesCI, ix.userDups, acct, pa, h)
}

// findByName looks a name up exactly, then case-insensitively: IAM user and
// role names are unique regardless of case
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names).
// A name several entities share (a snapshot that breaks that rule) is
// resolved only through h, else it is an *AmbiguousError.
func findByName(exact, ci map[nameKey]*Entity, dups map[nameKey][]*Entity, acct string, pa Caller, h resolveHint) (*Entity, error) {
	k := nameKey{acct, strings.ToLower(pa.Name)}
	if cands := dups[k]; cands != nil {
		var same []*Entity
		for _, e := range cands {
			if e.Name == pa.Name {
				same = append(same, e)
			}
		}
		if len(same) > 0 {
			cands = same
		}
		return pick(cands, pa.Raw, h)
	}
	if e := exact[nameKey{acct, pa.Name}]; e != nil {
		return e, nil
	}
	return ci[k], nil
}

// session returns the session policies of a session ARN, whether they are
// known, and whether they could be read: session policies cannot be read
// after the session was created, so only a snapshot entry makes them
// known.
func (ix *index) session(sessionARN string) ([]policy.Source, bool, policy.Readability) {
	if r, bad := ix.sessionRead[sessionARN]; bad {
		return nil, true, r
	}
	src, ok := ix.sessions[sessionARN]
	return src, ok, policy.Readability{}
}

func (s *Snapshot) notFound(what string, pa Caller, principal string) error {
	hint := "it may have been created after the capture, or the name is mistyped: capture the snapshot again (iamdiag snapshot -o FILE) or check the name"
	if s.AccountID != "" && pa.ARN.Account != s.AccountID {
		hint = "the principal is in account " + pa.ARN.Account + " but the snapshot covers account " + s.AccountID + ": capture a snapshot of account " + pa.ARN.Account
	}
	name := pa.Name
	return fmt.Errorf("%w: %s %q (from %s) is not in the snapshot of %s; %s", ErrPrincipalNotFound, what, name, principal, s.idx.snapshotDesc, hint)
}

// resource sets l.Resource, l.ResourceRead and l.ResourceAccount for req and
// returns the resource's account when known.
func (s *Snapshot) resource(req *policy.Request, l *policy.Layers) string {
	ix := s.idx
	res := req.Resource
	if res == "" || res == "*" {
		return ""
	}
	a, ok := policy.ParseARN(res)
	if !ok {
		return ""
	}
	l.ResourceAccount = a.AccountID()
	if IsTrustAction(req.Action) && a.Service == "iam" && strings.HasPrefix(a.Resource, "role/") {
		pa := Caller{Kind: KindRole, Raw: res, ARN: a, Name: lastSegment(a.Resource), HasPath: strings.Count(a.Resource, "/") > 1}
		e, err := ix.findRole(a.Account, pa, resolveHint{})
		switch {
		case err != nil:
			var amb *AmbiguousError
			errors.As(err, &amb)
			l.ResourceRead = policy.Readability{Unreadable: true, Error: "AmbiguousRole",
				Message: "the role " + res + " is ambiguous: the snapshot holds " + strings.Join(amb.Candidates, " and ") + ", so its trust policy is unknown: give the role's ARN with its path as the resource"}
			return a.AccountID()
		case e != nil && e.Trust != nil:
			l.Resource = e.Trust
			return a.AccountID()
		case e != nil && e.TrustRead.Unreadable:
			l.ResourceRead = e.TrustRead
			return a.AccountID()
		}
		l.ResourceRead = policy.Readability{Unreadable: true, Error: "NoSuchEntity",
			Message: "role " + res + " is not in the snapshot of " + ix.snapshotDesc + ", so its trust policy is unknown: it may not exist, or be in another account; capture that account"}
		return a.AccountID()
	}
	if a.Service == "s3" && a.Account == "" {
		// S3 ARNs carry no account
		// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-arn-format.html):
		// a bucket whose policy the snapshot holds belongs to the
		// snapshot's account. An object ARN (arn:aws:s3:::bucket/key) is
		// governed by its bucket's policy.
		src, read := ix.resources[res], ix.resourceRead[res]
		_, captured := ix.resources[res]
		bucket, _, _ := strings.Cut(a.Resource, "/")
		bucketARN := "arn:" + a.Partition + ":s3:::" + bucket
		if src == nil && !read.Unreadable {
			src, read = ix.resources[bucketARN], ix.resourceRead[bucketARN]
			_, captured = ix.resources[bucketARN]
		}
		if read.Unreadable {
			l.ResourceRead, l.ResourceAccount = read, s.AccountID
			return s.AccountID
		}
		if src == nil {
			if !captured {
				l.ResourceRead = notCaptured(bucketARN, "aws s3api get-bucket-policy")
			}
			return ""
		}
		l.Resource = src
		l.ResourceAccount = s.AccountID
		return s.AccountID
	}
	if src, captured := ix.resources[res]; captured {
		l.Resource = src
		return a.AccountID()
	}
	if read, bad := ix.resourceRead[res]; bad {
		l.ResourceRead = read
		return a.AccountID()
	}
	switch {
	case a.Service == "kms" && strings.HasPrefix(a.Resource, "key/"):
		// Every KMS key has exactly one key policy
		// (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html):
		// absent from the snapshot means unknown, not none.
		l.ResourceRead = policy.Readability{Unreadable: true, Error: "NotInSnapshot",
			Message: "the key policy of " + res + " is not in the snapshot: add it to resource_policies (aws kms get-key-policy) or give it as the resource policy"}
	case a.Account != "" && s.AccountID != "" && a.Account != s.AccountID:
		l.ResourceRead = policy.Readability{Unreadable: true, Error: "NotInSnapshot",
			Message: "the resource " + res + " is in account " + a.Account + ", outside the snapshot of " + ix.snapshotDesc + ", and its resource policy is not in resource_policies: add it, or give it as the resource policy"}
	case resourcePolicyServices[a.Service] != "":
		l.ResourceRead = notCaptured(res, resourcePolicyServices[a.Service])
	}
	return a.Account
}

// CodeNotCaptured is the Readability.Error of a resource-based policy the
// snapshot does not hold for a service whose resources can have one.
const CodeNotCaptured = "NotCaptured"

// notCaptured is the readability of a resource-based policy the snapshot
// does not hold: neither get-account-authorization-details nor iamdiag
// snapshot captures resource-based policies, so its absence from
// resource_policies says nothing about the resource.
func notCaptured(res, read string) policy.Readability {
	return policy.Readability{Unreadable: true, Error: CodeNotCaptured,
		Message: "the snapshot did not capture the resource-based policy of " + res + ": read it (" + read + ") and give it as the resource policy, with the snapshot"}
}

// resourcePolicyServices are the services whose resources may have a
// resource-based policy, with the command that reads one
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_aws-services-that-work-with-iam.html,
// column "Resource-based policies"). KMS keys and role trust policies are
// handled on their own.
var resourcePolicyServices = map[string]string{
	"s3":                "aws s3api get-bucket-policy",
	"sqs":               "aws sqs get-queue-attributes --attribute-names Policy",
	"sns":               "aws sns get-topic-attributes",
	"secretsmanager":    "aws secretsmanager get-resource-policy",
	"lambda":            "aws lambda get-policy",
	"ecr":               "aws ecr get-repository-policy",
	"logs":              "aws logs describe-resource-policies",
	"events":            "aws events describe-event-bus",
	"glacier":           "aws glacier get-vault-access-policy",
	"backup":            "aws backup get-backup-vault-access-policy",
	"elasticfilesystem": "aws efs describe-file-system-policy",
	"dynamodb":          "aws dynamodb get-resource-policy",
	"kinesis":           "aws kinesis get-resource-policy",
	"es":                "aws opensearch describe-domain-config",
	"glue":              "aws glue get-resource-policy",
	"codeartifact":      "aws codeartifact get-repository-permissions-policy",
	"execute-api":       "aws apigateway get-rest-api",
}

// CodeNotInUse is the error every Organizations call returns when the
// caller's account is not a member of an organization
// (https://docs.aws.amazon.com/organizations/latest/APIReference/CommonErrors.html).
const CodeNotInUse = "AWSOrganizationsNotInUseException"

// StandaloneNote is the note of the SCP or RCP layer (what is "SCPs" or
// "RCPs") of an account that is in no organization: the layer is read and
// empty, because SCPs and RCPs exist only inside an organization
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html).
func StandaloneNote(account, what string) string {
	return fmt.Sprintf("account %s is not in an organization (%s): no %s apply", account, CodeNotInUse, what)
}

// lastSegment returns what follows the last "/" of s.
func lastSegment(s string) string {
	return s[strings.LastIndexByte(s, '/')+1:]
}

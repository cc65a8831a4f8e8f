package live

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/iamdiag/iamdiag/internal/awserr"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// OrganizationsReader is the AWS Organizations calls of a live resolution
// and of Capture; *organizations.Client implements it. Most of them work
// only from the management account or a delegated administrator
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html).
type OrganizationsReader interface {
	DescribeOrganization(ctx context.Context, params *organizations.DescribeOrganizationInput, optFns ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
	ListRoots(ctx context.Context, params *organizations.ListRootsInput, optFns ...func(*organizations.Options)) (*organizations.ListRootsOutput, error)
	ListParents(ctx context.Context, params *organizations.ListParentsInput, optFns ...func(*organizations.Options)) (*organizations.ListParentsOutput, error)
	ListPoliciesForTarget(ctx context.Context, params *organizations.ListPoliciesForTargetInput, optFns ...func(*organizations.Options)) (*organizations.ListPoliciesForTargetOutput, error)
	DescribePolicy(ctx context.Context, params *organizations.DescribePolicyInput, optFns ...func(*organizations.Options)) (*organizations.DescribePolicyOutput, error)
	DescribeOrganizationalUnit(ctx context.Context, params *organizations.DescribeOrganizationalUnitInput, optFns ...func(*organizations.Options)) (*organizations.DescribeOrganizationalUnitOutput, error)
	DescribeAccount(ctx context.Context, params *organizations.DescribeAccountInput, optFns ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error)
}

// orgResult is the organization part of one resolution.
type orgResult struct {
	id, management string
	orgKnown       bool
	inOrg          bool
	orgPath        string
	scp, rcp       []policy.OrgLevel
	scpRead        policy.Readability
	rcpRead        policy.Readability
}

type orgDesc struct{ id, management string }

type parentNode struct{ id, typ string }

type levelFetch struct {
	id, typ, name string
	srcs          []policy.Source
}

// orgUnreadable says why the SCP or RCP layer could not be read.
func orgUnreadable(what, op string, err error) policy.Readability {
	code := awserr.Code(err)
	var msg string
	switch {
	case awserr.IsDenied(code):
		msg = fmt.Sprintf("cannot read %s: %s was denied (%s); run from the management account or a delegated administrator, or diagnose from a snapshot", what, op, code)
	case code == layers.CodeNotInUse:
		// Only for an account other than the credentials' own: the
		// credentials' account being in no organization says nothing
		// about another account's.
		msg = fmt.Sprintf("cannot read %s: %s says the credentials' account is not in an organization (%s); if the account is in one, run from its management account or a delegated administrator, or diagnose from a snapshot", what, op, code)
	case code == "ChildNotFoundException" || code == "AccountNotFoundException" || code == "TargetNotFoundException":
		msg = fmt.Sprintf("cannot read %s: %s does not find the account in the credentials' organization (%s): it may belong to another organization; run from that organization's management account or a delegated administrator, or diagnose from a snapshot", what, op, code)
	default:
		msg = fmt.Sprintf("cannot read %s: %s failed (%s); retry, or diagnose from a snapshot", what, op, code)
	}
	return policy.Readability{Unreadable: true, Error: code, Message: msg}
}

// org reads the SCP (scp true) or RCP levels from the root down to acct.
// Every level's policies are asked for as soon as the level is known: the
// root's from organizations:ListRoots at once, the account's at once, each
// OU's as organizations:ListParents discovers it. credAcct is the account
// the credentials belong to: when Organizations says it is in no
// organization (AWSOrganizationsNotInUseException) and acct is that
// account, the layer is read and empty, not unreadable.
func (w *walk) org(acct string, scp bool, credAcct string) (orgResult, error) {
	var r orgResult
	what, ptype, layer := "SCPs", orgtypes.PolicyTypeServiceControlPolicy, policy.LayerSCP
	if !scp {
		what, ptype, layer = "RCPs", orgtypes.PolicyTypeResourceControlPolicy, policy.LayerRCP
	}
	c := w.l.c.Organizations
	if c == nil {
		rd := policy.Readability{Unreadable: true, Error: "NotConfigured",
			Message: "cannot read " + what + ": no Organizations client was configured; diagnose from a snapshot"}
		r.scpRead, r.rcpRead = rd, rd
		return r, nil
	}
	var (
		rs     readState
		fmu    sync.Mutex
		ferr   error
		frank  int
		wg     sync.WaitGroup
		lmu    sync.Mutex
		levels = map[string]*levelFetch{}
		// notInUse: Organizations said the credentials' account, which
		// is acct, is in no organization.
		notInUse bool
	)
	fail := func(op string, err error) {
		if f := fatal(op, err); f != nil {
			// The reads run concurrently: keep the first in readOrder,
			// not the first to fail, so that the error is the same on
			// every run.
			fmu.Lock()
			if rank := readRank(op); ferr == nil || rank < frank || (rank == frank && f.Error() < ferr.Error()) {
				ferr, frank = f, rank
			}
			fmu.Unlock()
			return
		}
		if awserr.Code(err) == layers.CodeNotInUse && acct == credAcct {
			fmu.Lock()
			notInUse = true
			fmu.Unlock()
			return
		}
		rs.fail(op, orgUnreadable(what, op, err))
	}
	startLevel := func(id, typ string, after int) {
		lmu.Lock()
		if levels[id] != nil {
			lmu.Unlock()
			return
		}
		lf := &levelFetch{id: id, typ: typ}
		levels[id] = lf
		lmu.Unlock()
		wg.Go(func() {
			srcs, err := w.levelPolicies(id, ptype, layer, after)
			if err != nil {
				fail(err.op, err.err)
				return
			}
			lf.srcs = srcs
		})
		if typ != layers.NodeRoot {
			wg.Go(func() {
				name, err := w.nodeName(id, typ, after)
				if err != nil {
					// A missing name costs the report a label, not the
					// layer its policies: only credential failures count.
					if f := fatal("organizations:Describe", err); f != nil {
						fail("organizations:Describe", err)
					}
					return
				}
				lmu.Lock()
				lf.name = name
				lmu.Unlock()
			})
		}
	}
	var rootName string
	wg.Go(func() {
		v, d, err := w.l.cache.do(w.ctx, w, "org/describe", 0, false, func() (any, int, error) {
			var o *organizations.DescribeOrganizationOutput
			d, err := w.call("organizations:DescribeOrganization", 0, func(ctx context.Context) error {
				var err error
				o, err = c.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
				return err
			})
			if err != nil {
				return nil, d, err
			}
			if o == nil || o.Organization == nil {
				return nil, d, fmt.Errorf("organizations:DescribeOrganization returned no organization")
			}
			return orgDesc{id: aws.ToString(o.Organization.Id), management: aws.ToString(o.Organization.MasterAccountId)}, d, nil
		})
		_ = d
		if err != nil {
			fail("organizations:DescribeOrganization", err)
			return
		}
		od := v.(orgDesc)
		r.id, r.management, r.orgKnown = od.id, od.management, true
	})
	wg.Go(func() {
		v, d, err := w.l.cache.do(w.ctx, w, "org/roots", 0, false, func() (any, int, error) {
			var roots []parentNode
			var names []string
			d := 0
			p := organizations.NewListRootsPaginator(c, &organizations.ListRootsInput{})
			for p.HasMorePages() {
				var o *organizations.ListRootsOutput
				var err error
				d, err = w.call("organizations:ListRoots", d, func(ctx context.Context) error {
					o, err = p.NextPage(ctx)
					return err
				})
				if err != nil {
					return nil, d, err
				}
				for _, rt := range o.Roots {
					roots = append(roots, parentNode{id: aws.ToString(rt.Id), typ: layers.NodeRoot})
					names = append(names, aws.ToString(rt.Name))
				}
			}
			return rootsAnswer{roots: roots, names: names}, d, nil
		})
		if err != nil {
			// The root is reached through ListParents as well: only a
			// credential failure matters here.
			if f := fatal("organizations:ListRoots", err); f != nil {
				fail("organizations:ListRoots", err)
			}
			return
		}
		ra := v.(rootsAnswer)
		if len(ra.roots) == 1 {
			// An organization has exactly one root
			// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_getting-started_concepts.html).
			lmu.Lock()
			rootName = ra.names[0]
			lmu.Unlock()
			startLevel(ra.roots[0].id, layers.NodeRoot, d)
		}
	})
	startLevel(acct, layers.NodeAccount, 0)
	chain := []parentNode{{id: acct, typ: layers.NodeAccount}}
	d := 0
	for cur := acct; ; {
		var (
			pn  parentNode
			err error
		)
		pn, d, err = w.parent(cur, d)
		if err != nil {
			fail("organizations:ListParents", err)
			break
		}
		chain = append(chain, pn)
		startLevel(pn.id, pn.typ, d)
		if pn.typ == layers.NodeRoot {
			r.inOrg = true
			break
		}
		// OUs nest at most five levels below the root
		// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html).
		if len(chain) > 8 {
			fail("organizations:ListParents", fmt.Errorf("the parents of %s do not reach a root", acct))
			break
		}
		cur = pn.id
	}
	wg.Wait()
	if ferr != nil {
		return r, ferr
	}
	read := rs.read
	var out []policy.OrgLevel
	if notInUse {
		// The account is in no organization: no SCP or RCP applies to
		// it, which is known, not unknown. Any other failure met on the
		// way was about the organization that does not exist.
		r.id, r.management, r.orgKnown, r.inOrg = "", "", false, false
		read = policy.Readability{Message: layers.StandaloneNote(acct, what)}
	} else if !read.Unreadable {
		path := r.id + "/"
		any := false
		for i := len(chain) - 1; i >= 0; i-- {
			n := chain[i]
			lf := levels[n.id]
			name := lf.name
			if n.typ == layers.NodeRoot {
				name = rootName
			}
			out = append(out, policy.OrgLevel{Target: n.id, Type: n.typ, Name: name, Policies: lf.srcs})
			any = any || len(lf.srcs) > 0
			if n.typ != layers.NodeAccount {
				path += n.id + "/"
			}
		}
		r.orgPath = path
		// An enabled policy type always has a policy attached to the root
		// (FullAWSAccess or RCPFullAWSAccess, which cannot be detached
		// from the last place: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html):
		// no policy on the whole path means the type is not enabled.
		if !any {
			out = nil
		}
	}
	if scp {
		r.scp, r.scpRead = out, read
	} else {
		r.rcp, r.rcpRead = out, read
	}
	return r, nil
}

type rootsAnswer struct {
	roots []parentNode
	names []string
}

// parent returns the parent of a node (an account or OU has exactly one).
func (w *walk) parent(id string, after int) (parentNode, int, error) {
	c := w.l.c.Organizations
	v, d, err := w.l.cache.do(w.ctx, w, "org/parent/"+id, after, false, func() (any, int, error) {
		var ps []orgtypes.Parent
		d := after
		p := organizations.NewListParentsPaginator(c, &organizations.ListParentsInput{ChildId: &id})
		for p.HasMorePages() {
			var o *organizations.ListParentsOutput
			var err error
			d, err = w.call("organizations:ListParents", d, func(ctx context.Context) error {
				o, err = p.NextPage(ctx)
				return err
			})
			if err != nil {
				return nil, d, err
			}
			ps = append(ps, o.Parents...)
		}
		if len(ps) != 1 {
			return nil, d, fmt.Errorf("organizations:ListParents of %s returned %d parents, not 1", id, len(ps))
		}
		typ := layers.NodeOU
		if ps[0].Type == orgtypes.ParentTypeRoot {
			typ = layers.NodeRoot
		}
		return parentNode{id: aws.ToString(ps[0].Id), typ: typ}, d, nil
	})
	if err != nil {
		return parentNode{}, d, err
	}
	return v.(parentNode), d, nil
}

type opError struct {
	op  string
	err error
}

type policyRef struct {
	id, arn, name string
	awsManaged    bool
}

// levelPolicies returns the policies of one type attached to a node, each
// with its content (organizations:DescribePolicy, cached by id).
func (w *walk) levelPolicies(id string, ptype orgtypes.PolicyType, layer policy.Layer, after int) ([]policy.Source, *opError) {
	c := w.l.c.Organizations
	v, d, err := w.l.cache.do(w.ctx, w, "org/policies/"+string(ptype)+"/"+id, after, false, func() (any, int, error) {
		var refs []policyRef
		d := after
		p := organizations.NewListPoliciesForTargetPaginator(c, &organizations.ListPoliciesForTargetInput{TargetId: &id, Filter: ptype})
		for p.HasMorePages() {
			var o *organizations.ListPoliciesForTargetOutput
			var err error
			d, err = w.call("organizations:ListPoliciesForTarget", d, func(ctx context.Context) error {
				o, err = p.NextPage(ctx)
				return err
			})
			if err != nil {
				if awserr.Code(err) == "PolicyTypeNotEnabledException" {
					// The type is not enabled in the root: no such
					// policy applies.
					return []policyRef(nil), d, nil
				}
				return nil, d, err
			}
			for _, ps := range o.Policies {
				refs = append(refs, policyRef{id: aws.ToString(ps.Id), arn: aws.ToString(ps.Arn), name: aws.ToString(ps.Name), awsManaged: ps.AwsManaged})
			}
		}
		return refs, d, nil
	})
	if err != nil {
		return nil, &opError{"organizations:ListPoliciesForTarget", err}
	}
	refs := v.([]policyRef)
	if len(refs) == 0 {
		return nil, nil
	}
	out := make([]policy.Source, len(refs))
	errs := make([]*opError, len(refs))
	var wg sync.WaitGroup
	for i, ref := range refs {
		wg.Go(func() {
			doc, err := w.policyContent(ref.id, d)
			if err != nil {
				errs[i] = &opError{"organizations:DescribePolicy", err}
				return
			}
			out[i] = policy.Source{Layer: layer, ARN: ref.arn, Name: ref.name, Origin: "attached to " + id,
				Target: id, AWSManaged: ref.awsManaged, Document: doc}
		})
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	return out, nil
}

// policyContent reads and parses an organization policy's content.
func (w *walk) policyContent(id string, after int) (*policy.Document, error) {
	c := w.l.c.Organizations
	v, _, err := w.l.cache.do(w.ctx, w, "org/policy/"+id, after, false, func() (any, int, error) {
		var o *organizations.DescribePolicyOutput
		d, err := w.call("organizations:DescribePolicy", after, func(ctx context.Context) error {
			var err error
			o, err = c.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: &id})
			return err
		})
		if err != nil {
			return nil, d, err
		}
		if o == nil || o.Policy == nil || o.Policy.Content == nil {
			return nil, d, fmt.Errorf("organizations:DescribePolicy of %s returned no content", id)
		}
		doc, err := parseDocument(*o.Policy.Content)
		if err != nil {
			return nil, d, fmt.Errorf("parsing organization policy %s: %w", id, err)
		}
		return doc, d, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*policy.Document), nil
}

// nodeName returns an OU's or account's name.
func (w *walk) nodeName(id, typ string, after int) (string, error) {
	c := w.l.c.Organizations
	v, _, err := w.l.cache.do(w.ctx, w, "org/name/"+id, after, false, func() (any, int, error) {
		var name string
		var op string
		var f func(ctx context.Context) error
		if typ == layers.NodeAccount {
			op = "organizations:DescribeAccount"
			f = func(ctx context.Context) error {
				o, err := c.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: &id})
				if err == nil && o != nil && o.Account != nil {
					name = aws.ToString(o.Account.Name)
				}
				return err
			}
		} else {
			op = "organizations:DescribeOrganizationalUnit"
			f = func(ctx context.Context) error {
				o, err := c.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: &id})
				if err == nil && o != nil && o.OrganizationalUnit != nil {
					name = aws.ToString(o.OrganizationalUnit.Name)
				}
				return err
			}
		}
		d, err := w.call(op, after, f)
		return name, d, err
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

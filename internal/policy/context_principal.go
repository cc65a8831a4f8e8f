package policy

import (
	"slices"
	"sync"
)

// lazyPrincipal is the principal whose keys a Context infers when it is
// first read.
type lazyPrincipal struct {
	once sync.Once
	p    Principal
}

// InferPrincipal infers, as Infer does for each, the global condition keys
// that describe p and that the policy engine answers from Request.Principal
// when a request's context lacks them, with the same values:
// aws:PrincipalArn, aws:PrincipalAccount, aws:userid, aws:username,
// aws:PrincipalType, aws:PrincipalTag/KEY for each tag (of tags differing
// only in case, the first in sorted order), aws:PrincipalOrgID,
// aws:PrincipalOrgPaths and, for a service principal,
// aws:PrincipalServiceName; a key p leaves empty is not inferred
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
//
// The keys are added when the context is next read or written through its
// methods, from a copy of p taken now, so that a diagnosis, which
// evaluates its policies against a request carrying p, pays for them only
// when a report shows its context. Concurrent reads remain safe. Calling
// InferPrincipal again infers the keys still pending first.
func (c *Context) InferPrincipal(p *Principal) {
	c.resolve()
	if p != nil {
		c.lazy = &lazyPrincipal{p: *p}
	}
}

// resolve infers the keys of a pending InferPrincipal.
func (c *Context) resolve() {
	if c == nil || c.lazy == nil {
		return
	}
	lp := c.lazy
	lp.once.Do(func() { c.inferPrincipal(&lp.p) })
}

// inferPrincipal infers the keys of p now (see InferPrincipal).
func (c *Context) inferPrincipal(p *Principal) {
	one := func(key, v string) {
		if v != "" {
			c.infer(key, []string{v})
		}
	}
	one("aws:PrincipalArn", p.IAMARN)
	one("aws:PrincipalAccount", p.Account)
	one("aws:userid", p.UserID)
	// aws:username is present for IAM users only.
	one("aws:username", p.Username)
	one("aws:PrincipalType", p.Type)
	if len(p.Tags) > 0 {
		tags := make([]string, 0, len(p.Tags))
		for k := range p.Tags {
			tags = append(tags, k)
		}
		slices.Sort(tags)
		for _, k := range tags {
			c.infer("aws:PrincipalTag/"+k, []string{p.Tags[k]})
		}
	}
	one("aws:PrincipalOrgID", p.OrgID)
	if p.Type == "Service" {
		one("aws:PrincipalServiceName", p.Service)
	}
	if len(p.OrgPaths) > 0 {
		c.infer("aws:PrincipalOrgPaths", p.OrgPaths)
	}
}

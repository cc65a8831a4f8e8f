package simulate

import (
	"strconv"
	"strings"
	"time"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// The global condition keys this package infers
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
const (
	keyPrincipalArn          = "aws:PrincipalArn"
	keyPrincipalAccount      = "aws:PrincipalAccount"
	keyUserID                = "aws:userid"
	keyUsername              = "aws:username"
	keyPrincipalType         = "aws:PrincipalType"
	keyPrincipalTagPrefix    = "aws:PrincipalTag/"
	keyPrincipalOrgID        = "aws:PrincipalOrgID"
	keyPrincipalOrgPaths     = "aws:PrincipalOrgPaths"
	keyPrincipalIsAWSService = "aws:PrincipalIsAWSService"
	keyPrincipalServiceName  = "aws:PrincipalServiceName"
	keyRequestedRegion       = "aws:RequestedRegion"
	keyResourceAccount       = "aws:ResourceAccount"
	keyResourceOrgID         = "aws:ResourceOrgID"
	keyResourceOrgPaths      = "aws:ResourceOrgPaths"
	keyCurrentTime           = "aws:CurrentTime"
	keyEpochTime             = "aws:EpochTime"
)

// Key bits: which inferable keys a set of policies reads.
const (
	// kPrincipal covers every key that describes the principal; the policy
	// engine answers those from Request.Principal when the context lacks
	// them, so Decide needs only the effective principal for them.
	kPrincipal = 1 << iota
	kPrincipalOrgPaths
	kPrincipalIsAWSService
	kRequestedRegion
	kResourceAccount
	kResourceOrgID
	kResourceOrgPaths
	kCurrentTime
	kEpochTime
	kAll = 1<<iota - 1
)

// keyBit returns the bit of an inferable key, 0 for other keys. Only keys
// of the same length are compared, so that most keys cost a few length
// checks.
func keyBit(key string) int {
	if len(key) < 4 || !strings.EqualFold(key[:4], "aws:") {
		return 0
	}
	for i := range inferableKeys {
		if k := &inferableKeys[i]; len(k.key) == len(key) && strings.EqualFold(k.key, key) {
			return k.bit
		}
	}
	if len(key) > len(keyPrincipalTagPrefix) && strings.EqualFold(key[:len(keyPrincipalTagPrefix)], keyPrincipalTagPrefix) {
		return kPrincipal
	}
	return 0
}

// inferableKeys are the inferable keys with their bits.
var inferableKeys = [...]struct {
	key string
	bit int
}{
	{keyPrincipalOrgPaths, kPrincipalOrgPaths},
	{keyPrincipalIsAWSService, kPrincipalIsAWSService},
	{keyRequestedRegion, kRequestedRegion},
	{keyResourceAccount, kResourceAccount},
	{keyResourceOrgID, kResourceOrgID},
	{keyResourceOrgPaths, kResourceOrgPaths},
	{keyCurrentTime, kCurrentTime},
	{keyEpochTime, kEpochTime},
	{keyPrincipalArn, kPrincipal},
	{keyPrincipalAccount, kPrincipal},
	{keyUserID, kPrincipal},
	{keyUsername, kPrincipal},
	{keyPrincipalType, kPrincipal},
	{keyPrincipalOrgID, kPrincipal},
	{keyPrincipalServiceName, kPrincipal},
}

// docKeys returns the bits of the inferable keys that doc reads, in its
// conditions or through policy variables; it does not allocate.
func docKeys(doc *policy.Document) int {
	if doc == nil {
		return 0
	}
	bits := 0
	for i := range doc.Statements {
		st := &doc.Statements[i]
		for j := range st.Conditions {
			c := &st.Conditions[j]
			bits |= keyBit(c.Key)
			for _, v := range c.Values {
				if strings.Contains(v, "${") {
					return kAll
				}
			}
		}
		for _, r := range st.Resource {
			if strings.Contains(r, "${") {
				return kAll
			}
		}
		for _, r := range st.NotResource {
			if strings.Contains(r, "${") {
				return kAll
			}
		}
	}
	return bits
}

// enrichPrincipal completes the effective principal with what the layers
// say about the organization: aws:PrincipalOrgID and, when the levels are
// known, aws:PrincipalOrgPaths. need says whether the org paths are read.
func enrichPrincipal(e *env, need int) {
	if need&kPrincipalOrgPaths != 0 && len(e.p.OrgPaths) == 0 && e.principalInOrg &&
		len(e.l.SCP) > 0 && levelsCover(e.l.SCP, e.p.Account) {
		if path := orgPath(e.l.OrgID, e.l.SCP); path != "" {
			e.p.OrgPaths = []string{path}
		}
	}
}

// inferContext adds to ctx the keys of need that it lacks and that the
// request and layers determine, other than the keys that describe the
// principal (kPrincipal, kPrincipalOrgPaths): the policy engine answers
// those from Request.Principal, and Evaluate leaves them to
// Context.InferPrincipal, which gives the same values. It never overrides
// a key given by the input (Context.Infer does nothing for a present key).
func inferContext(ctx *policy.Context, e *env, resource string, opt Options, need int) {
	p := &e.p
	// aws:PrincipalIsAWSService is "true" for calls by an AWS service
	// principal and "false" for IAM principals.
	if need&kPrincipalIsAWSService != 0 && p.Type != "" && p.Type != typeAnonymous {
		ctx.Infer(keyPrincipalIsAWSService, strconv.FormatBool(p.Type == typeService))
	}
	if need&kRequestedRegion != 0 {
		if r := resourceRegion(resource); r != "" {
			ctx.Infer(keyRequestedRegion, r)
		}
	}
	if need&kResourceAccount != 0 && e.resAccount != "" {
		ctx.Infer(keyResourceAccount, e.resAccount)
	}
	if e.resourceInOrg {
		if need&kResourceOrgID != 0 {
			ctx.Infer(keyResourceOrgID, e.l.OrgID)
		}
		if need&kResourceOrgPaths != 0 && len(e.l.RCP) > 0 && levelsAccount(e.l.RCP) == e.resAccount {
			// Within one organization the resource's path is often the
			// principal's, already built.
			if len(p.OrgPaths) == 1 && p.OrgPaths[0] != "" && isOrgPath(p.OrgPaths[0], e.l.OrgID, e.l.RCP) {
				ctx.Infer(keyResourceOrgPaths, p.OrgPaths[0])
			} else if path := orgPath(e.l.OrgID, e.l.RCP); path != "" {
				ctx.Infer(keyResourceOrgPaths, path)
			}
		}
	}
	if opt.Now != nil && need&(kCurrentTime|kEpochTime) != 0 {
		now := opt.Now().UTC()
		if need&kCurrentTime != 0 {
			ctx.Infer(keyCurrentTime, now.Format(time.RFC3339))
		}
		if need&kEpochTime != 0 {
			ctx.Infer(keyEpochTime, strconv.FormatInt(now.Unix(), 10))
		}
	}
}

// resourceRegion returns the region field of a resource ARN, "" when it
// has none; an ARN cut short still gives a region that a colon ends (see
// policy.ParseARN).
func resourceRegion(arn string) string {
	a, _ := policy.ParseARN(arn)
	return a.Region
}

// missingContext reports whether ctx lacks some key of need that
// inferContext could add, other than the keys the policy engine answers
// from Request.Principal; Decide clones the context only then. It may
// answer true needlessly, never false wrongly.
func missingContext(ctx *policy.Context, e *env, resource string, opt Options, need int) bool {
	has := func(k string) bool { _, ok := ctx.Get(k); return ok }
	p := &e.p
	switch {
	case need&kPrincipalIsAWSService != 0 && p.Type != "" && p.Type != typeAnonymous && !has(keyPrincipalIsAWSService),
		need&kRequestedRegion != 0 && resourceRegion(resource) != "" && !has(keyRequestedRegion),
		need&kResourceAccount != 0 && e.resAccount != "" && !has(keyResourceAccount),
		need&kResourceOrgID != 0 && e.resourceInOrg && !has(keyResourceOrgID),
		need&kResourceOrgPaths != 0 && e.resourceInOrg && len(e.l.RCP) > 0 && !has(keyResourceOrgPaths),
		need&(kCurrentTime|kEpochTime) != 0 && opt.Now != nil:
		return true
	}
	return false
}

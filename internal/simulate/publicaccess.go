package simulate

import (
	"slices"
	"strings"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// This file applies S3 Block Public Access: with RestrictPublicBuckets on,
// a bucket whose policy is public answers only AWS service principals and
// principals of the bucket owner's account, whatever the policy grants
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html).

// publicAccessState is what S3 Block Public Access does to a request the
// policies allow.
type publicAccessState uint8

const (
	// publicAccessNone: the settings do not apply to the request.
	publicAccessNone publicAccessState = iota
	// publicAccessUnknown: they would refuse it if RestrictPublicBuckets
	// is on, and the settings are unknown.
	publicAccessUnknown
	// publicAccessDenies: RestrictPublicBuckets is on and refuses it.
	publicAccessDenies
)

// publicAccess says whether S3 Block Public Access decides a request that
// the policies allow: an S3 request, by an anonymous caller or a principal
// of another account, to a bucket whose policy is public.
func publicAccess(e *env) publicAccessState {
	if e.service != "s3" || e.res.Service != "s3" {
		return publicAccessNone
	}
	outsider := e.p.Type == typeAnonymous || (e.cross && e.p.Type != typeService)
	if !outsider || e.l.Resource == nil || !publicPolicy(e.l.Resource.Document) {
		return publicAccessNone
	}
	switch pab := e.l.S3PublicAccess; {
	case pab == nil:
		return publicAccessUnknown
	case pab.RestrictPublicBuckets:
		return publicAccessDenies
	}
	return publicAccessNone
}

// publicAccessNote says why S3 Block Public Access decides the request.
const (
	publicAccessUnknownNote = "the bucket policy is public, and the S3 Block Public Access settings of the bucket and its account were not read: with RestrictPublicBuckets on (all four settings are on for buckets created since April 2023), S3 refuses anonymous and cross-account callers whatever the policy grants; give the settings (aws s3api get-public-access-block, aws s3control get-public-access-block) for an exact answer"
	publicAccessDeniesNote  = "S3 Block Public Access has RestrictPublicBuckets on, and the bucket policy is public: S3 answers only AWS service principals and principals of the bucket owner's account, whatever the policy grants"
)

// publicPolicy reports whether S3 considers doc public: some Allow
// statement grants everyone ("*", {"AWS": "*"} or NotPrincipal) without a
// condition that pins one of the keys S3 accepts to fixed values
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PublicAccessBlockConfiguration.html,
// "The meaning of public").
func publicPolicy(doc *policy.Document) bool {
	if doc == nil {
		return false
	}
	for i := range doc.Statements {
		st := &doc.Statements[i]
		if st.Effect != policy.Allow {
			continue
		}
		everyone := st.NotPrincipal != nil || (st.Principal != nil && (st.Principal.Wildcard || slices.Contains(st.Principal.Values["AWS"], "*")))
		if everyone && !pinned(st.Conditions) {
			return true
		}
	}
	return false
}

// nonPublicKeys are the condition keys that, pinned to fixed values, make
// a grant to everyone non-public.
var nonPublicKeys = [...]string{
	"aws:sourceip", "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceowner",
	"aws:sourceaccount", "s3:x-amz-server-side-encryption-aws-kms-key-id", "aws:userid",
}

// pinned reports whether some condition pins a key of nonPublicKeys to
// fixed values: a positive operator (not a Not… one), and values without
// wildcards or policy variables.
func pinned(conds []policy.Condition) bool {
	for i := range conds {
		c := &conds[i]
		op := c.Operator
		if j := strings.IndexByte(op, ':'); j >= 0 {
			op = op[j+1:]
		}
		if strings.Contains(op, "Not") || strings.HasPrefix(op, "Null") || len(c.Values) == 0 {
			continue
		}
		if !slices.Contains(nonPublicKeys[:], strings.ToLower(c.Key)) {
			continue
		}
		fixed := true
		for _, v := range c.Values {
			if strings.ContainsAny(v, "*?") || strings.Contains(v, "${") || v == "0.0.0.0/0" || v == "::/0" {
				fixed = false
				break
			}
		}
		if fixed {
			return true
		}
	}
	return false
}

package live

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/iamdiag/iamdiag/internal/awserr"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// resourceResult is the resource-based layer of one resolution.
type resourceResult struct {
	src     *policy.Source
	read    policy.Readability
	account string
}

// resource reads the resource-based policy of the request's resource: the
// target role's trust policy for the actions that read it, a bucket policy
// for an S3 bucket or object, a key policy for a KMS key. Other resources
// are not read, as in a snapshot without their policy.
func (w *walk) resource(req *policy.Request, pa layers.Caller) (resourceResult, error) {
	var r resourceResult
	res := req.Resource
	if res == "" || res == "*" {
		return r, nil
	}
	a, ok := policy.ParseARN(res)
	if !ok {
		return r, nil
	}
	r.account = a.AccountID()
	// The account whose credentials read the policy: the resource's, or
	// for a bucket (S3 ARNs name no account) the one bucketAccount picks.
	acct, what := a.Account, "the resource policy of "+res
	var read func(c *AccountClients) (resourceResult, error)
	switch {
	case layers.IsTrustAction(req.Action) && a.Service == "iam" && strings.HasPrefix(a.Resource, "role/"):
		read = func(c *AccountClients) (resourceResult, error) { return w.trustPolicy(c, res, a) }
		what = "the trust policy of " + res
	case a.Service == "s3" && a.Account == "":
		acct = bucketAccount(req, w.l.opt.AccountID, pa.ARN.Account)
		if w.l.opt.Accounts != nil {
			// Through Accounts any account can be read: the principal's
			// is likelier the bucket's than the credentials' own.
			acct = bucketAccount(req, pa.ARN.Account, w.l.opt.AccountID)
		}
		read = func(c *AccountClients) (resourceResult, error) { return w.bucketPolicy(c, acct, res, a) }
		bucket, _, _ := strings.Cut(a.Resource, "/")
		what = "the bucket policy of " + bucket
	case a.Service == "kms" && strings.HasPrefix(a.Resource, "key/"):
		read = func(c *AccountClients) (resourceResult, error) { return w.keyPolicy(c, res, a) }
		what = "the key policy of " + res
	default:
		return r, nil
	}
	c, rd, err := w.accountClients(acct, what)
	if err != nil {
		return r, err
	}
	if rd != nil {
		if r.account == "" {
			r.account = acct
		}
		r.read = *rd
		return r, nil
	}
	return read(c)
}

// trustPolicy reads the trust policy of the role an sts:AssumeRole … names
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy).
func (w *walk) trustPolicy(c *AccountClients, res string, a policy.ARN) (resourceResult, error) {
	r := resourceResult{account: a.Account}
	name := lastSegment(a.Resource)
	var o *iam.GetRoleOutput
	_, err := w.call("iam:GetRole", 0, func(ctx context.Context) error {
		var err error
		o, err = c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &name})
		return err
	})
	notFound := policy.Readability{Unreadable: true, Error: "NoSuchEntity",
		Message: "role " + res + " does not exist in the credentials' account, so its trust policy is unknown: it may not exist, or be in another account; run with credentials of account " + a.Account}
	if err != nil {
		if f := fatal("iam:GetRole", err); f != nil {
			return r, f
		}
		if awserr.Code(err) == "NoSuchEntity" {
			r.read = notFound
		} else {
			r.read = unreadable("the trust policy of "+res, "iam:GetRole", err)
		}
		return r, nil
	}
	pa := layers.Caller{Kind: layers.KindRole, Raw: res, ARN: a, Name: name, HasPath: strings.Count(a.Resource, "/") > 1}
	e, _, err := w.roleEntity(o, pa)
	if err != nil && !errors.Is(err, ErrNoSuchPrincipal) {
		return r, err
	}
	if err != nil || roleAccount(e.ARN) != a.Account {
		// A role ARN with another path (or another account's role of
		// the same name) is not this role.
		r.read = notFound
		return r, nil
	}
	if e.Trust == nil {
		r.read = notFound
		return r, nil
	}
	r.src = e.Trust
	return r, nil
}

func roleAccount(roleARN string) string {
	a, _ := policy.ParseARN(roleARN)
	return a.Account
}

// bucketPolicy reads the policy of the bucket of an S3 bucket or object ARN
// (S3 ARNs carry no account:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-arn-format.html;
// an object is governed by its bucket's policy).
func (w *walk) bucketPolicy(c *AccountClients, acct, res string, a policy.ARN) (resourceResult, error) {
	var r resourceResult
	bucket, _, _ := strings.Cut(a.Resource, "/")
	if bucket == "" {
		return r, nil
	}
	if c.S3 == nil {
		r.read = policy.Readability{Unreadable: true, Error: "NotConfigured",
			Message: "cannot read the bucket policy of " + bucket + ": no S3 client was configured; give the bucket policy as the resource policy"}
		return r, nil
	}
	var o *s3.GetBucketPolicyOutput
	_, err := w.call("s3:GetBucketPolicy", 0, func(ctx context.Context) error {
		var err error
		o, err = c.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &bucket})
		return err
	})
	if err != nil {
		if f := fatal("s3:GetBucketPolicy", err); f != nil {
			return r, f
		}
		if awserr.Code(err) == "NoSuchBucketPolicy" {
			// No bucket policy: the resource-based layer is absent.
			return r, nil
		}
		r.read = unreadable("the bucket policy of "+bucket, "s3:GetBucketPolicy", err)
		return r, nil
	}
	if o == nil || o.Policy == nil {
		return r, nil
	}
	doc, err := parseDocument(*o.Policy)
	if err != nil {
		return r, fmt.Errorf("parsing the bucket policy of %s: %w", bucket, err)
	}
	r.account = acct
	bucketARN := "arn:" + a.Partition + ":s3:::" + bucket
	r.src = &policy.Source{Layer: policy.LayerResource, ARN: bucketARN, Origin: "resource policy of " + bucketARN, Document: doc}
	return r, nil
}

// keyPolicy reads a KMS key's policy; every key has exactly one, named
// "default" (https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html).
// The call goes to the key's region.
func (w *walk) keyPolicy(c *AccountClients, res string, a policy.ARN) (resourceResult, error) {
	r := resourceResult{account: a.Account}
	if c.KMS == nil {
		r.read = policy.Readability{Unreadable: true, Error: "NotConfigured",
			Message: "cannot read the key policy of " + res + ": no KMS client was configured; give the key policy as the resource policy"}
		return r, nil
	}
	var o *kms.GetKeyPolicyOutput
	_, err := w.call("kms:GetKeyPolicy", 0, func(ctx context.Context) error {
		var err error
		o, err = c.KMS.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: &res, PolicyName: aws.String("default")},
			func(o *kms.Options) {
				if a.Region != "" {
					o.Region = a.Region
				}
			})
		return err
	})
	if err != nil {
		if f := fatal("kms:GetKeyPolicy", err); f != nil {
			return r, f
		}
		r.read = unreadable("the key policy of "+res, "kms:GetKeyPolicy", err)
		return r, nil
	}
	if o == nil || o.Policy == nil {
		return r, fmt.Errorf("calling kms:GetKeyPolicy for %s: the answer holds no policy", res)
	}
	doc, err := parseDocument(*o.Policy)
	if err != nil {
		return r, fmt.Errorf("parsing the key policy of %s: %w", res, err)
	}
	r.src = &policy.Source{Layer: policy.LayerResource, ARN: res, Origin: "resource policy of " + res, Document: doc}
	return r, nil
}

// lastSegment returns what follows the last "/" of s.
func lastSegment(s string) string {
	return s[strings.LastIndexByte(s, '/')+1:]
}

package live

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/iamdiag/iamdiag/internal/awserr"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// VPCEndpointReader reads VPC endpoints and their policies; *ec2.Client
// implements it.
type VPCEndpointReader interface {
	DescribeVpcEndpoints(ctx context.Context, params *ec2.DescribeVpcEndpointsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
}

// vpceResult is the VPC endpoint policy layer of one resolution.
type vpceResult struct {
	src  *policy.Source
	read policy.Readability
}

// vpcEndpoint reads the policy of the VPC endpoint the request went
// through (aws:SourceVpce) with ec2:DescribeVpcEndpoints, in the request's
// region: an endpoint lives in the region of the calls made through it
// (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html).
// EC2 describes only the caller's own endpoints, and an endpoint belongs
// to the account that owns its VPC, which need not be the principal's: with
// Accounts the resource's account is asked first, then the principal's.
// An endpoint no account finds, or one that cannot be read, leaves the
// layer unknown, never allowing.
func (w *walk) vpcEndpoint(req *policy.Request, pa layers.Caller) (vpceResult, error) {
	v, ok := req.Context.Get("aws:SourceVpce")
	if !ok || len(v) == 0 || v[0] == "" {
		return vpceResult{}, nil
	}
	id := v[0]
	region := requestRegion(req)
	var accounts []string
	if w.l.opt.Accounts != nil {
		for _, a := range []string{resourceAccount(req), pa.ARN.Account} {
			if a != "" && !slices.Contains(accounts, a) {
				accounts = append(accounts, a)
			}
		}
		if len(accounts) == 0 {
			// Neither is known: the credentials' own account.
			accounts = []string{""}
		}
	} else {
		accounts = []string{""}
	}
	var failed []string // what each account said, for the message
	var firstRead policy.Readability
	for _, acct := range accounts {
		what := "the policy of VPC endpoint " + id
		var c VPCEndpointReader
		if w.l.opt.Accounts == nil {
			c = w.l.c.EC2
		} else {
			ac, r, err := w.accountClients(acct, what)
			if err != nil {
				return vpceResult{}, err
			}
			if r != nil {
				failed = append(failed, "account "+acct+": "+r.Message)
				if !firstRead.Unreadable {
					firstRead = *r
				}
				continue
			}
			c = ac.EC2
		}
		if c == nil {
			r := policy.Readability{Unreadable: true, Error: "NotConfigured",
				Message: "cannot read the policy of VPC endpoint " + id + ": no EC2 client was configured; read it (aws ec2 describe-vpc-endpoints --vpc-endpoint-ids " + id + ", its PolicyDocument) and give it as the VPC endpoint policy"}
			return vpceResult{read: r}, nil
		}
		src, r, err := w.describeVpcEndpoint(c, id, region, pa.Partition)
		if err != nil || src != nil {
			return vpceResult{src: src}, err
		}
		where := "the credentials' account"
		if acct != "" {
			where = "account " + acct
		}
		failed = append(failed, where+": "+r.Message)
		if !firstRead.Unreadable || (firstRead.Error == "InvalidVpcEndpointId.NotFound" && r.Error != firstRead.Error) {
			// A denial says more than "not found": keep it.
			firstRead = r
		}
	}
	if len(failed) == 1 {
		return vpceResult{read: firstRead}, nil
	}
	firstRead.Message = "cannot read the policy of VPC endpoint " + id + ", which the request went through: " + strings.Join(failed, "; ")
	return vpceResult{read: firstRead}, nil
}

// describeVpcEndpoint calls ec2:DescribeVpcEndpoints for id in region ("":
// the client's). It returns the endpoint's policy, or the readability of a
// failed read; an error only for a failure that ends the resolution.
func (w *walk) describeVpcEndpoint(c VPCEndpointReader, id, region, partition string) (*policy.Source, policy.Readability, error) {
	var (
		o    *ec2.DescribeVpcEndpointsOutput
		used string
	)
	_, err := w.call("ec2:DescribeVpcEndpoints", 0, func(ctx context.Context) error {
		var err error
		o, err = c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}}, func(o *ec2.Options) {
			if region != "" {
				o.Region = region
			}
			used = o.Region
		})
		return err
	})
	inRegion := ""
	if used != "" {
		inRegion = " in " + used
	}
	notFound := policy.Readability{Unreadable: true, Error: "InvalidVpcEndpointId.NotFound",
		Message: "VPC endpoint " + id + " is not found" + inRegion + " (ec2:DescribeVpcEndpoints describes only the caller's own endpoints): the endpoint belongs to the account that owns its VPC; read its policy there (aws ec2 describe-vpc-endpoints --vpc-endpoint-ids " + id + ") and give it as the VPC endpoint policy"}
	if err != nil {
		if f := fatal("ec2:DescribeVpcEndpoints", err); f != nil {
			return nil, policy.Readability{}, f
		}
		if awserr.Code(err) == "InvalidVpcEndpointId.NotFound" {
			return nil, notFound, nil
		}
		return nil, unreadable("the policy of VPC endpoint "+id, "ec2:DescribeVpcEndpoints", err), nil
	}
	for _, ep := range o.VpcEndpoints {
		if aws.ToString(ep.VpcEndpointId) != id {
			continue
		}
		text := aws.ToString(ep.PolicyDocument)
		if strings.TrimSpace(text) == "" {
			// Every interface and gateway endpoint has a policy; a
			// missing one is full access
			// (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html#default-endpoint-policy).
			text = `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
		}
		// EC2 returns the document as plain JSON, not URL-encoded.
		doc, err := policy.Parse([]byte(text))
		if err != nil {
			return nil, policy.Readability{}, fmt.Errorf("parsing the policy of VPC endpoint %s: %w", id, err)
		}
		owner := aws.ToString(ep.OwnerId)
		src := &policy.Source{Layer: policy.LayerVPCEndpoint, Name: id, Origin: "policy of VPC endpoint " + id, Document: doc}
		if policy.IsAccountID(owner) && used != "" {
			if partition == "" {
				partition = "aws"
			}
			src.ARN = "arn:" + partition + ":ec2:" + used + ":" + owner + ":vpc-endpoint/" + id
		}
		return src, policy.Readability{}, nil
	}
	return nil, notFound, nil
}

// requestRegion is the region the request was made in: aws:RequestedRegion,
// else its resource's region; "" when neither says.
func requestRegion(req *policy.Request) string {
	if v, ok := req.Context.Get("aws:RequestedRegion"); ok && len(v) == 1 && v[0] != "" {
		return v[0]
	}
	if a, ok := policy.ParseARN(req.Resource); ok {
		return a.Region
	}
	return ""
}

// resourceAccount is the account of the request's resource: its
// aws:ResourceAccount, else its ARN's; "" when neither says.
func resourceAccount(req *policy.Request) string {
	if v, ok := req.Context.Get("aws:ResourceAccount"); ok && len(v) == 1 && v[0] != "" {
		return v[0]
	}
	if a, ok := policy.ParseARN(req.Resource); ok {
		return a.Account
	}
	return ""
}

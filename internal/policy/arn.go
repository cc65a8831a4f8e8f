package policy

import "strings"

// ARN is an Amazon Resource Name split into its six fields
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html):
// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE. The resource may itself
// hold colons and slashes; region and account may be empty (S3 buckets,
// IAM) and the account may be a word rather than an id ("aws" for AWS
// managed policies).
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// ParseARN splits s into its fields; ok is false when s is not an ARN (no
// "arn:" prefix, fewer than six fields, or an empty partition or service).
func ParseARN(s string) (a ARN, ok bool) {
	rest, found := strings.CutPrefix(s, "arn:")
	if !found {
		return ARN{}, false
	}
	var f [4]string
	for i := range f {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return ARN{}, false
		}
		f[i], rest = rest[:j], rest[j+1:]
	}
	if f[0] == "" || f[1] == "" {
		return ARN{}, false
	}
	return ARN{Partition: f[0], Service: f[1], Region: f[2], Account: f[3], Resource: rest}, true
}

// String joins the fields back into the ARN.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

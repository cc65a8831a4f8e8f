package layers

import (
	"strings"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// arn is an ARN split into its six fields
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html),
// as policy.ParseARN splits it. The package reads these unexported fields
// in many places; the type only renames policy.ARN's.
type arn struct {
	partition, service, region, account, resource string
}

// parseARN splits s with policy.ParseARN; ok is false when s is not an ARN
// or has no partition or no service.
func parseARN(s string) (a arn, ok bool) {
	p, ok := policy.ParseARN(s)
	if !ok || p.Partition == "" || p.Service == "" {
		return arn{}, false
	}
	return arn{partition: p.Partition, service: p.Service, region: p.Region, account: p.Account, resource: p.Resource}, true
}

// lastSegment returns what follows the last "/" of s.
func lastSegment(s string) string {
	return s[strings.LastIndexByte(s, '/')+1:]
}

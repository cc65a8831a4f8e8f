package layers

import "strings"

// arn is an ARN split into its six fields
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
type arn struct {
	partition, service, region, account, resource string
}

// parseARN splits s; ok is false when s is not an ARN.
func parseARN(s string) (a arn, ok bool) {
	rest, found := strings.CutPrefix(s, "arn:")
	if !found {
		return arn{}, false
	}
	var f [4]string
	for i := range f {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return arn{}, false
		}
		f[i], rest = rest[:j], rest[j+1:]
	}
	if f[0] == "" || f[1] == "" {
		return arn{}, false
	}
	return arn{partition: f[0], service: f[1], region: f[2], account: f[3], resource: rest}, true
}

// lastSegment returns what follows the last "/" of s.
func lastSegment(s string) string {
	return s[strings.LastIndexByte(s, '/')+1:]
}

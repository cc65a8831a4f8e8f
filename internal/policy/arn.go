package policy

import "strings"

// ARN is an Amazon Resource Name split into its fields:
// arn:partition:service:region:account-id:resource
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
//
// The resource part is everything after the fifth colon and may itself hold
// colons and slashes ("function:my-fn:1", "log-group:g:log-stream:s"). The
// other fields may be empty: an S3 bucket ARN has neither region nor
// account ("arn:aws:s3:::bucket"), and an IAM ARN has no region. The
// account of an AWS managed policy ARN is "aws"
// ("arn:aws:iam::aws:policy/ReadOnlyAccess"), which is not an account id:
// ParseARN keeps it as written, and callers that want an account id check
// for it.
type ARN struct {
	Partition string
	Service   string
	Region    string
	Account   string
	Resource  string
}

// ParseARN splits s into its fields. ok is true when s starts with "arn:"
// (in lower case: AWS spells the prefix so) and has at least five colons;
// the resource part is then what follows the fifth.
//
// The fields are not validated: any may be empty or hold wildcards, so
// ParseARN splits the ARN patterns of Resource elements and of Principal
// values as well as ARNs. A pattern with fewer than six fields, such as
// "arn:aws:s3:*", is not split (ok is false).
//
// When ok is false but s starts with "arn:", the fields that a colon ends
// are set and the others are empty: ParseARN("arn:aws:s3:x") has Partition
// "aws" and Service "s3", and no Region (no colon follows "x"). Resource is
// set only when ok is true.
func ParseARN(s string) (a ARN, ok bool) {
	var f [5]string
	ok = splitARNFields(s, &f)
	return ARN{Partition: f[0], Service: f[1], Region: f[2], Account: f[3], Resource: f[4]}, ok
}

// splitARNFields is ParseARN writing the partition, service, region,
// account and resource into f, which must be zero, so that the engine's
// resource matching (splitARN) fills its segments in place. It writes
// only the fields that a colon ends, and the resource when ok.
func splitARNFields(s string, f *[5]string) bool {
	rest, found := strings.CutPrefix(s, "arn:")
	if !found {
		return false
	}
	for i := 0; i < 4; i++ {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return false
		}
		f[i], rest = rest[:j], rest[j+1:]
	}
	f[4] = rest
	return true
}

// String returns the ARN in its text form; for an ARN that ParseARN
// returned with ok, it is the text that was parsed.
// AccountID returns the account field when it is a 12-digit account id,
// "" otherwise: S3 ARNs have none, and AWS managed policies have "aws",
// which names no account.
func (a ARN) AccountID() string {
	if IsAccountID(a.Account) {
		return a.Account
	}
	return ""
}

func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

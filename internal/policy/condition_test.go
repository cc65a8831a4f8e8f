package policy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// AWS pages the cases below follow.
const (
	docOperators = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
	docMulti     = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html"
	docVariables = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"
)

// absent marks a context key that the request does not carry.
var absent []string = nil

// condReq builds a request whose context holds ctx; a nil slice leaves the key
// out, an empty non-nil slice sets it present with no values.
func condReq(ctx map[string][]string) *Request {
	r := NewRequest("arn:aws:iam::123456789012:user/alice", "s3:GetObject", "*")
	for k, v := range ctx {
		if v != nil {
			r.Context.Set(k, v...)
		}
	}
	return r
}

type condCase struct {
	name    string
	op      string
	key     string // "k" when empty
	values  []string
	ctx     map[string][]string
	version string // "2012-10-17" when empty; "-" for none
	want    bool
	wantErr bool
	doc     string
}

func one(v string) map[string][]string { return map[string][]string{"k": {v}} }

func many(v ...string) map[string][]string { return map[string][]string{"k": v} }

var missing = map[string][]string{"other": {"x"}}

var emptyList = map[string][]string{"k": {}}

func condCases() []condCase {
	return []condCase{
		// String operators (docOperators#Conditions_String).
		{name: "StringEquals match", op: "StringEquals", values: []string{"a"}, ctx: one("a"), want: true},
		{name: "StringEquals case-sensitive", op: "StringEquals", values: []string{"a"}, ctx: one("A")},
		{name: "StringEquals values are ORed", op: "StringEquals", values: []string{"a", "b"}, ctx: one("b"), want: true},
		{name: "StringEquals key missing", op: "StringEquals", values: []string{"a"}, ctx: missing},
		{name: "StringEquals multivalued, one matches", op: "StringEquals", values: []string{"a"}, ctx: many("x", "a"), want: true, doc: docMulti},
		{name: "StringEquals multivalued, none matches", op: "StringEquals", values: []string{"a"}, ctx: many("x", "y"), doc: docMulti},
		{name: "StringEquals empty list", op: "StringEquals", values: []string{"a"}, ctx: emptyList},
		{name: "StringEquals star is literal", op: "StringEquals", values: []string{"a*"}, ctx: one("abc")},
		{name: "StringEquals star literal match", op: "StringEquals", values: []string{"a*"}, ctx: one("a*"), want: true},
		{name: "StringEquals key case-insensitive", op: "StringEquals", key: "AWS:SourceVPC", values: []string{"vpc-1"}, ctx: map[string][]string{"aws:sourcevpc": {"vpc-1"}}, want: true},
		{name: "StringNotEquals different", op: "StringNotEquals", values: []string{"a"}, ctx: one("b"), want: true},
		{name: "StringNotEquals equal", op: "StringNotEquals", values: []string{"a"}, ctx: one("a")},
		{name: "StringNotEquals is a NOR of values", op: "StringNotEquals", values: []string{"a", "b"}, ctx: one("b")},
		{name: "StringNotEquals key missing is true", op: "StringNotEquals", values: []string{"a"}, ctx: missing, want: true, doc: docOperators},
		{name: "StringNotEquals multivalued, one equal", op: "StringNotEquals", values: []string{"a"}, ctx: many("x", "a")},
		{name: "StringNotEquals multivalued, none equal", op: "StringNotEquals", values: []string{"a"}, ctx: many("x", "y"), want: true},
		{name: "StringNotEquals empty list", op: "StringNotEquals", values: []string{"a"}, ctx: emptyList, want: true},
		{name: "StringEqualsIgnoreCase", op: "StringEqualsIgnoreCase", values: []string{"ABC"}, ctx: one("abc"), want: true},
		{name: "StringEqualsIgnoreCase mismatch", op: "StringEqualsIgnoreCase", values: []string{"ABC"}, ctx: one("abd")},
		{name: "StringNotEqualsIgnoreCase same but case", op: "StringNotEqualsIgnoreCase", values: []string{"ABC"}, ctx: one("abc")},
		{name: "StringNotEqualsIgnoreCase missing", op: "StringNotEqualsIgnoreCase", values: []string{"ABC"}, ctx: missing, want: true},
		{name: "StringLike star", op: "StringLike", values: []string{"t2.*"}, ctx: one("t2.micro"), want: true},
		{name: "StringLike question mark", op: "StringLike", values: []string{"t?.micro"}, ctx: one("t3.micro"), want: true},
		{name: "StringLike question mark needs one char", op: "StringLike", values: []string{"t?.micro"}, ctx: one("t.micro")},
		{name: "StringLike question mark is one rune", op: "StringLike", values: []string{"caf?"}, ctx: one("café"), want: true},
		{name: "StringLike star crosses slashes and colons", op: "StringLike", values: []string{"home/*"}, ctx: one("home/a/b:c"), want: true},
		{name: "StringLike no partial match without wildcard", op: "StringLike", values: []string{"home"}, ctx: one("home/a")},
		{name: "StringLike case-sensitive", op: "StringLike", values: []string{"Home/*"}, ctx: one("home/a")},
		{name: "StringLike key missing", op: "StringLike", values: []string{"*"}, ctx: missing},
		{name: "StringLike star matches empty value", op: "StringLike", values: []string{"*"}, ctx: one(""), want: true},
		{name: "StringNotLike match", op: "StringNotLike", values: []string{"t2.*"}, ctx: one("t2.micro")},
		{name: "StringNotLike no match", op: "StringNotLike", values: []string{"t2.*"}, ctx: one("m5.large"), want: true},
		{name: "StringNotLike key missing", op: "StringNotLike", values: []string{"t2.*"}, ctx: missing, want: true, doc: docOperators},

		// ...IfExists (docOperators#Conditions_IfExists).
		{name: "StringEqualsIfExists missing", op: "StringEqualsIfExists", values: []string{"a"}, ctx: missing, want: true},
		{name: "StringEqualsIfExists present mismatch", op: "StringEqualsIfExists", values: []string{"a"}, ctx: one("b")},
		{name: "StringEqualsIfExists present match", op: "StringEqualsIfExists", values: []string{"a"}, ctx: one("a"), want: true},
		{name: "StringNotEqualsIfExists missing", op: "StringNotEqualsIfExists", values: []string{"a"}, ctx: missing, want: true},
		{name: "StringNotEqualsIfExists present equal", op: "StringNotEqualsIfExists", values: []string{"a"}, ctx: one("a")},
		{name: "StringLikeIfExists present", op: "StringLikeIfExists", values: []string{"t2.*"}, ctx: one("m5.large")},
		{name: "StringEqualsIfExists empty list is present", op: "StringEqualsIfExists", values: []string{"a"}, ctx: emptyList},

		// Set operators (docMulti).
		{name: "ForAllValues subset", op: "ForAllValues:StringEquals", values: []string{"a", "b", "c"}, ctx: many("a", "b"), want: true, doc: docMulti},
		{name: "ForAllValues one outside", op: "ForAllValues:StringEquals", values: []string{"a", "b"}, ctx: many("a", "d"), doc: docMulti},
		{name: "ForAllValues key missing is true", op: "ForAllValues:StringEquals", values: []string{"a"}, ctx: missing, want: true, doc: docMulti},
		{name: "ForAllValues empty list is true", op: "ForAllValues:StringEquals", values: []string{"a"}, ctx: emptyList, want: true, doc: docMulti},
		{name: "ForAllValues StringLike", op: "ForAllValues:StringLike", values: []string{"Created*"}, ctx: many("CreatedBy", "CreatedAt"), want: true},
		{name: "ForAllValues StringNotEquals all outside", op: "ForAllValues:StringNotEquals", values: []string{"a", "b"}, ctx: many("x", "y"), want: true, doc: docMulti},
		{name: "ForAllValues StringNotEquals one inside", op: "ForAllValues:StringNotEquals", values: []string{"a", "b"}, ctx: many("x", "a"), doc: docMulti},
		{name: "ForAllValues StringNotEquals missing", op: "ForAllValues:StringNotEquals", values: []string{"a"}, ctx: missing, want: true},
		{name: "ForAllValues IfExists missing", op: "ForAllValues:StringEqualsIfExists", values: []string{"a"}, ctx: missing, want: true},
		{name: "ForAnyValue one matches", op: "ForAnyValue:StringEquals", values: []string{"a"}, ctx: many("x", "a"), want: true, doc: docMulti},
		{name: "ForAnyValue none matches", op: "ForAnyValue:StringEquals", values: []string{"a"}, ctx: many("x", "y"), doc: docMulti},
		{name: "ForAnyValue key missing is false", op: "ForAnyValue:StringEquals", values: []string{"a"}, ctx: missing, doc: docMulti},
		{name: "ForAnyValue empty list is false", op: "ForAnyValue:StringEquals", values: []string{"a"}, ctx: emptyList},
		{name: "ForAnyValue StringNotEquals one outside", op: "ForAnyValue:StringNotEquals", values: []string{"a", "b"}, ctx: many("a", "x"), want: true, doc: docMulti},
		{name: "ForAnyValue StringNotEquals all inside", op: "ForAnyValue:StringNotEquals", values: []string{"a", "b"}, ctx: many("a", "b"), doc: docMulti},
		{name: "ForAnyValue StringNotLike missing", op: "ForAnyValue:StringNotLike", values: []string{"a*"}, ctx: missing},
		{name: "ForAnyValue StringLikeIfExists missing", op: "ForAnyValue:StringLikeIfExists", values: []string{"a*"}, ctx: missing, want: true},
		{name: "ForAnyValue IfExists present mismatch", op: "ForAnyValue:StringLikeIfExists", values: []string{"a*"}, ctx: many("b")},
		{name: "ForAnyValue ArnLike", op: "ForAnyValue:ArnLike", values: []string{"arn:aws:iam::*:role/Admin"}, ctx: many("arn:aws:iam::1:role/x", "arn:aws:iam::2:role/Admin"), want: true},
		{name: "ForAllValues NumericLessThan", op: "ForAllValues:NumericLessThan", values: []string{"10"}, ctx: many("1", "9.99"), want: true},
		{name: "ForAllValues NumericLessThan one over", op: "ForAllValues:NumericLessThan", values: []string{"10"}, ctx: many("1", "10")},

		// Numeric (docOperators#Conditions_Numeric).
		{name: "NumericLessThanEquals equal", op: "NumericLessThanEquals", key: "s3:max-keys", values: []string{"10"}, ctx: map[string][]string{"s3:max-keys": {"10"}}, want: true},
		{name: "NumericLessThanEquals over", op: "NumericLessThanEquals", values: []string{"10"}, ctx: one("11")},
		{name: "NumericLessThanEquals decimal", op: "NumericLessThanEquals", values: []string{"10"}, ctx: one("9.5"), want: true},
		{name: "NumericLessThan equal is false", op: "NumericLessThan", values: []string{"10"}, ctx: one("10")},
		{name: "NumericEquals decimal spelling", op: "NumericEquals", values: []string{"10"}, ctx: one("10.000"), want: true},
		{name: "NumericEquals leading zeros", op: "NumericEquals", values: []string{"10"}, ctx: one("010"), want: true},
		{name: "NumericEquals exponent", op: "NumericEquals", values: []string{"1.5e2"}, ctx: one("150"), want: true},
		{name: "NumericEquals exact beyond float64", op: "NumericEquals", values: []string{"9007199254740993"}, ctx: one("9007199254740992")},
		{name: "NumericEquals negative zero", op: "NumericEquals", values: []string{"0"}, ctx: one("-0.0"), want: true},
		{name: "NumericGreaterThan negatives", op: "NumericGreaterThan", values: []string{"-2"}, ctx: one("-1"), want: true},
		{name: "NumericGreaterThan small fraction", op: "NumericGreaterThan", values: []string{"0"}, ctx: one("0.001"), want: true},
		{name: "NumericGreaterThanEquals", op: "NumericGreaterThanEquals", values: []string{"0.5"}, ctx: one(".5"), want: true},
		{name: "NumericNotEquals different", op: "NumericNotEquals", values: []string{"5"}, ctx: one("6"), want: true},
		{name: "NumericNotEquals equal", op: "NumericNotEquals", values: []string{"5"}, ctx: one("5.0")},
		{name: "NumericNotEquals missing", op: "NumericNotEquals", values: []string{"5"}, ctx: missing, want: true},
		{name: "NumericLessThan missing", op: "NumericLessThan", values: []string{"5"}, ctx: missing},
		{name: "NumericGreaterThanIfExists missing", op: "NumericGreaterThanIfExists", values: []string{"5"}, ctx: missing, want: true},
		{name: "Numeric policy not a number", op: "NumericLessThan", values: []string{"ten"}, ctx: one("1"), wantErr: true},
		{name: "Numeric policy error even when key missing", op: "NumericLessThan", values: []string{"ten"}, ctx: missing, wantErr: true},
		{name: "Numeric request not a number", op: "NumericLessThan", values: []string{"10"}, ctx: one("1x"), wantErr: true},
		{name: "Numeric takes no variables", op: "NumericEquals", values: []string{"${aws:username}"}, ctx: map[string][]string{"k": {"1"}, "aws:username": {"1"}}, wantErr: true, doc: docOperators},
		{name: "Numeric rejects hex", op: "NumericEquals", values: []string{"0x10"}, ctx: one("16"), wantErr: true},
		{name: "Numeric rejects space", op: "NumericEquals", values: []string{" 1"}, ctx: one("1"), wantErr: true},

		// Date (docOperators#Conditions_Date).
		{name: "DateGreaterThan after", op: "DateGreaterThan", values: []string{"2020-01-01T00:00:01Z"}, ctx: one("2020-06-01T00:00:00Z"), want: true},
		{name: "DateGreaterThan before", op: "DateGreaterThan", values: []string{"2020-01-01T00:00:01Z"}, ctx: one("2019-12-31T23:59:59Z")},
		{name: "DateEquals date only is midnight UTC", op: "DateEquals", values: []string{"2020-01-01"}, ctx: one("2020-01-01T00:00:00Z"), want: true},
		{name: "DateEquals year and month", op: "DateEquals", values: []string{"2020-02"}, ctx: one("2020-02-01T00:00Z"), want: true},
		{name: "DateLessThan zone offset", op: "DateLessThan", values: []string{"2020-01-01T00:00:00+01:00"}, ctx: one("2019-12-31T23:30:00Z")},
		{name: "DateGreaterThan zone offset", op: "DateGreaterThan", values: []string{"2020-01-01T00:00:00+01:00"}, ctx: one("2019-12-31T23:30:00Z"), want: true},
		{name: "DateEquals negative offset", op: "DateEquals", values: []string{"2019-12-31T19:00:00-05:00"}, ctx: one("2020-01-01T00:00:00Z"), want: true},
		{name: "DateEquals compact offset", op: "DateEquals", values: []string{"2020-01-01T01:00:00+0100"}, ctx: one("2020-01-01T00:00:00Z"), want: true},
		{name: "DateGreaterThan fractional seconds", op: "DateGreaterThan", values: []string{"2020-01-01T00:00:00Z"}, ctx: one("2020-01-01T00:00:00.5Z"), want: true},
		{name: "DateEquals fraction of zeros", op: "DateEquals", values: []string{"2020-01-01T00:00:00.000Z"}, ctx: one("2020-01-01T00:00:00Z"), want: true},
		{name: "DateEquals no zone is UTC", op: "DateEquals", values: []string{"2020-01-01T00:00:00"}, ctx: one("2020-01-01T00:00:00Z"), want: true},
		{name: "DateEquals epoch request", op: "DateEquals", key: "aws:EpochTime", values: []string{"2020-01-01T00:00:00Z"}, ctx: map[string][]string{"aws:EpochTime": {"1577836800"}}, want: true},
		{name: "DateLessThan epoch policy", op: "DateLessThan", values: []string{"1577836800"}, ctx: one("2019-12-31T23:59:59Z"), want: true},
		{name: "DateLessThanEquals equal", op: "DateLessThanEquals", values: []string{"2020-01-01T00:00:00Z"}, ctx: one("2020-01-01T00:00:00Z"), want: true},
		{name: "DateGreaterThanEquals equal", op: "DateGreaterThanEquals", values: []string{"2020-01-01T00:00:00Z"}, ctx: one("2020-01-01T00:00:00Z"), want: true},
		{name: "DateNotEquals different", op: "DateNotEquals", values: []string{"2020-01-01"}, ctx: one("2020-01-02"), want: true},
		{name: "DateNotEquals missing", op: "DateNotEquals", values: []string{"2020-01-01"}, ctx: missing, want: true},
		{name: "DateLessThan missing", op: "DateLessThan", values: []string{"2020-01-01"}, ctx: missing},
		{name: "DateLessThanIfExists missing", op: "DateLessThanIfExists", values: []string{"2020-01-01"}, ctx: missing, want: true},
		{name: "Date bad month", op: "DateLessThan", values: []string{"2020-13-01"}, ctx: one("2020-01-01"), wantErr: true},
		{name: "Date bad day", op: "DateLessThan", values: []string{"2021-02-29"}, ctx: one("2020-01-01"), wantErr: true},
		{name: "Date leap day", op: "DateEquals", values: []string{"2020-02-29"}, ctx: one("2020-02-29T00:00:00Z"), want: true},
		{name: "Date words", op: "DateLessThan", values: []string{"yesterday"}, ctx: one("2020-01-01"), wantErr: true},
		{name: "Date bad request", op: "DateLessThan", values: []string{"2020-01-01"}, ctx: one("soon"), wantErr: true},
		{name: "Date wildcard not permitted", op: "DateEquals", values: []string{"2020-*"}, ctx: one("2020-01-01"), wantErr: true},

		// Bool (docOperators#Conditions_Boolean).
		{name: "Bool false", op: "Bool", key: "aws:SecureTransport", values: []string{"false"}, ctx: map[string][]string{"aws:SecureTransport": {"false"}}, want: true},
		{name: "Bool case-insensitive", op: "Bool", values: []string{"TRUE"}, ctx: one("true"), want: true},
		{name: "Bool mismatch", op: "Bool", values: []string{"true"}, ctx: one("false")},
		{name: "Bool missing", op: "Bool", values: []string{"true"}, ctx: missing},
		{name: "BoolIfExists missing", op: "BoolIfExists", values: []string{"true"}, ctx: missing, want: true},
		{name: "Bool policy not boolean", op: "Bool", values: []string{"yes"}, ctx: one("true"), wantErr: true},
		{name: "Bool request not boolean", op: "Bool", values: []string{"true"}, ctx: one("1"), wantErr: true},
		{name: "Bool takes variables", op: "Bool", values: []string{"${aws:x}"}, ctx: map[string][]string{"k": {"true"}, "aws:x": {"true"}}, want: true},

		// Binary (docOperators#Conditions_BinaryEquals).
		{name: "BinaryEquals same bytes", op: "BinaryEquals", values: []string{"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, ctx: one("QmluYXJ5VmFsdWVJbkJhc2U2NA=="), want: true},
		{name: "BinaryEquals unpadded request", op: "BinaryEquals", values: []string{"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, ctx: one("QmluYXJ5VmFsdWVJbkJhc2U2NA"), want: true},
		{name: "BinaryEquals different", op: "BinaryEquals", values: []string{"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, ctx: one("QmluYXJ5"), want: false},
		{name: "BinaryEquals missing", op: "BinaryEquals", values: []string{"QQ=="}, ctx: missing},
		{name: "BinaryEqualsIfExists missing", op: "BinaryEqualsIfExists", values: []string{"QQ=="}, ctx: missing, want: true},
		{name: "BinaryEquals bad base64", op: "BinaryEquals", values: []string{"!!"}, ctx: one("QQ=="), wantErr: true},

		// IP address (docOperators#Conditions_IPAddress).
		{name: "IpAddress in CIDR", op: "IpAddress", key: "aws:SourceIp", values: []string{"203.0.113.0/24"}, ctx: map[string][]string{"aws:SourceIp": {"203.0.113.7"}}, want: true},
		{name: "IpAddress outside CIDR", op: "IpAddress", values: []string{"203.0.113.0/24"}, ctx: one("198.51.100.1")},
		{name: "IpAddress IPv6", op: "IpAddress", values: []string{"203.0.113.0/24", "2001:DB8:1234:5678::/64"}, ctx: one("2001:db8:1234:5678::1"), want: true},
		{name: "IpAddress bare address is /32", op: "IpAddress", values: []string{"203.0.113.7"}, ctx: one("203.0.113.7"), want: true},
		{name: "IpAddress bare address other", op: "IpAddress", values: []string{"203.0.113.7"}, ctx: one("203.0.113.8")},
		{name: "IpAddress bare IPv6 is /128", op: "IpAddress", values: []string{"2001:db8::1"}, ctx: one("2001:db8::2")},
		{name: "IpAddress host bits ignored", op: "IpAddress", values: []string{"203.0.113.7/24"}, ctx: one("203.0.113.200"), want: true},
		{name: "IpAddress IPv4-mapped request", op: "IpAddress", values: []string{"203.0.113.0/24"}, ctx: one("::ffff:203.0.113.9"), want: true},
		{name: "IpAddress family mismatch", op: "IpAddress", values: []string{"0.0.0.0/0"}, ctx: one("2001:db8::1")},
		{name: "IpAddress missing", op: "IpAddress", values: []string{"0.0.0.0/0"}, ctx: missing},
		{name: "NotIpAddress inside", op: "NotIpAddress", values: []string{"203.0.113.0/24"}, ctx: one("203.0.113.7")},
		{name: "NotIpAddress outside", op: "NotIpAddress", values: []string{"203.0.113.0/24"}, ctx: one("198.51.100.1"), want: true},
		{name: "NotIpAddress missing", op: "NotIpAddress", values: []string{"203.0.113.0/24"}, ctx: missing, want: true},
		{name: "NotIpAddressIfExists missing", op: "NotIpAddressIfExists", values: []string{"203.0.113.0/24"}, ctx: missing, want: true},
		{name: "IpAddress bad prefix length", op: "IpAddress", values: []string{"203.0.113.0/33"}, ctx: one("203.0.113.7"), wantErr: true},
		{name: "IpAddress request not an address", op: "IpAddress", values: []string{"203.0.113.0/24"}, ctx: one("athena.amazonaws.com"), wantErr: true},

		// ARN (docOperators#Conditions_ARN).
		{name: "ArnLike region wildcard", op: "ArnLike", key: "aws:SourceArn", values: []string{"arn:aws:sns:*:123456789012:topic"}, ctx: map[string][]string{"aws:SourceArn": {"arn:aws:sns:us-east-1:123456789012:topic"}}, want: true},
		{name: "ArnEquals behaves as ArnLike", op: "ArnEquals", values: []string{"arn:aws:sns:*:123456789012:topic"}, ctx: one("arn:aws:sns:us-east-1:123456789012:topic"), want: true},
		{name: "StringLike crosses segments (doc example)", op: "StringLike", values: []string{"arn:aws:someservice:*:111122223333:finance/*"}, ctx: one("arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"), want: true},
		{name: "ArnLike does not cross segments (doc example)", op: "ArnLike", values: []string{"arn:aws:someservice:*:111122223333:finance/*"}, ctx: one("arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt")},
		{name: "ArnLike resource holds colons", op: "ArnLike", values: []string{"arn:aws:logs:*:*:log-group:/app:*"}, ctx: one("arn:aws:logs:us-east-1:1:log-group:/app:log-stream:x"), want: true},
		{name: "ArnLike case-sensitive", op: "ArnLike", values: []string{"arn:aws:iam::123456789012:role/Admin"}, ctx: one("arn:aws:iam::123456789012:role/admin")},
		{name: "ArnLike request not an ARN", op: "ArnLike", values: []string{"arn:aws:iam::*:role/*"}, ctx: one("not-an-arn"), wantErr: true},
		{name: "ArnNotLike request not an ARN", op: "ArnNotLike", values: []string{"arn:aws:iam::*:role/*"}, ctx: one("not-an-arn"), wantErr: true},
		{name: "ArnNotEquals matching", op: "ArnNotEquals", values: []string{"arn:aws:iam::*:role/*"}, ctx: one("arn:aws:iam::1:role/x")},
		{name: "ArnNotEquals missing", op: "ArnNotEquals", values: []string{"arn:aws:iam::*:role/*"}, ctx: missing, want: true},
		{name: "ArnLike missing", op: "ArnLike", values: []string{"arn:aws:iam::*:role/*"}, ctx: missing},
		{name: "ArnLikeIfExists missing", op: "ArnLikeIfExists", values: []string{"arn:aws:iam::*:role/*"}, ctx: missing, want: true},
		{name: "ArnLike policy not an ARN", op: "ArnLike", values: []string{"*"}, ctx: one("arn:aws:iam::1:role/x"), wantErr: true},

		// Null (docOperators#Conditions_Null).
		{name: "Null true, key missing", op: "Null", key: "aws:TokenIssueTime", values: []string{"true"}, ctx: missing, want: true},
		{name: "Null true, key present", op: "Null", values: []string{"true"}, ctx: one("x")},
		{name: "Null false, key present", op: "Null", values: []string{"false"}, ctx: one("x"), want: true},
		{name: "Null false, key missing", op: "Null", values: []string{"false"}, ctx: missing},
		{name: "Null true, empty list is present", op: "Null", values: []string{"true"}, ctx: emptyList},
		{name: "Null both values", op: "Null", values: []string{"true", "false"}, ctx: missing, want: true},
		{name: "Null bad value", op: "Null", values: []string{"maybe"}, ctx: missing, wantErr: true},
		{name: "NullIfExists does not exist", op: "NullIfExists", values: []string{"true"}, ctx: missing, wantErr: true, doc: docOperators},
		{name: "Null ignores a set prefix", op: "ForAnyValue:Null", values: []string{"true"}, ctx: missing, want: true},
		{name: "Null ignores ForAllValues", op: "ForAllValues:Null", values: []string{"false"}, ctx: missing},

		// Unknown operators.
		{name: "unknown operator", op: "StringEqual", values: []string{"a"}, ctx: one("a"), wantErr: true},
		{name: "operator names are case-sensitive", op: "stringequals", values: []string{"a"}, ctx: one("a"), wantErr: true},
		{name: "empty operator", op: "", values: []string{"a"}, ctx: one("a"), wantErr: true},
		{name: "bare set prefix", op: "ForAllValues:", values: []string{"a"}, ctx: one("a"), wantErr: true},
		{name: "unknown set prefix", op: "ForSomeValues:StringEquals", values: []string{"a"}, ctx: one("a"), wantErr: true},
		{name: "bare IfExists", op: "IfExists", values: []string{"a"}, ctx: missing, wantErr: true},

		// Policy variables in condition values (docVariables).
		{name: "variable in StringLike", op: "StringLike", key: "s3:prefix", values: []string{"home/${aws:username}/*"}, ctx: map[string][]string{"s3:prefix": {"home/alice/docs"}, "aws:username": {"alice"}}, want: true, doc: docVariables},
		{name: "variable in StringLike, other user", op: "StringLike", key: "s3:prefix", values: []string{"home/${aws:username}/*"}, ctx: map[string][]string{"s3:prefix": {"home/bob/docs"}, "aws:username": {"alice"}}},
		{name: "variable literal in 2008 policy", op: "StringLike", key: "s3:prefix", values: []string{"home/${aws:username}/*"}, version: "2008-10-17", ctx: map[string][]string{"s3:prefix": {"home/alice/docs"}, "aws:username": {"alice"}}, doc: docVariables},
		{name: "variable literal without version", op: "StringEquals", values: []string{"${aws:username}"}, version: "-", ctx: map[string][]string{"k": {"${aws:username}"}, "aws:username": {"alice"}}, want: true, doc: docVariables},
		{name: "unresolved variable matches nothing", op: "StringEquals", values: []string{"${aws:username}"}, ctx: one("")},
		{name: "unresolved variable, negated operator", op: "StringNotEquals", values: []string{"${aws:username}"}, ctx: one("alice"), want: true},
		{name: "unresolved variable, other value still counts", op: "StringEquals", values: []string{"${aws:username}", "b"}, ctx: one("b"), want: true},
		{name: "variable default", op: "StringEquals", values: []string{"${aws:PrincipalTag/team, 'none'}"}, ctx: one("none"), want: true, doc: docVariables},
		{name: "multivalued variable unresolved", op: "StringEquals", values: []string{"${aws:TagKeys}"}, ctx: map[string][]string{"k": {"a"}, "aws:TagKeys": {"a", "b"}}, doc: docMulti},
		{name: "special ${*} is a literal star", op: "StringLike", values: []string{"a${*}"}, ctx: one("abc"), doc: docVariables},
		{name: "special ${*} matches a star", op: "StringLike", values: []string{"a${*}"}, ctx: one("a*"), want: true, doc: docVariables},
		{name: "special ${?} matches a question mark", op: "StringLike", values: []string{"${?}*"}, ctx: one("?x"), want: true},
		{name: "substituted star is literal", op: "StringLike", values: []string{"${aws:username}"}, ctx: map[string][]string{"k": {"abc"}, "aws:username": {"a*"}}},
		{name: "substituted star matches itself", op: "StringLike", values: []string{"${aws:username}"}, ctx: map[string][]string{"k": {"a*"}, "aws:username": {"a*"}}, want: true},
		{name: "variable in ArnLike", op: "ArnLike", values: []string{"arn:aws:iam::${aws:PrincipalAccount}:role/*"}, ctx: map[string][]string{"k": {"arn:aws:iam::123456789012:role/x"}, "aws:PrincipalAccount": {"123456789012"}}, want: true},
		{name: "variable in IpAddress is literal", op: "IpAddress", values: []string{"${aws:x}"}, ctx: map[string][]string{"k": {"10.0.0.1"}, "aws:x": {"10.0.0.1"}}, wantErr: true},
	}
}

func (tc condCase) condition() *Condition {
	key := tc.key
	if key == "" {
		key = "k"
	}
	return &Condition{Operator: tc.op, Key: key, Values: tc.values}
}

func (tc condCase) policyVersion() string {
	switch tc.version {
	case "":
		return "2012-10-17"
	case "-":
		return ""
	}
	return tc.version
}

func TestConditionOperators(t *testing.T) {
	for _, tc := range condCases() {
		t.Run(tc.name, func(t *testing.T) {
			c, req, v := tc.condition(), condReq(tc.ctx), tc.policyVersion()
			tr := evalCondition(c, req, v)
			if got := tr.Matched; got != tc.want {
				t.Errorf("%s %s %q with %v: Matched = %v, want %v (Err %q) %s", tc.op, c.Key, tc.values, tc.ctx, got, tc.want, tr.Err, tc.doc)
			}
			if (tr.Err != "") != tc.wantErr {
				t.Errorf("Err = %q, want error: %v", tr.Err, tc.wantErr)
			}
			if got := matchCondition(c, req, v); got != tr.Matched {
				t.Errorf("matchCondition = %v, evalCondition.Matched = %v", got, tr.Matched)
			}
		})
	}
}

func TestEvalConditionTrace(t *testing.T) {
	tests := []struct {
		name string
		c    Condition
		ctx  map[string][]string
		want ConditionTrace
	}{
		{
			name: "values after substitution",
			c:    Condition{Operator: "StringLike", Key: "s3:prefix", Values: []string{"home/${aws:username}/*", "shared/${*}"}},
			ctx:  map[string][]string{"S3:Prefix": {"home/alice/a"}, "aws:username": {"alice"}},
			want: ConditionTrace{Operator: "StringLike", Key: "s3:prefix", PolicyValues: []string{"home/alice/*", "shared/*"},
				RequestValues: []string{"home/alice/a"}, KeyPresent: true, Matched: true},
		},
		{
			name: "unresolved variable kept as written",
			c:    Condition{Operator: "StringEquals", Key: "k", Values: []string{"${aws:username}"}},
			ctx:  map[string][]string{"k": {"x"}},
			want: ConditionTrace{Operator: "StringEquals", Key: "k", PolicyValues: []string{"${aws:username}"},
				RequestValues: []string{"x"}, KeyPresent: true},
		},
		{
			name: "key missing",
			c:    Condition{Operator: "StringNotEquals", Key: "aws:RequestedRegion", Values: []string{"us-east-1"}},
			want: ConditionTrace{Operator: "StringNotEquals", Key: "aws:RequestedRegion", PolicyValues: []string{"us-east-1"}, Matched: true},
		},
		{
			name: "empty list present",
			c:    Condition{Operator: "ForAllValues:StringEquals", Key: "aws:TagKeys", Values: []string{"a"}},
			ctx:  map[string][]string{"aws:TagKeys": {}},
			want: ConditionTrace{Operator: "ForAllValues:StringEquals", Key: "aws:TagKeys", PolicyValues: []string{"a"},
				RequestValues: []string{}, KeyPresent: true, Matched: true},
		},
		{
			name: "unknown operator",
			c:    Condition{Operator: "StringEqualz", Key: "k", Values: []string{"a"}},
			ctx:  map[string][]string{"k": {"a"}},
			want: ConditionTrace{Operator: "StringEqualz", Key: "k", PolicyValues: []string{"a"}, RequestValues: []string{"a"},
				KeyPresent: true, Err: `unknown condition operator "StringEqualz"`},
		},
		{
			name: "bad policy number",
			c:    Condition{Operator: "NumericLessThan", Key: "k", Values: []string{"ten"}},
			ctx:  map[string][]string{"k": {"1"}},
			want: ConditionTrace{Operator: "NumericLessThan", Key: "k", PolicyValues: []string{"ten"}, RequestValues: []string{"1"},
				KeyPresent: true, Err: `NumericLessThan: policy value "ten" is not a number`},
		},
		{
			name: "bad request address",
			c:    Condition{Operator: "NotIpAddress", Key: "aws:SourceIp", Values: []string{"10.0.0.0/8"}},
			ctx:  map[string][]string{"aws:SourceIp": {"AWS Internal"}},
			want: ConditionTrace{Operator: "NotIpAddress", Key: "aws:SourceIp", PolicyValues: []string{"10.0.0.0/8"}, RequestValues: []string{"AWS Internal"},
				KeyPresent: true, Err: `NotIpAddress: request value "AWS Internal" of aws:SourceIp is not an IP address`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := evalCondition(&tc.c, condReq(tc.ctx), "2012-10-17")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("evalCondition mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConditionPrincipalKeys checks that keys describing the caller are read
// from req.Principal when the context lacks them.
func TestConditionPrincipalKeys(t *testing.T) {
	req := NewRequest("arn:aws:sts::123456789012:assumed-role/Dev/alice", "s3:GetObject", "*")
	req.Principal.Tags = map[string]string{"Team": "blue"}
	req.Principal.IAMARN = "arn:aws:iam::123456789012:role/Dev"
	req.Principal.Account = "123456789012"
	req.Principal.OrgPaths = []string{"o-a/r-b/ou-c/", "o-a/r-b/ou-d/"}
	req.Context.Set("s3:prefix", "blue")
	tests := []struct {
		c    Condition
		want bool
	}{
		{Condition{Operator: "StringEquals", Key: "aws:PrincipalTag/team", Values: []string{"blue"}}, true},
		{Condition{Operator: "StringEquals", Key: "aws:PrincipalTag/other", Values: []string{"blue"}}, false},
		{Condition{Operator: "Null", Key: "aws:PrincipalTag/other", Values: []string{"true"}}, true},
		{Condition{Operator: "ArnLike", Key: "aws:PrincipalArn", Values: []string{"arn:aws:iam::*:role/Dev"}}, true},
		{Condition{Operator: "StringEquals", Key: "aws:PrincipalAccount", Values: []string{"123456789012"}}, true},
		{Condition{Operator: "ForAnyValue:StringLike", Key: "aws:PrincipalOrgPaths", Values: []string{"o-a/r-b/ou-d/*"}}, true},
		{Condition{Operator: "Null", Key: "aws:username", Values: []string{"true"}}, true},
		{Condition{Operator: "StringEquals", Key: "s3:prefix", Values: []string{"${aws:PrincipalTag/Team}"}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.c.Operator+" "+tc.c.Key, func(t *testing.T) {
			tr := evalCondition(&tc.c, req, "2012-10-17")
			if tr.Matched != tc.want || tr.Err != "" {
				t.Errorf("Matched = %v (Err %q), want %v", tr.Matched, tr.Err, tc.want)
			}
		})
	}
}

// TestMatchConditionAllocs checks the hot path stays allocation-free when no
// policy variable is involved.
func TestMatchConditionAllocs(t *testing.T) {
	req := condReq(map[string][]string{
		"aws:RequestedRegion": {"eu-west-1"},
		"aws:SourceIp":        {"203.0.113.7"},
		"aws:TagKeys":         {"Owner", "CostCenter"},
		"aws:CurrentTime":     {"2026-11-26T10:00:00Z"},
		"s3:max-keys":         {"10"},
		"aws:SourceArn":       {"arn:aws:sns:us-east-1:123456789012:topic"},
	})
	conds := []Condition{
		{Operator: "StringNotEquals", Key: "aws:RequestedRegion", Values: []string{"us-east-1", "us-west-2"}},
		{Operator: "StringLike", Key: "aws:RequestedRegion", Values: []string{"eu-*"}},
		{Operator: "IpAddress", Key: "aws:SourceIp", Values: []string{"198.51.100.0/24", "203.0.113.0/24"}},
		{Operator: "ForAnyValue:StringEquals", Key: "aws:TagKeys", Values: []string{"CostCenter"}},
		{Operator: "DateLessThan", Key: "aws:CurrentTime", Values: []string{"2027-01-01T00:00:00Z"}},
		{Operator: "NumericLessThanEquals", Key: "s3:max-keys", Values: []string{"100"}},
		{Operator: "ArnLike", Key: "aws:SourceArn", Values: []string{"arn:aws:sns:*:123456789012:*"}},
		{Operator: "Null", Key: "aws:TokenIssueTime", Values: []string{"true"}},
		{Operator: "BoolIfExists", Key: "aws:MultiFactorAuthPresent", Values: []string{"true"}},
	}
	for i := range conds {
		c := &conds[i]
		if !matchCondition(c, req, "2012-10-17") {
			t.Fatalf("%s %s: want a match for the allocation check", c.Operator, c.Key)
		}
		if n := testing.AllocsPerRun(100, func() { matchCondition(c, req, "2012-10-17") }); n != 0 {
			t.Errorf("%s %s: %v allocations per call, want 0", c.Operator, c.Key, n)
		}
	}
}

// TestNegationIsComplement checks, on every table case with a plain negated
// operator, that it is the exact complement of its positive form when the key
// is present and no value is in error.
func TestNegationIsComplement(t *testing.T) {
	pairs := map[string]string{
		"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
		"StringNotLike": "StringLike", "NumericNotEquals": "NumericEquals", "DateNotEquals": "DateEquals",
		"NotIpAddress": "IpAddress", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike",
	}
	n := 0
	for _, tc := range condCases() {
		pos, ok := pairs[tc.op]
		if !ok {
			continue
		}
		req, v := condReq(tc.ctx), tc.policyVersion()
		neg := evalCondition(tc.condition(), req, v)
		pc := tc.condition()
		pc.Operator = pos
		p := evalCondition(pc, req, v)
		if neg.Err != "" || p.Err != "" {
			continue
		}
		n++
		if neg.Matched == p.Matched {
			t.Errorf("%s: %s = %v and %s = %v, want complements", tc.name, tc.op, neg.Matched, pos, p.Matched)
		}
	}
	if n < 10 {
		t.Errorf("only %d negated cases checked", n)
	}
}

func TestArnMatchSegments(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b", true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket2/a", false},
		{"arn:*:iam::*:role/*", "arn:aws-cn:iam::1:role/x", true},
		{"arn:aws:iam::?:role/x", "arn:aws:iam::12:role/x", false},
		{"arn:aws:iam::??:role/x", "arn:aws:iam::12:role/x", true},
		{"arn:aws:*:us-east-1:1:x", "arn:aws:s3:extra:us-east-1:1:x", false},
		{"arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:us-east-1:1:instance/i-1", true},
		{"arn:aws:ec2:*:*:*", "arn:aws:ec2:us-east-1:1:a:b:c", true},
		{"arn:aws:ec2:*:*:*", "arn:aws:ec2:us-east-1:1", false},
	}
	for _, tc := range tests {
		if got := arnMatch(tc.pattern, tc.value); got != tc.want {
			t.Errorf("arnMatch(%q, %q) = %v, want %v", tc.pattern, tc.value, got, tc.want)
		}
	}
}

func TestConditionNilSafety(t *testing.T) {
	if tr := evalCondition(nil, nil, ""); tr.Err == "" || tr.Matched {
		t.Errorf("evalCondition(nil) = %+v, want an error", tr)
	}
	if matchCondition(nil, nil, "") {
		t.Error("matchCondition(nil) = true")
	}
	c := &Condition{Operator: "StringNotEquals", Key: "k", Values: []string{"a"}}
	if !matchCondition(c, nil, "2012-10-17") {
		t.Error("StringNotEquals with a nil request: want true (key missing)")
	}
	req := &Request{}
	if tr := evalCondition(c, req, "2012-10-17"); !tr.Matched || tr.KeyPresent {
		t.Errorf("nil context: %+v", tr)
	}
	long := &Condition{Operator: "StringLike", Key: strings.Repeat("K", 300), Values: []string{"*"}}
	r := condReq(map[string][]string{strings.Repeat("k", 300): {"v"}})
	if !matchCondition(long, r, "2012-10-17") {
		t.Error("a long key is not found case-insensitively")
	}
}

// TestStaleCompiledCondition checks that a condition edited after Parse is
// evaluated as it now reads, not as Parse compiled it.
func TestStaleCompiledCondition(t *testing.T) {
	const doc = `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*",
		"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/a-*"}}}}`
	req := NewRequest("arn:aws:sts::123456789012:assumed-role/b-x/s", "s3:GetObject", "*")
	req.Principal.IAMARN = "arn:aws:iam::123456789012:role/b-x"
	req.Context.Set("test:Arn", "arn:aws:iam::123456789012:role/a-1")
	tests := []struct {
		name string
		edit func(c *Condition)
		want Decision
	}{
		{"unedited", func(*Condition) {}, NotApplicable},
		{"value edited in place", func(c *Condition) { c.Values[0] = "arn:aws:iam::*:role/b-*" }, Denied},
		{"values replaced", func(c *Condition) { c.Values = []string{"arn:aws:iam::*:role/b-*"} }, Denied},
		{"value appended", func(c *Condition) { c.Values = append(c.Values, "arn:aws:iam::*:role/b-*") }, Denied},
		{"operator edited", func(c *Condition) { c.Operator = "ArnNotLike" }, Denied},
		{"key edited", func(c *Condition) { c.Key = "test:arn" }, Denied},
		{"value made invalid", func(c *Condition) { c.Operator, c.Values[0] = "ArnNotLike", "not-an-arn" }, NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, doc)
			_ = Evaluate(d, req, IdentityBased) // use the compiled form once
			tt.edit(&d.Statements[0].Conditions[0])
			if got := Decide(d, req, IdentityBased); got != tt.want {
				t.Errorf("Decide = %v, want %v", got, tt.want)
			}
			if got := Evaluate(d, req, IdentityBased).Decision; got != tt.want {
				t.Errorf("Evaluate = %v, want %v", got, tt.want)
			}
		})
	}
}

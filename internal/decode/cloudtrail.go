package decode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// ctRecord is the part of a CloudTrail record
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html)
// that describes the request.
type ctRecord struct {
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode"`
	ErrorMessage       string          `json:"errorMessage"`
	RecipientAccountID string          `json:"recipientAccountId"`
	VPCEndpointID      string          `json:"vpcEndpointId"`
	TLSDetails         json.RawMessage `json:"tlsDetails"`
	UserIdentity       *struct {
		Type           string `json:"type"`
		PrincipalID    string `json:"principalId"`
		ARN            string `json:"arn"`
		AccountID      string `json:"accountId"`
		InvokedBy      string `json:"invokedBy"`
		SessionContext *struct {
			SessionIssuer *struct {
				Type string `json:"type"`
				ARN  string `json:"arn"`
			} `json:"sessionIssuer"`
			Attributes *struct {
				CreationDate     string `json:"creationDate"`
				MFAAuthenticated string `json:"mfaAuthenticated"`
			} `json:"attributes"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	Resources []struct {
		ARN string `json:"ARN"`
	} `json:"resources"`
	RequestParameters map[string]json.RawMessage `json:"requestParameters"`
}

// denied reports whether the record is a request AWS refused for want of
// permission: errorCode AccessDenied, AccessDeniedException,
// UnauthorizedOperation, Client.UnauthorizedOperation, AuthorizationError…
func (r *ctRecord) denied() bool {
	c := strings.ToLower(r.ErrorCode)
	return strings.Contains(c, "accessdenied") || strings.Contains(c, "unauthorized") ||
		strings.Contains(c, "authorizationerror") || strings.Contains(c, "notauthorized") || c == "forbidden"
}

// FromCloudTrail reads a CloudTrail record: a bare record, a log file
// ({"Records": […]}), a JSON list of records, `aws cloudtrail lookup-events`
// output ({"Events": [{"CloudTrailEvent": "<json>"}]}) or an EventBridge event
// whose "detail" is the record. From a list it takes the first denied record.
//
// The action comes from eventSource and eventName, the principal from
// userIdentity.arn and the role behind a session from
// sessionContext.sessionIssuer.arn, the resource from resources[] or the
// obvious request parameters, the context from the record's fields, and the
// hint from errorMessage.
func FromCloudTrail(data []byte) (*Request, error) {
	if len(data) > MaxInputSize {
		return nil, fmt.Errorf("%w: the CloudTrail input is %d bytes, at most %d are read; give one record", ErrTooLarge, len(data), MaxInputSize)
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: give a CloudTrail record", ErrEmpty)
	}
	rec, err := pickRecord(data)
	if err != nil {
		return nil, err
	}
	return fromRecord(rec), nil
}

func pickRecord(data []byte) (*ctRecord, error) {
	if data[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, fmt.Errorf("%w: reading the CloudTrail records: %w", ErrInvalid, err)
		}
		return firstDenied(list)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("%w: reading the CloudTrail record: %w", ErrInvalid, err)
	}
	switch {
	case top["Records"] != nil:
		var list []json.RawMessage
		if err := json.Unmarshal(top["Records"], &list); err != nil {
			return nil, fmt.Errorf("%w: reading the CloudTrail Records: %w", ErrInvalid, err)
		}
		return firstDenied(list)
	case top["Events"] != nil:
		var events []struct {
			CloudTrailEvent string `json:"CloudTrailEvent"`
		}
		if err := json.Unmarshal(top["Events"], &events); err != nil {
			return nil, fmt.Errorf("%w: reading the lookup-events output: %w", ErrInvalid, err)
		}
		list := make([]json.RawMessage, 0, len(events))
		for _, e := range events {
			list = append(list, json.RawMessage(e.CloudTrailEvent))
		}
		return firstDenied(list)
	case top["detail"] != nil:
		// An EventBridge "AWS API Call via CloudTrail" event.
		return oneRecord(top["detail"])
	case top["eventSource"] != nil || top["eventName"] != nil:
		return oneRecord(data)
	}
	return nil, fmt.Errorf("%w: not a CloudTrail record (no eventSource, Records, Events or detail); give a record from the CloudTrail console or log file", ErrInvalid)
}

func oneRecord(raw json.RawMessage) (*ctRecord, error) {
	var rec ctRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("%w: reading the CloudTrail record: %w", ErrInvalid, err)
	}
	if rec.EventSource == "" && rec.EventName == "" {
		return nil, fmt.Errorf("%w: the CloudTrail record has no eventSource or eventName", ErrInvalid)
	}
	return &rec, nil
}

func firstDenied(list []json.RawMessage) (*ctRecord, error) {
	for _, raw := range list {
		var rec ctRecord
		if err := json.Unmarshal(raw, &rec); err != nil {
			continue
		}
		if rec.denied() {
			return &rec, nil
		}
	}
	return nil, fmt.Errorf("%w: none of its %d records has an AccessDenied or UnauthorizedOperation errorCode", ErrNoDeniedEvent, len(list))
}

// lambdaVersionRE matches the API version Lambda appends to its CloudTrail
// event names ("GetFunction20150331v2", "UpdateFunctionCode20150331v2")
// (https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html).
var lambdaVersionRE = regexp.MustCompile(`^([A-Za-z]+?)\d{8}(?:v\d+)?$`)

func fromRecord(rec *ctRecord) *Request {
	r := &Request{Source: SourceCloudTrail}
	var fromMsg *Request
	if rec.ErrorMessage != "" {
		fromMsg, _ = FromErrorText(rec.ErrorMessage)
	}
	if fromMsg != nil {
		r.Hint = fromMsg.Hint
		r.EncodedMessage = fromMsg.EncodedMessage
		r.AuthorizationID, r.AuthorizationRegion = fromMsg.AuthorizationID, fromMsg.AuthorizationRegion
	}

	// Action. The message's action, when it names one, is what IAM
	// authorized (S3's ListObjects is authorized as s3:ListBucket).
	prefix := eventSourcePrefix(rec.EventSource)
	name := rec.EventName
	if prefix == "lambda" {
		if m := lambdaVersionRE.FindStringSubmatch(name); m != nil {
			name = m[1]
		}
	}
	switch {
	case fromMsg != nil && strings.Contains(fromMsg.Action, ":") && !derived(fromMsg.Missing, "action"):
		r.Action = fromMsg.Action
	case prefix != "" && name != "" && validAction(prefix+":"+name):
		var renamed bool
		r.Action, renamed = actionFor(prefix, name)
		if renamed || name != rec.EventName {
			r.addMissing(fmt.Sprintf("action: %s derived from eventName %q of %s", r.Action, rec.EventName, rec.EventSource))
		}
	default:
		r.addMissing("action")
	}

	// Principal.
	part := "aws"
	if id := rec.UserIdentity; id != nil {
		r.Principal = id.ARN
		r.Account = id.AccountID
		switch {
		case id.ARN == "" && id.Type == "AWSService" && id.InvokedBy != "":
			// A service principal calling on its own behalf
			// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
			r.Principal, r.Account = id.InvokedBy, ""
		case id.ARN == "" && (id.AccountID == "anonymous" || id.PrincipalID == "anonymous"):
			// An anonymous request: S3 records the account as "anonymous".
			r.Principal, r.Account = "anonymous", ""
		}
		if sc := id.SessionContext; sc != nil && sc.SessionIssuer != nil && sc.SessionIssuer.Type == "Role" {
			// The assumed-role ARN drops the role's path; the session
			// issuer is the role with it.
			r.RoleARN = sc.SessionIssuer.ARN
		}
		if p := arnPartition(id.ARN); p != "" {
			part = p
		}
	}
	if p := regionPartition(rec.AWSRegion); p != "" && part == "aws" {
		part = p
	}
	if r.Principal == "" {
		r.addMissing("principal")
	}

	// Resource.
	for _, res := range rec.Resources {
		if res.ARN != "" {
			r.Resource = res.ARN
			break
		}
	}
	if r.Resource == "" && fromMsg != nil && fromMsg.Resource != "" {
		r.Resource = fromMsg.Resource
	}
	if r.Resource == "" {
		if arn, from := resourceFromParameters(rec, prefix, part); arn != "" {
			r.Resource = arn
			r.addMissing(fmt.Sprintf("resource: %s built from requestParameters.%s", arn, from))
		}
	}
	if r.Resource == "" {
		r.addMissing("resource")
	}

	r.Context = recordContext(rec)
	if r.Action == "ec2:RunInstances" {
		r.Context = runInstancesContext(rec, part, r.Context)
	}
	return r
}

// runInstancesContext adds the condition keys that a RunInstances record's
// requestParameters state: the instance type, the subnet, the image and the
// tags requested, which AWS evaluates as ec2:InstanceType, ec2:Subnet,
// ec2:ImageID, aws:RequestTag/KEY and aws:TagKeys
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html#amazonec2-actions-as-permissions,
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ExamplePolicies_EC2.html#iam-example-runinstances),
// so that a fix can pin them.
func runInstancesContext(rec *ctRecord, part string, c *policy.Context) *policy.Context {
	var params struct {
		InstanceType string `json:"instanceType"`
		SubnetID     string `json:"subnetId"`
		InstancesSet struct {
			Items []struct {
				ImageID string `json:"imageId"`
			} `json:"items"`
		} `json:"instancesSet"`
		NetworkInterfaceSet struct {
			Items []struct {
				SubnetID string `json:"subnetId"`
			} `json:"items"`
		} `json:"networkInterfaceSet"`
		TagSpecificationSet struct {
			Items []struct {
				Tags []struct {
					Key   string `json:"key"`
					Value string `json:"value"`
				} `json:"tags"`
			} `json:"items"`
		} `json:"tagSpecificationSet"`
	}
	raw, err := json.Marshal(rec.RequestParameters)
	if err != nil || json.Unmarshal(raw, &params) != nil {
		return c
	}
	if c == nil {
		c = &policy.Context{}
	}
	if params.InstanceType != "" {
		c.Set("ec2:InstanceType", params.InstanceType)
	}
	region, account := rec.AWSRegion, rec.RecipientAccountID
	if account == "" && rec.UserIdentity != nil {
		account = rec.UserIdentity.AccountID
	}
	subnet := params.SubnetID
	for _, ni := range params.NetworkInterfaceSet.Items {
		if subnet == "" {
			subnet = ni.SubnetID
		}
	}
	if subnet != "" && region != "" && policy.IsAccountID(account) {
		c.Set("ec2:Subnet", "arn:"+part+":ec2:"+region+":"+account+":subnet/"+subnet)
	}
	if items := params.InstancesSet.Items; len(items) == 1 && items[0].ImageID != "" {
		c.Set("ec2:ImageID", items[0].ImageID)
	}
	var keys []string
	for _, ts := range params.TagSpecificationSet.Items {
		for _, t := range ts.Tags {
			if t.Key == "" {
				continue
			}
			c.Set("aws:RequestTag/"+t.Key, t.Value)
			if !slices.Contains(keys, t.Key) {
				keys = append(keys, t.Key)
			}
		}
	}
	if len(keys) > 0 {
		c.Set("aws:TagKeys", keys...)
	}
	if c.Len() == 0 {
		return nil
	}
	return c
}

// derived reports whether a Missing list says field was derived or absent.
func derived(missing []string, field string) bool {
	for _, m := range missing {
		if m == field || strings.HasPrefix(m, field+":") {
			return true
		}
	}
	return false
}

// recordContext returns the condition keys whose values the record states
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
func recordContext(rec *ctRecord) *policy.Context {
	c := &policy.Context{}
	if ip := net.ParseIP(rec.SourceIPAddress); ip != nil {
		// sourceIPAddress is a service name ("ec2.amazonaws.com") when a
		// service called on the principal's behalf: then it is no IP.
		c.Set("aws:SourceIp", rec.SourceIPAddress)
	}
	if rec.AWSRegion != "" {
		c.Set("aws:RequestedRegion", rec.AWSRegion)
	}
	if rec.UserAgent != "" {
		c.Set("aws:UserAgent", rec.UserAgent)
	}
	if rec.VPCEndpointID != "" {
		c.Set("aws:SourceVpce", rec.VPCEndpointID)
	}
	if len(rec.TLSDetails) > 0 && string(rec.TLSDetails) != "null" {
		c.Set("aws:SecureTransport", "true")
	}
	if id := rec.UserIdentity; id != nil {
		if id.AccountID != "" && id.AccountID != "anonymous" {
			c.Set("aws:PrincipalAccount", id.AccountID)
		}
		if id.PrincipalID != "" {
			c.Set("aws:userid", id.PrincipalID)
		}
		switch id.Type {
		case "AssumedRole":
			c.Set("aws:PrincipalType", "AssumedRole")
			if sc := id.SessionContext; sc != nil && sc.SessionIssuer != nil && sc.SessionIssuer.ARN != "" {
				c.Set("aws:PrincipalArn", sc.SessionIssuer.ARN)
			}
		case "IAMUser":
			c.Set("aws:PrincipalType", "User")
			if id.ARN != "" {
				c.Set("aws:PrincipalArn", id.ARN)
			}
		case "Root":
			c.Set("aws:PrincipalType", "Account")
			if id.ARN != "" {
				c.Set("aws:PrincipalArn", id.ARN)
			}
		case "FederatedUser":
			c.Set("aws:PrincipalType", "FederatedUser")
		}
		if sc := id.SessionContext; sc != nil && sc.Attributes != nil {
			if v := sc.Attributes.MFAAuthenticated; v == "true" || v == "false" {
				c.Set("aws:MultiFactorAuthPresent", v)
			}
			if sc.Attributes.CreationDate != "" {
				c.Set("aws:TokenIssueTime", sc.Attributes.CreationDate)
			}
		}
	}
	if c.Len() == 0 {
		return nil
	}
	return c
}

// resourceFromParameters builds the resource ARN from request parameters
// that name it unambiguously, and returns it with the parameter's name.
func resourceFromParameters(rec *ctRecord, prefix, part string) (string, string) {
	p := rec.RequestParameters
	str := func(k string) string {
		raw, ok := p[k]
		if !ok {
			return ""
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return ""
		}
		return s
	}
	region, account := rec.AWSRegion, rec.RecipientAccountID
	switch prefix {
	case "s3":
		if b := str("bucketName"); b != "" {
			if k := str("key"); k != "" {
				return "arn:" + part + ":s3:::" + b + "/" + k, "bucketName and key"
			}
			return "arn:" + part + ":s3:::" + b, "bucketName"
		}
	case "lambda":
		if f := str("functionName"); f != "" {
			if strings.HasPrefix(f, "arn:") {
				return f, "functionName"
			}
			if region != "" && account != "" && !strings.Contains(f, ":") {
				return "arn:" + part + ":lambda:" + region + ":" + account + ":function:" + f, "functionName"
			}
		}
	case "dynamodb":
		if t := str("tableName"); t != "" {
			if strings.HasPrefix(t, "arn:") {
				return t, "tableName"
			}
			if region != "" && account != "" {
				return "arn:" + part + ":dynamodb:" + region + ":" + account + ":table/" + t, "tableName"
			}
		}
	case "sqs":
		// https://sqs.REGION.amazonaws.com/ACCOUNT/NAME
		if u := str("queueUrl"); u != "" {
			if m := queueURLRE.FindStringSubmatch(u); m != nil {
				return "arn:" + part + ":sqs:" + m[1] + ":" + m[2] + ":" + m[3], "queueUrl"
			}
		}
	}
	// Any parameter whose name ends in "Arn" and whose value is an ARN
	// (roleArn, topicArn, secretId as an ARN…), first in name order so the
	// choice is stable.
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lk := strings.ToLower(k)
		if strings.HasSuffix(lk, "arn") || lk == "secretid" || lk == "keyid" {
			if v := str(k); strings.HasPrefix(v, "arn:") {
				return v, k
			}
		}
	}
	return "", ""
}

var queueURLRE = regexp.MustCompile(`^https://sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(\d{12})/([A-Za-z0-9_.-]+)$`)

// arnPartition returns the partition of an ARN, or "". An ARN cut short
// after its partition ("arn:aws:") still gives it (see policy.ParseARN).
func arnPartition(arn string) string {
	a, _ := policy.ParseARN(arn)
	return a.Partition
}

// regionPartition returns the partition of a region name.
func regionPartition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return ""
}

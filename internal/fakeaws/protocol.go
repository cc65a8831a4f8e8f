package fakeaws

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// apiError is an AWS error response.
type apiError struct {
	Code    string
	Status  int // 0: the protocol's status for Code
	Message string
}

// response is what ServeHTTP writes.
type response struct {
	status int
	header http.Header
	body   []byte
}

// proto is one wire protocol.
type proto interface {
	// fail renders an error.
	fail(rq *request, e *apiError) *response
	// throttle is the service's throttling error.
	throttle() *apiError
	// deniedCode is the service's access-denied error code.
	deniedCode() string
}

// The awsquery XML namespaces
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html#API_GetRole_Examples,
// https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html#API_GetCallerIdentity_Examples).
const (
	iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
	iamVersion   = "2010-05-08"
	stsVersion   = "2011-06-15"
)

// The awsJson1_1 target prefixes.
const (
	orgTarget = "AWSOrganizationsV20161128."
	kmsTarget = "TrentService."
)

// stsActions are the STS operations; every other awsquery action of an
// unknown Version is IAM's.
var stsActions = map[string]bool{
	"AssumeRole": true, "AssumeRoleWithSAML": true, "AssumeRoleWithWebIdentity": true, "AssumeRoot": true,
	"DecodeAuthorizationMessage": true, "GetAccessKeyInfo": true, "GetCallerIdentity": true,
	"GetDelegatedAccessToken": true, "GetFederationToken": true, "GetSessionToken": true, "GetWebIdentityToken": true,
}

// parse identifies the service and operation of r and reads its
// parameters. The proto is always usable, to render an error.
func (s *Server) parse(r *http.Request, rq *request) (proto, *apiError) {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		var p jsonProto
		switch {
		case strings.HasPrefix(t, orgTarget):
			rq.service, rq.op = "organizations", strings.TrimPrefix(t, orgTarget)
		case strings.HasPrefix(t, kmsTarget):
			rq.service, rq.op, p.lowerMessage = "kms", strings.TrimPrefix(t, kmsTarget), true
		default:
			return p, &apiError{Code: "UnknownOperationException", Message: "fakeaws: unknown X-Amz-Target " + t}
		}
		b, err := readBody(r)
		if err != nil {
			return p, &apiError{Code: "SerializationException", Message: err.Error()}
		}
		rq.body = b
		return p, nil
	}
	if r.Method == http.MethodPost {
		p := queryProto{ns: iamNamespace}
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct != "application/x-www-form-urlencoded" {
			return p, &apiError{Code: "InvalidParameterValue", Message: "fakeaws: an awsquery request needs Content-Type application/x-www-form-urlencoded"}
		}
		b, err := readBody(r)
		if err != nil {
			return p, &apiError{Code: "InvalidParameterValue", Message: err.Error()}
		}
		form, err := url.ParseQuery(string(b))
		if err != nil {
			return p, &apiError{Code: "MalformedQueryString", Message: "fakeaws: " + err.Error()}
		}
		rq.form = form
		rq.op = form.Get("Action")
		if form.Get("Version") == ec2Version {
			rq.service, rq.region = "ec2", signingRegion(r.Header.Get("Authorization"))
			if rq.op == "" {
				return ec2Proto{}, &apiError{Code: "MissingAction", Message: "The request must contain the parameter Action"}
			}
			return ec2Proto{}, nil
		}
		switch v := form.Get("Version"); {
		case v == stsVersion || (v == "" && stsActions[rq.op]):
			rq.service, p.ns = "sts", stsNamespace
		default:
			rq.service = "iam"
		}
		if rq.op == "" {
			return p, &apiError{Code: "MissingAction", Message: "Missing Action"}
		}
		return p, nil
	}
	if p, e, ok := parseToolbox(r, rq); ok {
		return p, e
	}
	// S3, restXml: GET /BUCKET?policy path-style, or BUCKET.localhost
	// virtual-hosted style.
	p := s3Proto{}
	rq.service = "s3"
	bucket, key := splitS3Path(r.URL.Path)
	if h := hostOnly(r.Host); bucket == "" && strings.HasSuffix(h, ".localhost") {
		bucket = strings.TrimSuffix(h, ".localhost")
	}
	rq.bucket = bucket
	if ok, e := parseObject(r, rq, key); ok {
		return p, e
	}
	_, policyQuery := r.URL.Query()["policy"]
	switch {
	case r.Method == http.MethodGet && bucket != "" && key == "" && policyQuery:
		rq.op = "GetBucketPolicy"
	default:
		rq.op = r.Method + " " + r.URL.Path
		return p, &apiError{Code: "NotImplemented", Status: http.StatusNotImplemented, Message: "fakeaws serves only GetBucketPolicy (GET /BUCKET?policy), PutObject, GetObject and HeadObject"}
	}
	return p, nil
}

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("fakeaws: reading the request body: %w", err)
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("fakeaws: the request body is larger than %d bytes", maxBody)
	}
	return b, nil
}

func splitS3Path(p string) (bucket, key string) {
	p = strings.TrimPrefix(p, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

func hostOnly(hostport string) string {
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.Contains(hostport[i:], "]") {
		return hostport[:i]
	}
	return hostport
}

// missingAuth is AWS's answer to an unsigned request.
func missingAuth(p proto) *apiError {
	switch p.(type) {
	case s3Proto:
		return &apiError{Code: "AccessDenied", Status: http.StatusForbidden, Message: "Anonymous access is forbidden for this operation"}
	case jsonProto:
		return &apiError{Code: "MissingAuthenticationTokenException", Status: http.StatusBadRequest, Message: "Missing Authentication Token"}
	}
	return &apiError{Code: "MissingAuthenticationToken", Status: http.StatusForbidden, Message: "Request is missing Authentication Token"}
}

// queryProto is awsquery (IAM, STS).
type queryProto struct{ ns string }

func (queryProto) throttle() *apiError {
	// https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html:
	// ThrottlingException … "Throttling" is the code IAM and STS send.
	return &apiError{Code: "Throttling", Status: http.StatusBadRequest, Message: "Rate exceeded"}
}

func (queryProto) deniedCode() string { return "AccessDenied" }

// ok renders a successful result: <OpResponse xmlns=…><OpResult>…</OpResult>
// <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></OpResponse>.
func (p queryProto) ok(rq *request, result any) *response {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<%sResponse xmlns="%s">`, rq.op, p.ns)
	enc := xml.NewEncoder(&buf)
	if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: rq.op + "Result"}}); err != nil {
		return p.fail(rq, &apiError{Code: "InternalFailure", Status: 500, Message: "fakeaws: encoding the result: " + err.Error()})
	}
	_ = enc.Flush()
	fmt.Fprintf(&buf, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, rq.reqID, rq.op)
	return &response{status: http.StatusOK, header: queryHeader(rq), body: buf.Bytes()}
}

func (p queryProto) fail(rq *request, e *apiError) *response {
	status := e.Status
	if status == 0 {
		status = queryStatus(e.Code)
	}
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>`, p.ns, typ)
	_ = xml.EscapeText(&buf, []byte(e.Code))
	buf.WriteString("</Code><Message>")
	_ = xml.EscapeText(&buf, []byte(e.Message))
	fmt.Fprintf(&buf, "</Message></Error><RequestId>%s</RequestId></ErrorResponse>", rq.reqID)
	return &response{status: status, header: queryHeader(rq), body: buf.Bytes()}
}

func queryHeader(rq *request) http.Header {
	return http.Header{"Content-Type": {"text/xml"}, "X-Amzn-Requestid": {rq.reqID}}
}

// queryStatus is the HTTP status IAM and STS use for an error code
// (https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html).
func queryStatus(code string) int {
	switch code {
	case "AccessDenied", "AccessDeniedException", "MissingAuthenticationToken", "InvalidClientTokenId",
		"ExpiredToken", "SignatureDoesNotMatch", "IncompleteSignature", "NotAuthorized", "OptInRequired":
		return http.StatusForbidden
	case "NoSuchEntity":
		return http.StatusNotFound
	case "InternalFailure", "ServiceFailure":
		return http.StatusInternalServerError
	case "ServiceUnavailable":
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// jsonProto is awsJson1_1 (Organizations, KMS).
type jsonProto struct {
	// lowerMessage: KMS spells the error member "message", Organizations
	// "Message".
	lowerMessage bool
}

func (p jsonProto) throttle() *apiError {
	if p.lowerMessage {
		// https://docs.aws.amazon.com/kms/latest/developerguide/throttling.html
		return &apiError{Code: "ThrottlingException", Status: http.StatusBadRequest, Message: "Rate exceeded"}
	}
	// https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListParents.html#API_ListParents_Errors
	return &apiError{Code: "TooManyRequestsException", Status: http.StatusBadRequest, Message: "AWS Organizations can't complete your request because another request is already in progress. Try again later."}
}

func (jsonProto) deniedCode() string { return "AccessDeniedException" }

func (p jsonProto) ok(rq *request, result any) *response {
	b, err := json.Marshal(result)
	if err != nil {
		return p.fail(rq, &apiError{Code: "InternalFailure", Status: 500, Message: "fakeaws: encoding the result: " + err.Error()})
	}
	return &response{status: http.StatusOK, header: jsonHeader(rq), body: b}
}

func (p jsonProto) fail(rq *request, e *apiError) *response {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
		if strings.Contains(e.Code, "Internal") || e.Code == "ServiceException" {
			status = http.StatusInternalServerError
		}
	}
	m := map[string]string{"__type": e.Code}
	if p.lowerMessage {
		m["message"] = e.Message
	} else {
		m["Message"] = e.Message
	}
	b, _ := json.Marshal(m)
	return &response{status: status, header: jsonHeader(rq), body: b}
}

func jsonHeader(rq *request) http.Header {
	return http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amzn-Requestid": {rq.reqID}}
}

// s3Proto is restXml as S3 speaks it.
type s3Proto struct{}

func (s3Proto) throttle() *apiError {
	// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
	return &apiError{Code: "SlowDown", Status: http.StatusServiceUnavailable, Message: "Please reduce your request rate."}
}

func (s3Proto) deniedCode() string { return "AccessDenied" }

func (s3Proto) ok(rq *request, body []byte) *response {
	h := s3Header(rq)
	h.Set("Content-Type", "application/json")
	return &response{status: http.StatusOK, header: h, body: body}
}

func (s3Proto) fail(rq *request, e *apiError) *response {
	status := e.Status
	if status == 0 {
		status = s3Status(e.Code)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header + "<Error><Code>")
	_ = xml.EscapeText(&buf, []byte(e.Code))
	buf.WriteString("</Code><Message>")
	_ = xml.EscapeText(&buf, []byte(e.Message))
	buf.WriteString("</Message>")
	if rq.bucket != "" {
		buf.WriteString("<BucketName>")
		_ = xml.EscapeText(&buf, []byte(rq.bucket))
		buf.WriteString("</BucketName>")
	}
	fmt.Fprintf(&buf, "<RequestId>%s</RequestId><HostId>fakeaws</HostId></Error>", rq.reqID)
	h := s3Header(rq)
	h.Set("Content-Type", "application/xml")
	return &response{status: status, header: h, body: buf.Bytes()}
}

func s3Header(rq *request) http.Header {
	return http.Header{"X-Amz-Request-Id": {rq.reqID}, "X-Amz-Id-2": {"fakeaws"}}
}

// s3Status is the HTTP status S3 uses for an error code
// (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList).
func s3Status(code string) int {
	switch code {
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled":
		return http.StatusForbidden
	case "NoSuchBucket", "NoSuchBucketPolicy", "NoSuchKey":
		return http.StatusNotFound
	case "InternalError":
		return http.StatusInternalServerError
	case "SlowDown", "ServiceUnavailable":
		return http.StatusServiceUnavailable
	case "NotImplemented":
		return http.StatusNotImplemented
	}
	return http.StatusBadRequest
}

// dispatch runs the operation.
func (s *Server) dispatch(rq *request, p proto) *response {
	switch pp := p.(type) {
	case queryProto:
		h := iamOps[rq.op]
		if rq.service == "sts" {
			h = stsOps[rq.op]
		}
		if h == nil {
			return pp.fail(rq, &apiError{Code: "InvalidAction", Message: fmt.Sprintf("Could not find operation %s for version %s", rq.op, rq.form.Get("Version"))})
		}
		res, e := h(s, rq)
		if e != nil {
			return pp.fail(rq, e)
		}
		return pp.ok(rq, res)
	case jsonProto:
		h := orgOps[rq.op]
		if rq.service == "kms" {
			h = kmsOps[rq.op]
		}
		if h == nil {
			return pp.fail(rq, &apiError{Code: "UnknownOperationException", Message: fmt.Sprintf("fakeaws: %s: %v", rq.op, errUnknownOp)})
		}
		res, e := h(s, rq)
		if e != nil {
			return pp.fail(rq, e)
		}
		return pp.ok(rq, res)
	case ec2Proto:
		h := ec2Ops[rq.op]
		if h == nil {
			return pp.fail(rq, &apiError{Code: "InvalidAction", Message: fmt.Sprintf("The action %s is not valid for this web service.", rq.op)})
		}
		res, e := h(s, rq)
		if e != nil {
			return pp.fail(rq, e)
		}
		return pp.ok(rq, res)
	case restJSONProto:
		return s.toolbox(rq, pp)
	case s3Proto:
		if rq.key != "" {
			return s.object(rq, pp)
		}
		body, e := s.getBucketPolicy(rq)
		if e != nil {
			return pp.fail(rq, e)
		}
		return pp.ok(rq, body)
	}
	return p.fail(rq, &apiError{Code: "InternalFailure", Status: 500, Message: "fakeaws: no protocol"})
}

// opHandler answers one awsquery or awsJson operation with a value to
// encode.
type opHandler func(s *Server, rq *request) (any, *apiError)

// decodeJSON reads an awsJson request body into v.
func decodeJSON(rq *request, v any) *apiError {
	if len(bytes.TrimSpace(rq.body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(rq.body))
	if err := dec.Decode(v); err != nil {
		return &apiError{Code: "SerializationException", Message: "fakeaws: decoding the request: " + err.Error()}
	}
	return nil
}

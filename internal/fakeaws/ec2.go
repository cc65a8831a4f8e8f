package fakeaws

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/iamdiag/iamdiag/internal/layers"
)

// EC2 speaks its own query protocol, "ec2": a form POST like awsquery, but
// the result is not wrapped in an <OpResult> element, lists are <item>
// elements, and errors are <Response><Errors><Error>…
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html,
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
const (
	ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"
	ec2Version   = "2016-11-15"
)

// ec2Proto is the ec2 query protocol.
type ec2Proto struct{}

func (ec2Proto) throttle() *apiError {
	// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/throttling.html
	return &apiError{Code: "RequestLimitExceeded", Status: http.StatusServiceUnavailable, Message: "Request limit exceeded."}
}

// deniedCode is EC2's access-denied code
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html#CommonErrors).
func (ec2Proto) deniedCode() string { return "UnauthorizedOperation" }

// ok renders <OpResponse xmlns=…><requestId>…</requestId>RESULT</OpResponse>,
// result's fields being the response's elements.
func (p ec2Proto) ok(rq *request, result any) *response {
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	if err := enc.Encode(result); err != nil {
		return p.fail(rq, &apiError{Code: "InternalError", Status: 500, Message: "fakeaws: encoding the result: " + err.Error()})
	}
	_ = enc.Flush()
	body := fmt.Appendf(nil, `<%sResponse xmlns="%s"><requestId>%s</requestId>`, rq.op, ec2Namespace, rq.reqID)
	body = append(body, buf.Bytes()...)
	body = fmt.Appendf(body, "</%sResponse>", rq.op)
	return &response{status: http.StatusOK, header: ec2Header(rq), body: body}
}

func (ec2Proto) fail(rq *request, e *apiError) *response {
	status := e.Status
	if status == 0 {
		status = ec2Status(e.Code)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header + "<Response><Errors><Error><Code>")
	_ = xml.EscapeText(&buf, []byte(e.Code))
	buf.WriteString("</Code><Message>")
	_ = xml.EscapeText(&buf, []byte(e.Message))
	fmt.Fprintf(&buf, "</Message></Error></Errors><RequestID>%s</RequestID></Response>", rq.reqID)
	return &response{status: status, header: ec2Header(rq), body: buf.Bytes()}
}

func ec2Header(rq *request) http.Header {
	return http.Header{"Content-Type": {"text/xml;charset=UTF-8"}, "X-Amzn-Requestid": {rq.reqID}}
}

// ec2Status is the HTTP status EC2 uses for an error code.
func ec2Status(code string) int {
	switch code {
	case "UnauthorizedOperation", "AuthFailure", "Blocked", "OptInRequired":
		return http.StatusForbidden
	case "InternalError":
		return http.StatusInternalServerError
	case "RequestLimitExceeded", "Unavailable":
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// ec2Ops are the EC2 operations served.
var ec2Ops = map[string]opHandler{
	"DescribeVpcEndpoints": (*Server).describeVpcEndpoints,
}

// vpcEndpointSet is DescribeVpcEndpoints' result.
type vpcEndpointSet struct {
	XMLName xml.Name          `xml:"vpcEndpointSet"`
	Items   []vpcEndpointItem `xml:"item"`
}

// vpcEndpointItem is one endpoint as EC2 describes it
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpcEndpoint.html).
type vpcEndpointItem struct {
	ID             string `xml:"vpcEndpointId"`
	State          string `xml:"state"`
	PolicyDocument string `xml:"policyDocument,omitempty"`
	OwnerID        string `xml:"ownerId,omitempty"`
}

// describeVpcEndpoints answers DescribeVpcEndpoints from the snapshot's
// vpc_endpoints (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcEndpoints.html):
// the endpoints named by VpcEndpointId.N, or every endpoint of the
// request's region when none is named. An endpoint is found only in its
// region (the region the request was signed for): EC2 is regional. A
// named endpoint that is not found fails the whole call with
// InvalidVpcEndpointId.NotFound, as EC2 does. Filters are not served.
func (s *Server) describeVpcEndpoints(rq *request) (any, *apiError) {
	region := rq.region
	inRegion := func(ep layers.VPCEndpoint) bool { return ep.Region == "" || region == "" || ep.Region == region }
	var ids []string
	for i := 1; ; i++ {
		id := rq.form.Get("VpcEndpointId." + strconv.Itoa(i))
		if id == "" {
			break
		}
		ids = append(ids, id)
	}
	out := vpcEndpointSet{Items: []vpcEndpointItem{}}
	if len(ids) == 0 {
		for id, ep := range s.snap.VPCEndpoints {
			if inRegion(ep) {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
	}
	for _, id := range ids {
		ep, ok := s.snap.VPCEndpoints[id]
		if !ok || !inRegion(ep) {
			return nil, &apiError{Code: "InvalidVpcEndpointId.NotFound", Message: "The Vpc Endpoint Id '" + id + "' does not exist"}
		}
		out.Items = append(out.Items, vpcEndpointItem{ID: id, State: "available", PolicyDocument: docText(ep.Policy),
			OwnerID: orDefault(ep.OwnerID, s.account)})
	}
	return out, nil
}

// signingRegion is the region of a SigV4 Authorization header's
// Credential scope (AKID/DATE/REGION/SERVICE/aws4_request), "" when it has
// none.
func signingRegion(auth string) string {
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	parts := strings.SplitN(rest, "/", 4)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

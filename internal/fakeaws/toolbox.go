package fakeaws

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/iamdiag/iamdiag/internal/authrecord"
)

// IAM Toolbox is REST JSON
// (https://docs.aws.amazon.com/iam-toolbox/latest/APIReference/API_GetRequestAuthorizationDetails.html):
// GET /authorization-details/{authorizationId}?nextToken=… and GET
// /authorization-details/{authorizationId}/policy?policyUri=…, answered
// with JSON, errors named by X-Amzn-Errortype. The server serves the
// records of Options.Records by ID, one evaluation a page; an ID it does
// not hold is ResourceNotFoundException, as an expired one is.

// toolboxService is the Call.Service of IAM Toolbox calls.
const toolboxService = "iam-toolbox"

// restJSONProto is REST JSON as IAM Toolbox speaks it.
type restJSONProto struct{}

func (restJSONProto) throttle() *apiError {
	return &apiError{Code: "ThrottlingException", Status: http.StatusTooManyRequests, Message: "Rate exceeded"}
}

func (restJSONProto) deniedCode() string { return "AccessDeniedException" }

func (p restJSONProto) ok(rq *request, result any) *response {
	b, err := json.Marshal(result)
	if err != nil {
		return p.fail(rq, &apiError{Code: "InternalServerException", Status: 500, Message: "fakeaws: encoding the result: " + err.Error()})
	}
	return &response{status: http.StatusOK, header: restJSONHeader(rq), body: b}
}

func (restJSONProto) fail(rq *request, e *apiError) *response {
	status := e.Status
	if status == 0 {
		switch e.Code {
		case "AccessDeniedException":
			status = http.StatusForbidden
		case "ResourceNotFoundException":
			status = http.StatusNotFound
		case "ThrottlingException":
			status = http.StatusTooManyRequests
		case "InternalServerException", "InternalFailure":
			status = http.StatusInternalServerError
		default:
			status = http.StatusBadRequest
		}
	}
	b, _ := json.Marshal(map[string]string{"message": e.Message})
	h := restJSONHeader(rq)
	h.Set("X-Amzn-Errortype", e.Code)
	return &response{status: status, header: h, body: b}
}

func restJSONHeader(rq *request) http.Header {
	return http.Header{"Content-Type": {"application/json"}, "X-Amzn-Requestid": {rq.reqID}}
}

// parseToolbox recognises an IAM Toolbox call; ok is false for any other
// request.
func parseToolbox(r *http.Request, rq *request) (p proto, e *apiError, ok bool) {
	rest, found := strings.CutPrefix(r.URL.Path, "/authorization-details/")
	if !found {
		return nil, nil, false
	}
	p = restJSONProto{}
	rq.service = toolboxService
	id, sub, _ := strings.Cut(rest, "/")
	rq.form = url.Values{"authorizationId": {id}}
	for k, v := range r.URL.Query() {
		rq.form[k] = v
	}
	switch {
	case r.Method == http.MethodGet && sub == "":
		rq.op = "GetRequestAuthorizationDetails"
	case r.Method == http.MethodGet && sub == "policy":
		rq.op = "GetRequestAuthorizationPolicy"
	default:
		rq.op = r.Method + " " + r.URL.Path
		return p, &apiError{Code: "UnknownOperationException", Status: http.StatusNotFound, Message: "fakeaws: no IAM Toolbox operation at " + r.Method + " " + r.URL.Path}, true
	}
	return p, nil, true
}

// toolbox answers an IAM Toolbox operation.
func (s *Server) toolbox(rq *request, p restJSONProto) *response {
	id := rq.form.Get("authorizationId")
	rec := s.opts.Records[id]
	if rec == nil {
		return p.fail(rq, &apiError{Code: "ResourceNotFoundException", Message: "The requested authorization details do not exist in this region or have expired."})
	}
	if rq.op == "GetRequestAuthorizationPolicy" {
		uri := rq.form.Get("policyUri")
		doc, ok := rec.Documents[uri]
		if !ok {
			return p.fail(rq, &apiError{Code: "ResourceNotFoundException", Message: "No evaluated policy " + uri + " for this authorization ID."})
		}
		return p.ok(rq, map[string]json.RawMessage{"policyDocument": doc})
	}
	i := 0
	if t := rq.form.Get("nextToken"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n <= 0 || n >= len(rec.Evaluations) {
			return p.fail(rq, &apiError{Code: "ValidationException", Message: "Invalid nextToken."})
		}
		i = n
	}
	page := authrecord.DetailsPage{RequestContext: rec.RequestContext, Policies: rec.Policies}
	if i < len(rec.Evaluations) {
		page.Evaluations = rec.Evaluations[i : i+1]
	}
	if i+1 < len(rec.Evaluations) {
		page.NextToken = strconv.Itoa(i + 1)
	}
	return p.ok(rq, page)
}

// Package toolbox is a small client of the IAM Toolbox API
// (https://docs.aws.amazon.com/iam-toolbox/latest/APIReference/API_Operations.html):
// GetRequestAuthorizationDetails and GetRequestAuthorizationPolicy, REST
// JSON over HTTPS, signed with SigV4 under the signing name "iam", at
// iam-toolbox.REGION.amazonaws.com.
//
// The SDK module github.com/aws/aws-sdk-go-v2/service/iamtoolbox is not
// served by the module proxy iamdiag builds from, so this client is built on
// the SDK's own parts: the configuration config.LoadDefaultConfig resolved
// (credential chain, profiles, region, AWS_ENDPOINT_URL), the SigV4 signer
// (aws/signer/v4) and the configured retryer (aws/retry). It implements
// authrecord.Client; moving to the official module is replacing this one
// file with a wrapper of iamtoolbox.Client.
package toolbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/iamdiag/iamdiag/internal/authrecord"
)

// ServiceID is the service's SDK id; its endpoint variable is
// AWS_ENDPOINT_URL_IAM_TOOLBOX
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
const ServiceID = "IAM Toolbox"

// signingName is the SigV4 service name of IAM Toolbox (its model's
// aws.auth#sigv4 trait names "iam").
const signingName = "iam"

// endpointEnv is the service-specific endpoint variable.
const endpointEnv = "AWS_ENDPOINT_URL_IAM_TOOLBOX"

// maxBody bounds a response: a record or a policy document.
const maxBody = 8 << 20

// Client calls IAM Toolbox in one region.
type Client struct {
	cfg      aws.Config
	region   string
	endpoint string
	signer   *v4.Signer
}

var _ authrecord.Client = (*Client)(nil)

// New returns a client for region ("" is cfg.Region). The endpoint is
// AWS_ENDPOINT_URL_IAM_TOOLBOX, else cfg.BaseEndpoint (AWS_ENDPOINT_URL,
// the profile's endpoint_url), unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
// is true, else https://iam-toolbox.REGION.amazonaws.com (.com.cn in
// China).
func New(cfg aws.Config, region string) *Client {
	if region == "" {
		region = cfg.Region
	}
	c := &Client{cfg: cfg, region: region, signer: v4.NewSigner()}
	ignore := strings.EqualFold(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true")
	switch {
	case !ignore && os.Getenv(endpointEnv) != "":
		c.endpoint = os.Getenv(endpointEnv)
	case !ignore && cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != "":
		c.endpoint = *cfg.BaseEndpoint
	case strings.HasPrefix(region, "cn-"):
		c.endpoint = "https://iam-toolbox." + region + ".amazonaws.com.cn"
	default:
		c.endpoint = "https://iam-toolbox." + region + ".amazonaws.com"
	}
	c.endpoint = strings.TrimRight(c.endpoint, "/")
	return c
}

// Region is the region the client calls.
func (c *Client) Region() string { return c.region }

// GetRequestAuthorizationDetails calls GET
// /authorization-details/{authorizationId}?nextToken=….
func (c *Client) GetRequestAuthorizationDetails(ctx context.Context, id, nextToken string) (*authrecord.DetailsPage, error) {
	u := c.endpoint + "/authorization-details/" + url.PathEscape(id)
	if nextToken != "" {
		u += "?nextToken=" + url.QueryEscape(nextToken)
	}
	body, err := c.call(ctx, "GetRequestAuthorizationDetails", u)
	if err != nil {
		return nil, err
	}
	var page authrecord.DetailsPage
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, opError("GetRequestAuthorizationDetails", fmt.Errorf("decoding the response: %w", err))
	}
	return &page, nil
}

// GetRequestAuthorizationPolicy calls GET
// /authorization-details/{authorizationId}/policy?policyUri=… and returns
// the document as evaluated.
func (c *Client) GetRequestAuthorizationPolicy(ctx context.Context, id, uri string) (json.RawMessage, error) {
	u := c.endpoint + "/authorization-details/" + url.PathEscape(id) + "/policy?policyUri=" + url.QueryEscape(uri)
	body, err := c.call(ctx, "GetRequestAuthorizationPolicy", u)
	if err != nil {
		return nil, err
	}
	// The document is a Smithy document type: a JSON object. Its member
	// is policyDocument; document and policy are accepted too.
	var out map[string]json.RawMessage
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, opError("GetRequestAuthorizationPolicy", fmt.Errorf("decoding the response: %w", err))
	}
	for _, k := range []string{"policyDocument", "document", "policy"} {
		if d, ok := out[k]; ok && len(d) > 0 && string(d) != "null" {
			return d, nil
		}
	}
	return nil, opError("GetRequestAuthorizationPolicy", errors.New("the response holds no policyDocument"))
}

// emptyHash is the SHA-256 of an empty payload.
var emptyHash = func() string { h := sha256.Sum256(nil); return hex.EncodeToString(h[:]) }()

// call sends a signed GET, retrying as the configured retryer says.
func (c *Client) call(ctx context.Context, op, u string) ([]byte, error) {
	retryer := retryerOf(c.cfg)
	for attempt := 1; ; attempt++ {
		body, err := c.once(ctx, op, u)
		if err == nil {
			return body, nil
		}
		if ctx.Err() != nil || attempt >= retryer.MaxAttempts() || !retryer.IsErrorRetryable(err) {
			return nil, classify(opError(op, err))
		}
		if _, terr := retryer.GetRetryToken(ctx, err); terr != nil {
			return nil, classify(opError(op, err))
		}
		delay, derr := retryer.RetryDelay(attempt, err)
		if derr != nil {
			return nil, classify(opError(op, err))
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, opError(op, ctx.Err())
		case <-t.C:
		}
	}
}

// retryerOf returns the configured retryer, or the SDK's standard one.
func retryerOf(cfg aws.Config) aws.Retryer {
	if cfg.Retryer != nil {
		if r := cfg.Retryer(); r != nil {
			return r
		}
	}
	return defaultRetryer()
}

// once makes one attempt.
func (c *Client) once(ctx context.Context, op, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if c.cfg.Credentials == nil {
		return nil, errors.New("no AWS credentials are configured")
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("retrieving AWS credentials: %w", err)
	}
	if err := c.signer.SignHTTP(ctx, creds, req, emptyHash, signingName, c.region, time.Now().UTC()); err != nil {
		return nil, fmt.Errorf("signing the request: %w", err)
	}
	hc := c.cfg.HTTPClient
	if hc == nil {
		hc = awshttp.NewBuildableClient()
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &smithy.OperationError{ServiceID: ServiceID, OperationName: op, Err: &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{Err: err}}}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("reading the response: %w", err)
	}
	if resp.StatusCode/100 == 2 {
		return body, nil
	}
	return nil, &awshttp.ResponseError{
		RequestID:     resp.Header.Get("X-Amzn-Requestid"),
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: apiError(resp, body)},
	}
}

// apiError reads a REST JSON error: the code from X-Amzn-Errortype or the
// body's __type / code (without a namespace or a ":" suffix), the message
// from message / Message.
func apiError(resp *http.Response, body []byte) *smithy.GenericAPIError {
	var b struct {
		Type     string `json:"__type"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.NewDecoder(bytes.NewReader(body)).Decode(&b)
	code := resp.Header.Get("X-Amzn-Errortype")
	for _, c := range []string{b.Type, b.Code} {
		if code == "" {
			code = c
		}
	}
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	if code == "" {
		code = http.StatusText(resp.StatusCode)
	}
	msg := b.Message
	if msg == "" {
		msg = b.MessageU
	}
	fault := smithy.FaultClient
	if resp.StatusCode >= 500 {
		fault = smithy.FaultServer
	}
	return &smithy.GenericAPIError{Code: code, Message: msg, Fault: fault}
}

func opError(op string, err error) error {
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		return err
	}
	return &smithy.OperationError{ServiceID: ServiceID, OperationName: op, Err: err}
}

// classify marks the failures the diagnosis names in its fallback line
// with authrecord's errors, by AWS error code
// (https://docs.aws.amazon.com/iam-toolbox/latest/APIReference/API_GetRequestAuthorizationDetails.html#API_GetRequestAuthorizationDetails_Errors),
// and a region without an endpoint by the DNS failure.
func classify(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ResourceNotFoundException":
			return fmt.Errorf("%w: %w", authrecord.ErrNotFound, err)
		case "AccessDeniedException", "AccessDenied":
			return fmt.Errorf("%w: %w", authrecord.ErrAccessDenied, err)
		case "ValidationException":
			return fmt.Errorf("%w: %w", authrecord.ErrInvalid, err)
		}
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return fmt.Errorf("%w: %w", authrecord.ErrUnsupportedRegion, err)
	}
	return err
}

// defaultRetryer is the SDK's standard retryer, for a configuration that
// names none.
func defaultRetryer() aws.Retryer { return retry.NewStandard() }

// Records fetches AWS's records through IAM Toolbox with one AWS
// configuration: it is the diagnosis's RecordFetcher.
type Records struct {
	// Config is the SDK configuration (credentials, region, endpoints,
	// retryer, HTTP client).
	Config aws.Config
}

// FetchRecord fetches the record of id, with every evaluated document, in
// region ("" is the configuration's).
func (r Records) FetchRecord(ctx context.Context, id, region string) (*authrecord.Record, error) {
	return authrecord.Fetch(ctx, New(r.Config, region), id)
}

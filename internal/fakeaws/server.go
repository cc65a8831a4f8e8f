package fakeaws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/iamdiag/iamdiag/internal/authrecord"
	"github.com/iamdiag/iamdiag/internal/layers"
)

// Failure is an error the server answers instead of the operation's result.
type Failure struct {
	// Code is the AWS error code, e.g. "NoSuchEntity", "ExpiredToken",
	// "InvalidClientTokenId", "AccessDeniedException".
	Code string
	// Status is the HTTP status; 0 means the status the service uses for
	// Code (403 for AccessDenied on IAM/STS/S3, 404 for NoSuchEntity, 400
	// for the JSON services …).
	Status int
	// Message is the error message; empty means a generic one naming the
	// operation.
	Message string
	// Times limits the failure to the first Times calls of the operation;
	// 0 means every call.
	Times int
}

// Options is one test scenario. Maps are keyed by operation name
// ("ListParents", "SimulatePrincipalPolicy") or, where a name is shared by
// two services, "service:Operation" ("organizations:ListPolicies"); the
// qualified key wins. The zero value serves the snapshot faithfully.
type Options struct {
	// PageSize caps every paginated list at this many items per page, on top
	// of the client's MaxItems / MaxResults; 0 means the service default
	// (IAM 100, Organizations 20). Tests use 1 to prove the client follows
	// Marker / NextToken.
	PageSize int
	// Latency is slept before answering each call (the sleep ends early
	// when the client gives up).
	Latency time.Duration
	// Throttle fails the first N calls of an operation with the service's
	// throttling error (Throttling for IAM and STS, TooManyRequestsException
	// for Organizations, ThrottlingException for KMS, SlowDown for S3),
	// which the SDK's standard retryer retries.
	Throttle map[string]int
	// Deny fails every call of an operation with the given error code
	// ("AccessDenied", "AccessDeniedException"; "" means the service's
	// usual access-denied code) and a message in AWS's style.
	Deny map[string]string
	// Errors fails calls of an operation with any error.
	Errors map[string]Failure
	// Malformed answers an operation with HTTP 200 and the first half of
	// the real body, which the SDK's deserializer must reject. (S3
	// GetBucketPolicy returns the bare document, so there the client gets
	// half a policy, as it would from a broken proxy.)
	Malformed map[string]bool
	// CallerARN is who GetCallerIdentity says the caller is, and the
	// principal named in AccessDenied messages; empty means
	// arn:aws:sts::ACCOUNT:assumed-role/iamdiag/fakeaws for the snapshot's
	// account.
	CallerARN string
	// SimulateOverride, when set, sees every SimulatePrincipalPolicy
	// evaluation result the server computed with iamdiag's engine and
	// returns the one to send: a test of the cross-check's disagreement path
	// returns a different decision.
	SimulateOverride func(q SimulateQuery, computed SimulateAnswer) SimulateAnswer
	// Records are the authorization records IAM Toolbox serves, by
	// authorization ID (see toolbox.go).
	Records map[string]*authrecord.Record
}

// Call records one HTTP request the server answered.
type Call struct {
	// Service is "iam", "sts", "organizations", "s3", "kms", "ec2" or "" when the
	// request named no known service.
	Service string
	// Op is the operation name, e.g. "GetRole".
	Op string
	// Start is when the request arrived; End when the response was about to
	// be written, after the injected latency.
	Start, End time.Time
	// Status is the HTTP status answered.
	Status int
	// AccessKeyID is the access key named in the SigV4 Authorization
	// header's Credential, empty when the header had none.
	AccessKeyID string
}

// Server is a fake AWS endpoint serving one snapshot. It is an
// http.Handler; Start serves it on 127.0.0.1. It is safe for concurrent use.
type Server struct {
	opts    Options
	snap    *layers.Snapshot
	loadErr error
	account string
	iam     *iamData
	org     *orgData
	res     *resourceData
	objects objectStore

	mu     sync.Mutex
	calls  map[string]int // by Op
	perKey map[string]int // by service:Op, for Throttle and Failure.Times
	log    []Call
	tokens map[string][]byte
	nextID uint64

	srv *http.Server
	url string
}

// New returns a server for snap (which it copies: later changes to snap do
// not show) and the scenario opts. A nil snap serves an empty account. A
// snapshot that does not load (see layers.Load) makes every call fail with
// InternalFailure naming the problem, so a test notices at once.
func New(snap *layers.Snapshot, opts Options) *Server {
	s := &Server{
		opts:   opts,
		calls:  map[string]int{},
		perKey: map[string]int{},
		tokens: map[string][]byte{},
	}
	s.snap, s.loadErr = copySnapshot(snap)
	if s.loadErr != nil {
		return s
	}
	s.account = s.snap.AccountID
	s.iam = newIAMData(s.snap)
	s.org = newOrgData(s.snap)
	s.res = newResourceData(s.snap)
	if s.opts.CallerARN == "" {
		s.opts.CallerARN = "arn:aws:sts::" + orDefault(s.account, "123456789012") + ":assumed-role/iamdiag/fakeaws"
	}
	return s
}

// NewFromFile is New on the snapshot file at path.
func NewFromFile(path string, opts Options) (*Server, error) {
	snap, err := layers.LoadFile(path)
	if err != nil {
		return nil, err
	}
	s := New(snap, opts)
	if s.loadErr != nil {
		return nil, s.loadErr
	}
	return s, nil
}

// copySnapshot returns an indexed private copy of snap.
func copySnapshot(snap *layers.Snapshot) (*layers.Snapshot, error) {
	if snap == nil {
		snap = &layers.Snapshot{Format: layers.Format}
	}
	b, err := snap.Marshal()
	if err != nil {
		return nil, fmt.Errorf("copying snapshot: %w", err)
	}
	c, err := layers.Load(strings.NewReader(string(b)))
	if err != nil {
		return nil, fmt.Errorf("copying snapshot: %w", err)
	}
	return c, nil
}

// Start serves on a free port of 127.0.0.1 and returns the base URL
// ("http://127.0.0.1:PORT"), like httptest.NewServer. It panics when no
// port can be bound, as httptest does.
func (s *Server) Start() string {
	u, err := s.StartAt("127.0.0.1:0")
	if err != nil {
		panic("fakeaws: " + err.Error())
	}
	return u
}

// StartAt serves on addr, which must be a loopback address (127.0.0.1:PORT,
// [::1]:PORT or localhost:PORT), and returns the base URL.
func (s *Server) StartAt(addr string) (string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("parsing address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("serving on %q: fakeaws serves only loopback addresses", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listening on %s: %w", addr, err)
	}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	s.url = "http://" + ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	return s.url, nil
}

// URL is the base URL Start returned, empty before Start.
func (s *Server) URL() string { return s.url }

// Close stops serving and closes open connections.
func (s *Server) Close() {
	if s.srv != nil {
		_ = s.srv.Close()
	}
}

// Calls returns how many requests each operation received, by operation
// name, including failed and retried ones.
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// TotalCalls returns the number of requests received.
func (s *Server) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.log)
}

// Log returns every request received, in arrival order.
func (s *Server) Log() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.log...)
}

// Reset forgets the counters, the log and the throttling and failure
// counts (issued Encode tokens stay valid).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[string]int{}
	s.perKey = map[string]int{}
	s.log = nil
}

// RoundTrips returns the number of sequential round trips on the critical
// path of the calls logged so far: the length of the longest chain of calls
// each of which arrived after the previous one's response was written. Calls
// that overlap in time (made concurrently) never count twice, calls made one
// after another always do, so a client that waits for each answer before
// the next call scores its call count and a client that fans out scores the
// depth of its dependency chain. With Options.Latency set, wall time is
// about RoundTrips × Latency. A retried call counts once per attempt.
func (s *Server) RoundTrips() int {
	return criticalPath(s.Log())
}

// criticalPath is the longest chain c1, c2, … with ci.End <= ci+1.Start.
func criticalPath(calls []Call) int {
	n := len(calls)
	if n == 0 {
		return 0
	}
	byStart := make([]int, n)
	byEnd := make([]int, n)
	for i := range calls {
		byStart[i], byEnd[i] = i, i
	}
	sort.SliceStable(byStart, func(a, b int) bool {
		ca, cb := &calls[byStart[a]], &calls[byStart[b]]
		if !ca.Start.Equal(cb.Start) {
			return ca.Start.Before(cb.Start)
		}
		return ca.End.Before(cb.End)
	})
	sort.SliceStable(byEnd, func(a, b int) bool { return calls[byEnd[a]].End.Before(calls[byEnd[b]].End) })
	depth := make([]int, n)
	done := make([]bool, n)
	best, finished, j := 0, 0, 0
	for _, i := range byStart {
		// Every call that ended by the time i started began before i, so
		// its depth is already known.
		for j < n && !calls[byEnd[j]].End.After(calls[i].Start) {
			if k := byEnd[j]; done[k] && depth[k] > finished {
				finished = depth[k]
			}
			j++
		}
		depth[i] = finished + 1
		done[i] = true
		best = max(best, depth[i])
	}
	return best
}

// request is one parsed call.
type request struct {
	service string
	op      string
	form    url.Values // awsquery parameters
	body    []byte     // awsJson body; S3 PutObject: the object
	bucket  string     // S3
	key     string     // S3 object key
	region  string     // EC2: the region the request was signed for
	start   time.Time
	akid    string
	reqID   string
	ctype   string // S3 PutObject: the object's Content-Type
}

// maxBody bounds a request body: far above any call iamdiag makes.
const maxBody = 2 << 20

// ServeHTTP answers one AWS call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rq := &request{start: time.Now(), akid: accessKeyID(r.Header.Get("Authorization"))}
	s.mu.Lock()
	s.nextID++
	rq.reqID = requestID(s.nextID)
	s.mu.Unlock()

	p, perr := s.parse(r, rq)
	resp := s.answer(r.Context(), r, rq, p, perr)
	s.finish(w, rq, resp)
}

// answer runs the scenario and the operation.
func (s *Server) answer(ctx context.Context, r *http.Request, rq *request, p proto, perr *apiError) *response {
	if perr != nil {
		return p.fail(rq, perr)
	}
	if r.Header.Get("Authorization") == "" {
		// AWS rejects an unsigned request before looking at the operation.
		return p.fail(rq, missingAuth(p))
	}
	if s.loadErr != nil {
		return p.fail(rq, &apiError{Code: "InternalFailure", Status: 500, Message: "fakeaws: " + s.loadErr.Error()})
	}
	if d := s.opts.Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	if e := s.injected(rq, p); e != nil {
		return p.fail(rq, e)
	}
	resp := s.dispatch(rq, p)
	if resp.status == http.StatusOK && s.opt(s.opts.Malformed, rq) {
		resp.body = resp.body[:len(resp.body)/2]
	}
	return resp
}

// finish logs the call and writes the response.
func (s *Server) finish(w http.ResponseWriter, rq *request, resp *response) {
	end := time.Now()
	s.mu.Lock()
	if rq.op != "" {
		s.calls[rq.op]++
	}
	s.log = append(s.log, Call{Service: rq.service, Op: rq.op, Start: rq.start, End: end, Status: resp.status, AccessKeyID: rq.akid})
	s.mu.Unlock()
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// injected returns the scenario's failure for this call, if any.
func (s *Server) injected(rq *request, p proto) *apiError {
	key := rq.service + ":" + rq.op
	s.mu.Lock()
	s.perKey[key]++
	n := s.perKey[key]
	s.mu.Unlock()
	if f, ok := lookup(s.opts.Errors, rq); ok && (f.Times == 0 || n <= f.Times) {
		msg := f.Message
		if msg == "" {
			msg = fmt.Sprintf("fakeaws: %s failed with %s", rq.op, f.Code)
		}
		return &apiError{Code: f.Code, Status: f.Status, Message: msg}
	}
	if code, ok := lookup(s.opts.Deny, rq); ok {
		return s.denied(rq, p, code)
	}
	if limit, ok := lookup(s.opts.Throttle, rq); ok && n <= limit {
		return p.throttle()
	}
	return nil
}

// denied is AccessDenied in the service's words.
func (s *Server) denied(rq *request, p proto, code string) *apiError {
	if code == "" {
		code = p.deniedCode()
	}
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s:%s because no identity-based policy allows the %s:%s action",
		s.opts.CallerARN, rq.service, rq.op, rq.service, rq.op)
	if rq.service == "organizations" {
		// Organizations' own wording for a caller outside the management
		// account
		// (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListParents.html#API_ListParents_Errors).
		msg = "You don't have permissions to access this resource."
	}
	return &apiError{Code: code, Message: msg}
}

func (s *Server) opt(m map[string]bool, rq *request) bool {
	v, ok := lookup(m, rq)
	return ok && v
}

// lookup finds rq's entry in a scenario map: "service:Op" first, then "Op".
func lookup[V any](m map[string]V, rq *request) (V, bool) {
	if v, ok := m[rq.service+":"+rq.op]; ok {
		return v, true
	}
	v, ok := m[rq.op]
	return v, ok
}

// accessKeyID extracts the access key from a SigV4 Authorization header:
// "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, …".
func accessKeyID(auth string) string {
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	akid, _, _ := strings.Cut(rest, "/")
	return akid
}

// requestID returns a UUID-shaped request id, as AWS sends.
func requestID(n uint64) string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", n)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// errUnknownOp marks a request for an operation the server does not serve.
var errUnknownOp = errors.New("unknown operation")

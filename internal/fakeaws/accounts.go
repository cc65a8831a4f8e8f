package fakeaws

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// OrgOptions is the scenario of an organization of accounts.
type OrgOptions struct {
	// Options apply to every account's server (latency, throttling,
	// failures by operation …); CallerARN is ignored: each request's caller
	// is the identity its access key belongs to.
	Options
	// Keys maps a long-term access key id to the ARN of the identity it
	// signs as (an IAM user, a role session, an account's root): its
	// account is the one whose IAM, S3 and KMS answer.
	Keys map[string]string
	// DelegatedAdministrators are the member accounts that may read the
	// organization besides its management account
	// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_delegate_policies.html).
	DelegatedAdministrators []string
	// AssumeErrors fails sts:AssumeRole of a role ARN with the failure,
	// after the role was found: a trust policy that does not trust the
	// caller answers AccessDenied.
	AssumeErrors map[string]Failure
	// ExternalID, when set, is the sts:ExternalId every role's trust policy
	// requires; AssumeRole without it is denied.
	ExternalID string
	// SessionDuration is how long issued credentials last; 0 means the
	// DurationSeconds asked for, 3600 s by default.
	SessionDuration time.Duration
}

// AssumedSession is one sts:AssumeRole the organization granted.
type AssumedSession struct {
	// Caller is the ARN of the identity that called AssumeRole.
	Caller string
	// RoleARN, SessionName and ExternalID are what it asked for.
	RoleARN, SessionName, ExternalID string
	// AccessKeyID is the temporary access key issued; it signs for the
	// role's account.
	AccessKeyID string
	// Expires is when the credentials stop working.
	Expires time.Time
}

// Org is a fake AWS endpoint for an organization: one Server per account
// behind one URL, each request answered by the server of the account whose
// credentials signed it. sts:AssumeRole issues credentials of the role's
// account (their access key id is ASIA, the account id and a serial
// number); sts:GetCallerIdentity names the signer; IAM, S3 and KMS answer
// from the signer's account, so another account's role is NoSuchEntity and
// another account's bucket or key AccessDenied, as AWS answers a caller
// the resource's policy does not grant; Organizations answers the
// management account and the delegated administrators, and denies every
// other account but DescribeOrganization. An unknown access key is
// InvalidClientTokenId. It is safe for concurrent use.
type Org struct {
	opts     OrgOptions
	mgmt     string
	admins   map[string]bool
	accounts map[string]*Server
	buckets  map[string]string // bucket name → owning account
	order    []string          // account ids in snapshot order

	mu       sync.Mutex
	sessions map[string]*AssumedSession // by access key id
	assumed  []AssumedSession
	serial   int
	log      []Call // the calls Org answered itself
	nextID   uint64

	srv *http.Server
	url string
}

// NewOrg returns an organization serving one account per snapshot (each
// snapshot's AccountID). The organization is the first snapshot's that has
// one; every account's server sees it, so that its SimulatePrincipalPolicy
// applies the SCPs, as AWS's simulator does in a member account.
func NewOrg(accounts []*layers.Snapshot, opts OrgOptions) *Org {
	o := &Org{opts: opts, admins: map[string]bool{}, accounts: map[string]*Server{}, buckets: map[string]string{}, sessions: map[string]*AssumedSession{}}
	var org *layers.Organization
	for _, s := range accounts {
		if s != nil && s.Organization != nil && !s.Organization.Standalone {
			org = s.Organization
			break
		}
	}
	if org != nil {
		o.mgmt = org.ManagementAccountID
	}
	for _, a := range opts.DelegatedAdministrators {
		o.admins[a] = true
	}
	for _, s := range accounts {
		if s == nil {
			continue
		}
		c := *s
		if org != nil {
			c.Organization = org
		}
		so := opts.Options
		so.CallerARN = "arn:aws:sts::" + c.AccountID + ":assumed-role/iamdiag/fakeaws"
		if org != nil && c.AccountID != o.mgmt && !o.admins[c.AccountID] {
			so.Deny = mergeDeny(opts.Deny, OrganizationsReadsDenied())
		}
		srv := New(&c, so)
		o.accounts[c.AccountID] = srv
		o.order = append(o.order, c.AccountID)
		if srv.res != nil {
			for b := range srv.res.buckets {
				o.buckets[b] = c.AccountID
			}
		}
	}
	return o
}

func mergeDeny(a, b map[string]string) map[string]string {
	m := make(map[string]string, len(a)+len(b))
	for k, v := range b {
		m[k] = v
	}
	for k, v := range a {
		m[k] = v
	}
	return m
}

// Account returns the server of one account (to Encode a message there,
// or read its own counters); nil when the organization has no such account.
func (o *Org) Account(id string) *Server { return o.accounts[id] }

// Sessions returns the AssumeRole calls granted so far, in order.
func (o *Org) Sessions() []AssumedSession {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.assumed)
}

// Start serves on a free port of 127.0.0.1 and returns the base URL. It
// panics when no port can be bound, as httptest does.
func (o *Org) Start() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("fakeaws: " + err.Error())
	}
	o.srv = &http.Server{Handler: o, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	o.url = "http://" + ln.Addr().String()
	go func() { _ = o.srv.Serve(ln) }()
	return o.url
}

// Close stops serving.
func (o *Org) Close() {
	if o.srv != nil {
		_ = o.srv.Close()
	}
}

// Log returns every request the organization received, in arrival order.
func (o *Org) Log() []Call {
	o.mu.Lock()
	all := slices.Clone(o.log)
	o.mu.Unlock()
	for _, id := range o.order {
		all = append(all, o.accounts[id].Log()...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Start.Before(all[j].Start) })
	return all
}

// Calls returns how many requests each operation received, across
// accounts.
func (o *Org) Calls() map[string]int {
	out := map[string]int{}
	for _, c := range o.Log() {
		if c.Op != "" {
			out[c.Op]++
		}
	}
	return out
}

// TotalCalls returns the number of requests received.
func (o *Org) TotalCalls() int { return len(o.Log()) }

// RoundTrips is Server.RoundTrips across the organization.
func (o *Org) RoundTrips() int { return criticalPath(o.Log()) }

// caller is who signed a request.
type caller struct {
	arn, account string
}

// callerOf resolves an access key id: a key of Keys, or one AssumeRole
// issued and not expired.
func (o *Org) callerOf(akid string, now time.Time) (caller, *apiError) {
	if arn, ok := o.opts.Keys[akid]; ok {
		return caller{arn: arn, account: accountOf(arn)}, nil
	}
	o.mu.Lock()
	s := o.sessions[akid]
	o.mu.Unlock()
	if s == nil {
		return caller{}, &apiError{Code: "InvalidClientTokenId", Status: http.StatusForbidden, Message: "The security token included in the request is invalid."}
	}
	if now.After(s.Expires) {
		return caller{}, &apiError{Code: "ExpiredToken", Status: http.StatusForbidden, Message: "The security token included in the request is expired"}
	}
	return caller{arn: sessionARN(s.RoleARN, s.SessionName), account: accountOf(s.RoleARN)}, nil
}

// sessionARN is the assumed-role ARN of a role session (the role's path
// dropped, as AWS does).
func sessionARN(roleARN, session string) string {
	a, _ := policy.ParseARN(roleARN)
	return fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", a.Partition, a.Account, lastPart(a.Resource), session)
}

func lastPart(s string) string { return s[strings.LastIndexByte(s, '/')+1:] }

// ServeHTTP routes one AWS call to the signer's account.
func (o *Org) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	restore := func() { r.Body = io.NopCloser(bytes.NewReader(body)) }
	rq := &request{start: time.Now(), akid: accessKeyID(r.Header.Get("Authorization"))}
	o.mu.Lock()
	o.nextID++
	rq.reqID = "org-" + requestID(o.nextID)
	o.mu.Unlock()
	restore()
	// Any account's server parses: parsing reads no account data.
	var first *Server
	for _, id := range o.order {
		first = o.accounts[id]
		break
	}
	if first == nil {
		http.Error(w, "fakeaws: an organization without accounts", http.StatusInternalServerError)
		return
	}
	p, perr := first.parse(r, rq)
	restore()
	if perr != nil || r.Header.Get("Authorization") == "" {
		first.ServeHTTP(w, r)
		return
	}
	c, e := o.callerOf(rq.akid, rq.start)
	if e != nil {
		o.finish(w, rq, p.fail(rq, e))
		return
	}
	switch key := rq.service + ":" + rq.op; key {
	case "sts:AssumeRole", "sts:GetCallerIdentity", "organizations:ListDelegatedAdministrators":
		o.finish(w, rq, o.answer(r.Context(), rq, p, c, key))
		return
	case "s3:GetBucketPolicy":
		if owner, ok := o.buckets[rq.bucket]; ok && owner != c.account {
			o.finish(w, rq, p.fail(rq, o.denied(c, "s3:GetBucketPolicy", "arn:aws:s3:::"+rq.bucket, "AccessDenied")))
			return
		}
	case "kms:GetKeyPolicy":
		if k := o.foreignKey(rq, c); k != "" {
			o.finish(w, rq, p.fail(rq, o.denied(c, "kms:GetKeyPolicy", k, "AccessDeniedException")))
			return
		}
	}
	srv := o.accounts[c.account]
	if srv == nil {
		o.finish(w, rq, p.fail(rq, &apiError{Code: "InvalidClientTokenId", Status: http.StatusForbidden, Message: "The security token included in the request is invalid."}))
		return
	}
	srv.ServeHTTP(w, r)
}

// foreignKey returns the key ARN of a GetKeyPolicy call naming another
// account's key, "" otherwise.
func (o *Org) foreignKey(rq *request, c caller) string {
	var in struct {
		KeyID string `json:"KeyId"`
	}
	if decodeJSON(rq, &in) != nil {
		return ""
	}
	if a := accountOf(in.KeyID); a != "" && a != c.account {
		return in.KeyID
	}
	return ""
}

// denied is AWS's AccessDenied for a caller the resource's account does
// not grant.
func (o *Org) denied(c caller, action, resource, code string) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because no resource-based policy allows the %s action", c.arn, action, resource, action)}
}

// answer runs an operation the organization answers itself, after the
// scenario's latency and injected failures.
func (o *Org) answer(ctx context.Context, rq *request, p proto, c caller, key string) *response {
	if d := o.opts.Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	if f, ok := lookup(o.opts.Errors, rq); ok {
		return p.fail(rq, &apiError{Code: f.Code, Status: f.Status, Message: orDefault(f.Message, "fakeaws: "+rq.op+" failed with "+f.Code)})
	}
	switch key {
	case "sts:GetCallerIdentity":
		id := "AIDAFAKEAWS" + fakeID(c.arn)
		if strings.Contains(c.arn, ":assumed-role/") {
			id = "AROAFAKEAWS" + fakeID(c.arn) + ":" + lastPart(c.arn)
		}
		return queryProto{ns: stsNamespace}.ok(rq, xCallerIdentity{UserId: id, Account: c.account, Arn: c.arn})
	case "sts:AssumeRole":
		res, e := o.assumeRole(rq, c)
		if e != nil {
			return p.fail(rq, e)
		}
		return queryProto{ns: stsNamespace}.ok(rq, res)
	}
	if c.account != o.mgmt && !o.admins[c.account] {
		return p.fail(rq, &apiError{Code: "AccessDeniedException", Message: "You don't have permissions to access this resource."})
	}
	srv := o.accounts[o.mgmt]
	if srv == nil || srv.org == nil {
		return p.fail(rq, &apiError{Code: "AWSOrganizationsNotInUseException", Message: "Your account is not a member of an organization."})
	}
	d := srv.org
	var admins []jAccount
	for i := range d.org.Nodes {
		if n := &d.org.Nodes[i]; n.Type == layers.NodeAccount && o.admins[n.ID] {
			admins = append(admins, d.account(n))
		}
	}
	return jsonProto{}.ok(rq, map[string][]jAccount{"DelegatedAdministrators": admins})
}

type xCredentials struct {
	AccessKeyId     string
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

type xAssumedRoleUser struct {
	AssumedRoleId string
	Arn           string
}

type xAssumeRole struct {
	Credentials     xCredentials
	AssumedRoleUser xAssumedRoleUser
}

// assumeRole issues credentials of the role's account
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
// A role that does not exist, a missing or wrong external id and
// AssumeErrors answer AccessDenied in AWS's words.
func (o *Org) assumeRole(rq *request, c caller) (any, *apiError) {
	roleARN, e := required(rq, "RoleArn")
	if e != nil {
		return nil, e
	}
	session, e := required(rq, "RoleSessionName")
	if e != nil {
		return nil, e
	}
	deny := &apiError{Code: "AccessDenied", Message: fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.arn, roleARN)}
	a, ok := policy.ParseARN(roleARN)
	if !ok || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return nil, &apiError{Code: "ValidationError", Message: "1 validation error detected: Value '" + roleARN + "' at 'roleArn' failed to satisfy constraint: Member must be a role ARN"}
	}
	srv := o.accounts[a.Account]
	if srv == nil || srv.iam == nil {
		return nil, deny
	}
	role := srv.iam.roles[strings.ToLower(lastPart(a.Resource))]
	if role == nil || role.Arn != roleARN {
		return nil, deny
	}
	if f, ok := o.opts.AssumeErrors[roleARN]; ok {
		return nil, &apiError{Code: f.Code, Status: f.Status, Message: orDefault(f.Message, deny.Message)}
	}
	ext := param(rq, "ExternalId")
	if o.opts.ExternalID != "" && ext != o.opts.ExternalID {
		return nil, deny
	}
	dur := o.opts.SessionDuration
	if dur == 0 {
		dur = time.Hour
		if n, err := strconv.Atoi(param(rq, "DurationSeconds")); err == nil && n > 0 {
			dur = time.Duration(n) * time.Second
		}
	}
	o.mu.Lock()
	o.serial++
	akid := fmt.Sprintf("ASIA%s%04X", a.Account, o.serial%0x10000)
	s := AssumedSession{Caller: c.arn, RoleARN: roleARN, SessionName: session, ExternalID: ext, AccessKeyID: akid, Expires: rq.start.Add(dur)}
	o.sessions[akid] = &s
	o.assumed = append(o.assumed, s)
	o.mu.Unlock()
	roleID := orDefault(role.RoleID, "AROAFAKEAWS"+fakeID(role.RoleName))
	return xAssumeRole{
		Credentials: xCredentials{AccessKeyId: akid, SecretAccessKey: "fakeaws-secret-" + akid, SessionToken: "fakeaws-token-" + akid,
			Expiration: s.Expires.UTC().Format("2006-01-02T15:04:05Z")},
		AssumedRoleUser: xAssumedRoleUser{AssumedRoleId: roleID + ":" + session, Arn: sessionARN(roleARN, session)},
	}, nil
}

// finish logs a call the organization answered and writes its response.
func (o *Org) finish(w http.ResponseWriter, rq *request, resp *response) {
	o.mu.Lock()
	o.log = append(o.log, Call{Service: rq.service, Op: rq.op, Start: rq.start, End: time.Now(), Status: resp.status, AccessKeyID: rq.akid})
	o.mu.Unlock()
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

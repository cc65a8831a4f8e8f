package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/crosscheck"
	"github.com/iamdiag/iamdiag/internal/decode"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/report"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// defaultLiveTimeout bounds a live diagnosis: decode, every layer read
// with its retries, and the cross-check.
const defaultLiveTimeout = 30 * time.Second

// liveConcurrency bounds the AWS calls in flight of one diagnosis: a
// three-level organization needs about 30 calls, most independent, and the
// SDK's retryer absorbs the throttling of a burst.
const liveConcurrency = 16

// liveSource is the live AWS source of one diagnose run: the clients built
// once from the SDK configuration, the layers it read and what the calls
// cost.
type liveSource struct {
	clients *awsClients
	live    *layers.Live
	decoder *countingDecoder
	profile string
	log     *zap.Logger

	layers     *policy.Layers
	stats      *layers.Stats
	crossCalls int
	crossTime  time.Duration

	// account is the credentials' account, from sts:GetCallerIdentity; ""
	// when STS did not say.
	account      string
	identityTime time.Duration
}

// newLiveSource loads the AWS configuration (--profile, --region and the
// SDK's environment) and builds the clients.
func newLiveSource(ctx context.Context, profile, region string, log *zap.Logger) (*liveSource, error) {
	cfg, err := loadAWSConfig(ctx, profile, region)
	if err != nil {
		return nil, &exitError{code: exitFailure, err: err}
	}
	// Resolve the credentials now: a missing, expired or unrefreshable
	// one (no profile, an SSO session that needs `aws sso login`) is then
	// reported as such, not as the first call's failure. The SDK caches
	// them for the calls that follow.
	if cfg.Credentials == nil {
		return nil, explainAWSError(errNoCredentials, profile)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, explainAWSError(fmt.Errorf("%w: %w", errNoCredentials, err), profile)
	}
	c := newAWSClients(cfg)
	log.Info("AWS configuration loaded", zap.String("region", cfg.Region), zap.String("profile", profile))
	s := &liveSource{clients: c, decoder: &countingDecoder{d: c.sts}, profile: profile, log: log}
	// sts:GetCallerIdentity needs no permission
	// (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html):
	// AWS checks the credentials themselves, and says their account, which
	// IAM reads roles and users in and S3 bucket policies belong to.
	start := time.Now()
	id, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	s.identityTime = time.Since(start)
	switch {
	case err == nil:
		s.account = aws.ToString(id.Account)
		log.Info("caller identity", zap.String("account", s.account), zap.String("arn", aws.ToString(id.Arn)))
	case credentialsProblem(err), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return nil, explainAWSError(fmt.Errorf("checking the credentials with sts:GetCallerIdentity: %w", err), profile)
	default:
		// STS unreachable (a VPC without an STS endpoint): IAM may still
		// answer; the credentials' account is then taken to be the
		// principal's.
		log.Warn("sts:GetCallerIdentity failed: the credentials' account is unknown", zap.Error(err))
	}
	s.live = layers.NewLive(layers.Clients{IAM: c.iam, Organizations: c.org, S3: c.s3, KMS: c.kms},
		layers.LiveOptions{Concurrency: liveConcurrency, AccountID: s.account})
	return s, nil
}

// accountWarning says, when the credentials' account is not the
// principal's, that IAM read the wrong account; "" otherwise.
func (s *liveSource) accountWarning(req *policy.Request) string {
	return accountMismatch(s.account, req)
}

// accountMismatch says, when credAcct (the credentials' account, "" when
// unknown) is not the principal's, that IAM read the wrong account; ""
// otherwise.
func accountMismatch(credAcct string, req *policy.Request) string {
	principal := principalAccount(req)
	if credAcct == "" || principal == "" || principal == credAcct {
		return ""
	}
	return fmt.Sprintf("the credentials are in account %s but the caller is in %s: IAM reads need credentials in %s (use --profile)", credAcct, principal, principal)
}

// principalAccount is the caller's account: the request's, else the
// account field of its ARN.
func principalAccount(req *policy.Request) string {
	if req == nil {
		return ""
	}
	if req.Principal.Account != "" {
		return req.Principal.Account
	}
	a, _ := policy.ParseARN(req.Principal.ARN)
	return a.Account
}

// sts is the STS client factory of inputDeps: the source's own client,
// counted, whatever the arguments (the configuration is already loaded).
func (s *liveSource) sts(context.Context, string, string) (decode.Decoder, error) {
	return s.decoder, nil
}

// gather returns the layers function of diagnosis(): the live read, with
// --resource-account and --management-account applied on top.
func (s *liveSource) gather(ctx context.Context, o *diagnoseOptions) func(*policy.Request) (*policy.Layers, error) {
	return func(req *policy.Request) (*policy.Layers, error) {
		l, st, err := s.live.LayersStats(ctx, req)
		s.stats = st
		if err != nil {
			if errors.Is(err, layers.ErrNoSuchPrincipal) {
				if w := s.accountWarning(req); w != "" {
					return nil, fmt.Errorf("%w; %s, or diagnose offline with --snapshot FILE", err, w)
				}
				return nil, fmt.Errorf("%w; the credentials must belong to the principal's account (choose them with --profile), or diagnose offline with --snapshot FILE", err)
			}
			return nil, explainAWSError(err, s.profile)
		}
		if o.ResourceAccount != "" {
			l.ResourceAccount = o.ResourceAccount
		}
		if o.ManagementAccount != "" {
			l.ManagementAccount = o.ManagementAccount
		}
		s.layers = l
		return l, nil
	}
}

// crossCheck asks iam:SimulatePrincipalPolicy for its verdict on the
// effective request, with the role or user ARN the live read resolved (the
// simulator rejects session ARNs), and compares it with the local verdict.
// A failed cross-check is reported as skipped, never as an error.
func (s *liveSource) crossCheck(ctx context.Context, d *report.Diagnosis) *report.CrossCheck {
	req := d.Result.Request
	if req == nil {
		req = d.Input
	}
	source := ""
	if s.layers != nil {
		source = s.layers.Principal.IAMARN
	}
	start := time.Now()
	r, err := crosscheck.Check(ctx, s.clients.iam, req, source)
	s.crossTime = time.Since(start)
	var ce *crosscheck.Error
	if !errors.As(err, &ce) || !errors.Is(ce, crosscheck.ErrNoSource) {
		s.crossCalls = 1
	}
	if err != nil {
		s.log.Info("cross-check skipped", zap.Error(err))
		return skippedCrossCheck(err, source)
	}
	return newCrossCheck(d.Result, r)
}

// logStats prints, with -v, what the AWS calls cost: their number and the
// round trips on the critical path (the caller identity, decode, then the
// layers, then the cross-check: each follows the previous one's answer).
func (s *liveSource) logStats(stderr io.Writer) {
	if !s.log.Core().Enabled(zap.InfoLevel) {
		return
	}
	calls, trips := 1+s.decoder.calls+s.crossCalls, 1+min(s.decoder.calls, 1)+min(s.crossCalls, 1)
	layersLine := "layers not read"
	if s.stats != nil {
		calls += s.stats.Total()
		trips += s.stats.RoundTrips
		layersLine = s.stats.String()
	}
	fmt.Fprintf(stderr, "iamdiag: %s, %s on the critical path (caller identity 1 call %s, decode %s %s, layers: %s; cross-check %s %s)\n",
		plural(calls, "AWS call"), plural(trips, "round trip"), s.identityTime.Round(time.Millisecond),
		plural(s.decoder.calls, "call"), s.decoder.elapsed.Round(time.Millisecond),
		layersLine, plural(s.crossCalls, "call"), s.crossTime.Round(time.Millisecond))
}

// newCrossCheck converts the simulator's answer into the report's
// cross-check, with the comparison against the local verdict.
func newCrossCheck(local *simulate.Result, r *crosscheck.Result) *report.CrossCheck {
	agrees, detail := crosscheck.Explain(local, r)
	c := &report.CrossCheck{
		PolicySourceARN:              r.PolicySourceARN,
		Decision:                     r.EvalDecision,
		AllowedByOrganizations:       r.AllowedByOrganizations,
		AllowedByPermissionsBoundary: r.AllowedByPermissionsBoundary,
		MissingContextValues:         append([]string(nil), r.MissingContextValues...),
		Agrees:                       agrees,
		Detail:                       detail,
	}
	for _, st := range r.MatchedStatements {
		c.MatchedStatements = append(c.MatchedStatements, report.CrossCheckStatement{PolicyID: st.SourcePolicyID, PolicyType: st.SourcePolicyType})
	}
	return c
}

// skippedCrossCheck is the report's cross-check when the simulator could
// not be asked.
func skippedCrossCheck(err error, source string) *report.CrossCheck {
	detail := "cross-check skipped: " + err.Error()
	var ce *crosscheck.Error
	if errors.As(err, &ce) && ce.Denied {
		detail += "; allow iam:SimulatePrincipalPolicy to the credentials for AWS's own verdict beside iamdiag's"
	}
	return &report.CrossCheck{PolicySourceARN: source, Detail: detail, Skipped: true}
}

// liveContext bounds a live run by --timeout (0: no bound).
func liveContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, timeout)
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

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
	return &liveSource{
		clients: c,
		live:    layers.NewLive(layers.Clients{IAM: c.iam, Organizations: c.org, S3: c.s3, KMS: c.kms}, layers.LiveOptions{Concurrency: liveConcurrency}),
		decoder: &countingDecoder{d: c.sts},
		profile: profile,
		log:     log,
	}, nil
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
func (s *liveSource) crossCheck(ctx context.Context, d *report.Diagnosis) *crossCheckReport {
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
	return newCrossCheckReport(d.Result, r)
}

// logStats prints, with -v, what the AWS calls cost: their number and the
// round trips on the critical path (decode, then the layers, then the
// cross-check: each needs the previous one's answer).
func (s *liveSource) logStats(stderr io.Writer) {
	if !s.log.Core().Enabled(zap.InfoLevel) {
		return
	}
	calls, trips := s.decoder.calls+s.crossCalls, min(s.decoder.calls, 1)+min(s.crossCalls, 1)
	layersLine := "layers not read"
	if s.stats != nil {
		calls += s.stats.Total()
		trips += s.stats.RoundTrips
		layersLine = s.stats.String()
	}
	fmt.Fprintf(stderr, "iamdiag: %s, %s on the critical path (decode %s %s, layers: %s; cross-check %s %s)\n",
		plural(calls, "AWS call"), plural(trips, "round trip"),
		plural(s.decoder.calls, "call"), s.decoder.elapsed.Round(time.Millisecond),
		layersLine, plural(s.crossCalls, "call"), s.crossTime.Round(time.Millisecond))
}

// crossCheckReport is the "crosscheck" field of diagnose's JSON and the
// cross-check section of its text and Markdown.
type crossCheckReport struct {
	// PolicySourceARN is the role or user simulated.
	PolicySourceARN string `json:"policy_source_arn"`
	// Decision is the simulator's EvalDecision: allowed, explicitDeny or
	// implicitDeny; null when skipped.
	Decision *string `json:"decision"`
	// AllowedByOrganizations is its OrganizationsDecisionDetail; null when
	// it gave none.
	AllowedByOrganizations *bool `json:"allowed_by_organizations"`
	// AllowedByPermissionsBoundary is its PermissionsBoundaryDecisionDetail;
	// null when no boundary is attached.
	AllowedByPermissionsBoundary *bool              `json:"allowed_by_permissions_boundary"`
	MatchedStatements            []matchedStatement `json:"matched_statements"`
	MissingContextValues         []string           `json:"missing_context_values"`
	// Agrees says whether the simulator's verdict agrees with the local
	// one; null when skipped.
	Agrees *bool `json:"agrees"`
	// Detail describes the simulator's side, or why the cross-check was
	// skipped.
	Detail  string `json:"detail"`
	Skipped bool   `json:"skipped"`

	// local is the local verdict, shown beside a disagreement.
	local *simulate.Result
}

type matchedStatement struct {
	PolicyID   string `json:"source_policy_id"`
	PolicyType string `json:"source_policy_type"`
}

func newCrossCheckReport(local *simulate.Result, r *crosscheck.Result) *crossCheckReport {
	agrees, detail := crosscheck.Explain(local, r)
	c := &crossCheckReport{
		PolicySourceARN:              r.PolicySourceARN,
		Decision:                     &r.EvalDecision,
		AllowedByOrganizations:       r.AllowedByOrganizations,
		AllowedByPermissionsBoundary: r.AllowedByPermissionsBoundary,
		MatchedStatements:            []matchedStatement{},
		MissingContextValues:         append([]string{}, r.MissingContextValues...),
		Agrees:                       &agrees,
		Detail:                       detail,
		local:                        local,
	}
	for _, st := range r.MatchedStatements {
		c.MatchedStatements = append(c.MatchedStatements, matchedStatement{PolicyID: st.SourcePolicyID, PolicyType: st.SourcePolicyType})
	}
	return c
}

func skippedCrossCheck(err error, source string) *crossCheckReport {
	detail := "cross-check skipped: " + err.Error()
	var ce *crosscheck.Error
	if errors.As(err, &ce) && ce.Denied {
		detail += "; allow iam:SimulatePrincipalPolicy to the credentials for AWS's own verdict beside iamdiag's"
	}
	return &crossCheckReport{PolicySourceARN: source, MatchedStatements: []matchedStatement{},
		MissingContextValues: []string{}, Detail: detail, Skipped: true}
}

// writeJSON renders the diagnosis as report.JSON does, with the
// cross-check as one more top-level field, "crosscheck".
func writeJSON(w io.Writer, d *report.Diagnosis, cc *crossCheckReport) error {
	if cc == nil {
		return report.JSON(w, d)
	}
	var b bytes.Buffer
	if err := report.JSON(&b, d); err != nil {
		return err
	}
	// report.JSON writes one indented object: "{\n…\n}\n".
	body := bytes.TrimRight(b.Bytes(), "\n")
	if !bytes.HasSuffix(body, []byte("\n}")) {
		return fmt.Errorf("adding the cross-check: the report is not an indented JSON object")
	}
	field, err := json.MarshalIndent(cc, "  ", "  ")
	if err != nil {
		return fmt.Errorf("encoding the cross-check: %w", err)
	}
	var out bytes.Buffer
	out.Write(body[:len(body)-2])
	out.WriteString(",\n  \"crosscheck\": ")
	out.Write(field)
	out.WriteString("\n}\n")
	_, err = w.Write(out.Bytes())
	return err
}

// writeCrossCheck writes the cross-check section after a text or Markdown
// report.
func writeCrossCheck(w io.Writer, format string, cc *crossCheckReport) error {
	var b strings.Builder
	md := format == "markdown"
	if md {
		b.WriteString("\n### Cross-check (iam:SimulatePrincipalPolicy)\n\n")
	} else {
		b.WriteString("\nCross-check (iam:SimulatePrincipalPolicy):\n")
	}
	line := func(name, value string) {
		if md {
			fmt.Fprintf(&b, "- %s: %s\n", name, value)
			return
		}
		fmt.Fprintf(&b, "  %-21s %s\n", name, value)
	}
	if cc.Skipped {
		line("skipped", strings.TrimPrefix(cc.Detail, "cross-check skipped: "))
		_, err := io.WriteString(w, b.String())
		return err
	}
	verdict := "agrees with the local verdict"
	if !*cc.Agrees {
		verdict = "DISAGREES with the local verdict"
	}
	line("simulated", cc.PolicySourceARN)
	line("decision", *cc.Decision+" — "+verdict)
	line("SCPs", allowedWord(cc.AllowedByOrganizations, "no organization decision"))
	line("permissions boundary", allowedWord(cc.AllowedByPermissionsBoundary, "no boundary decision"))
	if len(cc.MatchedStatements) > 0 {
		var ids []string
		for _, st := range cc.MatchedStatements {
			ids = append(ids, st.PolicyID+" ("+st.PolicyType+")")
		}
		line("matched", strings.Join(ids, ", "))
	}
	if len(cc.MissingContextValues) > 0 {
		line("missing context", strings.Join(cc.MissingContextValues, ", "))
	}
	line("detail", cc.Detail)
	if !*cc.Agrees && cc.local != nil {
		line("local verdict", localSide(cc.local))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func allowedWord(b *bool, none string) string {
	switch {
	case b == nil:
		return none
	case *b:
		return "allow"
	}
	return "deny"
}

// localSide describes the local verdict and its blockers in one line.
func localSide(r *simulate.Result) string {
	s := string(r.Decision)
	for i, bl := range r.Blockers {
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		s += sep + string(bl.Layer) + " " + bl.Kind
		if bl.PolicyName != "" || bl.Policy != "" {
			s += " in " + firstNonEmpty(bl.PolicyName, bl.Policy)
		}
		if bl.Statement != "" {
			s += " statement " + bl.Statement
		}
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// liveContext bounds a live run by --timeout (0: no bound).
func liveContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, timeout)
}

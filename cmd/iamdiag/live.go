package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/live"
)

// defaultLiveTimeout bounds a live diagnosis: decode, every layer read
// with its retries, and the cross-check.
const defaultLiveTimeout = 30 * time.Second

// liveConcurrency bounds the AWS calls in flight of one diagnosis: a
// three-level organization needs about 30 calls, most independent, and the
// SDK's retryer absorbs the throttling of a burst.
const liveConcurrency = 16

// newLiveSource loads the AWS configuration (--profile, --region and the
// SDK's environment), resolves the credentials and builds the live source.
func newLiveSource(ctx context.Context, profile, region string, org orgOptions, log *zap.Logger) (*live.Source, error) {
	cfg, err := credentialedConfig(ctx, profile, region, "diagnose offline with --snapshot FILE")
	if err != nil {
		return nil, err
	}
	c := newAWSClients(cfg)
	log.Info("AWS configuration loaded", zap.String("region", cfg.Region), zap.String("profile", profile))
	accounts, err := org.apply(ctx, cfg, region, c, "", nil)
	if err != nil {
		return nil, &exitError{code: exitFailure, err: err}
	}
	s, err := live.NewSource(ctx, c.source(), live.Options{Concurrency: liveConcurrency, Accounts: accounts}, log)
	if err != nil {
		return nil, explainAWSError(err, profile)
	}
	return s, nil
}

// credentialedConfig loads the AWS configuration (--profile, --region and
// the SDK's environment) and resolves its credentials now: a missing,
// expired or unrefreshable one (no profile, an SSO session that needs `aws
// sso login`) is then reported as such, with the command's offline
// alternative, not as the first call's failure. The SDK caches them for the
// calls that follow.
func credentialedConfig(ctx context.Context, profile, region, offline string) (aws.Config, error) {
	cfg, err := loadAWSConfig(ctx, profile, region)
	if err != nil {
		return aws.Config{}, &exitError{code: exitFailure, err: err}
	}
	if cfg.Credentials == nil {
		return aws.Config{}, explainAWSErrorOffline(live.ErrNoCredentials, profile, offline)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return aws.Config{}, explainAWSErrorOffline(fmt.Errorf("%w: %w", live.ErrNoCredentials, err), profile, offline)
	}
	return cfg, nil
}

// logStats prints, with -v, what the AWS calls cost: their number and the
// round trips on the critical path (the caller identity, decode, then the
// layers, then the cross-check: each follows the previous one's answer).
func logStats(s *live.Source, log *zap.Logger, stderr io.Writer) {
	if !log.Core().Enabled(zap.InfoLevel) {
		return
	}
	u := s.Usage()
	calls, trips := 1+u.DecodeCalls+u.CrossCalls, 1+min(u.DecodeCalls, 1)+min(u.CrossCalls, 1)
	layersLine := "layers not read"
	if u.Layers != nil {
		calls += u.Layers.Total()
		trips += u.Layers.RoundTrips
		layersLine = u.Layers.String()
	}
	fmt.Fprintf(stderr, "iamdiag: %s, %s on the critical path (caller identity 1 call %s, decode %s %s, layers: %s; cross-check %s %s)\n",
		plural(calls, "AWS call"), plural(trips, "round trip"), u.IdentityTime.Round(time.Millisecond),
		plural(u.DecodeCalls, "call"), u.DecodeTime.Round(time.Millisecond),
		layersLine, plural(u.CrossCalls, "call"), u.CrossTime.Round(time.Millisecond))
}

// liveContext bounds a live run by --timeout (0: no bound).
func liveContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, timeout)
}

package live

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"go.uber.org/zap"
)

// CallerCheck is the daemon's readiness check of the live credentials:
// sts:GetCallerIdentity succeeds. A success is trusted for a minute, so
// that probes do not call AWS every few seconds. It is safe for concurrent
// use.
type CallerCheck struct {
	// STS answers sts:GetCallerIdentity.
	STS CallerIdentityReader

	mu sync.Mutex
	ok time.Time
}

// callerTimeout bounds the daemon's start's sts:GetCallerIdentity.
const callerTimeout = 10 * time.Second

// Check returns nil when the credentials were accepted within the last
// minute or are accepted now.
func (c *CallerCheck) Check(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.ok) < time.Minute {
		return nil
	}
	_, _, err := c.call(ctx)
	return err
}

// Identify calls sts:GetCallerIdentity (which needs no permission:
// https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html)
// and returns the credentials' account and ARN; a success counts as
// Check's.
func (c *CallerCheck) Identify(ctx context.Context) (account, arn string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.call(ctx)
}

// Account is Identify at the daemon's start, bounded in time: the
// credentials' account, which the live source needs (NewSourceFor), as
// diagnose's finds it (NewSource). A failure is logged and leaves it
// unknown (""): the principal's account is then assumed, and /readyz
// says why.
func (c *CallerCheck) Account(ctx context.Context, log *zap.Logger) string {
	ctx, cancel := context.WithTimeout(ctx, callerTimeout)
	defer cancel()
	acct, arn, err := c.Identify(ctx)
	if err != nil {
		log.Warn("sts:GetCallerIdentity failed: the credentials' account is unknown; IAM is read in each principal's own account", zap.Error(err))
		return ""
	}
	log.Info("caller identity", zap.String("account", acct))
	log.Debug("caller identity", zap.String("arn", arn))
	return acct
}

// call is one sts:GetCallerIdentity, with c.mu held.
func (c *CallerCheck) call(ctx context.Context) (account, arn string, err error) {
	o, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", "", fmt.Errorf("sts:GetCallerIdentity: %w", err)
	}
	c.ok = time.Now()
	return aws.ToString(o.Account), aws.ToString(o.Arn), nil
}

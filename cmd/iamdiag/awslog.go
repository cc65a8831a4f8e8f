package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
	"go.uber.org/zap"
)

// The AWS SDK writes its own log lines (a retry, a response without a
// checksum, a deprecated setting) through aws.Config.Logger, by default
// straight to stderr, where they break the daemon's JSON log and the CLI's
// output. loadAWSConfig gives the SDK a logger over the command's zap
// logger instead; the command puts it in the context (withAWSLog).

// awsLogKey is the context key of the logger the SDK logs to.
type awsLogKey struct{}

// withAWSLog returns ctx carrying log for the AWS configurations loaded
// under it.
func withAWSLog(ctx context.Context, log *zap.Logger) context.Context {
	return context.WithValue(ctx, awsLogKey{}, log)
}

// awsLogOption returns the configuration option that logs the SDK's lines
// to the logger in ctx, nil when ctx carries none.
func awsLogOption(ctx context.Context) func(*config.LoadOptions) error {
	log, ok := ctx.Value(awsLogKey{}).(*zap.Logger)
	if !ok {
		return nil
	}
	return config.WithLogger(awsLogger{log: log.Named("aws")})
}

// awsLogger is a smithy-go logging.Logger over zap: the SDK's warnings at
// warn level, its debug lines at debug.
type awsLogger struct{ log *zap.Logger }

// Logf logs one SDK line.
func (l awsLogger) Logf(c logging.Classification, format string, v ...any) {
	// Off EC2 (a laptop, a container with no metadata service) the
	// credential chain's instance-metadata client falls back to IMDSv1 on
	// every start: a normal step of the chain, not something to act on,
	// so it stays at debug.
	if c == logging.Warn && !strings.HasPrefix(format, "falling back to IMDSv1") {
		l.log.Warn(fmt.Sprintf(format, v...))
		return
	}
	if ce := l.log.Check(zap.DebugLevel, "aws sdk"); ce != nil {
		ce.Write(zap.String("sdk", fmt.Sprintf(format, v...)))
	}
}

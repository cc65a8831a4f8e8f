package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/smithy-go/logging"
)

// TestAWSLogThroughZap: the configuration loadAWSConfig returns logs the
// SDK's lines through the command's zap logger, as JSON in the daemon,
// never raw to stderr.
func TestAWSLogThroughZap(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	var out bytes.Buffer
	log := serveLogger(&out, "json", "info")
	cfg, err := loadAWSConfig(withAWSLog(context.Background(), log), "", "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger.Logf(logging.Warn, "Response has no supported checksum. Not validating response payload.")
	cfg.Logger.Logf(logging.Debug, "Request\nGET / HTTP/1.1")
	cfg.Logger.Logf(logging.Warn, "falling back to IMDSv1: %v", "operation error ec2imds: getToken, http response error StatusCode: 403")
	got := out.String()
	if !strings.Contains(got, `"level":"warn"`) || !strings.Contains(got, `"logger":"iamdiag.aws"`) || !strings.Contains(got, "no supported checksum") {
		t.Errorf("the SDK's warning is not a JSON line of the daemon's log:\n%s", got)
	}
	if strings.Contains(got, "GET / HTTP/1.1") {
		t.Errorf("the SDK's debug line is logged at info level:\n%s", got)
	}
	if strings.Contains(got, "IMDSv1") {
		t.Errorf("the credential chain's IMDSv1 fallback is logged at info level:\n%s", got)
	}
	if strings.Count(got, "\n") != 1 {
		t.Errorf("want one JSON line, got:\n%s", got)
	}
}

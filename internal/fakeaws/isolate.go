package fakeaws

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// IsolateEnv cuts the current process off the machine's AWS setup, for a
// TestMain before it runs the tests: it clears every AWS_* variable (an
// AWS_ENDPOINT_URL_IAM or AWS_PROFILE would redirect a test that loads the
// SDK's default configuration), disables the instance metadata service
// and points the shared config and credentials files at empty ones in a
// new temporary directory. A test that builds an AWS configuration without
// pointing it at a fake can then find no credentials. The returned
// function removes the directory; call it after the tests ran.
func IsolateEnv() (cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "iamdiag-test-aws")
	if err != nil {
		return nil, fmt.Errorf("isolating the tests from the AWS setup: %w", err)
	}
	cleanup = func() { os.RemoveAll(dir) }
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			os.Unsetenv(k)
		}
	}
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			cleanup()
			return nil, fmt.Errorf("isolating the tests from the AWS setup: %w", err)
		}
	}
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	return cleanup, nil
}

// Env is the environment that points the SDK's default configuration at a
// fake serving at endpoint: AWS_ENDPOINT_URL for every service, the static
// access key accessKey, us-east-1, no session token, profile or instance
// metadata, and the shared config and credentials files dir/config and
// dir/credentials (the caller creates them when they must exist).
func Env(endpoint, accessKey, dir string) map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL":            endpoint,
		"AWS_ACCESS_KEY_ID":           accessKey,
		"AWS_SECRET_ACCESS_KEY":       "fake-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "us-east-1",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_PROFILE":                 "",
	}
}

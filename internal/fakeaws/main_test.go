package fakeaws

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain clears the machine's AWS_* variables (an AWS_ENDPOINT_URL_IAM or
// AWS_PROFILE would redirect the tests that load the SDK's default
// configuration), disables the instance metadata service and points the
// shared config and credentials files at empty ones: the tests reach only
// the fake on 127.0.0.1.
func TestMain(m *testing.M) {
	os.Exit(isolated(m))
}

func isolated(m *testing.M) int {
	dir, err := os.MkdirTemp("", "fakeaws-test-aws")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			os.Unsetenv(k)
		}
	}
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	return m.Run()
}

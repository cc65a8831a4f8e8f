package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/decode"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// fakeSTS answers DecodeAuthorizationMessage with a fixed message.
type fakeSTS struct {
	decoded string
	err     error
	got     string
}

func (f *fakeSTS) DecodeAuthorizationMessage(_ context.Context, in *sts.DecodeAuthorizationMessageInput, _ ...func(*sts.Options)) (*sts.DecodeAuthorizationMessageOutput, error) {
	if in.EncodedMessage != nil {
		f.got = *in.EncodedMessage
	}
	if f.err != nil {
		return nil, f.err
	}
	return &sts.DecodeAuthorizationMessageOutput{DecodedMessage: &f.decoded}, nil
}

func example(t *testing.T, parts ...string) string {
	t.Helper()
	return filepath.Join(append([]string{"..", "..", "examples"}, parts...)...)
}

// seedDecoded is the inner message of examples/seed/decoded-message.json, as
// STS returns it.
func seedDecoded(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(example(t, "seed", "decoded-message.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ DecodedMessage string }
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out.DecodedMessage
}

func TestRunDiagnose(t *testing.T) {
	noAWSCredentials(t)
	snapshot := example(t, "seed", "snapshot.json")
	tests := []struct {
		name      string
		opts      diagnoseOptions
		sts       *fakeSTS
		wantCode  int
		wantOut   []string // substrings of stdout
		wantErr   string   // substring of the error
		wantNoSTS bool
	}{
		{
			name:     "seed error text",
			opts:     diagnoseOptions{Snapshot: snapshot, input: inputOptions{ErrorFile: example(t, "seed", "error.txt")}, Format: "text"},
			wantCode: exitOK,
			wantOut:  []string{"DENIED — explicit deny in a service control policy\n", "attached   OU Workloads (ou-ab12-workloads)"},
		},
		{
			name:     "encoded message decoded by STS",
			opts:     diagnoseOptions{Snapshot: snapshot, input: inputOptions{EncodedMessage: " abc-DEF_123 \n"}, Format: "json"},
			sts:      &fakeSTS{},
			wantCode: exitOK,
			wantOut:  []string{`"decision": "explicit-deny"`, `"source": "encoded-message"`, `"agrees": true`, `"ec2:InstanceType": [`},
		},
		{
			name:     "STS failure says what to do",
			opts:     diagnoseOptions{Snapshot: snapshot, input: inputOptions{EncodedMessage: "abc"}, Format: "text"},
			sts:      &fakeSTS{err: errors.New("AccessDenied")},
			wantCode: exitFailure,
			wantErr:  "--decoded-message",
		},
		{
			// No offline source: the live account, here without
			// credentials.
			name:      "no source",
			opts:      diagnoseOptions{input: inputOptions{EncodedMessage: "abc"}, Format: "text"},
			sts:       &fakeSTS{},
			wantCode:  exitFailure,
			wantErr:   "no usable AWS credentials: refresh the credentials",
			wantNoSTS: true,
		},
		{
			name:     "flags override the message",
			opts:     diagnoseOptions{Snapshot: snapshot, input: inputOptions{ErrorFile: example(t, "seed", "error.txt"), Action: "ec2:DescribeImages"}, Format: "text"},
			wantCode: exitOK,
			wantOut:  []string{"action     ec2:DescribeImages"},
		},
		{
			name:     "markdown",
			opts:     diagnoseOptions{Snapshot: snapshot, input: inputOptions{ErrorFile: example(t, "seed", "error.txt")}, Format: "markdown"},
			wantCode: exitOK,
			wantOut:  []string{"## DENIED — explicit deny in a service control policy", "| permissions-boundary |"},
		},
		{
			name:     "bad format",
			opts:     diagnoseOptions{Snapshot: snapshot, input: inputOptions{ErrorFile: example(t, "seed", "error.txt")}, Format: "yaml"},
			wantCode: exitUsage,
			wantErr:  "want text, json, markdown or slack",
		},
		{
			name:     "no-default-scp without scp",
			opts:     diagnoseOptions{IdentityPolicies: []string{example(t, "condition", "role-policy.json")}, NoDefaultSCP: true, input: inputOptions{Principal: "arn:aws:iam::123456789012:role/R", Action: "ec2:RunInstances"}, Format: "text"},
			wantCode: exitUsage,
			wantErr:  "--no-default-scp needs --scp",
		},
		{
			name:     "unreadable policy file",
			opts:     diagnoseOptions{IdentityPolicies: []string{"does-not-exist.json"}, input: inputOptions{Principal: "arn:aws:iam::123456789012:role/R", Action: "ec2:RunInstances"}, Format: "text"},
			wantCode: exitFailure,
			wantErr:  "does-not-exist.json",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			f := tt.sts
			if f == nil {
				f = &fakeSTS{err: errors.New("STS must not be called")}
			}
			if f.decoded == "" && f.err == nil {
				f.decoded = seedDecoded(t)
			}
			called := false
			opts.sts = func(context.Context, string, string) (decode.Decoder, error) {
				called = true
				return f, nil
			}
			var stdout, stderr bytes.Buffer
			err := runDiagnose(context.Background(), &opts, &stdout, &stderr)
			if got := exitCode(err); got != tt.wantCode {
				t.Fatalf("exit code %d (err %v), want %d", got, err, tt.wantCode)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want it to contain %q", err, tt.wantErr)
			}
			for _, s := range tt.wantOut {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
				}
			}
			if tt.wantNoSTS && called {
				t.Error("STS was called")
			}
			if stderr.Len() > 0 {
				t.Errorf("stderr: %s", stderr.String())
			}
		})
	}
}

func TestHintKind(t *testing.T) {
	tests := []struct {
		name string
		kind string
		want simulate.BlockerKind
	}{
		{"explicit", decode.KindExplicitDeny, simulate.BlockerExplicitDeny},
		{"implicit", decode.KindImplicitDeny, simulate.BlockerImplicitDeny},
		{"not said", "", 0},
		{"unknown", "denied", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hintKind(tt.kind); got != tt.want {
				t.Errorf("hintKind(%q) = %v, want %v", tt.kind, got, tt.want)
			}
		})
	}
}

func TestEncodedMessageTrimmed(t *testing.T) {
	f := &fakeSTS{decoded: seedDecoded(t)}
	opts := &diagnoseOptions{Snapshot: example(t, "seed", "snapshot.json"), Format: "text", input: inputOptions{EncodedMessage: "  abc\n"}}
	opts.sts = func(context.Context, string, string) (decode.Decoder, error) { return f, nil }
	if err := runDiagnose(context.Background(), opts, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("abc", f.got); diff != "" {
		t.Errorf("encoded message sent to STS (-want +got):\n%s", diff)
	}
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"help", []string{"help"}, exitOK},
		{"no command", nil, exitUsage},
		{"unknown command", []string{"nope"}, exitUsage},
		{"unknown flag", []string{"decode", "--nope"}, exitUsage},
		{"decode flags", []string{"decode", "--principal", "arn:aws:iam::123456789012:role/R", "--action", "s3:GetObject"}, exitOK},
		{"decode unreadable file", []string{"decode", "--error-file", "does-not-exist.txt"}, exitFailure},
		{"diagnose without source", []string{"diagnose", "--principal", "arn:aws:iam::123456789012:role/R", "--action", "s3:GetObject"}, exitFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if got := run(tt.args, strings.NewReader(""), &out, &errOut); got != tt.want {
				t.Errorf("run(%q) = %d, want %d; stderr: %s", tt.args, got, tt.want, errOut.String())
			}
		})
	}
}

// TestVerboseLogsNoSecrets checks that -v logs progress to stderr but not the
// encoded message nor policy contents, which are for debug level only.
func TestVerboseLogsNoSecrets(t *testing.T) {
	var out, errOut bytes.Buffer
	args := []string{"diagnose", "-v", "--snapshot", example(t, "seed", "snapshot.json"), "--error-file", example(t, "seed", "error.txt")}
	if code := run(args, strings.NewReader(""), &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	logs := errOut.String()
	if !strings.Contains(logs, "evaluated") {
		t.Errorf("-v logged nothing useful:\n%s", logs)
	}
	for _, secret := range []string{"84ekLPCLn0SFqZYV", "ec2:DescribeKeyPairs", "NoEC2"} {
		if strings.Contains(logs, secret) {
			t.Errorf("-v log holds %q:\n%s", secret, logs)
		}
	}
	errOut.Reset()
	out.Reset()
	if code := run(args[:1], strings.NewReader(""), &out, &errOut); code != exitUsage {
		t.Errorf("diagnose without input: exit %d", code)
	}
}

func TestColorable(t *testing.T) {
	if colorable(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
	t.Setenv("NO_COLOR", "1")
	if colorable(os.Stdout) {
		t.Error("NO_COLOR=1 must disable colour")
	}
}

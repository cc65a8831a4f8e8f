package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parityQuestion is one question, as the CLI's flags and as the daemon's
// JSON body.
type parityQuestion struct {
	name string
	args []string
	body string
}

// parityQuestions are asked of both front ends: principal and action, an
// error text (decoded the same way by both), and context values.
func parityQuestions(t *testing.T) []parityQuestion {
	t.Helper()
	errText, err := os.ReadFile(example(t, "seed", "error.txt"))
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]string{"error": string(errText)})
	if err != nil {
		t.Fatal(err)
	}
	return []parityQuestion{
		{name: "principal and action",
			args: []string{"--principal", "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/jane", "--action", "ec2:RunInstances"},
			body: `{"principal": "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/jane", "action": "ec2:RunInstances"}`},
		{name: "error text", args: []string{"--error-file", example(t, "seed", "error.txt")}, body: string(body)},
		{name: "context", args: []string{"--principal", "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/jane", "--action", "ec2:RunInstances",
			"--context", "aws:RequestedRegion=eu-west-1"},
			body: `{"principal": "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/jane", "action": "ec2:RunInstances", "context": {"aws:RequestedRegion": "eu-west-1"}}`},
	}
}

// TestCLIAndDaemonAgree: the same question against the same source gets
// the same JSON answer from `iamdiag diagnose --format json` and from
// `iamdiag serve`'s POST /v1/diagnose, cross-check included for the live
// account.
func TestCLIAndDaemonAgree(t *testing.T) {
	snapshot := example(t, "seed", "snapshot.json")
	t.Run("live", func(t *testing.T) {
		d := startLiveDaemon(t, snapshot)
		for _, q := range parityQuestions(t) {
			t.Run(q.name, func(t *testing.T) {
				cli := cliAnswer(t, q.args...)
				if _, ok := cli["crosscheck"].(map[string]any); !ok {
					t.Fatalf("the CLI's live answer has no crosscheck: %v", cli["crosscheck"])
				}
				assertSameAnswer(t, cli, daemonAnswer(t, d.addr, q.body))
			})
		}
	})
	t.Run("snapshot", func(t *testing.T) {
		addr := startDaemon(t, "--snapshot", snapshot)
		for _, q := range parityQuestions(t) {
			t.Run(q.name, func(t *testing.T) {
				cli := cliAnswer(t, append(q.args, "--snapshot", snapshot)...)
				if _, ok := cli["crosscheck"]; ok {
					t.Errorf("an offline answer has a crosscheck: %v", cli["crosscheck"])
				}
				assertSameAnswer(t, cli, daemonAnswer(t, addr, q.body))
			})
		}
	})
}

// cliAnswer runs `iamdiag diagnose ARGS --format json` and decodes its
// answer.
func cliAnswer(t *testing.T, args ...string) map[string]any {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(append(append([]string{"diagnose"}, args...), "--format", "json"), strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("iamdiag diagnose %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
	}
	var out map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("the CLI's answer: %v\n%s", err, stdout.String())
	}
	return out
}

// daemonAnswer POSTs body to addr's /v1/diagnose and decodes its answer.
func daemonAnswer(t *testing.T, addr, body string) map[string]any {
	t.Helper()
	d := &liveDaemon{addr: addr}
	code, b := d.do(t, http.MethodPost, "/v1/diagnose", body)
	if code != http.StatusOK {
		t.Fatalf("POST /v1/diagnose %s: %d\n%s", body, code, b)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(b), &out); err != nil {
		t.Fatalf("the daemon's answer: %v\n%s", err, b)
	}
	return out
}

// assertSameAnswer compares the two answers whole: no member of a
// `diagnose --format json` answer may differ between the front ends (both
// run diagnose.Run and render with report.JSON, and the answer carries no
// time), so none is ignored.
func assertSameAnswer(t *testing.T, cli, daemon map[string]any) {
	t.Helper()
	if diff := cmp.Diff(cli, daemon); diff != "" {
		t.Errorf("the CLI and the daemon disagree (-cli +daemon):\n%s", diff)
	}
}

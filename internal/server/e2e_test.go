package server

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
)

// buildIamdiag builds the real binary into a temporary directory.
func buildIamdiag(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "iamdiag")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/iamdiag")
	cmd.Dir = repoFile(t, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// daemon is a running `iamdiag serve`.
type daemon struct {
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	logs strings.Builder
	done chan error
}

var servingRE = regexp.MustCompile(`"msg":"serving","addr":"([^"]+)"`)

// startDaemon starts bin serve with args and env on 127.0.0.1:0 and waits
// for its address.
func startDaemon(t *testing.T, bin string, env []string, args ...string) *daemon {
	t.Helper()
	d := &daemon{done: make(chan error, 1)}
	d.cmd = exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--log-format", "json", "--drain-delay", "100ms"}, args...)...)
	d.cmd.Dir = repoFile(t, ".")
	d.cmd.Env = append(os.Environ(), env...)
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			d.mu.Lock()
			d.logs.WriteString(sc.Text() + "\n")
			d.mu.Unlock()
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		d.done <- d.cmd.Wait()
	}()
	t.Cleanup(func() { _ = d.cmd.Process.Kill() })
	select {
	case d.addr = <-addr:
	case err := <-d.done:
		t.Fatalf("daemon exited: %v\n%s", err, d.log())
	case <-time.After(30 * time.Second):
		t.Fatalf("daemon did not start\n%s", d.log())
	}
	return d
}

func (d *daemon) log() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.logs.String()
}

// stop sends SIGTERM and checks a clean exit.
func (d *daemon) stop(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		if err != nil {
			t.Errorf("daemon exited with %v after SIGTERM\n%s", err, d.log())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("daemon did not stop on SIGTERM")
	}
}

func (d *daemon) post(t *testing.T, path, token string, body io.Reader, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", "http://"+d.addr+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (d *daemon) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + d.addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestEndToEnd starts the real binary against the seed snapshot, and
// against the fake AWS server as the live account, posts an API diagnosis
// and a signed Slack command, and checks verdicts, metrics, logs and a
// clean SIGTERM.
func TestEndToEnd(t *testing.T) {
	bin := buildIamdiag(t)
	secretFile := filepath.Join(t.TempDir(), "slack-secret")
	if err := os.WriteFile(secretFile, []byte(testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fake, err := fakeaws.NewFromFile(repoFile(t, "examples/seed/snapshot.json"), fakeaws.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fakeURL := fake.Start()
	stateDir := filepath.Join(t.TempDir(), "state")
	t.Cleanup(fake.Close)

	for _, tt := range []struct {
		name  string
		env   []string
		args  []string
		aws   bool // the live source calls AWS
		audit bool // the scheduled audit runs
	}{
		{name: "snapshot", audit: true, args: []string{"--snapshot", "examples/seed/snapshot.json", "--audit-every", "24h", "--state-dir", stateDir}},
		{name: "live", aws: true, args: []string{"--live"}, env: []string{
			"AWS_ENDPOINT_URL=" + fakeURL, "AWS_ACCESS_KEY_ID=AKIAFAKEFAKEFAKEFAKE", "AWS_SECRET_ACCESS_KEY=fake",
			"AWS_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := append([]string{"IAMDIAG_TOKEN=" + testToken, "IAMDIAG_SLACK_SIGNING_SECRET_FILE=" + secretFile, "IAMDIAG_RATE_LIMIT=0"}, tt.env...)
			d := startDaemon(t, bin, env, tt.args...)

			if code, body := d.get(t, "/readyz"); code != 200 {
				t.Fatalf("readyz %d %s", code, body)
			}
			code, body := d.post(t, "/v1/diagnose", testToken, jsonBody(t, map[string]any{"error": seedError(t)}), nil)
			if code != 200 {
				t.Fatalf("diagnose %d %s", code, body)
			}
			var v struct {
				Decision string `json:"decision"`
				Blockers []struct {
					Layer     string `json:"layer"`
					Statement string `json:"statement"`
				} `json:"blockers"`
			}
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Fatal(err)
			}
			if v.Decision != "explicit-deny" || len(v.Blockers) == 0 || v.Blockers[0].Layer != "scp" || v.Blockers[0].Statement != "NoEC2" {
				t.Errorf("API verdict %s %+v, want the SCP's NoEC2", v.Decision, v.Blockers)
			}
			if code, _ := d.post(t, "/v1/diagnose", "wrong", jsonBody(t, map[string]any{"error": seedError(t)}), nil); code != 401 {
				t.Errorf("wrong token: %d", code)
			}

			sbody, h := signedSlack(testSecret, map[string]string{"text": seedPrincipal + " ec2:RunInstances", "response_url": "https://hooks.slack.com/commands/T1/1/x"}, time.Now())
			code, body = d.post(t, slackPath, "", sbody, h)
			if code != 200 || !strings.Contains(body, `"text": "DENIED: explicit deny in a service control policy"`) || strings.Contains(body, "123456789012") {
				t.Errorf("slack %d %s, want the redacted SCP verdict", code, body)
			}
			sbody, h = signedSlack("not-the-secret", map[string]string{"text": seedPrincipal + " ec2:RunInstances"}, time.Now())
			if code, _ := d.post(t, slackPath, "", sbody, h); code != 401 {
				t.Errorf("bad signature: %d", code)
			}

			code, body = d.post(t, "/v1/lint", testToken, jsonBody(t, map[string]any{"policies": []any{map[string]any{"name": "wide.json", "type": "identity",
				"document": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}}}}}}), nil)
			if code != 200 || !strings.Contains(body, `"rule"`) || !strings.Contains(body, "wide.json") {
				t.Errorf("lint %d %s, want findings on the wildcard policy", code, body)
			}

			if tt.audit {
				// The first audit starts at once: no stored report yet.
				deadline := time.Now().Add(30 * time.Second)
				var st AuditStatus
				for st.Report == nil && time.Now().Before(deadline) {
					req, _ := http.NewRequest("GET", "http://"+d.addr+"/v1/audit", nil)
					req.Header.Set("Authorization", "Bearer "+testToken)
					if resp, err := http.DefaultClient.Do(req); err == nil {
						_ = json.NewDecoder(resp.Body).Decode(&st)
						resp.Body.Close()
					}
					time.Sleep(50 * time.Millisecond)
				}
				if st.Report == nil || st.Time == nil || st.Every != "24h0m0s" {
					t.Fatalf("no audit within 30s: %+v", st)
				}
				if _, err := os.Stat(filepath.Join(stateDir, auditFile)); err != nil {
					t.Errorf("the audit was not stored: %v", err)
				}
				if code, body := d.post(t, "/v1/audit/run", testToken, nil, nil); code != 202 && code != 409 {
					t.Errorf("audit run: %d %s", code, body)
				}
			}

			_, metrics := d.get(t, "/metrics")
			for _, want := range []string{
				`iamdiag_http_requests_total{code="200",route="/v1/diagnose"} 1`,
				`iamdiag_http_requests_total{code="401",route="/v1/diagnose"} 1`,
				`iamdiag_http_requests_total{code="200",route="/slack/command"} 1`,
				`iamdiag_http_requests_total{code="401",route="/slack/command"} 1`,
				`iamdiag_diagnoses_total{decision="explicit-deny"} 2`,
			} {
				if !strings.Contains(metrics, want) {
					t.Errorf("metrics lack %q", want)
				}
			}
			if tt.audit && (!strings.Contains(metrics, `iamdiag_audit_findings{severity="error"}`) || !strings.Contains(metrics, `iamdiag_audit_last_run_timestamp_seconds{result="success"}`)) {
				t.Errorf("audit metrics missing:\n%s", grep(metrics, "iamdiag_audit"))
			}
			if tt.aws && (!strings.Contains(metrics, `iamdiag_aws_calls_total{error_code="",operation="iam:GetRole"}`) || !strings.Contains(metrics, `iamdiag_cache_requests_total{result="miss"}`)) {
				t.Errorf("live metrics lack the AWS calls:\n%s", grep(metrics, "iamdiag_aws"))
			}
			if tt.aws && fake.TotalCalls() == 0 {
				t.Error("the live source made no AWS call")
			}
			d.stop(t)
			logs := d.log()
			for _, secret := range []string{testToken, testSecret} {
				if strings.Contains(logs, secret) {
					t.Errorf("the daemon logged %q", secret)
				}
			}
			if !strings.Contains(logs, `"msg":"stopped"`) {
				t.Errorf("no clean stop in the log:\n%s", logs)
			}
		})
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

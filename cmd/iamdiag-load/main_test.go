package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// TestLoadShort runs a 3-second load against the real daemon serving the
// seed snapshot. It is long and CPU-heavy: set IAMDIAG_LOADTEST=1.
func TestLoadShort(t *testing.T) {
	if os.Getenv("IAMDIAG_LOADTEST") == "" {
		t.Skip("set IAMDIAG_LOADTEST=1 to run the load test")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "iamdiag")
	build := exec.Command("go", "build", "-o", bin, "./cmd/iamdiag")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--snapshot", "examples/seed/snapshot.json", "--no-auth", "--listen", "127.0.0.1:0", "--rate-limit", "0")
	cmd.Dir = root
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`"msg":"serving","addr":"([^"]+)"`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	var a string
	select {
	case a = <-addr:
	case <-time.After(30 * time.Second):
		t.Fatal("daemon did not start")
	}
	res, err := load(context.Background(), options{url: "http://" + a, duration: 3 * time.Second, concurrency: 8, pid: cmd.Process.Pid, sample: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d requests, %.0f req/s, p50 %s p99 %s, %d errors", res.requests, res.rps(), res.percentile(50), res.percentile(99), res.errors)
	if res.errors > 0 || res.requests == 0 {
		t.Errorf("%d errors of %d requests (first: %s)", res.errors, res.requests, res.firstErr)
	}
	if p99 := res.percentile(99); p99 >= 50*time.Millisecond {
		t.Errorf("p99 %s, want under 50ms", p99)
	}
}

func TestLoadRefusesRemote(t *testing.T) {
	for _, u := range []string{"http://10.0.0.1:8080", "http://example.com", "https://hooks.slack.com"} {
		if _, err := load(context.Background(), options{url: u, duration: time.Second, concurrency: 1}); err == nil {
			t.Errorf("load(%s) ran", u)
		}
	}
}

func TestPercentile(t *testing.T) {
	r := &result{}
	for i := 1; i <= 100; i++ {
		r.latencies = append(r.latencies, time.Duration(i)*time.Millisecond)
	}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}} {
		if got := r.percentile(tt.p); got != tt.want {
			t.Errorf("percentile(%v) = %s, want %s", tt.p, got, tt.want)
		}
	}
}

// Command iamdiag-load load-tests a running `iamdiag serve` on this machine:
// it posts the same warm diagnosis from many workers for a fixed time and
// reports throughput, latency percentiles and errors, and, given the
// daemon's pid, its resident memory over the run (for soak tests).
//
// It talks to loopback addresses only.
//
// Usage:
//
//	iamdiag serve --snapshot examples/seed/snapshot.json --no-auth --rate-limit 0 &
//	iamdiag-load --url http://127.0.0.1:8080 --duration 30s --concurrency 32 --pid $!
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// defaultBody is the seed example given by flags: a warm diagnosis from
// examples/seed/snapshot.json.
const defaultBody = `{"principal": "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/session-name",
 "action": "ec2:RunInstances", "resource": "arn:aws:ec2:us-east-1:123456789012:instance/*",
 "context": {"aws:RequestedRegion": ["us-east-1"]}}`

// options are the command's flags.
type options struct {
	url         string
	token       string
	body        string
	duration    time.Duration
	concurrency int
	pid         int
	sample      time.Duration
	minRPS      float64
	maxP99      time.Duration
}

// result is what a run measured.
type result struct {
	requests  int
	errors    int
	firstErr  string
	elapsed   time.Duration
	latencies []time.Duration
	rss       []int64 // KiB, one per sample
}

func (r *result) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// percentile returns the p-th percentile latency (0 < p <= 100).
func (r *result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.latencies))*p/100+0.5) - 1
	return r.latencies[min(max(i, 0), len(r.latencies)-1)]
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("iamdiag-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "the daemon's base URL (loopback only)")
	fs.StringVar(&o.token, "token", os.Getenv("IAMDIAG_TOKEN"), "bearer token (default $IAMDIAG_TOKEN)")
	fs.StringVar(&o.body, "body", "", "file holding the POST /v1/diagnose body (default: the seed example by flags)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send requests (at most 10m)")
	fs.IntVar(&o.concurrency, "concurrency", 32, "concurrent workers")
	fs.IntVar(&o.pid, "pid", 0, "the daemon's pid, to sample its resident memory")
	fs.DurationVar(&o.sample, "sample", 10*time.Second, "memory sampling interval with --pid")
	fs.Float64Var(&o.minRPS, "min-rps", 0, "fail unless at least this many requests per second")
	fs.DurationVar(&o.maxP99, "max-p99", 0, "fail unless the 99th percentile latency is below this")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	res, err := load(context.Background(), o)
	if err != nil {
		fmt.Fprintln(stderr, "iamdiag-load:", err)
		return 2
	}
	report(stdout, o, res)
	failed := false
	if res.errors > 0 {
		fmt.Fprintf(stderr, "FAIL: %d errors (first: %s)\n", res.errors, res.firstErr)
		failed = true
	}
	if o.minRPS > 0 && res.rps() < o.minRPS {
		fmt.Fprintf(stderr, "FAIL: %.0f req/s < %.0f\n", res.rps(), o.minRPS)
		failed = true
	}
	if o.maxP99 > 0 && res.percentile(99) >= o.maxP99 {
		fmt.Fprintf(stderr, "FAIL: p99 %s >= %s\n", res.percentile(99), o.maxP99)
		failed = true
	}
	if failed {
		return 1
	}
	return 0
}

// load runs the workers for o.duration.
func load(ctx context.Context, o options) (*result, error) {
	u, err := url.Parse(o.url)
	if err != nil {
		return nil, fmt.Errorf("parsing --url: %w", err)
	}
	if ip := net.ParseIP(u.Hostname()); (ip == nil || !ip.IsLoopback()) && u.Hostname() != "localhost" {
		return nil, fmt.Errorf("--url %s: only loopback addresses may be load-tested", o.url)
	}
	if o.duration <= 0 || o.duration > 10*time.Minute || o.concurrency < 1 || o.concurrency > 1024 {
		return nil, errors.New("--duration must be in (0, 10m] and --concurrency in [1, 1024]")
	}
	body := []byte(defaultBody)
	if o.body != "" {
		if body, err = os.ReadFile(o.body); err != nil {
			return nil, err
		}
	}
	target := strings.TrimSuffix(o.url, "/") + "/v1/diagnose"
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConns: o.concurrency, MaxIdleConnsPerHost: o.concurrency, IdleConnTimeout: time.Minute},
	}
	// One warm-up request: the first diagnosis of a principal is not what
	// is measured.
	if _, err := send(ctx, client, target, o.token, body); err != nil {
		return nil, fmt.Errorf("warm-up request: %w", err)
	}

	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	res := &result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	if o.pid > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(o.sample)
			defer t.Stop()
			for {
				if kb, err := rssKiB(o.pid); err == nil {
					mu.Lock()
					res.rss = append(res.rss, kb)
					mu.Unlock()
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var errs int
			var first string
			for ctx.Err() == nil {
				t0 := time.Now()
				_, err := send(ctx, client, target, o.token, body)
				if ctx.Err() != nil {
					break // cut short by the end of the run: not counted
				}
				lat = append(lat, time.Since(t0))
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			res.requests += len(lat)
			res.errors += errs
			if res.firstErr == "" {
				res.firstErr = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.latencies)
	return res, nil
}

// send posts one diagnosis; anything but 200 is an error.
func send(ctx context.Context, c *http.Client, target, token string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("status %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// rssKiB reads a process's resident set size from /proc (Linux).
func rssKiB(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, errors.New("no VmRSS")
}

// report prints the run's numbers.
func report(w io.Writer, o options, r *result) {
	fmt.Fprintf(w, "requests %d in %s with %d workers: %.0f req/s, %d errors\n", r.requests, r.elapsed.Round(time.Millisecond), o.concurrency, r.rps(), r.errors)
	fmt.Fprintf(w, "latency p50 %s  p90 %s  p99 %s  max %s\n", r.percentile(50).Round(time.Microsecond), r.percentile(90).Round(time.Microsecond),
		r.percentile(99).Round(time.Microsecond), r.percentile(100).Round(time.Microsecond))
	if len(r.rss) > 0 {
		lo, hi := slices.Min(r.rss), slices.Max(r.rss)
		fmt.Fprintf(w, "daemon RSS (KiB) first %d  last %d  min %d  max %d  over %d samples\n", r.rss[0], r.rss[len(r.rss)-1], lo, hi, len(r.rss))
	}
}

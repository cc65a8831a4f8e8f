package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
)

// serveTest serves ts on a loopback listener with timeouts t until the
// test ends or stop is called; stop returns Serve's result.
func serveTest(t *testing.T, ts *testServer, tm Timeouts) (addr string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ts.Serve(ctx, ln, tm) }()
	var once sync.Once
	var result error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-served:
			case <-time.After(30 * time.Second):
				result = errors.New("Serve did not return within 30s")
			}
		})
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return ln.Addr().String(), stop
}

// slowClient opens a connection and sends a request's headers one byte a
// second, as a slowloris client does, until the connection is closed or
// done is; it reports whether it was connected.
func slowClient(addr string, done <-chan struct{}, wg *sync.WaitGroup) bool {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return false
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer c.Close()
		head := "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
		if _, err := io.WriteString(c, head); err != nil {
			return
		}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if _, err := c.Write([]byte("a")); err != nil {
				return
			}
		}
	}()
	return true
}

// envInt reads a positive count from the environment, def when unset.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive count", name, v)
	}
	return n
}

// TestSlowClients opens more slow clients than the connection limit, each
// sending a header byte a second, and checks that /healthz stays fast:
// p99 under 100 ms over fresh connections. IAMDIAG_SLOW_CLIENTS and
// IAMDIAG_MAX_CONNS raise the counts (the README's figures:
// IAMDIAG_SLOW_CLIENTS=15000 IAMDIAG_MAX_CONNS=1024).
func TestSlowClients(t *testing.T) {
	clients := envInt(t, "IAMDIAG_SLOW_CLIENTS", 300)
	maxConns := envInt(t, "IAMDIAG_MAX_CONNS", 100)
	ts := newTestServer(t, zapcore.WarnLevel, func(c *Config) { c.MaxConns = maxConns })
	tm := DefaultTimeouts
	tm.Drain = 0
	addr, _ := serveTest(t, ts, tm)

	done := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(done); wg.Wait() }()
	start := time.Now()
	connected := 0
	for range clients {
		if slowClient(addr, done, &wg) {
			connected++
		}
	}
	ramp := time.Since(start)

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	var lat []time.Duration
	failures := 0
	for range 200 {
		t0 := time.Now()
		resp, err := client.Get("http://" + addr + "/healthz")
		if err != nil {
			failures++
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			failures++
			continue
		}
		lat = append(lat, time.Since(t0))
		time.Sleep(10 * time.Millisecond)
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		t.Fatalf("every /healthz failed (%d)", failures)
	}
	p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
	t.Logf("%d slow clients (%d connected in %s), limit %d: /healthz p50 %s, p99 %s, max %s, %d failed; %.0f connections evicted",
		clients, connected, ramp.Round(time.Millisecond), maxConns, p50, p99, lat[len(lat)-1], failures, value(t, ts.metrics.connsEvicted))
	if failures > 0 {
		t.Errorf("%d of 200 /healthz requests failed", failures)
	}
	if p99 > 100*time.Millisecond {
		t.Errorf("/healthz p99 %s, want under 100ms", p99)
	}
	if clients > maxConns && value(t, ts.metrics.connsEvicted) < 1 {
		t.Error("no connection was evicted above the limit")
	}
}

// TestConnLimitKeepsBusyConnections: at the limit, a connection whose
// request is being handled is not evicted; slow ones are.
func TestConnLimitKeepsBusyConnections(t *testing.T) {
	ts := newTestServer(t, zapcore.WarnLevel, func(c *Config) { c.MaxConns = 4; c.NoAuth, c.Token = true, "" })
	ts.diag.delay = 500 * time.Millisecond
	tm := DefaultTimeouts
	tm.Drain = 0
	addr, _ := serveTest(t, ts, tm)
	status := make(chan string, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/v1/diagnose", "application/json", strings.NewReader(`{"principal": "`+seedPrincipal+`", "action": "ec2:RunInstances"}`))
		if err != nil {
			status <- err.Error()
			return
		}
		resp.Body.Close()
		status <- resp.Status
	}()
	waitFor(t, func() bool { return ts.diag.calls.Load() == 1 })
	done := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(done); wg.Wait() }()
	for range 10 {
		slowClient(addr, done, &wg)
	}
	if got := <-status; got != "200 OK" {
		t.Errorf("the request being handled got %s, want 200 OK", got)
	}
	if n := value(t, ts.metrics.connsEvicted); n < 7 {
		t.Errorf("%.0f connections evicted, want at least 7 of the 10 slow ones", n)
	}
}

// TestRollout sends diagnoses on keep-alive connections while the daemon
// is told to stop (SIGTERM is its context's end), without pause, as a load
// balancer that is slow to notice would: during the drain delay /readyz
// answers 503 and requests are still served; afterwards new connections
// are refused. No request the daemon accepted fails: every one that reached
// it was answered to its client, and the only failures are connections
// the kernel queued after the drain, which the daemon never accepted (a
// load balancer has stopped sending by then).
func TestRollout(t *testing.T) {
	ts := newTestServer(t, zapcore.WarnLevel, func(c *Config) { c.NoAuth, c.Token = true, "" })
	ts.diag.delay = 5 * time.Millisecond
	tm := DefaultTimeouts
	tm.Drain = 400 * time.Millisecond
	addr, stop := serveTest(t, ts, tm)
	body := `{"principal": "` + seedPrincipal + `", "action": "ec2:RunInstances"}`

	var stopAt atomic.Pointer[time.Time]
	var ok, refused, okAfterStop atomic.Int64
	var mu sync.Mutex
	var failures []string
	var early []string // failures before the drain ended: requests the daemon had accepted
	loadDone := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer c.CloseIdleConnections()
			for {
				select {
				case <-loadDone:
					return
				default:
				}
				resp, err := c.Post("http://"+addr+"/v1/diagnose", "application/json", strings.NewReader(body))
				if err != nil {
					var op *net.OpError
					if errors.As(err, &op) && op.Op == "dial" {
						refused.Add(1)
						time.Sleep(5 * time.Millisecond)
						continue
					}
					mu.Lock()
					at := stopAt.Load()
					if at == nil || time.Since(*at) < tm.Drain {
						early = append(early, err.Error())
					}
					failures = append(failures, err.Error())
					mu.Unlock()
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					mu.Lock()
					early = append(early, resp.Status)
					mu.Unlock()
					continue
				}
				ok.Add(1)
				if stopAt.Load() != nil {
					okAfterStop.Add(1)
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	now := time.Now()
	stopAt.Store(&now)
	served := make(chan error, 1)
	go func() { served <- stop() }()

	// Within the drain delay: not ready, still serving.
	time.Sleep(100 * time.Millisecond)
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatalf("/readyz during the drain: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the drain answered %d, want 503", resp.StatusCode)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve returned %v, want nil", err)
	}
	time.Sleep(100 * time.Millisecond)
	close(loadDone)
	wg.Wait()

	handled := value(t, ts.metrics.requests, "200", "/v1/diagnose") // labels in name order: code, route
	t.Logf("%d diagnoses answered (%d after the stop), the daemon answered %.0f; %d refused after the listener closed, %d reset in the kernel's queue as it closed",
		ok.Load(), okAfterStop.Load(), handled, refused.Load(), len(failures))
	if len(early) > 0 {
		t.Errorf("%d requests failed before the listener closed: %s", len(early), early)
	}
	if float64(ok.Load()) != handled {
		t.Errorf("clients got %d answers, the daemon answered %.0f: answers were lost", ok.Load(), handled)
	}
	if okAfterStop.Load() == 0 {
		t.Error("no request was served during the drain delay")
	}
	if refused.Load() == 0 {
		t.Error("new connections were not refused after the drain")
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("still accepting after shutdown")
	}
}

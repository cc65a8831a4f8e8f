package server

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Metrics are the daemon's Prometheus metrics, served by GET /metrics in the
// text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). The module
// cannot build prometheus/client_golang (its dependencies are not in the
// module cache), so the few metric types the daemon needs are implemented
// here; the names and types follow client_golang's conventions so that a
// switch changes no dashboard.
//
// A Metrics is safe for concurrent use. The live AWS source reports its
// calls through ObserveAWSCall and ObserveCache.
type Metrics struct {
	requests      *counterVec
	latency       *histogramVec
	diagnoses     *counterVec
	awsCalls      *counterVec
	awsErrors     *counterVec
	cache         *counterVec
	auditFindings *gaugeVec
	auditLast     *gaugeVec
	auditRuns     *counterVec
	snapshotAt    *gaugeVec
	reloads       *counterVec
	slackAsync    *counterVec
	rateLimited   *counterVec
	start         time.Time
	all           []collector
}

// latencyBuckets are the request latency histogram's upper bounds, in
// seconds: warm diagnoses take a millisecond or two, live ones up to seconds.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// NewMetrics returns the daemon's metrics, all zero.
func NewMetrics() *Metrics {
	m := &Metrics{start: time.Now()}
	m.requests = newCounterVec("iamdiag_http_requests_total", "HTTP requests by route and status code.", "route", "code")
	m.latency = newHistogramVec("iamdiag_http_request_duration_seconds", "HTTP request latency by route.", latencyBuckets, "route")
	m.diagnoses = newCounterVec("iamdiag_diagnoses_total", "Diagnoses produced, by decision.", "decision")
	m.awsCalls = newCounterVec("iamdiag_aws_calls_total", "AWS API calls made by the live source, by operation and error code (\"\" when the call succeeded).", "operation", "error_code")
	m.awsErrors = newCounterVec("iamdiag_aws_errors_total", "Failed AWS API calls of the live source, by AWS error code (\"\" for failures without one).", "error_code")
	m.cache = newCounterVec("iamdiag_cache_requests_total", "Live source cache lookups, by result (hit or miss).", "result")
	m.auditFindings = newGaugeVec("iamdiag_audit_findings", "Findings of the latest audit, by severity.", "severity")
	m.auditLast = newGaugeVec("iamdiag_audit_last_run_timestamp_seconds", "Unix time the latest audit finished, by result (success or failure).", "result")
	m.auditRuns = newCounterVec("iamdiag_audit_runs_total", "Audit runs, by result (success or failure).", "result")
	m.snapshotAt = newGaugeVec("iamdiag_snapshot_loaded_timestamp_seconds", "Unix time the snapshot in use was loaded.")
	m.reloads = newCounterVec("iamdiag_snapshot_reloads_total", "Snapshot reloads after the file changed, by result (success or failure).", "result")
	m.slackAsync = newCounterVec("iamdiag_slack_deferred_total", "Slack commands answered through response_url after an acknowledgement, by result.", "result")
	m.rateLimited = newCounterVec("iamdiag_rate_limited_total", "Requests refused by the per-client rate limit, by route.", "route")
	m.all = []collector{m.requests, m.latency, m.diagnoses, m.awsCalls, m.awsErrors, m.cache, m.auditFindings, m.auditLast, m.auditRuns, m.snapshotAt, m.reloads, m.slackAsync, m.rateLimited}
	return m
}

// ObserveAWSCall counts one AWS API call by the live source: operation is
// "service:Operation", code the AWS error code ("" for success). Hook it to
// the live source's call accounting.
func (m *Metrics) ObserveAWSCall(operation, code string) {
	m.awsCalls.add(1, operation, code)
}

// ObserveAWSError counts one failed AWS API call by error code, for
// sources that count failures apart from operations.
func (m *Metrics) ObserveAWSError(code string) {
	m.awsErrors.add(1, code)
}

// ObserveCache counts live-source cache lookups.
func (m *Metrics) ObserveCache(hits, misses int) {
	if hits > 0 {
		m.cache.add(float64(hits), "hit")
	}
	if misses > 0 {
		m.cache.add(float64(misses), "miss")
	}
}

// observeRequest records one finished HTTP request.
func (m *Metrics) observeRequest(route string, status int, d time.Duration) {
	m.requests.add(1, route, strconv.Itoa(status))
	m.latency.observe(d.Seconds(), route)
}

// observeAudit records a finished audit.
func (m *Metrics) observeAudit(rep *AuditReport, err error, at time.Time) {
	if err != nil {
		m.auditRuns.add(1, "failure")
		m.auditLast.set(float64(at.Unix()), "failure")
		return
	}
	m.auditRuns.add(1, "success")
	m.auditLast.set(float64(at.Unix()), "success")
	m.setFindings(rep)
}

// setFindings sets the findings gauge from rep.
func (m *Metrics) setFindings(rep *AuditReport) {
	counts := map[string]int{}
	for _, s := range severities {
		counts[s] = 0
	}
	for _, f := range rep.Findings {
		counts[f.Severity]++
	}
	m.auditFindings.reset()
	for s, n := range counts {
		m.auditFindings.set(float64(n), s)
	}
}

// ServeHTTP writes every metric, then the process's own.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	bw := bufio.NewWriter(w)
	for _, c := range m.all {
		c.write(bw)
	}
	m.writeProcess(bw)
	_ = bw.Flush()
}

// writeProcess writes the Go runtime and process metrics a soak test
// watches, under client_golang's names.
func (m *Metrics) writeProcess(w io.Writer) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", name, help, name, name, formatFloat(v))
	}
	gauge("go_goroutines", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine()))
	gauge("go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and still in use.", float64(ms.HeapAlloc))
	gauge("go_memstats_sys_bytes", "Number of bytes obtained from system.", float64(ms.Sys))
	if rss, ok := residentBytes(); ok {
		gauge("process_resident_memory_bytes", "Resident memory size in bytes.", float64(rss))
	}
	gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", float64(m.start.Unix()))
}

// residentBytes reads the process's resident set size from /proc (Linux).
func residentBytes() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * int64(os.Getpagesize()), true
}

// collector is one metric family.
type collector interface{ write(w io.Writer) }

// family holds the label sets of one metric family.
type family struct {
	name, help, typ string
	labels          []string
	mu              sync.Mutex
}

// key joins label values into a map key.
func key(values []string) string { return strings.Join(values, "\xff") }

// labelString formats {a="x",b="y"}; extra is appended verbatim (le="…").
func (f *family) labelString(values []string, extra string) string {
	if len(f.labels) == 0 && extra == "" {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, l := range f.labels {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l)
		b.WriteString(`="`)
		b.WriteString(escapeLabel(values[i]))
		b.WriteByte('"')
	}
	if extra != "" {
		if len(f.labels) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(extra)
	}
	b.WriteByte('}')
	return b.String()
}

func (f *family) header(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f.name, f.help, f.name, f.typ)
}

// escapeLabel escapes a label value: backslash, double quote and newline.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// series is one label set's value.
type series struct {
	values []string
	v      float64
}

// counterVec is a counter family with labels (a gauge when typ is "gauge").
type counterVec struct {
	family
	m map[string]*series
}

func newCounterVec(name, help string, labels ...string) *counterVec {
	return &counterVec{family: family{name: name, help: help, typ: "counter", labels: labels}, m: map[string]*series{}}
}

func (c *counterVec) add(v float64, values ...string) {
	c.mu.Lock()
	s := c.get(values)
	s.v += v
	c.mu.Unlock()
}

func (c *counterVec) get(values []string) *series {
	k := key(values)
	s, ok := c.m[k]
	if !ok {
		s = &series{values: slices.Clone(values)}
		c.m[k] = s
	}
	return s
}

// value returns the value of one label set (tests).
func (c *counterVec) value(values ...string) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m[key(values)]; ok {
		return s.v
	}
	return 0
}

func (c *counterVec) write(w io.Writer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.header(w)
	for _, k := range slices.Sorted(maps.Keys(c.m)) {
		s := c.m[k]
		fmt.Fprintf(w, "%s%s %s\n", c.name, c.labelString(s.values, ""), formatFloat(s.v))
	}
}

// gaugeVec is a gauge family with labels.
type gaugeVec struct{ counterVec }

func newGaugeVec(name, help string, labels ...string) *gaugeVec {
	g := &gaugeVec{*newCounterVec(name, help, labels...)}
	g.typ = "gauge"
	return g
}

func (g *gaugeVec) set(v float64, values ...string) {
	g.mu.Lock()
	g.get(values).v = v
	g.mu.Unlock()
}

func (g *gaugeVec) reset() {
	g.mu.Lock()
	clear(g.m)
	g.mu.Unlock()
}

// histogramVec is a histogram family with labels.
type histogramVec struct {
	family
	buckets []float64
	m       map[string]*histogram
}

type histogram struct {
	values []string
	counts []uint64 // per bucket, not cumulative
	count  uint64
	sum    float64
}

func newHistogramVec(name, help string, buckets []float64, labels ...string) *histogramVec {
	return &histogramVec{family: family{name: name, help: help, typ: "histogram", labels: labels}, buckets: buckets, m: map[string]*histogram{}}
}

func (h *histogramVec) observe(v float64, values ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := key(values)
	s, ok := h.m[k]
	if !ok {
		s = &histogram{values: slices.Clone(values), counts: make([]uint64, len(h.buckets))}
		h.m[k] = s
	}
	if i, _ := slices.BinarySearch(h.buckets, v); i < len(h.buckets) {
		s.counts[i]++
	}
	s.count++
	s.sum += v
}

func (h *histogramVec) write(w io.Writer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.header(w)
	for _, k := range slices.Sorted(maps.Keys(h.m)) {
		s := h.m[k]
		var cum uint64
		for i, le := range h.buckets {
			cum += s.counts[i]
			fmt.Fprintf(w, "%s_bucket%s %d\n", h.name, h.labelString(s.values, `le="`+formatFloat(le)+`"`), cum)
		}
		fmt.Fprintf(w, "%s_bucket%s %d\n", h.name, h.labelString(s.values, `le="+Inf"`), s.count)
		fmt.Fprintf(w, "%s_sum%s %s\n", h.name, h.labelString(s.values, ""), formatFloat(s.sum))
		fmt.Fprintf(w, "%s_count%s %d\n", h.name, h.labelString(s.values, ""), s.count)
	}
}

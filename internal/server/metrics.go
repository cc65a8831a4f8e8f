package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the daemon's Prometheus metrics, kept in a registry of their
// own (not client_golang's global one, so that tests and several servers in
// one process do not collide) and served by GET /metrics through promhttp.
//
// A Metrics is safe for concurrent use. The live AWS source reports its
// calls through ObserveAWSCall and ObserveCache.
type Metrics struct {
	reg           *prometheus.Registry
	handler       http.Handler
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	diagnoses     *prometheus.CounterVec
	awsCalls      *prometheus.CounterVec
	awsErrors     *prometheus.CounterVec
	cache         *prometheus.CounterVec
	auditFindings *prometheus.GaugeVec
	auditLast     *prometheus.GaugeVec
	auditRuns     *prometheus.CounterVec
	snapshotAt    prometheus.Gauge
	reloads       *prometheus.CounterVec
	slackAsync    *prometheus.CounterVec
	rateLimited   *prometheus.CounterVec
	connsEvicted  prometheus.Counter

	// reloadFailing and unreadableDocs say what /readyz calls degraded.
	reloadFailing, unreadableDocs prometheus.Gauge
}

// latencyBuckets are the request latency histogram's upper bounds, in
// seconds: warm diagnoses take a millisecond or two, live ones up to seconds.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// NewMetrics returns the daemon's metrics, all zero, with the Go runtime
// and process collectors.
func NewMetrics() *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	m := &Metrics{
		reg:           prometheus.NewRegistry(),
		requests:      counter("iamdiag_http_requests_total", "HTTP requests by route and status code.", "route", "code"),
		latency:       prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "iamdiag_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: latencyBuckets}, []string{"route"}),
		diagnoses:     counter("iamdiag_diagnoses_total", "Diagnoses produced, by decision.", "decision"),
		awsCalls:      counter("iamdiag_aws_calls_total", "AWS API calls made by the live source, by operation and error code (\"\" when the call succeeded).", "operation", "error_code"),
		awsErrors:     counter("iamdiag_aws_errors_total", "Failed AWS API calls of the live source, by AWS error code.", "error_code"),
		cache:         counter("iamdiag_cache_requests_total", "Live source cache lookups, by result (hit: answered from the cache; miss: fetched from AWS).", "result"),
		auditFindings: gauge("iamdiag_audit_findings", "Findings of the latest audit, by severity.", "severity"),
		auditLast:     gauge("iamdiag_audit_last_run_timestamp_seconds", "Unix time the latest audit finished, by result (success or failure).", "result"),
		auditRuns:     counter("iamdiag_audit_runs_total", "Audit runs, by result (success or failure).", "result"),
		snapshotAt:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "iamdiag_snapshot_loaded_timestamp_seconds", Help: "Unix time the snapshot in use was loaded."}),
		reloads:       counter("iamdiag_snapshot_reloads_total", "Snapshot reloads after the file changed, by result (success or failure).", "result"),
		slackAsync:    counter("iamdiag_slack_deferred_total", "Slack commands answered through response_url after an acknowledgement, by result.", "result"),
		rateLimited:   counter("iamdiag_rate_limited_total", "Requests refused by the per-client rate limit, by route.", "route"),
		connsEvicted:  prometheus.NewCounter(prometheus.CounterOpts{Name: "iamdiag_http_connections_evicted_total", Help: "Connections closed to make room at the connection limit (idle, or still sending their request headers)."}),
	}
	m.reloadFailing = prometheus.NewGauge(prometheus.GaugeOpts{Name: "iamdiag_snapshot_reload_failing",
		Help: "1 while the snapshot file has changed but cannot be loaded (the previous snapshot is served), else 0."})
	m.unreadableDocs = prometheus.NewGauge(prometheus.GaugeOpts{Name: "iamdiag_snapshot_unreadable_documents",
		Help: "Policy documents of the snapshot in use that cannot be parsed (the layers that use them are unknown)."})
	m.reg.MustRegister(m.requests, m.latency, m.diagnoses, m.awsCalls, m.awsErrors, m.cache,
		m.auditFindings, m.auditLast, m.auditRuns, m.snapshotAt, m.reloads, m.slackAsync, m.rateLimited, m.connsEvicted,
		m.reloadFailing, m.unreadableDocs,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// A failed collection still serves what could be gathered, and is
	// counted in promhttp_metric_handler_errors_total.
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError})
	return m
}

// Registry returns the registry the metrics are kept in, for a caller that
// adds collectors of its own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveAWSCall counts one AWS API call by the live source: operation is
// "service:Operation", code the AWS error code ("" for success). Hook it to
// the live source's call accounting (live.Options.OnCall).
func (m *Metrics) ObserveAWSCall(operation, code string) {
	m.awsCalls.WithLabelValues(operation, code).Inc()
	if code != "" {
		m.awsErrors.WithLabelValues(code).Inc()
	}
}

// ObserveCache counts live-source cache lookups: hits answered from the
// cache, misses fetched from AWS.
func (m *Metrics) ObserveCache(hits, misses int) {
	if hits > 0 {
		m.cache.WithLabelValues("hit").Add(float64(hits))
	}
	if misses > 0 {
		m.cache.WithLabelValues("miss").Add(float64(misses))
	}
}

// observeRequest records one finished HTTP request.
func (m *Metrics) observeRequest(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// observeAudit records a finished audit.
func (m *Metrics) observeAudit(rep *AuditReport, err error, at time.Time) {
	result := "success"
	if err != nil {
		result = "failure"
	}
	m.auditRuns.WithLabelValues(result).Inc()
	m.auditLast.WithLabelValues(result).Set(float64(at.Unix()))
	if err == nil {
		m.setFindings(rep)
	}
}

// setFindings sets the findings gauge from rep: every severity, zero
// included, and nothing else.
func (m *Metrics) setFindings(rep *AuditReport) {
	counts := map[string]int{}
	for _, s := range severities {
		counts[s] = 0
	}
	for _, f := range rep.Findings {
		counts[f.Severity]++
	}
	m.auditFindings.Reset()
	for s, n := range counts {
		m.auditFindings.WithLabelValues(s).Set(float64(n))
	}
}

// ServeHTTP serves the metrics in the format the scraper asks for
// (Prometheus text by default).
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.handler.ServeHTTP(w, r)
}

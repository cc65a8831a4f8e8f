// Package server is the daemon behind `iamdiag serve`: the HTTP API a
// chat-ops bot calls (diagnose, lint, audit), the Slack slash command, health
// and readiness probes and Prometheus metrics, and the machinery around them
// (bearer-token auth, Slack request signatures, per-client rate limits, body
// limits, request ids, panic recovery, the scheduled audit and its on-disk
// state, snapshot reloading).
//
// The package does not evaluate anything itself: the command wires a
// the diagnosis pipeline of internal/diagnose (the same as `iamdiag diagnose`), a Linter and an
// Auditor into Config. Handlers return errors; one handleError writes them as
// JSON and logs them once, with the request id.
package server

// Package audit finds, across every role and user of a snapshot, the
// problems the incident write-up warns about: dangerous or broken policies
// (the lint rules, applied once per policy), federated roles without a
// permissions boundary, grants that a service control policy makes dead
// (allowed by the identity policy, denied by the organization: the
// confusion behind the incident), and principals that can launch an
// instance with a more privileged instance profile (the escalation path a
// stolen session with ec2:RunInstances and iam:PassRole opens).
//
// Run audits a *layers.Snapshot; Text, JSON and Markdown render the
// Report; ReadBaseline and Report.Since keep only what is new since a
// previous run. Every finding has a stable id (a hash of its rule,
// principal, policy, statement and subject) so that baselines survive
// rewording and reordering.
package audit

// Package policy owns the IAM policy language: it parses policy documents
// (string-or-list fields, Version 2008-10-17 and 2012-10-17, every Principal
// form), matches actions, ARNs and principals, evaluates every condition
// operator and policy variable, and evaluates one policy against one request
// with a statement-level trace.
//
// It also holds the value types shared by the packages above it (the request,
// its context, and the policy layers that apply to a request), so that
// decode, layers and simulate can exchange them without importing each other.
//
// The package imports the standard library only: it runs offline, in tests,
// in benchmarks and in the daemon alike.
package policy

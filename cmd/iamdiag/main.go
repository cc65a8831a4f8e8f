// Command iamdiag tells an on-call engineer which AWS policy layer denied a
// call: the service control policy, resource control policy, permissions
// boundary, session policy, an explicit Deny in an identity or resource
// policy, or a missing Allow, naming the policy, statement, attachment point
// and failing condition.
//
// Usage:
//
//	iamdiag diagnose [input] [source] [--format text|json|markdown]
//	iamdiag decode   [input] [--format text|json]
//
// Run `iamdiag help diagnose` for every flag.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

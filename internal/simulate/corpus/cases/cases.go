// Package cases holds the evaluation corpus of internal/simulate: one case
// per file, each with the AWS documentation page that establishes its
// expected answer. The expectations here are derived from AWS's
// documentation, never from running iamdiag's engine.
//
// Files returns the case files; the committed copies live in
// internal/simulate/testdata/corpus and are written by
//
//	go generate ./internal/simulate/corpus/cases
//
// (which runs ../gen). The package owns every *.json file of that
// directory: TestCommittedMatchesGenerated fails when one differs from
// Files, is missing, or is not generated.
package cases

//go:generate go run ../gen -out ../../testdata/corpus

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/iamdiag/iamdiag/internal/simulate/corpus"
)

// Case is a corpus case (package corpus defines the file format, described
// in testdata/corpus/README.md) with the name of its file.
type Case struct {
	name string
	corpus.Case
}

// The parts of a case, named as the generator uses them.
type (
	// Request is the call under evaluation.
	Request = corpus.Request
	// Principal is the caller as the source resolved it.
	Principal = corpus.Principal
	// Org describes the organization.
	Org = corpus.Org
	// Pol is one policy with where it comes from.
	Pol = corpus.Policy
	// Level is one level of the organization with its SCPs or RCPs.
	Level = corpus.Level
	// Expect is the expected outcome.
	Expect = corpus.Expect
	// Blocker is an expected blocker; nil fields are not checked.
	Blocker = corpus.Blocker
)

// adder registers a case under a file name (without ".json").
type adder func(name string, c *Case)

// Ext is the extension of a case file; the package owns every file with it
// in the corpus directory.
const Ext = ".json"

// ErrInvalidCase marks a case the generator refuses: a bad or duplicate
// name, or a case that cites no documentation.
var ErrInvalidCase = errors.New("invalid generated case")

var validName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Files returns the corpus: each case file's name (with Ext) and content.
// The output is deterministic.
func Files() (map[string][]byte, error) {
	var cases []*Case
	add := func(name string, c *Case) {
		c.name = name
		cases = append(cases, c)
	}
	conditionCases(add)
	undecidedCases(add)
	variableCases(add)
	actionResourceCases(add)
	principalCases(add)
	scpCases(add)
	rcpCases(add)
	resourceCases(add)
	boundaryCases(add)
	sessionCases(add)
	identityCases(add)
	inferenceCases(add)
	scenarioCases(add)
	exceptionCases(add)
	publicAccessCases(add)
	serviceCases(add)
	vpceCases(add)

	seen := map[string]bool{}
	for _, c := range cases {
		if !validName.MatchString(c.name) {
			return nil, fmt.Errorf("%w: bad case name %q", ErrInvalidCase, c.name)
		}
		if seen[c.name] {
			return nil, fmt.Errorf("%w: duplicate case name %q", ErrInvalidCase, c.name)
		}
		seen[c.name] = true
		if c.Expect.Blockers == nil {
			c.Expect.Blockers = []Blocker{}
		}
		if len(c.Doc) == 0 {
			return nil, fmt.Errorf("%w: case %s cites no documentation", ErrInvalidCase, c.name)
		}
	}
	files := make(map[string][]byte, len(cases))
	for _, c := range cases {
		b, err := corpus.Marshal(&c.Case)
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", c.name, err)
		}
		files[c.name+Ext] = b
	}
	return files, nil
}

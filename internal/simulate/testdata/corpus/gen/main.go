// Command gen writes the evaluation corpus of internal/simulate: one JSON
// file per case, each with the AWS documentation page that establishes its
// expected answer. The expectations here are derived from AWS's
// documentation, never from running iamdiag's engine.
//
// Run from the repository root:
//
//	go run ./internal/simulate/testdata/corpus/gen
//
// It replaces every *.json file of the corpus directory; the output is
// deterministic.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"sort"

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

var cases []*Case

// add registers a case under a file name.
func add(name string, c *Case) {
	c.name = name
	cases = append(cases, c)
}

var validName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func main() {
	out := flag.String("out", "internal/simulate/testdata/corpus", "corpus directory")
	flag.Parse()

	conditionCases()
	variableCases()
	actionResourceCases()
	principalCases()
	scpCases()
	rcpCases()
	resourceCases()
	boundaryCases()
	sessionCases()
	identityCases()
	inferenceCases()
	scenarioCases()

	seen := map[string]bool{}
	for _, c := range cases {
		if !validName.MatchString(c.name) {
			log.Fatalf("bad case name %q", c.name)
		}
		if seen[c.name] {
			log.Fatalf("duplicate case name %q", c.name)
		}
		seen[c.name] = true
		if c.Expect.Blockers == nil {
			c.Expect.Blockers = []Blocker{}
		}
		if len(c.Doc) == 0 {
			log.Fatalf("case %s cites no documentation", c.name)
		}
	}
	old, err := filepath.Glob(filepath.Join(*out, "*.json"))
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			log.Fatal(err)
		}
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].name < cases[j].name })
	for _, c := range cases {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(&c.Case); err != nil {
			log.Fatalf("encoding %s: %v", c.name, err)
		}
		if err := os.WriteFile(filepath.Join(*out, c.name+".json"), buf.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("wrote %d cases to %s\n", len(cases), *out)
}

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
)

// Case mirrors the corpus file format (testdata/corpus/README.md).
type Case struct {
	name string

	Description string     `json:"description"`
	Doc         []string   `json:"doc"`
	Now         string     `json:"now,omitempty"`
	Request     Request    `json:"request"`
	Principal   *Principal `json:"principal,omitempty"`
	Org         *Org       `json:"org,omitempty"`

	Identity           []Pol   `json:"identity,omitempty"`
	IdentityUnreadable string  `json:"identity_unreadable,omitempty"`
	Boundary           *Pol    `json:"boundary,omitempty"`
	BoundaryUnreadable string  `json:"boundary_unreadable,omitempty"`
	Session            []Pol   `json:"session,omitempty"`
	SessionKnown       *bool   `json:"session_known,omitempty"`
	SCP                []Level `json:"scp,omitempty"`
	SCPUnreadable      string  `json:"scp_unreadable,omitempty"`
	RCP                []Level `json:"rcp,omitempty"`
	RCPUnreadable      string  `json:"rcp_unreadable,omitempty"`
	ResourcePolicy     *Pol    `json:"resource_policy,omitempty"`
	ResourceUnreadable string  `json:"resource_policy_unreadable,omitempty"`
	ResourceAccount    string  `json:"resource_account,omitempty"`

	Expect Expect `json:"expect"`
}

// Request is the call under evaluation.
type Request struct {
	Principal string              `json:"principal"`
	Action    string              `json:"action"`
	Resource  string              `json:"resource"`
	Context   map[string][]string `json:"context,omitempty"`
}

// Principal is the caller as the source resolved it.
type Principal struct {
	IAMARN        string            `json:"iam_arn,omitempty"`
	Account       string            `json:"account,omitempty"`
	Type          string            `json:"type,omitempty"`
	UserID        string            `json:"user_id,omitempty"`
	Username      string            `json:"username,omitempty"`
	SessionName   string            `json:"session_name,omitempty"`
	Service       string            `json:"service,omitempty"`
	Tags          map[string]string `json:"tags,omitempty"`
	ServiceLinked bool              `json:"service_linked,omitempty"`
	OrgID         string            `json:"org_id,omitempty"`
	OrgPaths      []string          `json:"org_paths,omitempty"`
}

// Org describes the organization.
type Org struct {
	ID                string `json:"id"`
	ManagementAccount string `json:"management_account"`
}

// Pol is one policy with where it comes from.
type Pol struct {
	Name       string          `json:"name,omitempty"`
	ARN        string          `json:"arn,omitempty"`
	Origin     string          `json:"origin,omitempty"`
	AWSManaged bool            `json:"aws_managed,omitempty"`
	Document   json.RawMessage `json:"document"`
}

// Level is one level of the organization with its SCPs or RCPs.
type Level struct {
	Target   string `json:"target"`
	Type     string `json:"type"`
	Name     string `json:"name,omitempty"`
	Policies []Pol  `json:"policies"`
}

// Expect is the expected outcome.
type Expect struct {
	Decision string              `json:"decision"`
	Blockers []Blocker           `json:"blockers"`
	Layers   map[string]string   `json:"layers,omitempty"`
	Suspects *[]string           `json:"suspects,omitempty"`
	Inferred map[string][]string `json:"inferred,omitempty"`
	Missing  *[]string           `json:"missing,omitempty"`
	Warnings *bool               `json:"warnings,omitempty"`
}

// Blocker is an expected blocker; nil fields are not checked.
type Blocker struct {
	Layer      string    `json:"layer"`
	Kind       string    `json:"kind"`
	Policy     *string   `json:"policy,omitempty"`
	Statement  *string   `json:"statement,omitempty"`
	Target     *string   `json:"target,omitempty"`
	Conditions *[]string `json:"conditions,omitempty"`
}

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
		if err := enc.Encode(c); err != nil {
			log.Fatalf("encoding %s: %v", c.name, err)
		}
		if err := os.WriteFile(filepath.Join(*out, c.name+".json"), buf.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("wrote %d cases to %s\n", len(cases), *out)
}

package simulate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// The corpus: one JSON file per evaluation case under testdata/corpus, each
// with the AWS documentation page that establishes its expected answer. The
// format is described in testdata/corpus/README.md; the files are written by
// testdata/corpus/gen (go run ./internal/simulate/testdata/corpus/gen).

// corpusDir holds the case files.
const corpusDir = "testdata/corpus"

// corpusMinCases guards against the corpus being lost or emptied by mistake.
const corpusMinCases = 200

// corpusMaxFile bounds the size of one case file.
const corpusMaxFile = 1 << 20

// corpusCase is one case file.
type corpusCase struct {
	Description string           `json:"description"`
	Doc         []string         `json:"doc"`
	Now         string           `json:"now"`
	Request     corpusRequest    `json:"request"`
	Principal   *corpusPrincipal `json:"principal"`
	Org         *corpusOrg       `json:"org"`

	Identity           []corpusPolicy `json:"identity"`
	IdentityUnreadable string         `json:"identity_unreadable"`
	Boundary           *corpusPolicy  `json:"boundary"`
	BoundaryUnreadable string         `json:"boundary_unreadable"`
	Session            []corpusPolicy `json:"session"`
	SessionKnown       *bool          `json:"session_known"`
	SCP                []corpusLevel  `json:"scp"`
	SCPUnreadable      string         `json:"scp_unreadable"`
	RCP                []corpusLevel  `json:"rcp"`
	RCPUnreadable      string         `json:"rcp_unreadable"`
	ResourcePolicy     *corpusPolicy  `json:"resource_policy"`
	ResourceUnreadable string         `json:"resource_policy_unreadable"`
	ResourceAccount    string         `json:"resource_account"`

	Expect corpusExpect `json:"expect"`
}

type corpusRequest struct {
	Principal string              `json:"principal"`
	Action    string              `json:"action"`
	Resource  string              `json:"resource"`
	Context   map[string][]string `json:"context"`
}

type corpusPrincipal struct {
	IAMARN        string            `json:"iam_arn"`
	Account       string            `json:"account"`
	Type          string            `json:"type"`
	UserID        string            `json:"user_id"`
	Username      string            `json:"username"`
	SessionName   string            `json:"session_name"`
	Service       string            `json:"service"`
	Tags          map[string]string `json:"tags"`
	ServiceLinked bool              `json:"service_linked"`
	OrgID         string            `json:"org_id"`
	OrgPaths      []string          `json:"org_paths"`
}

type corpusOrg struct {
	ID                string `json:"id"`
	ManagementAccount string `json:"management_account"`
}

type corpusPolicy struct {
	Name       string          `json:"name"`
	ARN        string          `json:"arn"`
	Origin     string          `json:"origin"`
	AWSManaged bool            `json:"aws_managed"`
	Document   json.RawMessage `json:"document"`
}

type corpusLevel struct {
	Target   string         `json:"target"`
	Type     string         `json:"type"`
	Name     string         `json:"name"`
	Policies []corpusPolicy `json:"policies"`
}

type corpusExpect struct {
	Decision Decision        `json:"decision"`
	Blockers []corpusBlocker `json:"blockers"`
	// Optional checks: absent means not checked.
	Layers   map[string]string   `json:"layers"`
	Suspects *[]string           `json:"suspects"`
	Inferred map[string][]string `json:"inferred"`
	Missing  *[]string           `json:"missing"`
	Warnings *bool               `json:"warnings"`
}

// corpusBlocker is an expected blocker. Layer and Kind are always compared;
// Policy, Statement, Target and Conditions only when the case gives them
// (present with "" means "must be empty").
type corpusBlocker struct {
	Layer      string    `json:"layer"`
	Kind       string    `json:"kind"`
	Policy     *string   `json:"policy"`
	Statement  *string   `json:"statement"`
	Target     *string   `json:"target"`
	Conditions *[]string `json:"conditions"`
}

// blockerView is what the comparison looks at: a Blocker reduced to the
// fields an expected blocker specifies.
type blockerView struct {
	Layer, Kind, Policy, Statement, Target string
	Conditions                             []string
}

var (
	corpusLayers = []string{
		string(policy.LayerSCP), string(policy.LayerRCP), string(policy.LayerResource),
		string(policy.LayerIdentity), string(policy.LayerBoundary), string(policy.LayerSession),
	}
	corpusDecisions      = []Decision{Allowed, ExplicitDeny, ImplicitDeny, Inconclusive}
	corpusLayerDecisions = []string{layerAllow, layerExplicitDeny, layerImplicitDeny, layerNotApplicable, layerExempt, layerUnknown}
)

func TestCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < corpusMinCases {
		t.Fatalf("corpus has %d cases, want at least %d", len(files), corpusMinCases)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			c, err := loadCorpusCase(file)
			if err != nil {
				t.Fatal(err)
			}
			req, layers, opt, err := c.build()
			if err != nil {
				t.Fatal(err)
			}
			res := Evaluate(req, layers, opt)
			c.check(t, res)
			if d := Decide(req, layers, opt); d != res.Decision {
				t.Errorf("Decide = %s, Evaluate = %s", d, res.Decision)
			}
			if t.Failed() {
				t.Logf("case: %s\ndoc: %s", c.Description, strings.Join(c.Doc, " "))
			}
		})
	}
}

// loadCorpusCase reads and validates one case file strictly: unknown fields,
// trailing data and incomplete expectations are errors.
func loadCorpusCase(file string) (*corpusCase, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, corpusMaxFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	if len(data) > corpusMaxFile {
		return nil, fmt.Errorf("reading %s: larger than %d bytes", file, corpusMaxFile)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c corpusCase
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", file, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("decoding %s: trailing data after the case", file)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("validating %s: %w", file, err)
	}
	return &c, nil
}

func (c *corpusCase) validate() error {
	if strings.TrimSpace(c.Description) == "" {
		return errors.New("no description")
	}
	if len(c.Doc) == 0 {
		return errors.New("no doc: every case cites the AWS page that establishes it")
	}
	for _, d := range c.Doc {
		if !strings.HasPrefix(d, "https://docs.aws.amazon.com/") {
			return fmt.Errorf("doc %q is not a docs.aws.amazon.com page", d)
		}
	}
	if c.Request.Principal == "" || c.Request.Action == "" || c.Request.Resource == "" {
		return errors.New("request needs principal, action and resource")
	}
	if !slices.Contains(corpusDecisions, c.Expect.Decision) {
		return fmt.Errorf("expect.decision %q is not one of %v", c.Expect.Decision, corpusDecisions)
	}
	if c.Expect.Blockers == nil {
		return errors.New("expect.blockers is required (an empty list for allowed)")
	}
	if c.Expect.Decision == Allowed && len(c.Expect.Blockers) > 0 {
		return errors.New("an allowed case lists blockers")
	}
	for i, b := range c.Expect.Blockers {
		if !slices.Contains(corpusLayers, b.Layer) {
			return fmt.Errorf("blocker %d: layer %q is not one of %v", i, b.Layer, corpusLayers)
		}
		switch b.Kind {
		case layerExplicitDeny:
			if b.Policy == nil || b.Statement == nil {
				return fmt.Errorf("blocker %d: an explicit deny names its policy and statement", i)
			}
		case layerImplicitDeny:
		default:
			return fmt.Errorf("blocker %d: kind %q is not explicit-deny or implicit-deny", i, b.Kind)
		}
		if (b.Layer == string(policy.LayerSCP) || b.Layer == string(policy.LayerRCP)) && b.Target == nil {
			return fmt.Errorf("blocker %d: an %s blocker names its target", i, b.Layer)
		}
	}
	for l, d := range c.Expect.Layers {
		if !slices.Contains(corpusLayers, l) {
			return fmt.Errorf("expect.layers: %q is not a layer", l)
		}
		if !slices.Contains(corpusLayerDecisions, d) {
			return fmt.Errorf("expect.layers[%s]: %q is not a layer decision", l, d)
		}
	}
	if c.Now != "" {
		if _, err := time.Parse(time.RFC3339, c.Now); err != nil {
			return fmt.Errorf("parsing now: %w", err)
		}
	}
	return nil
}

// build turns the case into the engine's inputs.
func (c *corpusCase) build() (*policy.Request, *policy.Layers, Options, error) {
	req := policy.NewRequest(c.Request.Principal, c.Request.Action, c.Request.Resource)
	for k, v := range c.Request.Context {
		req.Context.Set(k, v...)
	}
	l := &policy.Layers{SessionKnown: true}
	if p := c.Principal; p != nil {
		l.Principal = policy.Principal{
			ARN: c.Request.Principal, IAMARN: p.IAMARN, Account: p.Account, Type: p.Type,
			UserID: p.UserID, Username: p.Username, SessionName: p.SessionName, Service: p.Service,
			Tags: p.Tags, ServiceLinked: p.ServiceLinked, OrgID: p.OrgID, OrgPaths: p.OrgPaths,
		}
	}
	if c.Org != nil {
		l.OrgID, l.ManagementAccount = c.Org.ID, c.Org.ManagementAccount
	}
	var err error
	if l.Identity, err = corpusSources(policy.LayerIdentity, "", c.Identity); err != nil {
		return nil, nil, Options{}, err
	}
	l.IdentityRead = corpusReadability(c.IdentityUnreadable)
	if c.Boundary != nil {
		s, err := c.Boundary.source(policy.LayerBoundary, "")
		if err != nil {
			return nil, nil, Options{}, err
		}
		l.Boundary = &s
	}
	l.BoundaryRead = corpusReadability(c.BoundaryUnreadable)
	if l.Session, err = corpusSources(policy.LayerSession, "", c.Session); err != nil {
		return nil, nil, Options{}, err
	}
	if c.SessionKnown != nil {
		l.SessionKnown = *c.SessionKnown
	}
	if l.SCP, err = corpusLevels(policy.LayerSCP, c.SCP); err != nil {
		return nil, nil, Options{}, err
	}
	l.SCPRead = corpusReadability(c.SCPUnreadable)
	if l.RCP, err = corpusLevels(policy.LayerRCP, c.RCP); err != nil {
		return nil, nil, Options{}, err
	}
	l.RCPRead = corpusReadability(c.RCPUnreadable)
	if c.ResourcePolicy != nil {
		s, err := c.ResourcePolicy.source(policy.LayerResource, "")
		if err != nil {
			return nil, nil, Options{}, err
		}
		l.Resource = &s
	}
	l.ResourceRead = corpusReadability(c.ResourceUnreadable)
	l.ResourceAccount = c.ResourceAccount

	var opt Options
	if c.Now != "" {
		now, _ := time.Parse(time.RFC3339, c.Now) // checked by validate
		opt.Now = func() time.Time { return now }
	}
	return req, l, opt, nil
}

func (p *corpusPolicy) source(layer policy.Layer, target string) (policy.Source, error) {
	if len(p.Document) == 0 {
		return policy.Source{}, fmt.Errorf("%s policy %q has no document", layer, p.Name)
	}
	doc, err := policy.Parse(p.Document)
	if err != nil {
		return policy.Source{}, fmt.Errorf("parsing %s policy %q: %w", layer, p.Name, err)
	}
	return policy.Source{
		Layer: layer, ARN: p.ARN, Name: p.Name, Origin: p.Origin, Target: target,
		AWSManaged: p.AWSManaged, Document: doc,
	}, nil
}

func corpusSources(layer policy.Layer, target string, ps []corpusPolicy) ([]policy.Source, error) {
	var out []policy.Source
	for i := range ps {
		s, err := ps[i].source(layer, target)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func corpusLevels(layer policy.Layer, levels []corpusLevel) ([]policy.OrgLevel, error) {
	var out []policy.OrgLevel
	for _, lv := range levels {
		ps, err := corpusSources(layer, lv.Target, lv.Policies)
		if err != nil {
			return nil, err
		}
		out = append(out, policy.OrgLevel{Target: lv.Target, Type: lv.Type, Name: lv.Name, Policies: ps})
	}
	return out, nil
}

func corpusReadability(code string) policy.Readability {
	if code == "" {
		return policy.Readability{}
	}
	return policy.Readability{Unreadable: true, Error: code, Message: "the corpus case marks this layer unreadable (" + code + ")"}
}

// check compares the result with the case's expectations: ids, never
// wording.
func (c *corpusCase) check(t *testing.T, res *Result) {
	t.Helper()
	e := &c.Expect
	if res.Decision != e.Decision {
		t.Errorf("decision = %s, want %s", res.Decision, e.Decision)
	}

	got := make([]blockerView, len(res.Blockers))
	want := make([]blockerView, len(e.Blockers))
	for i, b := range res.Blockers {
		got[i] = blockerView{Layer: string(b.Layer), Kind: b.Kind, Policy: b.Policy, Statement: b.Statement, Target: b.Target}
		for _, ct := range b.Conditions {
			got[i].Conditions = append(got[i].Conditions, ct.Key)
		}
	}
	for i, b := range e.Blockers {
		want[i] = blockerView{Layer: b.Layer, Kind: b.Kind}
		if i >= len(got) {
			continue
		}
		// Keep only what the expectation specifies.
		g := blockerView{Layer: got[i].Layer, Kind: got[i].Kind}
		if b.Policy != nil {
			want[i].Policy, g.Policy = *b.Policy, got[i].Policy
		}
		if b.Statement != nil {
			want[i].Statement, g.Statement = *b.Statement, got[i].Statement
		}
		if b.Target != nil {
			want[i].Target, g.Target = *b.Target, got[i].Target
		}
		if b.Conditions != nil {
			want[i].Conditions, g.Conditions = lowerSorted(*b.Conditions), lowerSorted(got[i].Conditions)
		}
		got[i] = g
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("blockers (-want +got):\n%s", diff)
	}

	for layer, d := range e.Layers {
		i := slices.IndexFunc(res.Layers, func(lr LayerResult) bool { return string(lr.Layer) == layer })
		if i < 0 {
			t.Errorf("layer %s missing from the result", layer)
			continue
		}
		if res.Layers[i].Decision != d {
			t.Errorf("layer %s decision = %s, want %s (note: %s)", layer, res.Layers[i].Decision, d, res.Layers[i].Note)
		}
	}
	if e.Suspects != nil {
		var gotS []string
		for _, l := range res.Suspects {
			gotS = append(gotS, string(l))
		}
		if diff := cmp.Diff(lowerSorted(*e.Suspects), lowerSorted(gotS)); diff != "" {
			t.Errorf("suspects (-want +got):\n%s", diff)
		}
	}
	for key, want := range e.Inferred {
		if res.Request == nil || !res.Request.Context.Inferred(key) {
			t.Errorf("context key %s was not inferred", key)
			continue
		}
		if len(want) == 0 {
			continue // presence only
		}
		got, _ := res.Request.Context.Get(key)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("inferred %s (-want +got):\n%s", key, diff)
		}
	}
	if e.Missing != nil {
		var gotM []string
		for _, m := range res.Missing {
			gotM = append(gotM, m.Key)
		}
		if diff := cmp.Diff(lowerSorted(*e.Missing), lowerSorted(gotM)); diff != "" {
			t.Errorf("missing keys (-want +got):\n%s", diff)
		}
	}
	if e.Warnings != nil && *e.Warnings != (len(res.Warnings) > 0) {
		t.Errorf("warnings = %q, want some: %v", res.Warnings, *e.Warnings)
	}
}

// lowerSorted returns the distinct values lower-cased and sorted (condition
// key names are case-insensitive), nil for none.
func lowerSorted(in []string) []string {
	var out []string
	for _, s := range in {
		out = append(out, strings.ToLower(s))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

package simulate

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// The differential test runs iamdiag's engine and @cloud-copilot/iam-simulate
// (an independent implementation, run as an external program through
// tools/iamsim/run.mjs) on generated cases and compares the decision and the
// set of blocking layers. Disagreements that AWS's documentation settles in
// iamdiag's favour are accepted by the narrow, named classes in
// diffKnown and documented in docs/DISAGREEMENTS.md.
//
// Environment:
//   IAMDIAG_DIFF_CASES  number of generated cases (default 2000)
//   IAMDIAG_DIFF_SEED   generator seed (default 20261126; logged)
//   IAMDIAG_DIFF_SAVE   directory to write each unexplained disagreement to,
//                       as a regression case for testdata/differential

const (
	defaultDiffCases = 2000
	defaultDiffSeed  = 20261126
	diffBatch        = 500
)

// diffSimOut is one line of run.mjs's output.
type diffSimOut struct {
	ID                 string   `json:"id"`
	ResultType         string   `json:"resultType"`
	Overall            string   `json:"overall"`
	Error              string   `json:"error"`
	ErrorDetail        any      `json:"errorDetail"`
	SameAccount        bool     `json:"sameAccount"`
	BlockedBy          []string `json:"blockedBy"`
	IgnoredContextKeys []string `json:"ignoredContextKeys"`
	Layers             struct {
		Session  *diffSimLayer `json:"session"`
		Identity *diffSimLayer `json:"identity"`
		Boundary *diffSimLayer `json:"boundary"`
		Resource *diffSimLayer `json:"resource"`
		SCP      *diffSimOrg   `json:"scp"`
		RCP      *diffSimOrg   `json:"rcp"`
	} `json:"layers"`
}

type diffSimLayer struct {
	Result              string   `json:"result"`
	Deny                []string `json:"deny"`
	Allow               []string `json:"allow"`
	AllowPrincipalMatch []string `json:"allowPrincipalMatch"`
	DenyPrincipalMatch  []string `json:"denyPrincipalMatch"`
}

type diffSimOrg struct {
	Result string `json:"result"`
	Levels []struct {
		Org    string   `json:"org"`
		Result string   `json:"result"`
		Deny   []string `json:"deny"`
		Allow  []string `json:"allow"`
	} `json:"levels"`
}

// diffVerdict is a decision and its blocking layers in a form both engines map
// to: "layer/explicit" for every layer with an applicable Deny;
// "layer/implicit" for a guardrail layer (SCP, RCP, boundary, session
// policy) that allows nothing and denies nothing; "core/implicit" when
// neither the identity nor the resource-based policy grants what the request
// needs.
type diffVerdict struct {
	Decision Decision
	Blockers []string
}

// diffOurs maps iamdiag's Result.
func diffOurs(r *Result) diffVerdict {
	set := map[string]bool{}
	explicit := map[policy.Layer]bool{}
	for _, b := range r.Blockers {
		if b.Kind == BlockerExplicitDeny {
			explicit[b.Layer] = true
		}
	}
	for _, b := range r.Blockers {
		switch {
		case b.Kind == BlockerExplicitDeny:
			set[string(b.Layer)+"/explicit"] = true
		case b.Layer == policy.LayerIdentity || b.Layer == policy.LayerResource:
			set["core/implicit"] = true
		case !explicit[b.Layer]:
			set[string(b.Layer)+"/implicit"] = true
		}
	}
	return diffVerdict{Decision: r.Decision, Blockers: diffSortedKeys(set)}
}

// diffTheirs maps iam-simulate's per-layer analysis. It also returns the
// decision those blockers imply, which must equal iam-simulate's own overall
// result (a check of this mapping).
func diffTheirs(c *diffCase, s *diffSimOut) (diffVerdict, Decision) {
	set := map[string]bool{}
	L := s.Layers
	explicitL := func(l *diffSimLayer) bool { return l != nil && len(l.Deny) > 0 }
	if explicitL(L.Session) {
		set["session-policy/explicit"] = true
	}
	if explicitL(L.Identity) {
		set["identity-policy/explicit"] = true
	}
	if explicitL(L.Boundary) {
		set["permissions-boundary/explicit"] = true
	}
	if explicitL(L.Resource) {
		set["resource-policy/explicit"] = true
	}
	org := func(o *diffSimOrg, layer string) {
		if o == nil {
			return
		}
		deny, noAllow := false, false
		for _, lv := range o.Levels {
			deny = deny || len(lv.Deny) > 0
			noAllow = noAllow || len(lv.Allow) == 0
		}
		if deny {
			set[layer+"/explicit"] = true
		} else if noAllow {
			set[layer+"/implicit"] = true
		}
	}
	org(L.SCP, "scp")
	org(L.RCP, "rcp")

	identityAllows := L.Identity != nil && len(L.Identity.Allow) > 0
	direct, account := false, false
	if L.Resource != nil {
		for _, m := range L.Resource.AllowPrincipalMatch {
			switch m {
			case "Match", "SessionRoleMatch", "SessionUserMatch":
				direct = true
			case "AccountLevelMatch":
				account = true
			}
		}
	}
	svc, _, _ := strings.Cut(strings.ToLower(c.Action), ":")
	// Services whose resource policy must trust the account even for a
	// same-account caller: KMS key policies and role trust policies.
	explicitTrust := svc == "kms" && c.Resource != "*" || svc == "sts" && c.ResourcePolicy != nil
	var core bool
	switch {
	case s.SameAccount && explicitTrust:
		core = direct || identityAllows && account
	case s.SameAccount:
		core = direct || identityAllows
	default:
		core = identityAllows && (direct || account)
	}
	if !core {
		set["core/implicit"] = true
	}
	if L.Session != nil && !explicitL(L.Session) && len(L.Session.Allow) == 0 {
		set["session-policy/implicit"] = true
	}
	if L.Boundary != nil && !explicitL(L.Boundary) && len(L.Boundary.Allow) == 0 {
		bypass := false
		if s.SameAccount && L.Resource != nil {
			bypass = slices.Contains(L.Resource.AllowPrincipalMatch, "Match")
		}
		if !bypass {
			set["permissions-boundary/implicit"] = true
		}
	}
	v := diffVerdict{Decision: diffSimDecision(s.Overall), Blockers: diffSortedKeys(set)}
	implied := Allowed
	for k := range set {
		if strings.HasSuffix(k, "/explicit") {
			implied = ExplicitDeny
			break
		}
		implied = ImplicitDeny
	}
	return v, implied
}

// diffSimDecision maps iam-simulate's overall result; 0 when it is none of
// the three.
func diffSimDecision(s string) Decision {
	switch s {
	case "Allowed":
		return Allowed
	case "ExplicitlyDenied":
		return ExplicitDeny
	case "ImplicitlyDenied":
		return ImplicitDeny
	}
	return 0
}

func diffSortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// diffClass is a documented, narrow class of disagreement where
// AWS's documentation shows that iam-simulate differs from AWS (or the
// semantics differ by design) and iamdiag follows AWS.
type diffClass struct {
	name string
	doc  string // AWS documentation URL
	// match reports whether the disagreement belongs to the class; it must
	// look at the case and both verdicts, never accept a disagreement it
	// cannot explain.
	match func(c *diffCase, ours, theirs diffVerdict) bool
	// drop, for a class about single statements, reports whether
	// iam-simulate treats a statement as not applying where iamdiag
	// applies it (msgs are iamdiag's Evaluation.Errors for it). Replaying
	// the case through iamdiag without those statements reproduces
	// iam-simulate's reading, which lets classes combine (diffClassify).
	drop func(c *diffCase, layer policy.Layer, t *policy.StatementTrace, msgs []string) bool
}

// diffKnown lists the accepted classes; docs/DISAGREEMENTS.md
// explains each with its evidence. It is set by init, as some classes
// replay cases through the list itself.
var diffKnown []diffClass

func init() { diffKnown = diffKnownClasses() }

func diffKnownClasses() []diffClass {
	return []diffClass{
		{
			// AWS: NotPrincipal exempts only the principals it names; for a
			// role session the session ARN itself must be listed, naming the
			// role or the account is not enough. iam-simulate exempts the
			// session when the role or account is named.
			name: "notprincipal-names-role-or-account-not-session",
			doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html",
			match: func(c *diffCase, ours, theirs diffVerdict) bool {
				return ours.Decision == ExplicitDeny && diffSetAdds(ours, theirs, "resource-policy/explicit") &&
					diffNotPrincipalMissesCaller(c)
			},
			drop: func(c *diffCase, layer policy.Layer, t *policy.StatementTrace, _ []string) bool {
				st := t.Statement
				return layer == policy.LayerResource && st.Effect == policy.Deny && st.NotPrincipal != nil &&
					diffNPMissesCaller(st.NotPrincipal.Values["AWS"], c)
			},
		},
		{
			// AWS: "When you use NotPrincipal with Deny, you must also
			// specify the account ARN of the not-denied principal.
			// Otherwise, the policy might deny access to the entire account
			// containing the principal", and for a role session the role
			// too. iamdiag exempts only a caller whose whole chain is named;
			// iam-simulate exempts the caller when its own ARN is listed.
			name: "notprincipal-names-caller-without-its-account-or-role",
			doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html",
			match: func(c *diffCase, ours, theirs diffVerdict) bool {
				return ours.Decision == ExplicitDeny && diffSetAdds(ours, theirs, "resource-policy/explicit") &&
					diffNotPrincipalMissesChain(c)
			},
			drop: func(c *diffCase, layer policy.Layer, t *policy.StatementTrace, _ []string) bool {
				st := t.Statement
				return layer == policy.LayerResource && st.Effect == policy.Deny && st.NotPrincipal != nil &&
					diffNPMissesChain(st.NotPrincipal.Values["AWS"], c)
			},
		},
		{
			// AWS: a resource-based policy that names the session ARN grants
			// permissions that the session policy does not limit.
			// iam-simulate lets an implicit deny of the session policy win.
			name: "resource-grant-to-session-arn-not-limited-by-session-policy",
			doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session",
			match: func(c *diffCase, ours, theirs diffVerdict) bool {
				return diffSessionBypass(c, ours, theirs, func(v string) bool { return v == c.Principal.ARN })
			},
		},
		{
			// AWS: a condition value whose policy variable has no value is
			// "effectively null"; "Inverted condition operators like
			// StringNotEquals or StringNotLike do match against a null value".
			// iam-simulate makes the whole statement not apply.
			name: "unresolved-variable-negated-operator-matches",
			doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value",
			match: func(c *diffCase, ours, theirs diffVerdict) bool {
				return diffReplayGives(c, theirs, "unresolved-variable-negated-operator-matches")
			},
			drop: func(_ *diffCase, _ policy.Layer, t *policy.StatementTrace, msgs []string) bool {
				// Only where the key is in the request: a negated operator
				// on an absent key is true whatever its values, for both.
				for _, ct := range t.Conditions {
					prefix := "condition " + ct.Operator + " " + strconv.Quote(ct.Key) + ": "
					if ct.KeyPresent && slices.ContainsFunc(msgs, func(msg string) bool {
						return strings.HasPrefix(msg, prefix) && strings.HasSuffix(msg, "the negated operator counts it as not matching")
					}) {
						return true
					}
				}
				return false
			},
		},
		{
			// AWS: "If a variable that has no value in the authorization
			// context is used as part of the Resource or NotResource element
			// of a policy, the resource that includes a policy variable with
			// no value will not match any resource": in NotResource it
			// excludes nothing. iam-simulate makes the whole statement not
			// apply.
			name: "unresolved-variable-in-notresource-excludes-nothing",
			doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value",
			match: func(c *diffCase, ours, theirs diffVerdict) bool {
				return diffReplayGives(c, theirs, "unresolved-variable-in-notresource-excludes-nothing")
			},
			drop: func(_ *diffCase, _ policy.Layer, _ *policy.StatementTrace, msgs []string) bool {
				return slices.ContainsFunc(msgs, func(msg string) bool {
					return strings.HasPrefix(msg, "NotResource ") && strings.Contains(msg, " in this request")
				})
			},
		},
	}
}

// diffReplayGives reports whether iamdiag, replaying the case without the
// statements that class name drops, gives theirs exactly: the disagreement
// then comes from those statements alone.
func diffReplayGives(c *diffCase, theirs diffVerdict, name string) bool {
	v, dropped := diffReplay(c, func(k *diffClass) bool { return k.name == name })
	return dropped != nil && cmp.Equal(v, theirs)
}

// diffReplay evaluates the case with iamdiag after removing every statement
// that a selected class drops, and returns the verdict with the names of
// the classes that dropped something (nil when none did).
func diffReplay(c *diffCase, selected func(*diffClass) bool) (diffVerdict, []string) {
	req, l, err := c.build()
	if err != nil {
		return diffVerdict{}, nil
	}
	res := Evaluate(req, l, Options{})
	drop := map[*policy.Document]map[int]bool{}
	used := map[string]bool{}
	mark := func(layer policy.Layer, pols []PolicyResult) {
		for _, pr := range pols {
			if pr.Evaluation == nil || pr.Source == nil || pr.Source.Document == nil {
				continue
			}
			for i := range pr.Evaluation.Statements {
				t := &pr.Evaluation.Statements[i]
				if t.Statement == nil {
					continue
				}
				n := t.Statement.Index
				if n == 0 {
					n = i + 1
				}
				var msgs []string
				for _, e := range pr.Evaluation.Errors {
					if e.Statement == n {
						msgs = append(msgs, e.Message)
					}
				}
				for k := range diffKnown {
					class := &diffKnown[k]
					if class.drop == nil || !selected(class) || !class.drop(c, layer, t, msgs) {
						continue
					}
					if drop[pr.Source.Document] == nil {
						drop[pr.Source.Document] = map[int]bool{}
					}
					drop[pr.Source.Document][n] = true
					used[class.name] = true
				}
			}
		}
	}
	for _, lr := range res.Layers {
		mark(lr.Layer, lr.Policies)
		for _, lv := range lr.Levels {
			mark(lr.Layer, lv.Policies)
		}
	}
	if len(drop) == 0 {
		return diffVerdict{}, nil
	}
	for doc, idx := range drop {
		kept := doc.Statements[:0:0]
		for i, st := range doc.Statements {
			n := st.Index
			if n == 0 {
				n = i + 1
			}
			if !idx[n] {
				kept = append(kept, st)
			}
		}
		doc.Statements = kept
	}
	return diffOurs(Evaluate(req, l, Options{})), diffSortedKeys(used)
}

// diffSetAdds reports whether ours has exactly theirs' blockers plus extra.
func diffSetAdds(ours, theirs diffVerdict, extra string) bool {
	want := append(append([]string(nil), theirs.Blockers...), extra)
	sort.Strings(want)
	return !slices.Contains(theirs.Blockers, extra) && slices.Equal(want, ours.Blockers)
}

// diffNotPrincipalMissesCaller reports whether the resource policy has a
// Deny statement with a NotPrincipal that names the caller's role, user or
// account but not the caller's own ARN.
func diffNotPrincipalMissesCaller(c *diffCase) bool {
	if c.ResourcePolicy == nil {
		return false
	}
	var d diffDoc
	if json.Unmarshal(c.ResourcePolicy.Document, &d) != nil {
		return false
	}
	for _, st := range d.Statement {
		if st.Effect == "Deny" && st.NotPrincipal != nil && diffNPMissesCaller(diffAWSPrincipals(st.NotPrincipal), c) {
			return true
		}
	}
	return false
}

// diffNPMissesCaller reports whether NotPrincipal AWS values name the
// caller's role, user or account but not the caller's own ARN.
func diffNPMissesCaller(vals []string, c *diffCase) bool {
	if slices.Contains(vals, c.Principal.ARN) {
		return false
	}
	for _, v := range vals {
		if v == c.Principal.IAMARN || v == c.Principal.Account || v == "arn:aws:iam::"+c.Principal.Account+":root" {
			return true
		}
	}
	return false
}

// diffNotPrincipalMissesChain reports whether the resource policy has a
// Deny statement with a NotPrincipal that names the caller's own ARN but not
// its account, or, for a role session, not its role.
func diffNotPrincipalMissesChain(c *diffCase) bool {
	if c.ResourcePolicy == nil {
		return false
	}
	var d diffDoc
	if json.Unmarshal(c.ResourcePolicy.Document, &d) != nil {
		return false
	}
	for _, st := range d.Statement {
		if st.Effect == "Deny" && st.NotPrincipal != nil && diffNPMissesChain(diffAWSPrincipals(st.NotPrincipal), c) {
			return true
		}
	}
	return false
}

// diffNPMissesChain reports whether NotPrincipal AWS values name the
// caller's own ARN but not its account, or, for a role session, not its
// role.
func diffNPMissesChain(vals []string, c *diffCase) bool {
	if !slices.Contains(vals, c.Principal.ARN) {
		return false
	}
	account := slices.Contains(vals, c.Principal.Account) || slices.Contains(vals, "arn:aws:iam::"+c.Principal.Account+":root")
	role := c.Principal.Type != "AssumedRole" || slices.Contains(vals, c.Principal.IAMARN)
	return !account || !role
}

// diffSessionBypass matches a same-account request that iamdiag allows
// through a resource-based Allow whose principal satisfies named, while
// iam-simulate denies it because the session policy allows nothing; or, when
// another layer denies anyway, where the two differ only in iam-simulate
// listing the session policy as a blocker too.
func diffSessionBypass(c *diffCase, ours, theirs diffVerdict, named func(string) bool) bool {
	if c.Session == nil || c.ResourcePolicy == nil || c.ResourceAccount != c.Principal.Account {
		return false
	}
	if !slices.Contains(theirs.Blockers, "session-policy/implicit") {
		return false
	}
	switch {
	case ours.Decision == Allowed && theirs.Decision == ImplicitDeny:
		for _, b := range theirs.Blockers {
			if b != "session-policy/implicit" && b != "core/implicit" && b != "permissions-boundary/implicit" {
				return false
			}
		}
	case ours.Decision == theirs.Decision:
		if !diffSetAdds(theirs, ours, "session-policy/implicit") {
			return false
		}
	default:
		return false
	}
	var d diffDoc
	if json.Unmarshal(c.ResourcePolicy.Document, &d) != nil {
		return false
	}
	for _, st := range d.Statement {
		if st.Effect != "Allow" {
			continue
		}
		if st.Principal == "*" && named("*") {
			return true
		}
		if slices.ContainsFunc(diffAWSPrincipals(st.Principal), named) {
			return true
		}
	}
	return false
}

// diffAWSPrincipals returns the AWS values of a generated Principal or
// NotPrincipal element.
func diffAWSPrincipals(p any) []string {
	m, ok := p.(map[string]any)
	if !ok {
		return nil
	}
	switch v := m["AWS"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// diffClassify names the class of a disagreement, "" when none explains
// it. A disagreement may also come from several statement-level classes at
// once, or from them and one other class: replaying the case without every
// statement those classes drop must then give iam-simulate's verdict, or a
// verdict that the other class explains; the name joins the classes with
// "+".
func diffClassify(c *diffCase, ours, theirs diffVerdict) string {
	for _, k := range diffKnown {
		if k.match(c, ours, theirs) {
			return k.name
		}
	}
	v, used := diffReplay(c, func(*diffClass) bool { return true })
	if used == nil {
		return ""
	}
	if cmp.Equal(v, theirs) {
		return strings.Join(used, "+")
	}
	for _, k := range diffKnown {
		if k.drop == nil && k.match(c, v, theirs) {
			return strings.Join(append(used, k.name), "+")
		}
	}
	return ""
}

// diffKnownClass reports whether name is a class of diffKnown or a
// combination of them joined by "+".
func diffKnownClass(name string) bool {
	for _, part := range strings.Split(name, "+") {
		if !slices.ContainsFunc(diffKnown, func(k diffClass) bool { return k.name == part }) {
			return false
		}
	}
	return true
}

// diffIAMSim runs tools/iamsim/run.mjs as one long-lived process.
type diffIAMSim struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// diffIAMSimDir returns tools/iamsim, or skips the test when it is not
// installed outside CI (in CI a missing tool is a failure: .ci/run installs
// it with `npm ci --prefix tools/iamsim`).
func diffIAMSimDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "tools", "iamsim"))
	if err != nil {
		t.Fatal(err)
	}
	_, errMod := os.Stat(filepath.Join(dir, "node_modules", "@cloud-copilot", "iam-simulate", "package.json"))
	_, errNode := exec.LookPath("node")
	if errMod != nil || errNode != nil {
		msg := fmt.Sprintf("iam-simulate is not installed (node: %v, package: %v): run `npm ci --prefix tools/iamsim`", errNode, errMod)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

func diffStartIAMSim(t testing.TB) *diffIAMSim {
	t.Helper()
	dir := diffIAMSimDir(t)
	cmd := exec.Command("node", filepath.Join(dir, "run.mjs"))
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting iam-simulate runner: %v", err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	s := &diffIAMSim{cmd: cmd, in: in, out: sc}
	t.Cleanup(func() {
		_ = s.in.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return s
}

// run sends cases and returns one result per case, in order.
func (s *diffIAMSim) run(cases []*diffCase) ([]*diffSimOut, error) {
	errc := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(s.in)
		enc := json.NewEncoder(w)
		for _, c := range cases {
			if err := enc.Encode(map[string]any{"id": c.ID, "simulation": c.simulation()}); err != nil {
				errc <- err
				return
			}
		}
		errc <- w.Flush()
	}()
	out := make([]*diffSimOut, 0, len(cases))
	for range cases {
		if !s.out.Scan() {
			err := s.out.Err()
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("reading iam-simulate output: %w", err)
		}
		r := &diffSimOut{}
		if err := json.Unmarshal(s.out.Bytes(), r); err != nil {
			return nil, fmt.Errorf("decoding iam-simulate output %q: %w", s.out.Text(), err)
		}
		out = append(out, r)
	}
	if err := <-errc; err != nil {
		return nil, fmt.Errorf("writing cases to iam-simulate: %w", err)
	}
	for i, r := range out {
		if r.ID != cases[i].ID {
			return nil, fmt.Errorf("iam-simulate answered %q for case %q", r.ID, cases[i].ID)
		}
	}
	return out, nil
}

// diffOutcome is the comparison of one case.
type diffOutcome struct {
	ours, theirs diffVerdict
	// detail shows both engines' raw answers, for people.
	detail string
	class  string // accepted class, "" when unexplained
	agree  bool
	skip   string // why the case could not be compared
}

func diffCompare(c *diffCase, s *diffSimOut) (diffOutcome, error) {
	if s.ResultType != "single" {
		return diffOutcome{skip: fmt.Sprintf("iam-simulate %s: %s %v", s.ResultType, s.Error, s.ErrorDetail)}, nil
	}
	// Keys iam-simulate drops as not applying to the action would not be in
	// AWS's request context either: drop them on our side too.
	cc := *c
	cc.Context = map[string][]string{}
	for k, v := range c.Context {
		if !slices.ContainsFunc(s.IgnoredContextKeys, func(i string) bool { return strings.EqualFold(i, k) }) {
			cc.Context[k] = v
		}
	}
	req, l, err := cc.build()
	if err != nil {
		return diffOutcome{}, err
	}
	res := Evaluate(req, l, Options{})
	o := diffOutcome{ours: diffOurs(res)}
	var sb strings.Builder
	for _, b := range res.Blockers {
		fmt.Fprintf(&sb, "  iamdiag blocker: %s %s policy=%q statement=%q target=%q\n", b.Layer, b.Kind, b.Policy, b.Statement, b.Target)
	}
	for _, lr := range res.Layers {
		fmt.Fprintf(&sb, "  iamdiag layer: %s %s (%s)\n", lr.Layer, lr.Decision, lr.Note)
	}
	raw, _ := json.Marshal(s)
	fmt.Fprintf(&sb, "  iam-simulate: %s\n", raw)
	o.detail = sb.String()
	var implied Decision
	o.theirs, implied = diffTheirs(c, s)
	if o.theirs.Decision == 0 {
		return diffOutcome{skip: fmt.Sprintf("iam-simulate's overall result %q is none of Allowed, ExplicitlyDenied, ImplicitlyDenied", s.Overall)}, nil
	}
	if implied != o.theirs.Decision {
		return diffOutcome{skip: fmt.Sprintf("mapping of iam-simulate's analysis implies %s, it said %s (blockers %v)", implied, o.theirs.Decision, o.theirs.Blockers)}, nil
	}
	o.agree = cmp.Equal(o.ours, o.theirs)
	if !o.agree {
		o.class = diffClassify(&cc, o.ours, o.theirs)
	}
	return o, nil
}

func diffEnvInt(t *testing.T, name string, def int64) int64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a non-negative integer", name, v)
	}
	return n
}

func TestDifferential(t *testing.T) {
	sim := diffStartIAMSim(t)
	n := int(diffEnvInt(t, "IAMDIAG_DIFF_CASES", defaultDiffCases))
	seed := uint64(diffEnvInt(t, "IAMDIAG_DIFF_SEED", defaultDiffSeed))
	save := os.Getenv("IAMDIAG_DIFF_SAVE")
	t.Logf("differential: %d cases, IAMDIAG_DIFF_SEED=%d", n, seed)

	start := time.Now()
	var compared, agreed, skipped, unexplained int
	classes := map[string]int{}
	signatures := map[string]int{}
	for lo := 0; lo < n; lo += diffBatch {
		hi := min(lo+diffBatch, n)
		cases := make([]*diffCase, 0, hi-lo)
		for i := lo; i < hi; i++ {
			cases = append(cases, diffGenCase(seed, i))
		}
		outs, err := sim.run(cases)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range cases {
			o, err := diffCompare(c, outs[i])
			if err != nil {
				t.Fatalf("case %s: %v", c.ID, err)
			}
			switch {
			case o.skip != "":
				skipped++
				if skipped <= 5 {
					t.Logf("case %s not compared: %s", c.ID, o.skip)
				}
				continue
			case o.agree:
				agreed++
			case o.class != "":
				classes[o.class]++
			default:
				unexplained++
				sig := fmt.Sprintf("ours %s %v / iam-simulate %s %v", o.ours.Decision, o.ours.Blockers, o.theirs.Decision, o.theirs.Blockers)
				signatures[sig]++
				if signatures[sig] <= 2 {
					b, _ := json.MarshalIndent(c, "", "  ")
					t.Errorf("case %s disagrees: %s\n%s%s", c.ID, sig, o.detail, b)
				}
				if save != "" {
					if o.ours.Decision != o.theirs.Decision {
						c = diffMinimize(t, sim, c, o)
						outs2, err := sim.run([]*diffCase{c})
						if err != nil {
							t.Fatal(err)
						}
						o, _ = diffCompare(c, outs2[0])
					}
					diffSaveRegression(t, save, c, o)
				}
			}
			compared++
		}
	}
	accepted := 0
	for _, k := range classes {
		accepted += k
	}
	t.Logf("differential: %d generated, %d compared, %d agreed, %d accepted by %d classes %v, %d unexplained, %d not compared; %s",
		n, compared, agreed, accepted, len(classes), classes, unexplained, skipped, time.Since(start).Round(time.Millisecond))
	for sig, k := range signatures {
		t.Logf("%5d × %s", k, sig)
	}
	// Cases iam-simulate refuses are generator bugs: keep them rare.
	if skipped*100 > n {
		t.Errorf("%d of %d cases could not be compared: fix the generator", skipped, n)
	}
}

// diffRegression is a file of testdata/differential: a past disagreement, the
// verdict AWS's documentation gives (which iamdiag must keep), and the class
// under which iam-simulate's answer is accepted.
type diffRegression struct {
	Case  *diffCase `json:"case"`
	Class string    `json:"class,omitempty"`
	// Doc is the AWS documentation page that settles the case.
	Doc    string       `json:"doc,omitempty"`
	Expect *diffVerdict `json:"expect"`
}

func diffSaveRegression(t *testing.T, dir string, c *diffCase, o diffOutcome) {
	t.Helper()
	b, err := json.MarshalIndent(diffRegression{Case: c, Expect: &o.ours}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, c.ID+".json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDifferentialRegressions replays past disagreements: iamdiag must give
// the verdict AWS's documentation gives, and when iam-simulate still
// disagrees, the disagreement must fall in the class recorded for it.
func TestDifferentialRegressions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "differential", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no regression cases in testdata/differential")
	}
	var regs []diffRegression
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r diffRegression
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if r.Case == nil || r.Expect == nil {
			t.Fatalf("%s: want case and expect", f)
		}
		if r.Class != "" && !diffKnownClass(r.Class) {
			t.Fatalf("%s: unknown class %q", f, r.Class)
		}
		regs = append(regs, r)
	}
	for _, r := range regs {
		t.Run(r.Case.ID, func(t *testing.T) {
			req, l, err := r.Case.build()
			if err != nil {
				t.Fatal(err)
			}
			got := diffOurs(Evaluate(req, l, Options{}))
			if diff := cmp.Diff(*r.Expect, got); diff != "" {
				t.Errorf("iamdiag verdict (-want AWS +got):\n%s", diff)
			}
		})
	}
	// The iam-simulate side needs Node; the iamdiag side above does not.
	sim := diffStartIAMSim(t)
	cases := make([]*diffCase, len(regs))
	for i := range regs {
		cases[i] = regs[i].Case
	}
	outs, err := sim.run(cases)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range regs {
		o, err := diffCompare(r.Case, outs[i])
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case o.skip != "":
			t.Errorf("%s: not compared: %s", r.Case.ID, o.skip)
		case o.agree:
			t.Logf("%s: iam-simulate now agrees (class %q no longer needed for it)", r.Case.ID, r.Class)
		case o.class != r.Class:
			t.Errorf("%s: disagreement classified %q, recorded as %q (ours %v, iam-simulate %v)", r.Case.ID, o.class, r.Class, o.ours, o.theirs)
		}
	}
}

// TestGeneratorDeterministic checks that a seed reproduces its cases, which
// the logged IAMDIAG_DIFF_SEED relies on.
func TestGeneratorDeterministic(t *testing.T) {
	for i := range 50 {
		a, _ := json.Marshal(diffGenCase(7, i))
		b, _ := json.Marshal(diffGenCase(7, i))
		if string(a) != string(b) {
			t.Fatalf("case %d differs between two runs of the same seed", i)
		}
		if _, _, err := diffGenCase(7, i).build(); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
	}
}

// diffVariants returns every case obtained from c by removing one element: a
// policy, a statement, a condition, a context key or an organization level.
// The minimizer keeps a variant while the disagreement persists.
func diffVariants(c *diffCase) []*diffCase {
	var out []*diffCase
	clone := func() *diffCase {
		b, _ := json.Marshal(c)
		var d diffCase
		_ = json.Unmarshal(b, &d)
		return &d
	}
	// Documents: drop a statement or a condition.
	docVariants := func(get func(*diffCase) *diffPolicy) {
		p := get(c)
		if p == nil {
			return
		}
		var d diffDoc
		if json.Unmarshal(p.Document, &d) != nil {
			return
		}
		for i := range d.Statement {
			if len(d.Statement) > 1 {
				v := clone()
				dd := d
				dd.Statement = append(append([]diffStmt(nil), d.Statement[:i]...), d.Statement[i+1:]...)
				get(v).Document, _ = json.Marshal(dd)
				out = append(out, v)
			}
			for op, kv := range d.Statement[i].Condition {
				for k := range kv {
					v := clone()
					var dd diffDoc
					_ = json.Unmarshal(p.Document, &dd)
					delete(dd.Statement[i].Condition[op], k)
					if len(dd.Statement[i].Condition[op]) == 0 {
						delete(dd.Statement[i].Condition, op)
					}
					get(v).Document, _ = json.Marshal(dd)
					out = append(out, v)
				}
			}
		}
	}
	for i := range c.Identity {
		v := clone()
		v.Identity = append(v.Identity[:i], v.Identity[i+1:]...)
		out = append(out, v)
		docVariants(func(x *diffCase) *diffPolicy { return &x.Identity[i] })
	}
	if c.Boundary != nil {
		v := clone()
		v.Boundary = nil
		out = append(out, v)
		docVariants(func(x *diffCase) *diffPolicy { return x.Boundary })
	}
	if c.Session != nil {
		v := clone()
		v.Session = nil
		out = append(out, v)
		docVariants(func(x *diffCase) *diffPolicy { return x.Session })
	}
	if c.ResourcePolicy != nil {
		v := clone()
		v.ResourcePolicy = nil
		out = append(out, v)
		docVariants(func(x *diffCase) *diffPolicy { return x.ResourcePolicy })
	}
	for _, org := range []func(*diffCase) *[]diffOrgLevel{
		func(x *diffCase) *[]diffOrgLevel { return &x.SCP },
		func(x *diffCase) *[]diffOrgLevel { return &x.RCP },
	} {
		levels := *org(c)
		if len(levels) > 0 {
			v := clone()
			*org(v) = nil
			out = append(out, v)
		}
		for li := range levels {
			if len(levels) > 1 {
				v := clone()
				l := org(v)
				*l = append((*l)[:li], (*l)[li+1:]...)
				out = append(out, v)
			}
			for pi := range levels[li].Policies {
				if len(levels[li].Policies) > 1 {
					// A level keeps at least one policy, as in AWS.
					v := clone()
					l := org(v)
					(*l)[li].Policies = append((*l)[li].Policies[:pi], (*l)[li].Policies[pi+1:]...)
					out = append(out, v)
				}
				docVariants(func(x *diffCase) *diffPolicy { return &(*org(x))[li].Policies[pi] })
			}
		}
	}
	for k := range c.Context {
		if diffInferredKey(k) {
			// iamdiag derives these from the principal and the layers:
			// removing them would only show that iam-simulate does not.
			continue
		}
		v := clone()
		delete(v.Context, k)
		out = append(out, v)
	}
	for i, v := range out {
		v.ID = fmt.Sprintf("%s-m%d", c.ID, i)
	}
	return out
}

// diffMinimize shrinks a disagreeing case while the two decisions stay what
// they were, so that a person reads the smallest case showing it.
func diffMinimize(t *testing.T, sim *diffIAMSim, c *diffCase, o diffOutcome) *diffCase {
	t.Helper()
	want := [2]Decision{o.ours.Decision, o.theirs.Decision}
	id := c.ID
	for range 200 {
		vs := diffVariants(c)
		if len(vs) == 0 {
			break
		}
		outs, err := sim.run(vs)
		if err != nil {
			t.Fatal(err)
		}
		next := (*diffCase)(nil)
		for i, v := range vs {
			vo, err := diffCompare(v, outs[i])
			if err != nil || vo.skip != "" || vo.agree {
				continue
			}
			if [2]Decision{vo.ours.Decision, vo.theirs.Decision} == want {
				next = v
				break
			}
		}
		if next == nil {
			break
		}
		c = next
	}
	c.ID = id + "-min"
	return c
}

// diffInferredKey reports whether key is one the generator always derives
// from the principal or the layers, as iamdiag would.
func diffInferredKey(key string) bool {
	k := strings.ToLower(key)
	switch k {
	case "aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:userid", "aws:username",
		"aws:principalorgid", "aws:principalorgpaths", "aws:requestedregion":
		return true
	}
	return strings.HasPrefix(k, "aws:principaltag/")
}

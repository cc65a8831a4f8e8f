package fix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/catalog"
	"github.com/iamdiag/iamdiag/internal/decode"
	"github.com/iamdiag/iamdiag/internal/golden"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
	"github.com/iamdiag/iamdiag/internal/simulate/corpus"
)

// fixCase is one request with its layers, from an example or a corpus case.
type fixCase struct {
	name string
	req  *policy.Request
	l    *policy.Layers
	sim  simulate.Options
	opt  Options
}

// exampleCases mirrors the calls of cmd/iamdiag/testdata/script on
// examples/.
func exampleCases(t *testing.T) []fixCase {
	t.Helper()
	ex := filepath.Join("..", "..", "examples")
	read := func(p string) []byte {
		b, err := os.ReadFile(filepath.Join(ex, p))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	toReq := func(in *decode.Request, err error) *policy.Request {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		res := in.Resource
		if res == "" {
			res = "*"
		}
		r := policy.NewRequest(in.Principal, in.Action, res)
		r.Principal.IAMARN, r.Principal.Account = in.RoleARN, in.Account
		if in.Context != nil {
			r.Context = in.Context.Clone()
		}
		return r
	}
	fromSnapshot := func(name, file string, req *policy.Request) fixCase {
		t.Helper()
		snap, err := layers.LoadFile(filepath.Join(ex, file))
		if err != nil {
			t.Fatal(err)
		}
		l, err := snap.Layers(req)
		if err != nil {
			t.Fatal(err)
		}
		return fixCase{name: name, req: req, l: l, opt: Options{
			PolicyUsers: snap.PolicyUsers, BoundaryUsers: snap.BoundaryUsers, PolicyTargets: snap.PolicyTargets,
		}}
	}
	fromFiles := func(name string, f layers.Files, req *policy.Request) fixCase {
		t.Helper()
		for i := range f.Identity {
			f.Identity[i] = filepath.Join(ex, f.Identity[i])
		}
		for i := range f.SCP {
			f.SCP[i] = filepath.Join(ex, f.SCP[i])
		}
		l, err := layers.FromFiles(f, req)
		if err != nil {
			t.Fatal(err)
		}
		return fixCase{name: name, req: req, l: l}
	}
	return []fixCase{
		fromSnapshot("example-seed", "seed/snapshot.json", toReq(decode.FromErrorText(string(read("seed/error.txt"))))),
		fromSnapshot("example-seed-decoded", "seed/snapshot.json", toReq(decode.FromDecodedMessage(read("seed/decoded-message.json")))),
		fromSnapshot("example-boundary", "boundary/snapshot.json", toReq(decode.FromErrorText(string(read("boundary/error.txt"))))),
		fromFiles("example-condition", layers.Files{Identity: []string{"condition/role-policy.json"}, SCP: []string{"condition/scp-full-access.json"}},
			toReq(decode.FromFlags("arn:aws:iam::123456789012:role/MyFederatedRole", "ec2:RunInstances", "arn:aws:ec2:eu-west-1:123456789012:instance/*",
				[]string{"aws:RequestedRegion=eu-west-1", "ec2:InstanceType=t3.medium"}))),
		fromFiles("example-missing-allow", layers.Files{Identity: []string{"missing-allow/role-policy.json"}},
			toReq(decode.FromCloudTrail(read("missing-allow/cloudtrail-event.json")))),
	}
}

// corpusCases reads the corpus of internal/simulate with its package corpus
// (the format is described in testdata/corpus/README.md there).
func corpusCases(t *testing.T) []fixCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "simulate", "testdata", "corpus", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Fatalf("found %d corpus cases, want the simulate corpus", len(files))
	}
	var out []fixCase
	for _, file := range files {
		c, err := corpus.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		if c.Request.ResourceUnknown {
			// A fix for a call whose resource is unknown has no
			// resource to grant on (issue 9, "Fixes that are valid and
			// safe"): those cases are not checked here.
			continue
		}
		l, err := c.PolicyLayers()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		now, err := c.Clock()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, fixCase{
			name: "corpus-" + strings.TrimSuffix(filepath.Base(file), ".json"),
			req:  c.PolicyRequest(), l: l, sim: simulate.Options{Now: now},
		})
	}
	return out
}

// copyLayers copies l deeply enough that applying fixes to the copy leaves
// l unchanged.
func copyLayers(l *policy.Layers) *policy.Layers {
	cp := *l
	cp.Identity = slices.Clone(l.Identity)
	cp.Session = slices.Clone(l.Session)
	if l.Boundary != nil {
		b := *l.Boundary
		cp.Boundary = &b
	}
	if l.Resource != nil {
		r := *l.Resource
		cp.Resource = &r
	}
	if l.VPCEndpoint != nil {
		v := *l.VPCEndpoint
		cp.VPCEndpoint = &v
	}
	levels := func(in []policy.OrgLevel) []policy.OrgLevel {
		out := slices.Clone(in)
		for i := range out {
			out[i].Policies = slices.Clone(in[i].Policies)
		}
		return out
	}
	cp.SCP, cp.RCP = levels(l.SCP), levels(l.RCP)
	return &cp
}

// applyFixes puts each fix's document in place: the named policy's document
// is replaced, a new policy is added where the fix says.
func applyFixes(l *policy.Layers, fixes []Fix, keep func(Fix) bool) (*policy.Layers, error) {
	out := copyLayers(l)
	replace := func(list []policy.Source, fx Fix) int {
		n := 0
		for i := range list {
			if list[i].ID() == fx.Policy {
				list[i].Document = fx.doc
				n++
			}
		}
		return n
	}
	for _, fx := range fixes {
		if fx.doc == nil || (keep != nil && !keep(fx)) {
			continue
		}
		n := 0
		switch fx.Layer {
		case policy.LayerIdentity:
			if fx.Change == NewPolicy {
				out.Identity = append(out.Identity, policy.Source{Layer: policy.LayerIdentity, Name: fx.PolicyName, Origin: "new inline " + fx.PolicyName, Document: fx.doc})
				n = 1
			} else {
				n = replace(out.Identity, fx)
			}
		case policy.LayerSession:
			n = replace(out.Session, fx)
		case policy.LayerBoundary:
			if out.Boundary != nil {
				out.Boundary.Document = fx.doc
				n = 1
			}
		case policy.LayerResource:
			if out.Resource != nil {
				out.Resource.Document = fx.doc
				n = 1
			}
		case policy.LayerVPCEndpoint:
			if out.VPCEndpoint != nil {
				out.VPCEndpoint.Document = fx.doc
				n = 1
			}
		case policy.LayerSCP, policy.LayerRCP:
			levels := out.SCP
			if fx.Layer == policy.LayerRCP {
				levels = out.RCP
			}
			for i := range levels {
				if fx.Change == NewPolicy {
					if levels[i].Target == fx.target {
						levels[i].Policies = append(levels[i].Policies, policy.Source{Layer: fx.Layer, Name: fx.PolicyName, Target: fx.target, Document: fx.doc})
						n++
					}
					continue
				}
				n += replace(levels[i].Policies, fx)
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("fix for %s %q names no policy of the layers", fx.Layer, fx.Policy)
		}
	}
	return out, nil
}

// blockerIDs identifies blockers for comparison.
func blockerIDs(bs []simulate.Blocker) []string {
	var out []string
	for _, b := range bs {
		out = append(out, string(b.Layer)+" "+b.Kind.String()+" "+b.Policy+" "+b.Statement+" "+b.Target)
	}
	sort.Strings(out)
	return out
}

// TestFixApplied applies every fix of every denied example and corpus case
// and evaluates again: the call is then allowed, or only the blockers that
// no document can clear (a session policy's Deny …) remain. Then it checks
// that the fixed layers grant nothing the request did not need: other
// actions of the service, other regions, resources and principals that
// were denied stay denied.
func TestFixApplied(t *testing.T) {
	cases := append(exampleCases(t), corpusCases(t)...)
	fixed := 0
	for _, c := range cases {
		res := simulate.Evaluate(c.req, c.l, c.sim)
		if res.Decision != simulate.ExplicitDeny && res.Decision != simulate.ImplicitDeny {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			fixes := Suggest(res, c.opt)
			if len(fixes) == 0 {
				t.Fatalf("a %s with blockers %v has no fix", res.Decision, blockerIDs(res.Blockers))
			}
			covered := map[int]bool{}
			var unfixable []simulate.Blocker
			for _, fx := range fixes {
				for _, i := range fx.Blockers {
					covered[i] = true
					if fx.doc == nil {
						unfixable = append(unfixable, res.Blockers[i])
					}
				}
				if fx.doc == nil && fx.Change != NoChange {
					t.Errorf("fix for %s %q: change %s without a document", fx.Layer, fx.Policy, fx.Change)
				}
				if fx.doc != nil && fx.Diff == "" {
					t.Errorf("fix for %s %q has a document but no diff", fx.Layer, fx.Policy)
				}
			}
			for i := range res.Blockers {
				if !covered[i] {
					t.Errorf("blocker %v has no fix", blockerIDs(res.Blockers[i:i+1]))
				}
			}
			l2, err := applyFixes(c.l, fixes, nil)
			if err != nil {
				t.Fatal(err)
			}
			res2 := simulate.Evaluate(c.req, l2, c.sim)
			if len(unfixable) == 0 {
				if res2.Decision == simulate.Inconclusive && len(res2.Blockers) == 0 && unknownBefore(res, res2.Suspects) {
					// Nothing read blocks any more; the layers that
					// could not be read before still cannot.
				} else if res2.Decision != simulate.Allowed {
					t.Fatalf("after the fixes: %s, blockers %v\nfixes: %s", res2.Decision, blockerIDs(res2.Blockers), dumpFixes(fixes))
				}
			} else if diff := cmp.Diff(blockerIDs(unfixable), blockerIDs(res2.Blockers)); diff != "" {
				t.Fatalf("after the fixes, the blockers are not exactly the unfixable ones (-want +got):\n%s", diff)
			}
			fixed++
			checkNoWidening(t, c, fixes)
		})
	}
	if fixed < 100 {
		t.Errorf("only %d cases were fixed and checked", fixed)
	}
}

// unknownBefore reports whether every suspect layer was already unknown
// (unreadable, or a session policy that cannot be known) in res.
func unknownBefore(res *simulate.Result, suspects []policy.Layer) bool {
	if len(suspects) == 0 {
		return false
	}
	for _, s := range suspects {
		i := slices.IndexFunc(res.Layers, func(lr simulate.LayerResult) bool { return lr.Layer == s })
		if i < 0 || (res.Layers[i].Readable && res.Layers[i].Decision != simulate.LayerUnknown) {
			return false
		}
	}
	return true
}

// mutation is a request the fix was not written for.
type mutation struct {
	name      string
	req       *policy.Request
	l         *policy.Layers // nil: the case's layers
	principal bool           // changes who calls
}

// checkNoWidening evaluates requests the original did not make against the
// layers before and after the fixes: none may turn from denied to allowed.
// An exception added to a Deny is scoped to the principal, so it is checked
// with other principals; the other mutations compare against the layers
// with only those exceptions applied, so that what they catch is an Allow
// wider than the request.
func checkNoWidening(t *testing.T, c fixCase, fixes []Fix) {
	t.Helper()
	all, err := applyFixes(c.l, fixes, nil)
	if err != nil {
		t.Fatal(err)
	}
	exceptions, err := applyFixes(c.l, fixes, func(fx Fix) bool { return fx.Change == AddException })
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mutations(c, fixes) {
		base, fixedL := exceptions, all
		if m.principal {
			base = c.l
		}
		if m.l != nil {
			// Only the principal mutation changes the layers: apply the
			// fixes to its copy as well.
			b2, err := applyFixes(m.l, fixes, func(fx Fix) bool { return !m.principal && fx.Change == AddException })
			if err != nil {
				t.Fatal(err)
			}
			// A principal's own identity policies and session are not
			// another principal's: only the shared layers carry over.
			f2, err := applyFixes(m.l, fixes, func(fx Fix) bool {
				return !m.principal || (fx.Layer != policy.LayerIdentity && fx.Layer != policy.LayerSession && fx.Layer != policy.LayerBoundary)
			})
			if err != nil {
				t.Fatal(err)
			}
			base, fixedL = b2, f2
			if m.principal {
				base = m.l
			}
		}
		before := simulate.Decide(m.req, base, c.sim)
		after := simulate.Decide(m.req, fixedL, c.sim)
		if before != simulate.Allowed && after == simulate.Allowed {
			t.Errorf("the fixes widen access: %s (%s %s) was %s, is allowed", m.name, m.req.Action, m.req.Resource, before)
		}
	}
}

// mutations lists requests next to the original: other actions of the
// service, another region, another resource, another account's resource,
// another principal.
func mutations(c fixCase, fixes []Fix) []mutation {
	var out []mutation
	base := c.req
	clone := func() *policy.Request {
		r := *base
		r.Context = base.Context.Clone()
		return &r
	}
	included := map[string]bool{}
	for _, fx := range fixes {
		for _, cp := range fx.Companions {
			if cp.Included {
				included[strings.ToLower(cp.Action)] = true
			}
		}
	}
	svc, _, _ := strings.Cut(base.Action, ":")
	if s, ok := catalog.LookupService(svc); ok {
		names := make([]string, 0, len(s.Actions))
		for _, a := range s.Actions {
			names = append(names, a.FullName())
		}
		sort.Strings(names)
		step := max(1, len(names)/12)
		for i := 0; i < len(names); i += step {
			n := names[i]
			if strings.EqualFold(n, base.Action) || included[strings.ToLower(n)] {
				continue
			}
			r := clone()
			r.Action = n
			out = append(out, mutation{name: "other action", req: r})
		}
	}
	parts := strings.SplitN(base.Resource, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" {
		if parts[3] != "" {
			r := clone()
			p := slices.Clone(parts)
			p[3] = otherRegion(parts[3])
			r.Resource = strings.Join(p, ":")
			if _, ok := r.Context.Get("aws:RequestedRegion"); ok {
				r.Context.Set("aws:RequestedRegion", p[3])
			}
			out = append(out, mutation{name: "other region", req: r})
		}
		if parts[4] != "" && parts[4] != "*" {
			r := clone()
			p := slices.Clone(parts)
			p[4] = "999988887777"
			r.Resource = strings.Join(p, ":")
			out = append(out, mutation{name: "other account's resource", req: r})
		}
		if !strings.ContainsAny(parts[5], "*?") {
			r := clone()
			r.Resource = base.Resource + "-other"
			out = append(out, mutation{name: "other resource", req: r})
		}
	}
	// Another principal of the same account, with the same policies.
	if acct := accountOf(c); acct != "" {
		other := "arn:aws:iam::" + acct + ":role/iamdiag-other-role"
		r := clone()
		r.Principal.ARN, r.Principal.IAMARN = other, other
		r.Principal.Type, r.Principal.SessionName, r.Principal.UserID, r.Principal.Username = "AssumedRole", "", "", ""
		for _, k := range r.Context.Keys() {
			if strings.HasPrefix(strings.ToLower(k), "aws:principal") || strings.EqualFold(k, "aws:userid") || strings.EqualFold(k, "aws:username") {
				r.Context.Delete(k)
			}
		}
		l := copyLayers(c.l)
		l.Principal.ARN, l.Principal.IAMARN, l.Principal.UserID, l.Principal.Username, l.Principal.SessionName = other, other, "", "", ""
		if l.Principal.Type != "" {
			l.Principal.Type = "AssumedRole"
		}
		out = append(out, mutation{name: "other principal", req: r, l: l, principal: true})
	}
	return out
}

func accountOf(c fixCase) string {
	for _, a := range []string{c.req.Principal.IAMARN, c.l.Principal.IAMARN, c.req.Principal.ARN} {
		if p := strings.SplitN(a, ":", 6); len(p) == 6 && len(p[4]) == 12 {
			return p[4]
		}
	}
	return ""
}

func otherRegion(r string) string {
	if r == "ap-southeast-1" {
		return "eu-central-1"
	}
	return "ap-southeast-1"
}

func dumpFixes(fixes []Fix) string {
	b, _ := json.MarshalIndent(fixes, "", "  ")
	return string(b)
}

// goldenFixCases are the cases whose fixes are kept as golden files: every
// example and one corpus case per kind of blocker.
var goldenFixCases = []string{
	"example-seed", "example-seed-decoded", "example-boundary", "example-condition", "example-missing-allow",
}

// TestFixGolden compares the fixes' JSON and diffs with testdata/fix.
func TestFixGolden(t *testing.T) {
	cases := append(exampleCases(t), corpusCases(t)...)
	want := map[string]bool{}
	for _, n := range goldenFixCases {
		want[n] = true
	}
	for _, n := range goldenCorpus {
		want["corpus-"+n] = true
	}
	seen := 0
	for _, c := range cases {
		if !want[c.name] {
			continue
		}
		seen++
		t.Run(c.name, func(t *testing.T) {
			res := simulate.Evaluate(c.req, c.l, c.sim)
			fixes := Suggest(res, c.opt)
			b, err := json.MarshalIndent(fixes, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", c.name+".json"), append(b, '\n'))
			var d bytes.Buffer
			for _, fx := range fixes {
				fmt.Fprintf(&d, "# %s %s: %s\n", fx.Layer, QuoteName(fx.PolicyName, fx.Policy), fx.Change)
				d.WriteString(fx.Diff)
			}
			golden.Check(t, filepath.Join("testdata", c.name+".diff"), d.Bytes())
		})
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d golden cases", seen, len(want))
	}
}

// goldenCorpus are corpus cases kept as golden files, one per kind of fix.
var goldenCorpus = []string{
	"scp-deny-principalarn-other-role", "scp-deny-at-two-levels", "scp-missing-allow-at-ou", "rcp-deny-external-principal",
	"res-cross-account-resource-no-match", "res-same-account-resource-deny", "sess-unknown-identity-missing",
	"incident-boundary-gap", "scp-deny-instance-type-denied",
}

// TestWideningCheckFails guards the widening check itself: a fix that
// grants the whole service must be caught.
func TestWideningCheckFails(t *testing.T) {
	c := exampleCases(t)[4] // example-missing-allow
	res := simulate.Evaluate(c.req, c.l, c.sim)
	fixes := Suggest(res, c.opt)
	if len(fixes) != 1 || fixes[0].doc == nil {
		t.Fatalf("want one fix with a document, got %s", dumpFixes(fixes))
	}
	wide, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	fixes[0].doc = wide
	rec := &testing.T{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		checkNoWidening(rec, c, fixes)
	}()
	<-done
	if !rec.Failed() {
		t.Error("a fix allowing ec2:* on * passed the widening check")
	}
}

func TestPrincipalException(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/team/App"
	tests := []struct {
		name, doc, want string
	}{
		{
			name: "new condition",
			doc:  `{"Statement":{"Sid":"D","Effect":"Deny","Action":"s3:*","Resource":"*"}}`,
			want: `{"Statement":{"Sid":"D","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalArn":["` + role + `"]}}}}`,
		},
		{
			name: "existing exception extended",
			doc:  `{"Statement":[{"Sid":"D","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"ArnNotLike":{"aws:principalarn":"arn:aws:iam::111122223333:role/Admin"}}}]}`,
			want: `{"Statement":[{"Sid":"D","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"ArnNotLike":{"aws:principalarn":["arn:aws:iam::111122223333:role/Admin","` + role + `"]}}}]}`,
		},
		{
			name: "other conditions kept",
			doc:  `{"Statement":[{"Sid":"D","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`,
			want: `{"Statement":[{"Sid":"D","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"us-east-1","aws:PrincipalArn":["` + role + `"]}}}]}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := policy.Parse([]byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			addPrincipalException(&doc.Statements[0], role)
			got, _ := doc.MarshalJSON()
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDenyNamingPrincipal: a Deny that names the caller on purpose gets no
// exception.
func TestDenyNamingPrincipal(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/App"
	doc, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"NoApp","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/App*"}}},{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	req := policy.NewRequest("arn:aws:sts::111122223333:assumed-role/App/s", "s3:GetObject", "arn:aws:s3:::b/k")
	l := &policy.Layers{SessionKnown: true, Principal: policy.Principal{IAMARN: role, Account: "111122223333"},
		Identity: []policy.Source{{Layer: policy.LayerIdentity, Name: "p", Origin: "role/App (inline p)", Document: doc}}}
	res := simulate.Evaluate(req, l, simulate.Options{})
	fixes := Suggest(res, Options{})
	if len(fixes) != 1 || fixes[0].Change != NoChange || fixes[0].doc != nil {
		t.Fatalf("want one fix without a document, got %s", dumpFixes(fixes))
	}
	if !strings.Contains(fixes[0].Summary, "by name") {
		t.Errorf("summary does not say the Deny names the principal: %s", fixes[0].Summary)
	}
}

// TestOnlyTargetDeny: a Deny in a policy that applies to the caller alone is
// narrowed to the request's action and resource, not cancelled by an
// aws:PrincipalArn exception; a policy shared with others keeps the
// exception.
func TestOnlyTargetDeny(t *testing.T) {
	const (
		role    = "arn:aws:iam::111122223333:role/App"
		managed = "arn:aws:iam::111122223333:policy/Guard"
	)
	tests := []struct {
		name      string
		doc       string
		src       policy.Source
		users     []string
		wantDoc   string // "" when the exception is expected
		wantWords string
	}{
		{
			name:      "inline, action listed with others",
			doc:       `{"Version":"2012-10-17","Statement":[{"Sid":"Guard","Effect":"Deny","Action":["s3:DeleteObject","s3:PutObject"],"Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"storage"}}},{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
			src:       policy.Source{Layer: policy.LayerIdentity, Name: "p", Origin: "role/App (inline p)"},
			wantDoc:   `{"Version":"2012-10-17","Statement":[{"Sid":"Guard","Effect":"Deny","Action":["s3:DeleteObject"],"Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"storage"}}},{"Sid":"GuardExceptS3PutObject","Effect":"Deny","Action":"s3:PutObject","NotResource":"arn:aws:s3:::b/k","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"storage"}}},{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
			wantWords: "cancel the Deny's guardrail for its only target. Narrower",
		},
		{
			name:      "managed, attached only to the caller",
			doc:       `{"Version":"2012-10-17","Statement":[{"Sid":"Guard","Effect":"Deny","Action":"s3:PutObject","Resource":"*"},{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
			src:       policy.Source{Layer: policy.LayerIdentity, Name: "Guard", ARN: managed},
			users:     []string{role},
			wantDoc:   `{"Version":"2012-10-17","Statement":[{"Sid":"Guard","Effect":"Deny","Action":"s3:PutObject","NotResource":"arn:aws:s3:::b/k"},{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
			wantWords: "applies only to " + role,
		},
		{
			name:      "managed, shared",
			doc:       `{"Version":"2012-10-17","Statement":[{"Sid":"Guard","Effect":"Deny","Action":"s3:PutObject","Resource":"*"},{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
			src:       policy.Source{Layer: policy.LayerIdentity, Name: "Guard", ARN: managed},
			users:     []string{role, "arn:aws:iam::111122223333:role/Other"},
			wantWords: "aws:PrincipalArn",
		},
		{
			name:      "inline, wildcard action: exception with a note",
			doc:       `{"Version":"2012-10-17","Statement":[{"Sid":"Guard","Effect":"Deny","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
			src:       policy.Source{Layer: policy.LayerIdentity, Name: "p", Origin: "role/App (inline p)"},
			wantWords: "aws:PrincipalArn",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := policy.Parse([]byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			src := tc.src
			src.Document = doc
			req := policy.NewRequest("arn:aws:sts::111122223333:assumed-role/App/s", "s3:PutObject", "arn:aws:s3:::b/k")
			l := &policy.Layers{SessionKnown: true, Principal: policy.Principal{IAMARN: role, Account: "111122223333", Tags: map[string]string{"team": "data"}},
				Identity: []policy.Source{src}}
			res := simulate.Evaluate(req, l, simulate.Options{})
			opt := Options{PolicyUsers: func(string) []string { return tc.users }}
			fixes := Suggest(res, opt)
			if len(fixes) != 1 || fixes[0].doc == nil {
				t.Fatalf("want one fix with a document, got %s", dumpFixes(fixes))
			}
			fx := fixes[0]
			if !strings.Contains(fx.Summary, tc.wantWords) {
				t.Errorf("summary lacks %q: %s", tc.wantWords, fx.Summary)
			}
			if tc.wantDoc != "" {
				got, _ := fx.doc.MarshalJSON()
				if diff := cmp.Diff(tc.wantDoc, string(got)); diff != "" {
					t.Errorf("document (-want +got):\n%s", diff)
				}
			} else if len(fx.Notes) == 0 && tc.users == nil {
				t.Errorf("no note that the exception cancels the guardrail: %s", dumpFixes(fixes))
			}
			l2, err := applyFixes(l, fixes, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res2 := simulate.Evaluate(req, l2, simulate.Options{}); res2.Decision != simulate.Allowed {
				t.Errorf("after the fix: %s", res2.Decision)
			}
			other := policy.NewRequest("arn:aws:sts::111122223333:assumed-role/App/s", "s3:PutObject", "arn:aws:s3:::b/other")
			if tc.wantDoc != "" {
				if res3 := simulate.Evaluate(other, l2, simulate.Options{}); res3.Decision != simulate.ExplicitDeny {
					t.Errorf("after the fix, another object: %s, want the Deny to stay", res3.Decision)
				}
			}
		})
	}
}

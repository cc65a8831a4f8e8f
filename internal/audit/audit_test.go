package audit

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/lint"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func loadExample(t *testing.T, name string) *layers.Snapshot {
	t.Helper()
	s, err := layers.LoadFile(filepath.Join("..", "..", "examples", name, "snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(t *testing.T, s *layers.Snapshot, opt Options) *Report {
	t.Helper()
	r, err := Run(context.Background(), s, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSeedDeadRunInstances: the incident's account, where MyFederatedRole's
// EC2Launch allows ec2:RunInstances and the SCP DenyEC2 on its OU denies
// it whatever the request.
func TestSeedDeadRunInstances(t *testing.T) {
	r := run(t, loadExample(t, "seed"), Options{})
	var dead *Finding
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Rule == RuleSCPDead && f.Principal == "arn:aws:iam::123456789012:role/MyFederatedRole" {
			dead = f
		}
	}
	if dead == nil {
		t.Fatalf("no %s finding for MyFederatedRole in %+v", RuleSCPDead, r.Findings)
	}
	if !slices.Contains(dead.Actions, "ec2:RunInstances") {
		t.Errorf("dead actions %v lack ec2:RunInstances", dead.Actions)
	}
	for _, want := range []string{"DenyEC2", "NoEC2", "ou-ab12-workloads", "whatever the request"} {
		if !strings.Contains(dead.Message, want) {
			t.Errorf("message %q does not name %q", dead.Message, want)
		}
	}
	if dead.Policy != "arn:aws:iam::123456789012:policy/EC2Launch" || dead.Statement != "AllowEC2Launch" {
		t.Errorf("finding locates %s %s, want EC2Launch AllowEC2Launch", dead.Policy, dead.Statement)
	}
}

// TestExamples audits every example snapshot: it must run, and its
// findings must be sorted by severity, then principal.
func TestExamples(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*", "snapshot.json"))
	if len(dirs) == 0 {
		t.Fatal("no example snapshots")
	}
	for _, p := range dirs {
		name := filepath.Base(filepath.Dir(p))
		t.Run(name, func(t *testing.T) {
			r := run(t, loadExample(t, name), Options{Conditional: true})
			sortedCopy := slices.Clone(r.Findings)
			sortFindings(sortedCopy)
			if diff := cmp.Diff(sortedCopy, r.Findings, cmp.AllowUnexported(Finding{})); diff != "" {
				t.Errorf("findings not sorted:\n%s", diff)
			}
			for i := 1; i < len(r.Findings); i++ {
				if r.Findings[i-1].Severity < r.Findings[i].Severity {
					t.Errorf("finding %d (%s) before a more severe one", i-1, r.Findings[i-1].Severity)
				}
			}
		})
	}
}

// TestIDsStable: the same account with its roles, policies and statements'
// neighbours reordered gives the same finding ids.
func TestIDsStable(t *testing.T) {
	a := genAccount(t, 200, 7)
	b := genAccount(t, 200, 7)
	d := &b.AuthorizationDetails
	slices.Reverse(d.RoleDetailList)
	slices.Reverse(d.Policies)
	slices.Reverse(d.UserDetailList)
	if err := b.Index(); err != nil {
		t.Fatal(err)
	}
	ids := func(r *Report) []string {
		out := make([]string, len(r.Findings))
		for i, f := range r.Findings {
			out[i] = f.ID
		}
		slices.Sort(out)
		return out
	}
	ra, rb := run(t, a, Options{Workers: 1}), run(t, b, Options{Workers: 2})
	if len(ra.Findings) == 0 {
		t.Fatal("the generated account gave no finding")
	}
	if diff := cmp.Diff(ids(ra), ids(rb)); diff != "" {
		t.Errorf("ids differ after reordering (-first +second):\n%s", diff)
	}
	seen := map[string]bool{}
	for _, f := range ra.Findings {
		if seen[f.ID] {
			t.Errorf("id %s repeats", f.ID)
		}
		seen[f.ID] = true
	}
}

// TestBaseline: a baseline of the same run leaves nothing; without one
// finding, only that finding is new.
func TestBaseline(t *testing.T) {
	s := loadExample(t, "seed")
	var buf bytes.Buffer
	if err := JSON(&buf, run(t, s, Options{})); err != nil {
		t.Fatal(err)
	}
	full, err := ReadBaseline(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, s, Options{})
	total := len(r.Findings)
	r.Since(full, "prev.json")
	if len(r.Findings) != 0 || r.Baseline.Known != total {
		t.Errorf("with the same run as baseline: %d new, %d known; want 0 new, %d known", len(r.Findings), r.Baseline.Known, total)
	}
	r = run(t, s, Options{})
	dropped := r.Findings[1].ID
	partial := Baseline{}
	for id := range full {
		if id != dropped {
			partial[id] = true
		}
	}
	r.Since(partial, "prev.json")
	if len(r.Findings) != 1 || r.Findings[0].ID != dropped {
		t.Errorf("new findings %+v, want only %s", r.Findings, dropped)
	}
}

func TestReadBaselineRejects(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"not json", "{"},
		{"no findings", `{"source": "x"}`},
		{"finding without id", `{"findings": [{"rule": "IAMA001"}]}`},
		{"lint output", `[{"rule": "IAMD001"}]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ReadBaseline(strings.NewReader(tc.in)); err == nil {
				t.Errorf("ReadBaseline(%q) accepted it", tc.in)
			}
		})
	}
	b, err := ReadBaseline(strings.NewReader(`{"findings": []}`))
	if err != nil || len(b) != 0 {
		t.Errorf("empty findings: %v, %v", b, err)
	}
}

func TestAtLeast(t *testing.T) {
	r := run(t, loadExample(t, "seed"), Options{})
	r.AtLeast(lint.Warning)
	if len(r.Findings) == 0 {
		t.Fatal("no warning or error in the seed example")
	}
	for _, f := range r.Findings {
		if f.Severity < lint.Warning {
			t.Errorf("%s %s kept below warning", f.Rule, f.Severity)
		}
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, genAccount(t, 50, 3), Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a canceled context: %v, want context.Canceled", err)
	}
}

// TestGolden renders the seed example in every format; go test -update
// rewrites testdata/golden.
func TestGolden(t *testing.T) {
	r := run(t, loadExample(t, "seed"), Options{Source: "snapshot examples/seed/snapshot.json"})
	for _, tc := range []struct {
		file   string
		render func(*bytes.Buffer, *Report) error
	}{
		{"seed.txt", func(b *bytes.Buffer, r *Report) error { return Text(b, r) }},
		{"seed.json", func(b *bytes.Buffer, r *Report) error { return JSON(b, r) }},
		{"seed.md", func(b *bytes.Buffer, r *Report) error { return Markdown(b, r) }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.render(&b, r); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", tc.file)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), b.String()); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.file, diff)
			}
		})
	}
}

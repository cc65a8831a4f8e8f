package diagnose_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/iamdiag/iamdiag/internal/diagnose"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/report"
	"github.com/iamdiag/iamdiag/internal/simulate"
	"github.com/iamdiag/iamdiag/internal/simulate/corpus"
)

// TestOneViewPerLayer renders every example and every corpus case (each
// also with the input naming each layer, as an error text would) in every
// format, and checks that no line gives a layer a verdict the layer table
// contradicts: a report says one thing of each layer.
func TestOneViewPerLayer(t *testing.T) {
	ds := exampleDiagnoses(t)
	files, err := filepath.Glob(filepath.Join("..", "simulate", "testdata", "corpus", "*.json"))
	if err != nil || len(files) < 100 {
		t.Fatalf("corpus: %d files, %v", len(files), err)
	}
	for _, f := range files {
		c, err := corpus.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		l, err := c.PolicyLayers()
		if err != nil {
			t.Fatal(err)
		}
		now, err := c.Clock()
		if err != nil {
			t.Fatal(err)
		}
		name := "corpus/" + strings.TrimSuffix(filepath.Base(f), ".json")
		res := simulate.Evaluate(c.PolicyRequest(), l, simulate.Options{Now: now})
		ds = append(ds, named{name, &report.Diagnosis{Result: res}})
		for _, layer := range []policy.Layer{policy.LayerSCP, policy.LayerRCP, policy.LayerResource, policy.LayerIdentity, policy.LayerBoundary, policy.LayerSession, policy.LayerVPCEndpoint} {
			for _, kind := range []simulate.BlockerKind{simulate.BlockerExplicitDeny, simulate.BlockerImplicitDeny} {
				res := simulate.Evaluate(c.PolicyRequest(), l, simulate.Options{Now: now})
				ds = append(ds, named{name + "/hint-" + string(layer) + "-" + kind.String(),
					&report.Diagnosis{Result: res, Hint: &report.Hint{Source: "error-text", Layer: string(layer), Kind: kind}}})
			}
		}
	}
	var seen checked
	for _, n := range ds {
		checkOneView(t, n.name, n.d, &seen)
	}
	// The checks must have met every kind of line, or they prove nothing.
	if seen.summaries < 1000 || seen.blockers < 500 || seen.inputs < 500 || seen.headlines < len(ds) {
		t.Errorf("checked %+v lines: the patterns no longer match the reports", seen)
	}
}

// checked counts the lines checked, by kind.
type checked struct{ headlines, summaries, blockers, inputs int }

type named struct {
	name string
	d    *report.Diagnosis
}

// exampleDiagnoses runs the pipeline on each example of examples/ as the
// README and the scripts do.
func exampleDiagnoses(t *testing.T) []named {
	t.Helper()
	ex := filepath.Join("..", "..", "examples")
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(ex, p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	snap := func(p string) diagnose.Gatherer {
		s, err := layers.LoadFile(filepath.Join(ex, p))
		if err != nil {
			t.Fatal(err)
		}
		return diagnose.Snapshot(s)
	}
	files := func(f layers.Files) diagnose.Gatherer {
		for i := range f.Identity {
			f.Identity[i] = filepath.Join(ex, f.Identity[i])
		}
		for i := range f.SCP {
			f.SCP[i] = filepath.Join(ex, f.SCP[i])
		}
		return diagnose.Files(f)
	}
	runs := []struct {
		name string
		in   diagnose.Input
		src  diagnose.Gatherer
	}{
		{"seed/error", diagnose.Input{ErrorText: read("seed/error.txt")}, snap("seed/snapshot.json")},
		{"seed/decoded", diagnose.Input{DecodedMessage: []byte(read("seed/decoded-message.json"))}, snap("seed/snapshot.json")},
		{"boundary/error", diagnose.Input{ErrorText: read("boundary/error.txt")}, snap("boundary/snapshot.json")},
		{"boundary/flags", diagnose.Input{Principal: "arn:aws:iam::111122223333:role/ReportWriter", Action: "s3:GetObject",
			Resource: "arn:aws:s3:::reports-bucket/2026/q4.csv"}, snap("boundary/snapshot.json")},
		{"missing-allow", diagnose.Input{CloudTrail: []byte(read("missing-allow/cloudtrail-event.json"))},
			files(layers.Files{Identity: []string{"missing-allow/role-policy.json"}})},
		{"condition", diagnose.Input{Principal: "arn:aws:iam::123456789012:role/MyFederatedRole", Action: "ec2:RunInstances",
			Resource: "arn:aws:ec2:eu-west-1:123456789012:instance/*", Context: []string{"aws:RequestedRegion=eu-west-1", "ec2:InstanceType=t3.medium"}},
			files(layers.Files{Identity: []string{"condition/role-policy.json"}, SCP: []string{"condition/scp-full-access.json"}})},
		{"condition/no-resource", diagnose.Input{Principal: "arn:aws:iam::123456789012:role/MyFederatedRole", Action: "ec2:RunInstances",
			Context: []string{"aws:RequestedRegion=us-east-1"}},
			files(layers.Files{Identity: []string{"condition/role-policy.json"}})},
	}
	var out []named
	for _, r := range runs {
		d, err := diagnose.Run(context.Background(), r.in, diagnose.Sources{Layers: r.src})
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		out = append(out, named{"example/" + r.name, d})
	}
	return out
}

// verdictWords are the words with which a layer's summary line starts for
// each verdict.
var verdictWords = map[simulate.LayerDecision]string{
	simulate.LayerAllow:        "allows",
	simulate.LayerExplicitDeny: "explicit deny",
	simulate.LayerImplicitDeny: "implicit deny",
	simulate.LayerExempt:       "exempt",
	simulate.LayerUnknown:      "unknown",
}

var (
	otherLine   = regexp.MustCompile(`^  ([a-z-]+) +(.*)$`)
	blockerLine = regexp.MustCompile(`^  \d+\. (.+) — (explicit deny|implicit deny)$`)
	mdBlocker   = regexp.MustCompile(`^\d+\. \*\*(.+) — (explicit deny|implicit deny)\*\*$`)
	mdOther     = regexp.MustCompile(`^\| ([a-z-]+) \| (.*) \|$`)
)

func checkOneView(t *testing.T, name string, d *report.Diagnosis, seen *checked) {
	t.Helper()
	r := d.Result
	decision := map[policy.Layer]simulate.LayerDecision{}
	byTitle := map[string]policy.Layer{}
	for _, l := range r.Layers {
		decision[l.Layer] = l.Decision
		byTitle[l.Layer.Title()] = l.Layer
	}
	fail := func(format, line, why string) {
		t.Errorf("%s (%s): %q: %s\nlayers: %v", name, format, line, why, decision)
	}
	checkHeadline := func(format, line string) {
		seen.headlines++
		switch {
		case strings.Contains(line, "DENIED — explicit deny in "):
			title := strings.TrimPrefix(strings.SplitN(strings.SplitN(line, "explicit deny in ", 2)[1], ";", 2)[0], "a ")
			title = strings.TrimPrefix(title, "an ")
			if l, ok := byTitle[title]; ok && decision[l] != simulate.LayerExplicitDeny {
				fail(format, line, "the first line says explicit deny, the layer says "+decision[l].String())
			}
		case strings.Contains(line, "ALLOWED — every layer read allows"):
			for l, dec := range decision {
				if dec == simulate.LayerExplicitDeny {
					fail(format, line, "allowed, but "+string(l)+" denies explicitly")
				}
			}
		case strings.Contains(line, "unread: "):
			for _, title := range strings.Split(strings.SplitN(line, "unread: ", 2)[1], ", ") {
				if l, ok := byTitle[strings.TrimSpace(title)]; ok && decision[l] != simulate.LayerUnknown {
					fail(format, line, "unread, but the layer says "+decision[l].String())
				}
			}
		}
	}
	checkSummary := func(format, line string, l policy.Layer, summary string) {
		seen.summaries++
		for dec, word := range verdictWords {
			if dec != decision[l] && strings.HasPrefix(summary, word) {
				fail(format, line, "the line says "+word+", the layer says "+decision[l].String())
			}
		}
	}
	checkBlocker := func(format, line, title, kind string) {
		l, ok := byTitle[title]
		if !ok {
			return
		}
		seen.blockers++
		switch {
		case kind == "explicit deny" && decision[l] != simulate.LayerExplicitDeny,
			kind == "implicit deny" && decision[l] != simulate.LayerImplicitDeny && decision[l] != simulate.LayerExplicitDeny:
			fail(format, line, "blocker "+kind+", the layer says "+decision[l].String())
		}
	}
	checkInput := func(format, line string) {
		if d.Hint == nil || d.Hint.Layer == "" {
			return
		}
		seen.inputs++
		l := policy.Layer(d.Hint.Layer)
		want := map[simulate.BlockerKind]simulate.LayerDecision{
			simulate.BlockerExplicitDeny: simulate.LayerExplicitDeny, simulate.BlockerImplicitDeny: simulate.LayerImplicitDeny}[d.Hint.Kind]
		if strings.Contains(line, "the evaluation does not find it") && decision[l] == want {
			fail(format, line, "the layer table finds it")
		}
	}

	var text, md, js, slack bytes.Buffer
	if err := report.Text(&text, d, report.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := report.Markdown(&md, d); err != nil {
		t.Fatal(err)
	}
	if err := report.JSON(&js, d); err != nil {
		t.Fatal(err)
	}
	if err := report.Slack(&slack, d); err != nil {
		t.Fatal(err)
	}

	section := ""
	for i, line := range strings.Split(text.String(), "\n") {
		if i == 0 {
			checkHeadline("text", line)
		}
		if !strings.HasPrefix(line, " ") && strings.HasSuffix(line, ":") {
			section = line
		}
		switch m := otherLine.FindStringSubmatch(line); {
		case section == "Other layers:" && m != nil:
			checkSummary("text", line, policy.Layer(m[1]), m[2])
		}
		if m := blockerLine.FindStringSubmatch(line); m != nil && section == "Blocked by:" {
			checkBlocker("text", line, m[1], m[2])
		}
		if strings.HasPrefix(line, "Input: ") {
			checkInput("text", line)
		}
	}
	for i, line := range strings.Split(md.String(), "\n") {
		if i == 0 {
			checkHeadline("markdown", line)
		}
		if m := mdBlocker.FindStringSubmatch(line); m != nil {
			checkBlocker("markdown", line, m[1], m[2])
		}
		if m := mdOther.FindStringSubmatch(line); m != nil {
			if _, ok := decision[policy.Layer(m[1])]; ok {
				checkSummary("markdown", line, policy.Layer(m[1]), m[2])
			}
		}
		if strings.HasPrefix(line, "**Input:**") {
			checkInput("markdown", line)
		}
	}

	var j struct {
		Blockers []struct {
			Layer policy.Layer `json:"layer"`
			Kind  string       `json:"kind"`
		} `json:"blockers"`
		Layers []struct {
			Layer    policy.Layer           `json:"layer"`
			Decision simulate.LayerDecision `json:"decision"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(js.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	for _, l := range j.Layers {
		if decision[l.Layer] != l.Decision {
			fail("json", string(l.Layer), "layers[].decision differs from the table")
		}
	}
	for _, b := range j.Blockers {
		checkBlocker("json", string(b.Layer)+" "+b.Kind, b.Layer.Title(), strings.ReplaceAll(b.Kind, "-", " "))
	}

	var s struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(slack.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if rest, ok := strings.CutPrefix(s.Text, "DENIED: explicit deny in "); ok {
		title := strings.TrimPrefix(strings.TrimPrefix(strings.SplitN(strings.SplitN(rest, " (", 2)[0], ";", 2)[0], "an "), "a ")
		if l, ok := byTitle[title]; ok && decision[l] != simulate.LayerExplicitDeny {
			fail("slack", s.Text, "explicit deny, the layer says "+decision[l].String())
		}
	}
}

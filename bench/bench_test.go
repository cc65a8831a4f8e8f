// Package bench holds iamdiag's end-to-end benchmarks: loading the realistic
// snapshot, and evaluating the seed incident's request (a federated role
// session calling ec2:RunInstances) with the full explained diagnosis and
// with the decision-only fast path. bench/compare.sh runs them next to
// @cloud-copilot/iam-simulate on the same request and layers.
package bench

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

var exportPath = flag.String("export", "", "write the seed request and its layers as an iam-simulate Simulation (JSON) to this file")

// snapshotPath is helper E's realistic snapshot.
var snapshotPath = filepath.Join("..", "internal", "layers", "testdata", "realistic", "snapshot.json")

// seedRequest is the incident's call: the federated role session launching an
// instance in us-east-1. The instance ARN is concrete so that iam-simulate
// runs one simulation, like iamdiag, rather than one per matching pattern.
func seedRequest(account string) *policy.Request {
	req := policy.NewRequest(
		"arn:aws:sts::"+account+":assumed-role/MyFederatedRole/jane",
		"ec2:RunInstances",
		"arn:aws:ec2:us-east-1:"+account+":instance/i-0123456789abcdef0",
	)
	req.Context.Set("aws:RequestedRegion", "us-east-1")
	req.Context.Set("ec2:InstanceType", "t3.micro")
	req.Context.Set("aws:SecureTransport", "true")
	return req
}

func loadSeed(tb testing.TB) (*layers.Snapshot, *policy.Request, *policy.Layers) {
	tb.Helper()
	snap, err := layers.LoadFile(snapshotPath)
	if err != nil {
		tb.Fatal(err)
	}
	req := seedRequest(snap.AccountID)
	l, err := snap.Layers(req)
	if err != nil {
		tb.Fatal(err)
	}
	return snap, req, l
}

func BenchmarkLoadSnapshot(b *testing.B) {
	st, err := os.Stat(snapshotPath)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := layers.LoadFile(snapshotPath); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDiagnoseSeed(b *testing.B) {
	_, req, l := loadSeed(b)
	b.ReportAllocs()
	for b.Loop() {
		r := simulate.Evaluate(req, l, simulate.Options{})
		if r.Decision == 0 {
			b.Fatal("no decision")
		}
	}
}

func BenchmarkDecideSeed(b *testing.B) {
	_, req, l := loadSeed(b)
	b.ReportAllocs()
	for b.Loop() {
		if simulate.Decide(req, l, simulate.Options{}) == 0 {
			b.Fatal("no decision")
		}
	}
}

// TestSeedConsistent checks that the fast path and the explained diagnosis
// agree on the seed request, and writes the iam-simulate input for
// compare.sh when -export is given.
func TestSeedConsistent(t *testing.T) {
	_, req, l := loadSeed(t)
	full := simulate.Evaluate(req, l, simulate.Options{})
	fast := simulate.Decide(req, l, simulate.Options{})
	if full.Decision != fast {
		t.Fatalf("Evaluate says %s, Decide says %s", full.Decision, fast)
	}
	t.Logf("seed request: %s, %d blockers", full.Decision, len(full.Blockers))
	if *exportPath == "" {
		return
	}
	eff := full.Request
	if eff == nil {
		eff = req
	}
	sim, err := simulation(eff, l)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(map[string]any{"decision": full.Decision, "simulation": sim}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(*exportPath, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// simulation converts a request and its layers to iam-simulate's Simulation
// input. RCPFullAWSAccess is left out: iam-simulate attaches it to every level
// itself.
func simulation(req *policy.Request, l *policy.Layers) (map[string]any, error) {
	named := func(srcs []policy.Source) ([]map[string]any, error) {
		out := []map[string]any{}
		for i, s := range srcs {
			if s.Layer == policy.LayerRCP && s.AWSManaged {
				continue
			}
			doc, err := json.Marshal(s.Document)
			if err != nil {
				return nil, err
			}
			name := s.Name
			if name == "" {
				name = s.Origin
			}
			if name == "" {
				name = string(s.Layer) + "-" + string(rune('a'+i))
			}
			out = append(out, map[string]any{"name": name, "policy": json.RawMessage(doc)})
		}
		return out, nil
	}
	levels := func(ls []policy.OrgLevel) ([]map[string]any, error) {
		out := []map[string]any{}
		for _, lv := range ls {
			ps, err := named(lv.Policies)
			if err != nil {
				return nil, err
			}
			out = append(out, map[string]any{"orgIdentifier": lv.Target, "policies": ps})
		}
		return out, nil
	}
	ctx := map[string]any{}
	for _, k := range req.Context.Keys() {
		v, _ := req.Context.Get(k)
		if len(v) == 1 {
			ctx[k] = v[0]
		} else {
			ctx[k] = v
		}
	}
	account := l.ResourceAccount
	if account == "" {
		account = l.Principal.Account
	}
	identity, err := named(l.Identity)
	if err != nil {
		return nil, err
	}
	scp, err := levels(l.SCP)
	if err != nil {
		return nil, err
	}
	rcp, err := levels(l.RCP)
	if err != nil {
		return nil, err
	}
	sim := map[string]any{
		"request": map[string]any{
			"principal":        req.Principal.ARN,
			"action":           req.Action,
			"resource":         map[string]any{"resource": req.Resource, "accountId": account},
			"contextVariables": ctx,
		},
		"identityPolicies":        identity,
		"serviceControlPolicies":  scp,
		"resourceControlPolicies": rcp,
	}
	if l.Boundary != nil {
		pb, err := named([]policy.Source{*l.Boundary})
		if err != nil {
			return nil, err
		}
		sim["permissionBoundaryPolicies"] = pb
	}
	if len(l.Session) > 0 {
		doc, err := json.Marshal(l.Session[0].Document)
		if err != nil {
			return nil, err
		}
		sim["sessionPolicy"] = json.RawMessage(doc)
	}
	if l.Resource != nil {
		doc, err := json.Marshal(l.Resource.Document)
		if err != nil {
			return nil, err
		}
		sim["resourcePolicy"] = json.RawMessage(doc)
	}
	return sim, nil
}

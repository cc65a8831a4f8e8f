package crosscheck_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/crosscheck"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/report"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

func TestOrganizationsVerdict(t *testing.T) {
	allowEC2, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"EC2","Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	unreadSCP := policy.Readability{Unreadable: true, Error: "AccessDeniedException", Message: "cannot read SCPs: organizations:ListParents was denied"}
	layersWith := func(scp policy.Readability) *policy.Layers {
		return &policy.Layers{
			Principal:    policy.Principal{ARN: "arn:aws:iam::123456789012:role/App", IAMARN: "arn:aws:iam::123456789012:role/App", Account: "123456789012"},
			Identity:     []policy.Source{{Layer: policy.LayerIdentity, Name: "AllowEC2", Origin: "role/App", Document: allowEC2}},
			SessionKnown: true,
			SCPRead:      scp,
			RCPRead:      scp,
		}
	}
	no, yes := false, true
	tests := []struct {
		name     string
		scp      policy.Readability
		check    report.CrossCheck
		changed  bool
		decision simulate.Decision
		blockers []string // layer kind policy-name
	}{
		{name: "explicit deny by the organization", scp: unreadSCP,
			check:   report.CrossCheck{Decision: crosscheck.DecisionExplicitDeny, AllowedByOrganizations: &no},
			changed: true, decision: simulate.ExplicitDeny,
			blockers: []string{"scp explicit-deny " + crosscheck.SimulatorSCPName}},
		{name: "nothing in the organization allows", scp: unreadSCP,
			check:   report.CrossCheck{Decision: crosscheck.DecisionImplicitDeny, AllowedByOrganizations: &no},
			changed: true, decision: simulate.ImplicitDeny,
			blockers: []string{"scp implicit-deny " + crosscheck.SimulatorSCPName}},
		{name: "the organization allows: the layer stays unknown", scp: unreadSCP,
			check:    report.CrossCheck{Decision: crosscheck.DecisionAllowed, AllowedByOrganizations: &yes},
			decision: simulate.Inconclusive},
		{name: "a skipped cross-check says nothing", scp: unreadSCP,
			check:    report.CrossCheck{Skipped: true},
			decision: simulate.Inconclusive},
		{name: "no organization detail", scp: unreadSCP,
			check:    report.CrossCheck{Decision: crosscheck.DecisionImplicitDeny},
			decision: simulate.Inconclusive},
		{name: "readable SCPs are not overridden",
			check:    report.CrossCheck{Decision: crosscheck.DecisionExplicitDeny, AllowedByOrganizations: &no},
			decision: simulate.Allowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := &policy.Request{Principal: policy.Principal{ARN: "arn:aws:iam::123456789012:role/App"}, Action: "ec2:RunInstances", Resource: "*", Context: &policy.Context{}}
			l := layersWith(tc.scp)
			d := &report.Diagnosis{Input: req, Result: simulate.Evaluate(req, l, simulate.Options{})}
			c := tc.check
			if got := crosscheck.OrganizationsVerdict(d, l, &c); got != tc.changed {
				t.Errorf("changed = %v, want %v", got, tc.changed)
			}
			if d.Result.Decision != tc.decision {
				t.Errorf("decision %v, want %v", d.Result.Decision, tc.decision)
			}
			var got []string
			for _, b := range d.Result.Blockers {
				got = append(got, string(b.Layer)+" "+b.Kind.String()+" "+b.PolicyName)
			}
			if diff := cmp.Diff(tc.blockers, got); diff != "" {
				t.Errorf("blockers (-want +got):\n%s", diff)
			}
			for _, lr := range d.Result.Layers {
				if lr.Layer == policy.LayerSCP && tc.scp.Unreadable && lr.Readable {
					t.Errorf("the SCP layer became readable: %+v", lr)
				}
			}
		})
	}
}

package server

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/diagnose"
	"github.com/iamdiag/iamdiag/internal/report"
)

// TestSlackBlocksCrossCheck: the cross-check shows as one section with the
// text report's wording, the local side beside a disagreement, and no
// section without a cross-check.
func TestSlackBlocksCrossCheck(t *testing.T) {
	f := newTestSource(t)
	no := false
	tests := []struct {
		name string
		cc   *report.CrossCheck
		want []string // lines of the cross-check section; nil: no section
	}{
		{"absent", nil, nil},
		{"agrees", &report.CrossCheck{PolicySourceARN: "arn:aws:iam::123456789012:role/MyFederatedRole", Decision: "explicitDeny",
			AllowedByOrganizations: &no, Agrees: true, Detail: "iam:SimulatePrincipalPolicy says explicitDeny, SCPs allow: false"}, []string{
			"*Cross-check* (iam:SimulatePrincipalPolicy)",
			"*simulated*: arn:aws:iam::123456789012:role/MyFederatedRole",
			"*decision*: explicitDeny — agrees with the local verdict",
			"*SCPs*: deny",
			"*permissions boundary*: no boundary decision",
			"*detail*: iam:SimulatePrincipalPolicy says explicitDeny, SCPs allow: false",
		}},
		{"disagrees", &report.CrossCheck{PolicySourceARN: "arn:aws:iam::123456789012:role/MyFederatedRole", Decision: "allowed",
			Detail: "iam:SimulatePrincipalPolicy says allowed"}, []string{
			"*Cross-check* (iam:SimulatePrincipalPolicy)",
			"*simulated*: arn:aws:iam::123456789012:role/MyFederatedRole",
			"*decision*: allowed — DISAGREES with the local verdict",
			"*SCPs*: no organization decision",
			"*permissions boundary*: no boundary decision",
			"*detail*: iam:SimulatePrincipalPolicy says allowed",
			"*local verdict*: explicit-deny: scp explicit-deny in DenyEC2 statement NoEC2",
		}},
		{"skipped", &report.CrossCheck{Skipped: true, Detail: "cross-check skipped: iam:SimulatePrincipalPolicy was denied (AccessDenied)"}, []string{
			"*Cross-check* (iam:SimulatePrincipalPolicy)",
			"*skipped*: iam:SimulatePrincipalPolicy was denied (AccessDenied)",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := diagnose.Run(context.Background(), (&DiagnoseRequest{Principal: seedPrincipal, Action: "ec2:RunInstances"}).input(), diagnose.Sources{Layers: f})
			if err != nil {
				t.Fatal(err)
			}
			d.CrossCheck = tc.cc
			msg, err := slackBlocks(d)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range msg.Blocks {
				if b.Text != nil && strings.HasPrefix(b.Text.Text, "*Cross-check*") {
					if got != nil {
						t.Errorf("two cross-check sections")
					}
					got = strings.Split(b.Text.Text, "\n")
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("cross-check section (-want +got):\n%s", diff)
			}
		})
	}
}

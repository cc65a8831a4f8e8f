package live_test

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/live"
)

// rawDoc compares policy documents by their parsed form: the capture
// stores what the API returned (URL-encoded, then decoded), the served
// file may hold objects with other spacing.
var rawDoc = cmp.Transformer("raw", func(r layers.RawPolicy) string {
	if r.IsZero() {
		return ""
	}
	rp, err := layers.NewRawPolicy(r.JSON)
	if err != nil {
		return "unparsable: " + err.Error()
	}
	b, err := rp.Document().MarshalJSON()
	if err != nil {
		return "error: " + err.Error()
	}
	return string(b)
})

// captureCmp compares snapshots modulo ordering, dates (the fake and the
// SDK rewrite their format) and organization policies that are not SCPs or
// RCPs (Capture reads only those).
var captureCmp = cmp.Options{
	rawDoc,
	cmpopts.EquateEmpty(),
	cmpopts.IgnoreFields(layers.Snapshot{}, "CapturedAt", "Format"),
	cmpopts.IgnoreFields(layers.User{}, "CreateDate"),
	cmpopts.IgnoreFields(layers.Group{}, "CreateDate"),
	cmpopts.IgnoreFields(layers.Role{}, "CreateDate", "RoleLastUsed"),
	cmpopts.IgnoreFields(layers.InstanceProfile{}, "CreateDate"),
	cmpopts.IgnoreFields(layers.InstanceProfileRole{}, "CreateDate"),
	cmpopts.IgnoreFields(layers.ManagedPolicy{}, "CreateDate", "UpdateDate"),
	cmpopts.IgnoreFields(layers.PolicyVersion{}, "CreateDate"),
	cmpopts.IgnoreUnexported(layers.Snapshot{}, layers.RawPolicy{}),
	cmpopts.SortSlices(func(a, b layers.OrgNode) bool { return a.ID < b.ID }),
	cmpopts.SortSlices(func(a, b layers.OrgPolicy) bool { return a.ID < b.ID }),
	cmpopts.SortSlices(func(a, b string) bool { return a < b }),
}

func authorizationOnly(s *layers.Snapshot) *layers.Snapshot {
	out := *s
	if s.Organization != nil {
		o := *s.Organization
		o.Policies = slices.DeleteFunc(slices.Clone(o.Policies), func(p layers.OrgPolicy) bool {
			return p.Type != layers.PolicyTypeSCP && p.Type != layers.PolicyTypeRCP
		})
		out.Organization = &o
	}
	// Resource and session policies are not part of a capture.
	out.ResourcePolicies, out.SessionPolicies = nil, nil
	return &out
}

func TestCaptureRoundTrip(t *testing.T) {
	for _, file := range snapshotFiles(t) {
		for _, pageSize := range []int{0, 1} {
			t.Run(filepath.Base(filepath.Dir(file))+"/page-size-"+string(rune('0'+pageSize)), func(t *testing.T) {
				snap := loadSnap(t, file)
				c := startFake(t, snap, fakeaws.Options{PageSize: pageSize})
				var stages []string
				got, warnings, err := live.Capture(context.Background(),
					live.CaptureClients{IAM: c.iam, STS: c.sts, Organizations: c.org},
					live.CaptureOptions{
						Now: func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) },
						Progress: func(stage string, done, total int) {
							if len(stages) == 0 || stages[len(stages)-1] != stage {
								stages = append(stages, stage)
							}
						},
					})
				if err != nil {
					t.Fatal(err)
				}
				if len(warnings) > 0 {
					t.Errorf("warnings: %v", warnings)
				}
				if !slices.Contains(stages, "authorization details") || (snap.Organization != nil && !slices.Contains(stages, "organization policies")) {
					t.Errorf("progress stages = %v", stages)
				}
				if diff := cmp.Diff(authorizationOnly(snap), got, captureCmp); diff != "" {
					t.Errorf("captured snapshot differs from the served one (-served +captured):\n%s", diff)
				}
				// The capture writes a file that loads back to the same
				// snapshot.
				b, err := got.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				back, err := layers.Load(bytes.NewReader(b))
				if err != nil {
					t.Fatalf("loading the captured snapshot: %v", err)
				}
				if diff := cmp.Diff(got, back, captureCmp); diff != "" {
					t.Errorf("Marshal/Load round trip (-captured +loaded):\n%s", diff)
				}
				// And it answers requests like the served snapshot.
				for _, req := range requests(snap) {
					if strings.Contains(req.Resource, ":s3:::") || strings.Contains(req.Resource, ":kms:") {
						continue // resource policies are not captured
					}
					want, err := snap.Layers(req)
					if err != nil {
						t.Fatal(err)
					}
					have, err := back.Layers(req)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(want, have, layersCmp); diff != "" {
						t.Errorf("%s: layers differ (-served +captured):\n%s", req.Principal.ARN, diff)
					}
				}
			})
		}
	}
}

func TestCaptureOrganizationDenied(t *testing.T) {
	snap := loadSnap(t, realisticSnapshot)
	for _, op := range []string{"DescribeOrganization", "ListPolicies", "ListTargetsForPolicy"} {
		t.Run(op, func(t *testing.T) {
			c := startFake(t, snap, fakeaws.Options{Deny: map[string]string{op: "AccessDeniedException"}})
			got, warnings, err := live.Capture(context.Background(),
				live.CaptureClients{IAM: c.iam, STS: c.sts, Organizations: c.org}, live.CaptureOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Organization != nil {
				t.Errorf("organization captured despite a denied %s", op)
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], "organizations:"+op+" was denied (AccessDeniedException)") {
				t.Errorf("warnings = %q", warnings)
			}
			if len(got.AuthorizationDetails.RoleDetailList) != len(snap.AuthorizationDetails.RoleDetailList) {
				t.Errorf("roles: %d, want %d", len(got.AuthorizationDetails.RoleDetailList), len(snap.AuthorizationDetails.RoleDetailList))
			}
		})
	}
	t.Run("tree listing denied keeps the account's path", func(t *testing.T) {
		c := startFake(t, snap, fakeaws.Options{Deny: map[string]string{"ListOrganizationalUnitsForParent": "AccessDeniedException"}})
		got, warnings, err := live.Capture(context.Background(),
			live.CaptureClients{IAM: c.iam, STS: c.sts, Organizations: c.org}, live.CaptureOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(warnings) != 1 || !strings.Contains(warnings[0], "only account "+snap.AccountID+"'s path") {
			t.Errorf("warnings = %q", warnings)
		}
		req := prodRole(t, snap)
		want, err := snap.Layers(req)
		if err != nil {
			t.Fatal(err)
		}
		have, err := got.Layers(req)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.SCP, have.SCP, layersCmp); diff != "" {
			t.Errorf("SCP levels (-served +captured):\n%s", diff)
		}
	})
	t.Run("expired credentials", func(t *testing.T) {
		c := startFake(t, snap, fakeaws.Options{Errors: map[string]fakeaws.Failure{"GetAccountAuthorizationDetails": {Code: "ExpiredToken"}}})
		_, _, err := live.Capture(context.Background(),
			live.CaptureClients{IAM: c.iam, STS: c.sts, Organizations: c.org}, live.CaptureOptions{})
		if err == nil || !strings.Contains(err.Error(), "refresh the credentials") {
			t.Errorf("err = %v", err)
		}
	})
}

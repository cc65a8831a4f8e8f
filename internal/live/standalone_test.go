package live_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/live"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// standaloneSnapshot is the realistic snapshot of an account in no
// organization.
func standaloneSnapshot(t *testing.T) *layers.Snapshot {
	t.Helper()
	snap := loadSnap(t, realisticSnapshot)
	out := *snap
	out.Organization = &layers.Organization{Standalone: true}
	b, err := out.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s, err := layers.Load(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStandaloneAccount: an account in no organization
// (AWSOrganizationsNotInUseException) has read, empty SCP and RCP layers,
// live, in a captured snapshot and in the file format alike.
func TestStandaloneAccount(t *testing.T) {
	snap := standaloneSnapshot(t)
	c := startFake(t, snap, fakeaws.Options{})
	req := prodRole(t, snap)

	fromLive, err := c.live(live.Options{}).Layers(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	offline, err := snap.Layers(req)
	if err != nil {
		t.Fatal(err)
	}
	for name, l := range map[string]*policy.Layers{"live": fromLive, "snapshot": offline} {
		for layer, r := range map[string]policy.Readability{"scp": l.SCPRead, "rcp": l.RCPRead} {
			if r.Unreadable || r.Message != layers.StandaloneNote(snap.AccountID, strings.ToUpper(layer)+"s") {
				t.Errorf("%s %s read = %+v, want read with the standalone note", name, layer, r)
			}
		}
		if l.SCP != nil || l.RCP != nil {
			t.Errorf("%s: levels %v %v, want none", name, l.SCP, l.RCP)
		}
	}
	if diff := cmp.Diff(offline, fromLive, layersCmp); diff != "" {
		t.Errorf("(-snapshot +live):\n%s", diff)
	}

	got, warnings, err := live.Capture(context.Background(),
		live.CaptureClients{IAM: c.iam, STS: c.sts, Organizations: c.org}, live.CaptureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Errorf("warnings = %q, want none for a standalone account", warnings)
	}
	if got.Organization == nil || !got.Organization.Standalone {
		t.Fatalf("captured organization = %+v, want standalone", got.Organization)
	}
	b, err := got.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("\"organization\": {\n    \"standalone\": true\n  }")) {
		t.Errorf("the file does not say {\"standalone\": true}:\n%s", b)
	}
	back, err := layers.Load(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	have, err := back.Layers(req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(offline, have, layersCmp); diff != "" {
		t.Errorf("(-served +captured):\n%s", diff)
	}
}

// TestStandaloneOtherAccount: that the credentials' account is in no
// organization says nothing about another account's SCPs and RCPs.
func TestStandaloneOtherAccount(t *testing.T) {
	snap := standaloneSnapshot(t)
	c := startFake(t, snap, fakeaws.Options{})
	req := prodRole(t, snap)
	l, err := c.live(live.Options{AccountID: "999999999999"}).Layers(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !l.SCPRead.Unreadable || l.SCPRead.Error != "AWSOrganizationsNotInUseException" {
		t.Errorf("live scp read = %+v, want unreadable", l.SCPRead)
	}

	// In the snapshot, an SQS queue of another account: its RCPs are
	// unknown.
	q := policy.NewRequest(req.Principal.ARN, "sqs:SendMessage", "arn:aws:sqs:us-east-1:999999999999:queue")
	ol, err := snap.Layers(q)
	if err != nil {
		t.Fatal(err)
	}
	if ol.SCPRead.Unreadable {
		t.Errorf("snapshot scp read = %+v, want read", ol.SCPRead)
	}
	if !ol.RCPRead.Unreadable || ol.RCPRead.Error != "NoOrganizationData" {
		t.Errorf("snapshot rcp read of another account = %+v, want unreadable", ol.RCPRead)
	}
}

func TestStandaloneInvalid(t *testing.T) {
	const js = `{"format": "iamdiag-snapshot/v1", "account_id": "123456789012",
	"authorization_details": {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []},
	"organization": {"standalone": true, "id": "o-abc"}}`
	if _, err := layers.Load(strings.NewReader(js)); !errors.Is(err, layers.ErrInvalid) || !strings.Contains(err.Error(), "standalone") {
		t.Errorf("err = %v, want ErrInvalid about a standalone organization with data", err)
	}
}

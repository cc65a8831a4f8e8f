package live_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/live"
)

// countingReloader counts Reload calls.
type countingReloader struct{ n atomic.Int32 }

func (r *countingReloader) Reload() (bool, error) { r.n.Add(1); return true, nil }

// TestCapturerRefresh: CaptureFile writes the account as a snapshot file
// the daemon loads, and Refresh rewrites it and reloads, until stopped.
func TestCapturerRefresh(t *testing.T) {
	snap := loadSnap(t, "../../examples/seed/snapshot.json")
	c := startFake(t, snap, fakeaws.Options{})
	capt := &live.Capturer{Clients: live.CaptureClients{IAM: c.iam, STS: c.sts, Organizations: c.org}}
	path := filepath.Join(t.TempDir(), "snapshot.json")
	if err := capt.CaptureFile(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	got, err := layers.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(authorizationOnly(snap), got, captureCmp); diff != "" {
		t.Errorf("the captured file differs from the served account (-served +captured):\n%s", diff)
	}

	ctx, cancel := context.WithCancel(context.Background())
	r := &countingReloader{}
	stopped := make(chan struct{})
	go func() { capt.Refresh(ctx, path, 10*time.Millisecond, r); close(stopped) }()
	for deadline := time.Now().Add(5 * time.Second); r.n.Load() < 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d reloads within 5s, want 2", r.n.Load())
		}
	}
	cancel()
	<-stopped
	if n := c.fake.Calls()["GetAccountAuthorizationDetails"]; n < 3 {
		t.Errorf("%d captures, want the first and at least two refreshes", n)
	}
}

// TestCallerCheck: the readiness check trusts a success for a minute;
// Identify asks STS each time and says the account.
func TestCallerCheck(t *testing.T) {
	c := startFake(t, loadSnap(t, "../../examples/seed/snapshot.json"), fakeaws.Options{})
	id := &live.CallerCheck{STS: c.sts}
	ctx := context.Background()
	for range 3 {
		if err := id.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.fake.Calls()["GetCallerIdentity"]; n != 1 {
		t.Errorf("3 checks made %d sts:GetCallerIdentity calls, want 1", n)
	}
	acct, arn, err := id.Identify(ctx)
	if err != nil || acct != "123456789012" || arn == "" {
		t.Errorf("Identify = %q, %q, %v; want account 123456789012 and an ARN", acct, arn, err)
	}
	if n := c.fake.Calls()["GetCallerIdentity"]; n != 2 {
		t.Errorf("%d sts:GetCallerIdentity calls after Identify, want 2", n)
	}
}

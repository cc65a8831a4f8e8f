package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/layers"
)

// setFakeAWS serves the snapshot at path and points the SDK's environment
// at it for the test.
func setFakeAWS(t testing.TB, path string, opts fakeaws.Options) *fakeaws.Server {
	t.Helper()
	snap, err := layers.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := fakeaws.New(snap, opts)
	u := srv.Start()
	t.Cleanup(srv.Close)
	for k, v := range fakeaws.Env(u, "AKIAFAKEUNITTEST0001", t.TempDir()) {
		t.Setenv(k, v)
	}
	return srv
}

// TestSnapshotFile: the file is private (0600), replaced whole, and no
// temporary file is left beside it; on a terminal a progress line is drawn
// and erased.
func TestSnapshotFile(t *testing.T) {
	setFakeAWS(t, filepath.Join("..", "..", "examples", "seed", "snapshot.json"), fakeaws.Options{PageSize: 1})
	dir := t.TempDir()
	out := filepath.Join(dir, "snap.json")
	if err := os.WriteFile(out, []byte("old content"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if err := runSnapshot(context.Background(), &snapshotOptions{Output: out, progress: true}, &stderr); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the snapshot", len(entries))
	}
	if _, err := layers.LoadFile(out); err != nil {
		t.Errorf("the written file does not load: %v", err)
	}
	s := stderr.String()
	// The IAM and Organizations reads run concurrently, and updates are
	// thinned to ten a second: the last organization policy always shows.
	if !strings.HasPrefix(s, "\rcapturing: ") || !strings.Contains(s, "\rcapturing: organization policies 2/2") {
		t.Errorf("no progress line in %q", s)
	}
	last := s[strings.LastIndex(s, "\r")+1:]
	if !strings.HasPrefix(last, "iamdiag: wrote "+out+": account 123456789012") {
		t.Errorf("the progress line is not erased before the summary: %q", last)
	}
}

// TestSnapshotTargetCheckedFirst: a target that is no regular file, or a
// folder that takes no file, fails before the capture (no AWS call is
// made: none is configured), saying why.
func TestSnapshotTargetCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "stdout")
	if err := os.Symlink("/proc/self/fd/1", link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, output, want string
	}{
		{"stdout-like symlink", link, link + " is a symbolic link"},
		{"missing folder", filepath.Join(dir, "none", "snap.json"), "checking that " + filepath.Join(dir, "none") + " can be written"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
			t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			err := runSnapshot(context.Background(), &snapshotOptions{Output: tc.output}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Errorf("the link was replaced: %v %v", fi, err)
			}
		})
	}
}

func TestSnapshotSummary(t *testing.T) {
	base := layers.Snapshot{AccountID: "111122223333"}
	base.AuthorizationDetails.RoleDetailList = make([]layers.Role, 2)
	base.AuthorizationDetails.Policies = make([]layers.ManagedPolicy, 3)
	org := &layers.Organization{ID: "o-x", Nodes: make([]layers.OrgNode, 4), Policies: []layers.OrgPolicy{
		{Type: layers.PolicyTypeSCP}, {Type: layers.PolicyTypeSCP}, {Type: layers.PolicyTypeRCP}, {Type: "TAG_POLICY"},
	}}
	tests := []struct {
		name string
		org  *layers.Organization
		want string
	}{
		{"organization", org, "wrote f: account 111122223333, 2 roles, 0 users, 0 groups, 3 managed policies; organization o-x: 4 nodes, 2 SCPs, 1 RCP"},
		{"unreadable", nil, "wrote f: account 111122223333, 2 roles, 0 users, 0 groups, 3 managed policies; no organization data: SCPs and RCPs unknown"},
		{"standalone", &layers.Organization{Standalone: true}, "wrote f: account 111122223333, 2 roles, 0 users, 0 groups, 3 managed policies; not in an organization: no SCPs or RCPs apply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			s.Organization = tt.org
			if got := snapshotSummary("f", &s); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

package server

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"
)

// memObject is a SnapshotObject in memory whose version is S3's ETag of a
// single-part upload: the quoted MD5 of the content.
type memObject struct {
	mu            sync.Mutex
	content       string
	reads, checks int
}

func (o *memObject) set(content string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.content = content
}

func etagOf(content string) string {
	sum := md5.Sum([]byte(content))
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

func (o *memObject) Read(context.Context) ([]byte, string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reads++
	return []byte(o.content), etagOf(o.content), nil
}

func (o *memObject) Version(context.Context) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.checks++
	return etagOf(o.content), nil
}

func (o *memObject) String() string { return "s3://iamdiag-snapshots/prod.json" }

func TestSnapshotObjectReload(t *testing.T) {
	obj := &memObject{content: goodSnap}
	m := NewMetrics()
	s, err := OpenSnapshotObject(context.Background(), obj, zap.NewNop(), m)
	if err != nil {
		t.Fatal(err)
	}
	roles := func() int { return len(s.Snapshot().AuthorizationDetails.RoleDetailList) }
	oneRole := `{"format":"iamdiag-snapshot/v1","account_id":"123456789012","authorization_details":{"RoleDetailList":[
		{"Path":"/","RoleName":"a","RoleId":"AROAA","Arn":"arn:aws:iam::123456789012:role/a","RolePolicyList":[]}]}}`

	type step struct {
		name        string
		content     string // "" leaves the object as it is
		wantChanged bool
		wantErr     string
		wantRoles   int
		wantReads   int // GetObject calls so far
	}
	steps := []step{
		{name: "unchanged", wantRoles: 2, wantReads: 1},
		{name: "new ETag", content: oneRole, wantChanged: true, wantRoles: 1, wantReads: 2},
		{name: "same ETag again", wantRoles: 1, wantReads: 2},
		{name: "broken object keeps the snapshot", content: brokenFile, wantErr: "account_id", wantRoles: 1, wantReads: 3},
		{name: "broken ETag is not read again", wantErr: "account_id", wantRoles: 1, wantReads: 3},
		{name: "whole again", content: goodSnap, wantChanged: true, wantRoles: 2, wantReads: 4},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.content != "" {
				obj.set(st.content)
			}
			changed, err := s.Reload()
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if changed != st.wantChanged || (st.wantErr == "") != (err == nil) || !strings.Contains(gotErr, st.wantErr) {
				t.Errorf("Reload() = %v, %q; want %v, an error saying %q", changed, gotErr, st.wantChanged, st.wantErr)
			}
			obj.mu.Lock()
			reads := obj.reads
			obj.mu.Unlock()
			if diff := cmp.Diff([]int{st.wantRoles, st.wantReads}, []int{roles(), reads}); diff != "" {
				t.Errorf("roles in use, GetObject calls (-want +got):\n%s", diff)
			}
		})
	}
	if got := []float64{value(t, m.reloads, "success"), value(t, m.reloads, "failure")}; !cmp.Equal(got, []float64{2, 1}) {
		t.Errorf("reloads success, failure = %v, want [2 1]", got)
	}
	if why := s.Degraded(context.Background()); why != "" {
		t.Errorf("Degraded() = %q after a good reload", why)
	}
}

package live_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/live"
	"github.com/iamdiag/iamdiag/internal/server"
)

func TestParseS3URL(t *testing.T) {
	tests := []struct {
		in      string
		want    live.S3URL
		wantErr string
	}{
		{in: "s3://iamdiag-snapshots/prod/snapshot.json", want: live.S3URL{Bucket: "iamdiag-snapshots", Key: "prod/snapshot.json"}},
		{in: "s3://a.b-c/k", want: live.S3URL{Bucket: "a.b-c", Key: "k"}},
		{in: "s3://iamdiag/dir/", want: live.S3URL{Bucket: "iamdiag", Key: "dir/"}},
		{in: "https://iamdiag/k", wantErr: "does not begin with s3://"},
		{in: "s3://iamdiag", wantErr: "names no object key"},
		{in: "s3://iamdiag/", wantErr: "names no object key"},
		{in: "s3://ab/k", wantErr: "3 to 63 characters"},
		{in: "s3://" + strings.Repeat("a", 64) + "/k", wantErr: "3 to 63 characters"},
		{in: "s3://Iamdiag/k", wantErr: "lowercase letters"},
		{in: "s3://iam_diag/k", wantErr: "lowercase letters"},
		{in: "s3://-iamdiag/k", wantErr: "begin and end with a letter or digit"},
		{in: "s3://iamdiag./k", wantErr: "begin and end with a letter or digit"},
		{in: "s3://iam..diag/k", wantErr: "two adjacent dots"},
		{in: "s3://10.0.0.1/k", wantErr: "IP address"},
		{in: "s3://xn--iamdiag/k", wantErr: "must not begin with xn--"},
		{in: "s3://iamdiag-s3alias/k", wantErr: "must not end with -s3alias"},
		{in: "s3://iamdiag/" + strings.Repeat("k", 1025), wantErr: "longer than 1024 bytes"},
		{in: "s3://iamdiag/\xff", wantErr: "not UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.in[:min(len(tt.in), 40)], func(t *testing.T) {
			got, err := live.ParseS3URL(tt.in)
			if tt.wantErr != "" {
				if !errors.Is(err, live.ErrS3URL) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseS3URL(%q) = %v, want ErrS3URL saying %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseS3URL (-want +got):\n%s", diff)
			}
			if got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

// TestS3Object writes, reads and checks an object against the fake: the
// ETag is the quoted MD5 of the content, unchanged by reading and changed by
// a write of other content.
func TestS3Object(t *testing.T) {
	c := startFake(t, nil, fakeaws.Options{})
	ctx := context.Background()
	obj := live.S3Object{Client: c.s3, URL: live.S3URL{Bucket: "iamdiag-snapshots", Key: "prod/snapshot.json"}}

	if _, err := obj.Version(ctx); err == nil || !strings.Contains(err.Error(), "no such object") {
		t.Errorf("Version of a missing object = %v, want no such object", err)
	}
	if _, _, err := obj.Read(ctx); err == nil || !strings.Contains(err.Error(), "no such object (NoSuchKey)") {
		t.Errorf("Read of a missing object = %v, want no such object (NoSuchKey)", err)
	}
	if err := obj.Put(ctx, []byte(`{"v":1}`)); err != nil {
		t.Fatal(err)
	}
	b, etag, err := obj.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := obj.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte(`{"v":1}`))
	want := `"` + hex.EncodeToString(sum[:]) + `"`
	if diff := cmp.Diff([]string{`{"v":1}`, want, want}, []string{string(b), etag, v1}); diff != "" {
		t.Errorf("content, GetObject ETag, HeadObject ETag (-want +got):\n%s", diff)
	}
	if err := obj.Put(ctx, []byte(`{"v":2}`)); err != nil {
		t.Fatal(err)
	}
	v2, err := obj.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v2 == v1 {
		t.Errorf("ETag %s unchanged by a write of other content", v2)
	}
}

// TestS3ObjectDaemonReload is the daemon's snapshot over S3 (the fake's):
// a new object, with a new ETag, is reloaded; the same object is not read
// again.
func TestS3ObjectDaemonReload(t *testing.T) {
	c := startFake(t, nil, fakeaws.Options{})
	seed, err := os.ReadFile("../../examples/seed/snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	c.fake.PutObject("iamdiag-snapshots", "prod.json", seed)
	obj := live.S3Object{Client: c.s3, URL: live.S3URL{Bucket: "iamdiag-snapshots", Key: "prod.json"}}
	s, err := server.OpenSnapshotObject(context.Background(), obj, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Snapshot().AccountID; got != "123456789012" {
		t.Fatalf("account %q loaded", got)
	}
	other := strings.Replace(string(seed), "123456789012", "210987654321", -1)
	tests := []struct {
		name      string
		put       string // "" leaves the object as it is
		changed   bool
		account   string
		getObject int // GetObject calls during the step
	}{
		{name: "unchanged", account: "123456789012"},
		{name: "new ETag", put: other, changed: true, account: "210987654321", getObject: 1},
		{name: "same ETag", account: "210987654321"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.put != "" {
				c.fake.PutObject("iamdiag-snapshots", "prod.json", []byte(tt.put))
			}
			c.fake.Reset()
			changed, err := s.Reload()
			if err != nil {
				t.Fatal(err)
			}
			got := []any{changed, s.Snapshot().AccountID, c.fake.Calls()["GetObject"], c.fake.Calls()["HeadObject"]}
			if diff := cmp.Diff([]any{tt.changed, tt.account, tt.getObject, 1}, got); diff != "" {
				t.Errorf("changed, account, GetObject, HeadObject calls (-want +got):\n%s", diff)
			}
		})
	}
}

package layers

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// TestReadPublicAccessBlock: what get-public-access-block prints, or the
// configuration alone, is read; anything else is refused with what to give.
func TestReadPublicAccessBlock(t *testing.T) {
	tests := []struct {
		name, file string
		want       *policy.PublicAccessBlock
		err        string
	}{
		{"wrapped", `{"PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": false, "RestrictPublicBuckets": true}}`,
			&policy.PublicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true, RestrictPublicBuckets: true}, ""},
		{"bare, absent settings off", `{"RestrictPublicBuckets": true}`, &policy.PublicAccessBlock{RestrictPublicBuckets: true}, ""},
		{"no setting", `{}`, nil, "no setting given"},
		{"unknown field", `{"RestrictPublicBucket": true}`, nil, "PublicAccessBlockConfiguration"},
		{"not JSON", `RestrictPublicBuckets=true`, nil, "not S3 Block Public Access settings"},
		{"too large", `{"RestrictPublicBuckets": true}` + strings.Repeat(" ", maxPublicAccessFile), nil, "more than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bpa.json")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := ReadPublicAccessBlock(path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				if tc.name == "too large" && !errors.Is(err, ErrTooLarge) {
					t.Errorf("err = %v, want ErrTooLarge", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Origin = "file:" + path
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

package diagnose

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/iamdiag/iamdiag/internal/authrecord"
	"github.com/iamdiag/iamdiag/internal/decode"
)

// failingRecords fails every fetch with err.
type failingRecords struct{ err error }

func (f failingRecords) FetchRecord(context.Context, string, string) (*authrecord.Record, error) {
	return nil, f.err
}

// TestRecordFallbackLine: each reason AWS's record cannot be read gives
// one line that says which.
func TestRecordFallbackLine(t *testing.T) {
	tests := []struct {
		name    string
		records RecordFetcher
		region  string
		want    string
	}{
		{"unknown or expired", failingRecords{fmt.Errorf("%w: ResourceNotFoundException", authrecord.ErrNotFound)}, "us-east-1",
			"was not found in us-east-1: the ID is unknown there or has expired (records last at least 24 hours); diagnosing from the current policies instead"},
		{"not permitted", failingRecords{fmt.Errorf("%w: AccessDeniedException", authrecord.ErrAccessDenied)}, "",
			"cannot be read: access denied (allow iam:GetRequestAuthorizationDetails and iam:GetRequestAuthorizationPolicy"},
		{"unsupported region", failingRecords{fmt.Errorf("%w: no such host", authrecord.ErrUnsupportedRegion)}, "ap-south-2",
			"cannot be read: IAM Toolbox has no endpoint in ap-south-2; diagnosing from the current policies instead"},
		{"anything else", failingRecords{errors.New("connection reset")}, "",
			"cannot be read: connection reset; diagnosing from the current policies instead"},
		{"no fetcher", nil, "",
			"which this source cannot read: diagnose with AWS credentials allowed iam:GetRequestAuthorizationDetails"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec := &decode.Request{AuthorizationID: "abc123", AuthorizationRegion: tt.region}
			rec, line := record(context.Background(), Input{}, dec, Sources{Records: tt.records})
			if rec != nil {
				t.Fatal("a record from a failing fetch")
			}
			if !strings.Contains(line, tt.want) || strings.Contains(line, "\n") {
				t.Errorf("line %q, want one line with %q", line, tt.want)
			}
		})
	}
	if rec, line := record(context.Background(), Input{}, &decode.Request{}, Sources{}); rec != nil || line != "" {
		t.Errorf("no ID: %v %q, want nothing", rec, line)
	}
}

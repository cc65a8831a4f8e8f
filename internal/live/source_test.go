package live

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// TestVPCENotRead checks that a request through a VPC endpoint leaves the
// endpoint policy layer unknown, never absent, and that a request through
// none, or a policy already held, is left alone.
func TestVPCENotRead(t *testing.T) {
	held := &policy.Source{Layer: policy.LayerVPCEndpoint, Name: "vpce-1"}
	tests := []struct {
		name       string
		vpce       string
		have       *policy.Source
		unreadable bool
	}{
		{name: "through an endpoint", vpce: "vpce-0a1b2c3d", unreadable: true},
		{name: "through none"},
		{name: "policy already held", vpce: "vpce-0a1b2c3d", have: held},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := policy.NewRequest("arn:aws:sts::123456789012:assumed-role/App/jane", "s3:GetObject", "arn:aws:s3:::b/k")
			if tt.vpce != "" {
				req.Context.Set("aws:SourceVpce", tt.vpce)
			}
			l := &policy.Layers{VPCEndpoint: tt.have}
			vpceNotRead(l, req)
			if diff := cmp.Diff(tt.unreadable, l.VPCEndpointRead.Unreadable); diff != "" {
				t.Errorf("unreadable (-want +got):\n%s", diff)
			}
			if tt.unreadable && l.VPCEndpointRead.Error != "NotRead" {
				t.Errorf("error = %q, want NotRead", l.VPCEndpointRead.Error)
			}
		})
	}
}

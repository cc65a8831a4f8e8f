package differential

import (
	"testing"
)

func TestVariants(t *testing.T) {
	// A case with SCPs and RCPs.
	var c *Case
	for i := 0; c == nil; i++ {
		if g := Generate(5, i); len(g.SCP) > 0 && len(g.RCP) > 0 {
			c = g
		}
	}
	vs := Variants(c)
	if len(vs) == 0 {
		t.Fatalf("case %s: no variants", c.ID)
	}
	for i, v := range vs {
		if v.ID == c.ID {
			t.Errorf("variant %d keeps the case's ID", i)
		}
		if len(v.SCP) == 0 && v.Org != nil {
			t.Errorf("variant %s: SCPs removed, the organization kept", v.ID)
		}
		for _, lv := range v.RCP {
			if len(lv.Policies) == 0 || !isRCPFullAWSAccess(lv.Policies[0]) {
				t.Errorf("variant %s: RCP level %s lost RCPFullAWSAccess", v.ID, lv.Target)
			}
		}
		if _, _, err := v.inputs(); err != nil {
			t.Errorf("variant %s: %v", v.ID, err)
		}
	}
	if c.Org == nil {
		t.Errorf("case %s: Variants changed the case", c.ID)
	}
}

package policy

import (
	"maps"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func lazyTestPrincipal() Principal {
	return Principal{
		ARN:      "arn:aws:sts::123456789012:assumed-role/r/jane",
		IAMARN:   "arn:aws:iam::123456789012:role/r",
		Account:  "123456789012",
		Type:     "AssumedRole",
		UserID:   "AROAEXAMPLE:jane",
		Tags:     map[string]string{"team": "platform", "Team": "other", "cost": "42"},
		OrgID:    "o-abc",
		OrgPaths: []string{"o-abc/r-root/ou-work/"},
	}
}

// TestInferPrincipal checks the keys InferPrincipal infers, that given keys
// win, that edits after it apply on top of them, and that they are those
// the policy engine answers from Request.Principal.
func TestInferPrincipal(t *testing.T) {
	p := lazyTestPrincipal()
	want := map[string][]string{
		"aws:PrincipalArn (inferred)":      {"arn:aws:iam::123456789012:role/r"},
		"aws:PrincipalAccount (inferred)":  {"123456789012"},
		"aws:userid (inferred)":            {"AROAEXAMPLE:jane"},
		"aws:PrincipalType (inferred)":     {"AssumedRole"},
		"aws:PrincipalTag/Team (inferred)": {"other"},
		"aws:PrincipalTag/cost":            {"given"},
		"aws:PrincipalOrgID (inferred)":    {"o-abc"},
		"aws:PrincipalOrgPaths (inferred)": {"o-abc/r-root/ou-work/"},
		"aws:RequestedRegion":              {"us-east-1"},
	}
	tests := []struct {
		name  string
		after func(c *Context)
		want  map[string][]string
	}{
		{"read", func(*Context) {}, want},
		{"set after", func(c *Context) { c.Set("aws:PrincipalArn", "x") }, func() map[string][]string {
			w := maps.Clone(want)
			delete(w, "aws:PrincipalArn (inferred)")
			w["aws:PrincipalArn"] = []string{"x"}
			return w
		}()},
		{"infer after", func(c *Context) { c.Infer("aws:PrincipalAccount", "x") }, want},
		{"delete after", func(c *Context) { c.Delete("aws:userid") }, func() map[string][]string {
			w := maps.Clone(want)
			delete(w, "aws:userid (inferred)")
			return w
		}()},
		{"cloned", func(c *Context) { *c = *c.Clone() }, want},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Context{}
			c.Set("aws:RequestedRegion", "us-east-1")
			c.Set("aws:PrincipalTag/COST", "given")
			pc := p
			c.InferPrincipal(&pc)
			pc.IAMARN = "changed after InferPrincipal"
			tt.after(c)
			got := contextMap(c)
			// Keys keeps the spelling first written.
			if v, ok := got["aws:PrincipalTag/COST"]; ok {
				delete(got, "aws:PrincipalTag/COST")
				got["aws:PrincipalTag/cost"] = v
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("context (-want +got):\n%s", diff)
			}
		})
	}

	// The engine answers every key alike from the principal alone.
	c := &Context{}
	c.InferPrincipal(&p)
	bare := &Request{Principal: p, Context: &Context{}}
	for _, k := range c.Keys() {
		v, _ := c.Get(k)
		got, ok := lookupKey(bare, k)
		if !ok || !cmp.Equal(v, got) {
			t.Errorf("%s: context %v, engine from the principal %v (%v)", k, v, got, ok)
		}
	}
	// Of tags differing only in case, the first in sorted order answers
	// whatever the spelling asked.
	for _, k := range []string{"aws:PrincipalTag/team", "aws:principaltag/TEAM"} {
		if got, _ := lookupKey(bare, k); !cmp.Equal(got, []string{"other"}) {
			t.Errorf("%s from the principal = %v, want [other] (tag Team)", k, got)
		}
	}
}

// TestInferPrincipalConcurrent reads a context with pending keys from
// several goroutines (run with -race).
func TestInferPrincipalConcurrent(t *testing.T) {
	p := lazyTestPrincipal()
	c := &Context{}
	c.InferPrincipal(&p)
	req := &Request{Context: c}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, ok := c.Get("aws:PrincipalArn"); !ok {
				t.Error("aws:PrincipalArn missing")
			}
			if _, ok := lookupKey(req, "aws:PrincipalOrgID"); !ok {
				t.Error("aws:PrincipalOrgID missing")
			}
			_ = c.Keys()
		})
	}
	wg.Wait()
}

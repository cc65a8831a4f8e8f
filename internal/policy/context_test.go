package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// contextMap returns every key of c with its values and whether it was
// inferred.
func contextMap(c *Context) map[string][]string {
	out := map[string][]string{}
	for _, k := range c.Keys() {
		v, _ := c.Get(k)
		if c.Inferred(k) {
			k += " (inferred)"
		}
		out[k] = v
	}
	return out
}

func TestContextClone(t *testing.T) {
	orig := &Context{}
	orig.Set("aws:RequestedRegion", "us-east-1")
	orig.Set("aws:TagKeys", "a", "b")
	orig.Set("aws:Empty")
	orig.Infer("aws:PrincipalArn", "arn:aws:iam::123456789012:role/r")
	want := contextMap(orig)

	cl := orig.Clone()
	if diff := cmp.Diff(want, contextMap(cl)); diff != "" {
		t.Fatalf("clone differs (-orig +clone):\n%s", diff)
	}
	// Appending to one key of the clone must not write into another key's
	// values, nor into the original.
	cl.Add("aws:requestedregion", "eu-west-1")
	cl.Add("aws:TagKeys", "c")
	cl.Set("aws:Empty", "x")
	cl.Delete("aws:PrincipalArn")
	cl.Infer("aws:userid", "AROAEXAMPLE:jane")
	if diff := cmp.Diff(want, contextMap(orig)); diff != "" {
		t.Errorf("original changed by editing the clone (-want +got):\n%s", diff)
	}
	wantClone := map[string][]string{
		"aws:RequestedRegion":   {"us-east-1", "eu-west-1"},
		"aws:TagKeys":           {"a", "b", "c"},
		"aws:Empty":             {"x"},
		"aws:userid (inferred)": {"AROAEXAMPLE:jane"},
	}
	if diff := cmp.Diff(wantClone, contextMap(cl)); diff != "" {
		t.Errorf("clone after edits (-want +got):\n%s", diff)
	}
	if v, ok := orig.Clone().Get("aws:empty"); !ok || v != nil {
		t.Errorf("a key with no values: Get = %v, %v; want nil, true", v, ok)
	}
	var nilCtx *Context
	if n := nilCtx.Clone().Len(); n != 0 {
		t.Errorf("nil clone has %d keys", n)
	}
}

package differential

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/iamdiag/iamdiag/internal/simulate"
	"github.com/iamdiag/iamdiag/internal/simulate/corpus"
)

// Variants returns every case obtained from c by removing one element: a
// policy, a statement, a condition, a context key or an organization level.
// The minimizer keeps a variant while the disagreement persists.
func Variants(c *Case) []*Case {
	var out []*Case
	clone := func() *Case {
		b, _ := json.Marshal(c)
		var d Case
		_ = json.Unmarshal(b, &d)
		return &d
	}
	// Documents: drop a statement or a condition.
	docVariants := func(get func(*Case) *corpus.Policy) {
		p := get(c)
		if p == nil {
			return
		}
		var d document
		if json.Unmarshal(p.Document, &d) != nil {
			return
		}
		for i := range d.Statement {
			if len(d.Statement) > 1 {
				v := clone()
				dd := d
				dd.Statement = append(append([]statement(nil), d.Statement[:i]...), d.Statement[i+1:]...)
				get(v).Document, _ = json.Marshal(dd)
				out = append(out, v)
			}
			for op, kv := range d.Statement[i].Condition {
				for k := range kv {
					v := clone()
					var dd document
					_ = json.Unmarshal(p.Document, &dd)
					delete(dd.Statement[i].Condition[op], k)
					if len(dd.Statement[i].Condition[op]) == 0 {
						delete(dd.Statement[i].Condition, op)
					}
					get(v).Document, _ = json.Marshal(dd)
					out = append(out, v)
				}
			}
		}
	}
	for i := range c.Identity {
		v := clone()
		v.Identity = append(v.Identity[:i], v.Identity[i+1:]...)
		out = append(out, v)
		docVariants(func(x *Case) *corpus.Policy { return &x.Identity[i] })
	}
	if c.Boundary != nil {
		v := clone()
		v.Boundary = nil
		out = append(out, v)
		docVariants(func(x *Case) *corpus.Policy { return x.Boundary })
	}
	if len(c.Session) > 0 {
		v := clone()
		v.Session = nil
		out = append(out, v)
		docVariants(func(x *Case) *corpus.Policy { return &x.Session[0] })
	}
	if c.ResourcePolicy != nil {
		v := clone()
		v.ResourcePolicy = nil
		out = append(out, v)
		docVariants(func(x *Case) *corpus.Policy { return x.ResourcePolicy })
	}
	for oi, org := range []func(*Case) *[]corpus.Level{
		func(x *Case) *[]corpus.Level { return &x.SCP },
		func(x *Case) *[]corpus.Level { return &x.RCP },
	} {
		levels := *org(c)
		if len(levels) > 0 {
			v := clone()
			*org(v) = nil
			if oi == 0 {
				// Without SCPs the account is in no organization.
				v.Org = nil
			}
			out = append(out, v)
		}
		for li := range levels {
			if len(levels) > 1 {
				v := clone()
				l := org(v)
				*l = append((*l)[:li], (*l)[li+1:]...)
				out = append(out, v)
			}
			// RCPFullAWSAccess is always there (iam-simulate adds it
			// itself): it is neither counted nor removed.
			custom := 0
			for _, p := range levels[li].Policies {
				if !isRCPFullAWSAccess(p) {
					custom++
				}
			}
			for pi := range levels[li].Policies {
				if isRCPFullAWSAccess(levels[li].Policies[pi]) {
					continue
				}
				if custom > 1 {
					// A level keeps at least one policy, as in AWS.
					v := clone()
					l := org(v)
					(*l)[li].Policies = append((*l)[li].Policies[:pi], (*l)[li].Policies[pi+1:]...)
					out = append(out, v)
				}
				docVariants(func(x *Case) *corpus.Policy { return &(*org(x))[li].Policies[pi] })
			}
		}
	}
	for k := range c.Request.Context {
		if inferredKey(k) {
			// iamdiag derives these from the principal and the layers:
			// removing them would only show that iam-simulate does not.
			continue
		}
		v := clone()
		delete(v.Request.Context, k)
		out = append(out, v)
	}
	for i, v := range out {
		v.ID = fmt.Sprintf("%s-m%d", c.ID, i)
	}
	return out
}

// Minimize shrinks a disagreeing case while the two decisions stay what
// they were (o is its outcome), so that a person reads the smallest case
// showing it. The result's ID is c's with "-min".
func Minimize(sim *Simulator, c *Case, o Outcome) (*Case, error) {
	want := [2]simulate.Decision{o.Ours.Decision, o.Theirs.Decision}
	id := c.ID
	for range 200 {
		vs := Variants(c)
		if len(vs) == 0 {
			break
		}
		outs, err := sim.Run(vs)
		if err != nil {
			return nil, fmt.Errorf("minimizing %s: %w", id, err)
		}
		next := (*Case)(nil)
		for i, v := range vs {
			vo, err := Compare(v, outs[i])
			if err != nil || vo.Skip != "" || vo.Agree {
				continue
			}
			if [2]simulate.Decision{vo.Ours.Decision, vo.Theirs.Decision} == want {
				next = v
				break
			}
		}
		if next == nil {
			break
		}
		c = next
	}
	c.ID = id + "-min"
	return c, nil
}

// inferredKey reports whether key is one the generator always derives
// from the principal or the layers, as iamdiag would.
func inferredKey(key string) bool {
	k := strings.ToLower(key)
	switch k {
	case "aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:userid", "aws:username",
		"aws:principalorgid", "aws:principalorgpaths", "aws:requestedregion":
		return true
	}
	return strings.HasPrefix(k, "aws:principaltag/")
}

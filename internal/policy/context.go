package policy

import (
	"encoding/json"
	"sort"
	"strings"
)

// Context is a request context: condition keys and their values. Keys are
// case-insensitive, as AWS treats condition key names
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
// "Condition key names are not case-sensitive"); values are kept as given.
// The zero value is an empty context ready to use.
type Context struct {
	m map[string]*contextEntry
	// lazy, when set, holds a principal whose keys are inferred when the
	// context is first read (see InferPrincipal).
	lazy *lazyPrincipal
}

type contextEntry struct {
	key      string // as first written
	values   []string
	inferred bool
	// one holds the value of a single-valued key, so that setting it
	// takes one allocation (values is then one[:1:1]).
	one [1]string
}

// newEntry returns an entry holding a copy of values.
func newEntry(key string, values []string, inferred bool) *contextEntry {
	e := &contextEntry{key: key, inferred: inferred}
	switch len(values) {
	case 0:
	case 1:
		e.one[0] = values[0]
		e.values = e.one[:1:1]
	default:
		e.values = append([]string(nil), values...)
	}
	return e
}

// Set replaces the values of key. A key set with no values is present with an
// empty list (which matters to ForAllValues and Null).
func (c *Context) Set(key string, values ...string) {
	c.resolve()
	c.set(key, values, false)
}

// Infer sets key like Set but marks it as inferred by iamdiag rather than
// given by the input; it does nothing when the key is already present.
func (c *Context) Infer(key string, values ...string) {
	c.resolve()
	c.infer(key, values)
}

// infer is Infer without resolving lazy keys first.
func (c *Context) infer(key string, values []string) {
	lk := lowerKey(key)
	if _, ok := c.m[lk]; ok {
		return
	}
	c.setLower(lk, key, values, true)
}

func (c *Context) set(key string, values []string, inferred bool) {
	c.setLower(lowerKey(key), key, values, inferred)
}

// lowerKey returns key in lower case, the map key of Context; the global
// keys a diagnosis infers are looked up in a table rather than lowered
// into a new string each time.
func lowerKey(key string) string {
	if lk, ok := lowerGlobalKeys[key]; ok {
		return lk
	}
	return strings.ToLower(key)
}

// lowerGlobalKeys maps global condition keys, as AWS spells them
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html),
// to lower case.
var lowerGlobalKeys = func() map[string]string {
	keys := []string{
		"aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast", "aws:CurrentTime", "aws:EpochTime",
		"aws:MultiFactorAuthAge", "aws:MultiFactorAuthPresent", "aws:PrincipalAccount", "aws:PrincipalArn",
		"aws:PrincipalIsAWSService", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalServiceName",
		"aws:PrincipalType", "aws:RequestedRegion", "aws:ResourceAccount", "aws:ResourceOrgID", "aws:ResourceOrgPaths",
		"aws:SecureTransport", "aws:SourceAccount", "aws:SourceArn", "aws:SourceIp", "aws:SourceVpc", "aws:SourceVpce",
		"aws:TagKeys", "aws:TokenIssueTime", "aws:UserAgent", "aws:ViaAWSService", "aws:userid", "aws:username",
	}
	m := make(map[string]string, len(keys))
	for _, k := range keys {
		m[k] = strings.ToLower(k)
	}
	return m
}()

// setLower is set with the lower-cased key lk already computed.
func (c *Context) setLower(lk, key string, values []string, inferred bool) {
	if c.m == nil {
		c.m = make(map[string]*contextEntry)
	}
	c.m[lk] = newEntry(key, values, inferred)
}

// Add appends values to key, creating it when absent.
func (c *Context) Add(key string, values ...string) {
	c.resolve()
	if c.m == nil {
		c.m = make(map[string]*contextEntry)
	}
	lk := strings.ToLower(key)
	if e, ok := c.m[lk]; ok {
		e.values = append(e.values, values...)
		return
	}
	c.m[lk] = newEntry(key, values, false)
}

// Get returns the values of key (matched case-insensitively) and whether the
// key is present.
func (c *Context) Get(key string) ([]string, bool) {
	c.resolve()
	if c == nil || c.m == nil {
		return nil, false
	}
	e, ok := c.m[strings.ToLower(key)]
	if !ok {
		return nil, false
	}
	return e.values, true
}

// Inferred reports whether key was set by Infer.
func (c *Context) Inferred(key string) bool {
	c.resolve()
	if c == nil || c.m == nil {
		return false
	}
	e, ok := c.m[strings.ToLower(key)]
	return ok && e.inferred
}

// Delete removes key.
func (c *Context) Delete(key string) {
	c.resolve()
	if c != nil && c.m != nil {
		delete(c.m, strings.ToLower(key))
	}
}

// Len returns the number of keys.
func (c *Context) Len() int {
	if c == nil {
		return 0
	}
	c.resolve()
	return len(c.m)
}

// Keys returns the keys as first written, sorted case-insensitively.
func (c *Context) Keys() []string {
	if c == nil {
		return nil
	}
	c.resolve()
	keys := make([]string, 0, len(c.m))
	for _, e := range c.m {
		keys = append(keys, e.key)
	}
	sort.Slice(keys, func(i, j int) bool { return strings.ToLower(keys[i]) < strings.ToLower(keys[j]) })
	return keys
}

// InferredKeys returns the keys set by Infer, sorted.
func (c *Context) InferredKeys() []string {
	var out []string
	for _, k := range c.Keys() {
		if c.Inferred(k) {
			out = append(out, k)
		}
	}
	return out
}

// Clone returns a deep copy. It takes three allocations whatever the number
// of keys (the map, the entries, the values), each entry's values capped so
// that appending to them never writes into another's.
func (c *Context) Clone() *Context {
	out := &Context{}
	c.resolve()
	if c == nil || c.m == nil {
		return out
	}
	out.m = make(map[string]*contextEntry, len(c.m))
	entries := make([]contextEntry, len(c.m))
	total := 0
	for _, e := range c.m {
		total += len(e.values)
	}
	values := make([]string, 0, total)
	i := 0
	for k, e := range c.m {
		entries[i] = contextEntry{key: e.key, inferred: e.inferred}
		if len(e.values) > 0 {
			start := len(values)
			values = append(values, e.values...)
			entries[i].values = values[start:len(values):len(values)]
		}
		out.m[k] = &entries[i]
		i++
	}
	return out
}

// MarshalJSON writes the context as an object of key to list of values.
func (c *Context) MarshalJSON() ([]byte, error) {
	m := make(map[string][]string, c.Len())
	for _, k := range c.Keys() {
		v, _ := c.Get(k)
		if v == nil {
			v = []string{}
		}
		m[k] = v
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads an object of key to a string or a list of strings.
func (c *Context) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	c.m, c.lazy = nil, nil
	for k, v := range raw {
		var list []string
		if err := json.Unmarshal(v, &list); err != nil {
			var one string
			if err2 := json.Unmarshal(v, &one); err2 != nil {
				return &json.UnmarshalTypeError{Value: string(v), Field: k}
			}
			list = []string{one}
		}
		c.Set(k, list...)
	}
	return nil
}

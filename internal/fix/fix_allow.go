package fix

import (
	_ "embed"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/iamdiag/iamdiag/internal/catalog"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// companionsJSON is the curated companion-permission table: for an action,
// the other permissions it usually needs, each with the AWS page that says
// so.
//
//go:embed companions.json
var companionsJSON []byte

// companionEntry is one row of companions.json.
type companionEntry struct {
	// For is the action that needs the companion.
	For string `json:"for"`
	// Action is the companion action; equal to For for another resource
	// type of the same action.
	Action string `json:"action"`
	// ResourceTypes names the companion's resource types in the catalog.
	ResourceTypes []string `json:"resource_types,omitempty"`
	// Resource is "*" for an action without resource-level permissions, or
	// "context:KEY" for the ARN the request carries under KEY.
	Resource string `json:"resource,omitempty"`
	// Condition is the companion statement's Condition element; ${Region}
	// takes the request's region.
	Condition map[string]map[string][]string `json:"condition,omitempty"`
	// When lists context key prefixes: the companion is needed when the
	// request carries one of them. Empty: needed in some uses only, so
	// never included.
	When []string `json:"when,omitempty"`
	// Needs says what iamdiag cannot know to write the companion (the role
	// to pass …); a companion with Needs is never included.
	Needs string `json:"needs,omitempty"`
	Why   string `json:"why"`
	Doc   string `json:"doc"`
}

type companionTable struct {
	Source  string           `json:"source"`
	Entries []companionEntry `json:"companions"`
}

var loadCompanions = sync.OnceValues(func() ([]companionEntry, error) {
	var t companionTable
	if err := json.Unmarshal(companionsJSON, &t); err != nil {
		return nil, err
	}
	return t.Entries, nil
})

// companionsFor returns the table's entries for action.
func companionsFor(action string) []companionEntry {
	all, err := loadCompanions()
	if err != nil {
		return nil
	}
	var out []companionEntry
	for _, e := range all {
		if strings.EqualFold(e.For, action) {
			out = append(out, e)
		}
	}
	return out
}

// scope is where the request happened: what the new statements' ARNs and
// conditions are built from.
type scope struct {
	partition, region, account string
	service, action            string
	act                        *catalog.Action
}

// scopeOf derives the partition, region and account from the request.
func (f *fixer) scopeOf() scope {
	req := f.req
	s := scope{partition: "aws", action: req.Action}
	s.service, _, _ = strings.Cut(req.Action, ":")
	s.service = strings.ToLower(s.service)
	if a, ok := catalog.Lookup(req.Action); ok {
		s.act = a
		s.action = a.FullName()
	}
	for _, arn := range []string{req.Resource, req.Principal.IAMARN, req.Principal.ARN} {
		a, ok := policy.ParseARN(arn)
		if !ok {
			continue
		}
		if s.partition == "aws" && a.Partition != "" {
			s.partition = a.Partition
		}
		if s.region == "" && a.Region != "" && !strings.ContainsAny(a.Region, "*?") && arn == req.Resource {
			s.region = a.Region
		}
		// "aws" is the account of AWS managed policies, not an account id.
		if s.account == "" && a.Account != "" && !strings.ContainsAny(a.Account, "*?") && a.Account != "aws" {
			s.account = a.Account
		}
	}
	if s.region == "" {
		if v, ok := req.Context.Get("aws:RequestedRegion"); ok && len(v) == 1 {
			s.region = v[0]
		}
	}
	if s.account == "" {
		s.account = req.Principal.Account
	}
	return s
}

// allowPlan is the statements that allow exactly the request, with the
// companions considered.
type allowPlan struct {
	statements []policy.Statement
	companions []Companion
	notes      []string
}

// pinned are the request context keys the new statements pin, besides the
// action's own service keys: the region (a global key every request
// carries) and the tags.
func pinnable(key string) bool {
	lk := strings.ToLower(key)
	switch {
	case lk == "aws:requestedregion":
		return true
	case strings.HasPrefix(lk, "aws:requesttag/"), strings.HasPrefix(lk, "aws:resourcetag/"), lk == "aws:tagkeys":
		return true
	case strings.HasPrefix(lk, "aws:"):
		// Other global keys (source IP, MFA, principal …) describe the
		// caller, not what the request does: pinning them would make the
		// fix brittle without narrowing what it grants.
		return false
	}
	return true
}

// listed reports whether a catalog key list holds key, templates included
// (aws:ResourceTag/${TagKey} lists aws:ResourceTag/team).
func listed(names []string, key string) bool {
	for _, n := range names {
		if strings.EqualFold(n, key) {
			return true
		}
		i := strings.Index(n, "${")
		if i < 0 {
			continue
		}
		j := strings.IndexByte(n[i:], '}')
		if j < 0 {
			continue
		}
		pre, suf := n[:i], n[i+j+1:]
		if len(key) > len(pre)+len(suf) && strings.EqualFold(key[:len(pre)], pre) && strings.EqualFold(key[len(key)-len(suf):], suf) {
			return true
		}
	}
	return false
}

// conditionsFor pins the request's values of the keys in keys (or every
// pinnable key the action sets when keys is nil), sorted by key.
func (f *fixer) conditionsFor(s scope, keep func(key string) bool) []policy.Condition {
	var out []policy.Condition
	ctx := f.req.Context
	if ctx == nil {
		return nil
	}
	keys := ctx.Keys()
	sort.Strings(keys)
	for _, k := range keys {
		if !pinnable(k) || !keep(k) {
			continue
		}
		if !strings.EqualFold(k, "aws:RequestedRegion") && !catalog.ActionSetsKey(s.action, k) {
			continue
		}
		vals, _ := ctx.Get(k)
		if len(vals) == 0 {
			continue
		}
		op := "StringEquals"
		if len(vals) > 1 || strings.EqualFold(k, "aws:TagKeys") {
			// A multivalued key: every value the request carried, and no
			// other (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
			op = "ForAllValues:StringEquals"
		}
		out = append(out, policy.Condition{Operator: op, Key: k, Values: slices.Clone(vals)})
	}
	return out
}

// resourceGroup is one resource type of the action with the ARNs to allow
// and the conditions that apply to it.
type resourceGroup struct {
	name  string
	arns  []string
	conds []policy.Condition
	first bool // holds the request's own resource
}

// plan builds the statements that allow exactly the request: the action on
// the request's resource and on every other resource type the action needs
// (per the catalog), each with the request's values of the condition keys
// that apply to it, plus the companions the request shows are needed.
// withResourceTypes is false for a resource-based policy, which covers its
// own resource only.
func (f *fixer) plan(s scope, sidBase string, withResourceTypes bool) allowPlan {
	var p allowPlan
	req := f.req
	act := s.act
	var groups []resourceGroup
	switch {
	case act == nil:
		p.notes = append(p.notes, req.Action+" is not in the action catalog: the statement allows it on the request's resource only; check the action's name")
		res := req.Resource
		groups = append(groups, resourceGroup{arns: []string{res}, first: true,
			conds: f.conditionsFor(s, func(k string) bool { return strings.EqualFold(k, "aws:RequestedRegion") })})
	case len(act.Resources) == 0:
		// The action takes no resource: "*" is the only Resource AWS
		// accepts (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
		groups = append(groups, resourceGroup{arns: []string{"*"}, first: true,
			conds: f.conditionsFor(s, func(k string) bool {
				return listed(act.ConditionKeys, k) || strings.EqualFold(k, "aws:RequestedRegion")
			})})
	default:
		groups = f.resourceGroups(s, withResourceTypes, &p)
	}
	// Merge the groups with the same conditions into one statement.
	var merged []resourceGroup
	for _, g := range groups {
		i := slices.IndexFunc(merged, func(m resourceGroup) bool { return sameConditions(m.conds, g.conds) })
		if i < 0 {
			merged = append(merged, g)
			continue
		}
		merged[i].arns = appendUnique(merged[i].arns, g.arns...)
		merged[i].first = merged[i].first || g.first
		if merged[i].name == "" {
			merged[i].name = g.name
		}
	}
	slices.SortStableFunc(merged, func(a, b resourceGroup) int {
		if a.first != b.first {
			if a.first {
				return -1
			}
			return 1
		}
		return 0
	})
	for i, g := range merged {
		sid := sidBase
		if i > 0 {
			sid += camel(g.name)
		}
		p.statements = append(p.statements, policy.Statement{
			Sid: sid, Effect: policy.Allow, Action: []string{s.action}, Resource: g.arns, Conditions: g.conds,
		})
	}
	return p
}

// resourceGroups lists the resource types the request needs: the request's
// own, the action's required ones, and the same-action companions the
// request shows.
func (f *fixer) resourceGroups(s scope, withTypes bool, p *allowPlan) []resourceGroup {
	req := f.req
	act := s.act
	reqType, _ := catalog.ResourceTypeForARN(s.service, req.Resource)
	var groups []resourceGroup
	condsFor := func(ar *catalog.ActionResource) []policy.Condition {
		return f.conditionsFor(s, func(k string) bool {
			return strings.EqualFold(k, "aws:RequestedRegion") || listed(act.ConditionKeys, k) ||
				listed(ar.ConditionKeys, k) || listed(ar.Type.ConditionKeys, k)
		})
	}
	if req.Resource == "*" {
		p.notes = append(p.notes, "the input named no resource: the statement names each resource type the action needs, with the ids left as wildcards; diagnose again with the resource's ARN for the exact ARN")
	}
	haveReq := false
	for i := range act.Resources {
		ar := &act.Resources[i]
		if ar.Type == nil {
			continue
		}
		isReq := reqType != nil && ar.Type == reqType
		if !isReq && (!withTypes || !ar.Required) {
			continue
		}
		g := resourceGroup{name: ar.Type.Name, conds: condsFor(ar), first: isReq}
		if isReq {
			g.arns = []string{req.Resource}
			haveReq = true
		} else {
			g.arns = f.arnsOf(s, ar.Type)
		}
		groups = append(groups, g)
	}
	if req.Resource == "*" && len(groups) == 0 {
		// No resource named and none the action requires (S3's object
		// actions): a statement on "*" would grant every object of every
		// bucket. Name the action's simplest resource type with its ids
		// marked for the person to fill in; as written it matches nothing.
		if g, ok := f.placeholderGroup(s, condsFor); ok {
			p.notes = append(p.notes[:len(p.notes)-1], "the input named no resource: replace the <…> parts of "+g.arns[0]+" with the resource's names (a key prefix and * for several objects), or diagnose again with the resource's ARN; as written the statement matches nothing")
			groups = append(groups, g)
			haveReq = true
		}
	}
	if !haveReq && req.Resource != "*" {
		// A resource the catalog does not type: allow it as named.
		groups = append([]resourceGroup{{arns: []string{req.Resource}, first: true,
			conds: f.conditionsFor(s, func(k string) bool { return strings.EqualFold(k, "aws:RequestedRegion") })}}, groups...)
	}
	if len(groups) > 0 && !slices.ContainsFunc(groups, func(g resourceGroup) bool { return g.first }) {
		groups[0].first = true
	}
	if !withTypes {
		return groups
	}
	// Same-action companions: other resource types the request shows.
	for _, e := range companionsFor(s.action) {
		if !strings.EqualFold(e.Action, s.action) {
			continue
		}
		for _, name := range e.ResourceTypes {
			i := slices.IndexFunc(act.Resources, func(ar catalog.ActionResource) bool { return ar.Type != nil && ar.Type.Name == name })
			if i < 0 || slices.ContainsFunc(groups, func(g resourceGroup) bool { return g.name == name }) {
				continue
			}
			ar := &act.Resources[i]
			c := Companion{Action: s.action, ResourceType: name, Why: e.Why, Doc: e.Doc}
			if f.when(e) && e.Needs == "" {
				c.Included = true
				groups = append(groups, resourceGroup{name: name, arns: f.arnsOf(s, ar.Type), conds: condsFor(ar)})
			} else if e.Needs != "" {
				c.Why += " (not included: " + e.Needs + ")"
			}
			p.companions = append(p.companions, c)
		}
	}
	return groups
}

// placeholderGroup is the action's resource type with the fewest ids, its
// ARN built with each id written "<Name>" (the template's variable name).
func (f *fixer) placeholderGroup(s scope, condsFor func(*catalog.ActionResource) []policy.Condition) (resourceGroup, bool) {
	var best *catalog.ActionResource
	bestVars := 0
	for i := range s.act.Resources {
		ar := &s.act.Resources[i]
		if ar.Type == nil || len(ar.Type.ARNs) == 0 {
			continue
		}
		if n := strings.Count(ar.Type.ARNs[0], "${"); best == nil || n < bestVars {
			best, bestVars = ar, n
		}
	}
	if best == nil {
		return resourceGroup{}, false
	}
	vars := map[string]string{}
	for _, part := range strings.Split(best.Type.ARNs[0], "${")[1:] {
		name, _, _ := strings.Cut(part, "}")
		vars[name] = "<" + name + ">"
	}
	arn := best.Type.BuildARN(s.partition, s.region, s.account, vars)
	return resourceGroup{name: best.Type.Name, arns: []string{arn}, conds: condsFor(best), first: true}, true
}

// arnsOf builds the ARNs of a resource type for the request: the ARNs the
// request context names for that type (ec2:Subnet …), else the type's ARN
// template with the request's partition, region and account and the ids
// left as wildcards.
func (f *fixer) arnsOf(s scope, rt *catalog.ResourceType) []string {
	var out []string
	if ctx := f.req.Context; ctx != nil {
		for _, k := range ctx.Keys() {
			vals, _ := ctx.Get(k)
			for _, v := range vals {
				if !strings.HasPrefix(v, "arn:") {
					continue
				}
				if t, ok := catalog.ResourceTypeForARN(s.service, v); ok && t == rt {
					out = appendUnique(out, v)
				}
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	if a := rt.BuildARN(s.partition, s.region, s.account, nil); a != "" {
		return []string{a}
	}
	return []string{"*"}
}

// when reports whether the request shows a companion is needed.
func (f *fixer) when(e companionEntry) bool {
	if f.req.Context == nil {
		return false
	}
	for _, k := range f.req.Context.Keys() {
		for _, w := range e.When {
			if len(k) >= len(w) && strings.EqualFold(k[:len(w)], w) {
				return true
			}
		}
	}
	return false
}

// companionStatements adds the other-action companions of the request's
// action to p: a statement for each one the request shows is needed and
// whose resources iamdiag can name; the others are listed as optional.
func (f *fixer) companionStatements(s scope, sidBase string, p *allowPlan) {
	for _, e := range companionsFor(s.action) {
		if strings.EqualFold(e.Action, s.action) {
			continue
		}
		c := Companion{Action: e.Action, Why: e.Why, Doc: e.Doc}
		switch {
		case !f.when(e):
		case e.Needs != "":
			c.Why += " (not included: " + e.Needs + ")"
		default:
			arns := f.companionARNs(s, e)
			if len(arns) == 0 {
				c.Why += " (not included: its resource could not be named from the request)"
				break
			}
			c.Included = true
			st := policy.Statement{
				Sid:    "Allow" + camel(strings.ReplaceAll(e.Action, ":", "-")) + "For" + camel(strings.ReplaceAll(s.action, ":", "-")),
				Effect: policy.Allow, Action: []string{e.Action}, Resource: arns,
			}
			ops := make([]string, 0, len(e.Condition))
			for op := range e.Condition {
				ops = append(ops, op)
			}
			sort.Strings(ops)
			for _, op := range ops {
				keys := make([]string, 0, len(e.Condition[op]))
				for k := range e.Condition[op] {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					var vals []string
					for _, v := range e.Condition[op][k] {
						vals = append(vals, strings.ReplaceAll(v, "${Region}", s.region))
					}
					st.Conditions = append(st.Conditions, policy.Condition{Operator: op, Key: k, Values: vals})
				}
			}
			p.statements = append(p.statements, st)
		}
		p.companions = append(p.companions, c)
	}
}

// companionARNs names a companion's resources, or nothing when it cannot.
func (f *fixer) companionARNs(s scope, e companionEntry) []string {
	switch {
	case e.Resource == "*":
		return []string{"*"}
	case strings.HasPrefix(e.Resource, "context:"):
		vals, _ := f.req.Context.Get(strings.TrimPrefix(e.Resource, "context:"))
		var out []string
		for _, v := range vals {
			if strings.HasPrefix(v, "arn:") {
				out = append(out, v)
			}
		}
		return out
	}
	a, ok := catalog.Lookup(e.Action)
	if !ok {
		return nil
	}
	var out []string
	for _, name := range e.ResourceTypes {
		rt, ok := a.Service.ResourceTypes[name]
		if !ok {
			continue
		}
		if arn := rt.BuildARN(s.partition, s.region, s.account, nil); arn != "" {
			out = appendUnique(out, arn)
		}
	}
	return out
}

// sameConditions compares two condition lists.
func sameConditions(a, b []policy.Condition) bool {
	return slices.EqualFunc(a, b, func(x, y policy.Condition) bool {
		return x.Operator == y.Operator && x.Key == y.Key && slices.Equal(x.Values, y.Values)
	})
}

// camel turns "network-interface" or "ec2-RunInstances" into
// "NetworkInterface", "Ec2RunInstances" (a Sid holds only letters and
// digits).
func camel(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			if up {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

// sidBase is the Sid of the main new statement: "AllowEc2RunInstances".
func sidBase(action string) string {
	return "Allow" + camel(strings.ReplaceAll(action, ":", "-"))
}

// uniqueSids renames the new statements whose Sid the document already
// uses.
func uniqueSids(doc *policy.Document, sts []policy.Statement) {
	used := map[string]bool{}
	for _, st := range doc.Statements {
		used[st.Sid] = true
	}
	for i := range sts {
		base, n := sts[i].Sid, 2
		for used[sts[i].Sid] {
			sts[i].Sid = base + strconv.Itoa(n)
			n++
		}
		used[sts[i].Sid] = true
	}
}

// appendStatements appends sts to doc, numbering them.
func appendStatements(doc *policy.Document, sts []policy.Statement) []string {
	uniqueSids(doc, sts)
	var sids []string
	for _, st := range sts {
		st.Index = len(doc.Statements) + 1
		doc.Statements = append(doc.Statements, st)
		sids = append(sids, st.Sid)
	}
	return sids
}

// allowText describes the new statements for a summary.
func allowText(s scope, p allowPlan) string {
	var arns []string
	for _, st := range p.statements {
		if len(st.Action) == 1 && st.Action[0] == s.action {
			arns = appendUnique(arns, st.Resource...)
		}
	}
	t := "allow " + s.action + " on " + strings.Join(arns, ", ")
	var keys []string
	for _, st := range p.statements {
		if len(st.Action) == 1 && st.Action[0] == s.action {
			for _, c := range st.Conditions {
				keys = appendUnique(keys, c.Key+"="+strings.Join(c.Values, ","))
			}
		}
	}
	if len(keys) > 0 {
		t += ", only with " + strings.Join(keys, " and ")
	}
	var inc, opt []string
	for _, c := range p.companions {
		name := c.Action
		if c.ResourceType != "" {
			name += " on " + c.ResourceType
		}
		if c.Included {
			inc = append(inc, name)
		} else {
			opt = append(opt, name)
		}
	}
	if len(inc) > 0 {
		t += "; included, because the request shows it needs them: " + strings.Join(inc, ", ")
	}
	if len(opt) > 0 {
		t += "; " + strconv.Itoa(len(opt)) + " optional companions not included"
	}
	return t
}

// editable reports whether a source can be changed by the account: not an
// AWS managed policy.
func editable(s *policy.Source) bool {
	return s != nil && s.Document != nil && !s.AWSManaged
}

// affinity counts the statements of doc that name actions of service.
func affinity(doc *policy.Document, service string) int {
	n := 0
	for _, st := range doc.Statements {
		for _, a := range st.Action {
			if strings.HasPrefix(strings.ToLower(a), service+":") {
				n++
				break
			}
		}
	}
	return n
}

// ownPolicy reports whether a source belongs to the principal alone: an
// inline policy of the role or user, or a policy file.
func ownPolicy(s *policy.Source) bool {
	return s.ARN == "" && !strings.HasPrefix(s.Origin, "group/")
}

// missingIdentity appends a statement allowing exactly the request to the
// principal's closest editable identity policy, or creates an inline one.
func (f *fixer) missingIdentity(i int, b simulate.Blocker) {
	lr := f.layer(policy.LayerIdentity)
	var cands []*policy.Source
	var awsManaged []string
	if lr != nil {
		for _, p := range lr.Policies {
			if p.Source == nil {
				continue
			}
			if p.Source.AWSManaged {
				awsManaged = append(awsManaged, policy.Label(p.Source.Name, p.Source.ARN))
				continue
			}
			if editable(p.Source) {
				cands = append(cands, p.Source)
			}
		}
	}
	s := f.scopeOf()
	var notes []string
	// A customer managed policy attached to others would grant them the
	// new statement too: prefer the principal's own policies.
	shared := func(src *policy.Source) bool {
		if ownPolicy(src) {
			return false
		}
		if src.ARN == "" || f.opt.PolicyUsers == nil {
			return strings.HasPrefix(src.Origin, "group/")
		}
		self := f.principalARN()
		for _, u := range f.opt.PolicyUsers(src.ARN) {
			if u != self {
				return true
			}
		}
		return false
	}
	score := func(src *policy.Source) int {
		sc := affinity(src.Document, s.service) * 4
		if src.ID() == b.Policy {
			sc += 100
		}
		if ownPolicy(src) {
			sc += 2
		}
		return sc
	}
	var best *policy.Source
	for _, c := range cands {
		if shared(c) {
			notes = append(notes, policy.Label(c.Name, c.ID())+" is shared with other principals: not changed, so that it grants them nothing new")
			continue
		}
		if best == nil || score(c) > score(best) {
			best = c
		}
	}
	if len(awsManaged) > 0 {
		notes = append(notes, "AWS managed policies cannot be changed: "+strings.Join(awsManaged, ", "))
	}
	p := f.plan(s, sidBase(s.action), true)
	f.companionStatements(s, sidBase(s.action), &p)
	notes = append(notes, p.notes...)
	if best == nil {
		name := sidBase(s.action)
		holder := f.principalARN()
		fx, w := f.get(string(policy.LayerIdentity)+"|new", func() (*Fix, *working) {
			return &Fix{Layer: policy.LayerIdentity, PolicyName: name, Change: NewPolicy, AttachTo: holder},
				&working{doc: &policy.Document{Version: "2012-10-17"}}
		})
		fx.Blockers = append(fx.Blockers, i)
		fx.Statements = appendUnique(fx.Statements, appendStatements(w.doc, p.statements)...)
		fx.Companions = append(fx.Companions, p.companions...)
		fx.Notes = appendUnique(fx.Notes, notes...)
		where := "the principal"
		if holder != "" {
			where = holder
		}
		fx.Summary = joinSummary(fx.Summary, "no identity policy of the principal can be changed safely: create the inline policy "+name+" on "+where+" (aws iam put-role-policy) to "+allowText(s, p))
		return
	}
	key := string(policy.LayerIdentity) + "|" + best.ID()
	fx, w := f.get(key, func() (*Fix, *working) {
		return &Fix{Layer: policy.LayerIdentity, Policy: best.ID(), PolicyName: best.Name, Change: AppendStatement},
			&working{old: best.Document, doc: clone(best.Document)}
	})
	fx.Blockers = append(fx.Blockers, i)
	fx.Statements = appendUnique(fx.Statements, appendStatements(w.doc, p.statements)...)
	fx.Companions = append(fx.Companions, p.companions...)
	fx.Notes = appendUnique(fx.Notes, notes...)
	fx.Summary = joinSummary(fx.Summary, "append to "+QuoteName(best.Name, best.ID())+" a statement to "+allowText(s, p))
	f.sharedReach(fx, best)
}

// missingBoundary appends the statement to the permissions boundary, or to
// a customer managed copy of an AWS managed one.
func (f *fixer) missingBoundary(i int, b simulate.Blocker) {
	lr := f.layer(policy.LayerBoundary)
	var src *policy.Source
	if lr != nil && len(lr.Policies) > 0 {
		src = lr.Policies[0].Source
	}
	s := f.scopeOf()
	p := f.plan(s, sidBase(s.action), true)
	if src == nil || src.Document == nil {
		fx, _ := f.get(string(policy.LayerBoundary)+"|"+b.Policy, func() (*Fix, *working) {
			return &Fix{Layer: policy.LayerBoundary, Policy: b.Policy, PolicyName: b.PolicyName, Change: NoChange}, nil
		})
		fx.Blockers = append(fx.Blockers, i)
		fx.Summary = joinSummary(fx.Summary, "the permissions boundary's document is not available: read it and add a statement to "+allowText(s, p))
		return
	}
	change := AppendStatement
	name := src.Name
	if src.AWSManaged {
		change = NewPolicy
		name = src.Name + "-" + camel(strings.ReplaceAll(s.action, ":", "-"))
	}
	fx, w := f.get(string(policy.LayerBoundary)+"|"+src.ID(), func() (*Fix, *working) {
		fx := &Fix{Layer: policy.LayerBoundary, Policy: src.ID(), PolicyName: name, Change: change}
		if change == NewPolicy {
			fx.Policy = ""
			fx.AttachTo = f.principalARN()
		}
		return fx, &working{old: src.Document, doc: clone(src.Document)}
	})
	fx.Blockers = append(fx.Blockers, i)
	fx.Statements = appendUnique(fx.Statements, appendStatements(w.doc, p.statements)...)
	fx.Notes = appendUnique(fx.Notes, p.notes...)
	fx.Notes = appendUnique(fx.Notes, "a permissions boundary only caps what identity policies grant: it grants nothing by itself (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html)")
	if change == NewPolicy {
		fx.Summary = joinSummary(fx.Summary, "the boundary "+QuoteName(src.Name, src.ARN)+" is an AWS managed policy and cannot be changed: create the customer managed policy "+name+" with this document and make it the boundary of "+orUnknown(fx.AttachTo)+" (aws iam put-role-permissions-boundary); it adds a statement to "+allowText(s, p))
	} else {
		fx.Summary = joinSummary(fx.Summary, "append to the permissions boundary "+QuoteName(src.Name, src.ARN)+" a statement to "+allowText(s, p))
		f.sharedReach(fx, src)
	}
}

// missingSession writes the session policy to pass in a new session: the
// current one with the statement appended.
func (f *fixer) missingSession(i int, b simulate.Blocker) {
	lr := f.layer(policy.LayerSession)
	var src *policy.Source
	if lr != nil && len(lr.Policies) == 1 {
		src = lr.Policies[0].Source
	} else if lr != nil {
		for _, p := range lr.Policies {
			if p.Source != nil && p.Source.ID() == b.Policy {
				src = p.Source
			}
		}
	}
	s := f.scopeOf()
	p := f.plan(s, sidBase(s.action), true)
	if src == nil || src.Document == nil {
		fx, _ := f.get(string(policy.LayerSession)+"|"+b.Policy, func() (*Fix, *working) {
			return &Fix{Layer: policy.LayerSession, Policy: b.Policy, PolicyName: b.PolicyName, Change: NoChange}, nil
		})
		fx.Blockers = append(fx.Blockers, i)
		fx.Summary = joinSummary(fx.Summary, "a session policy cannot be changed after the fact: start a new session without a session policy, or with one that also allows "+s.action)
		return
	}
	fx, w := f.get(string(policy.LayerSession)+"|"+src.ID(), func() (*Fix, *working) {
		return &Fix{Layer: policy.LayerSession, Policy: src.ID(), PolicyName: src.Name, Change: NewSession},
			&working{old: src.Document, doc: clone(src.Document)}
	})
	fx.Blockers = append(fx.Blockers, i)
	fx.Statements = appendUnique(fx.Statements, appendStatements(w.doc, p.statements)...)
	fx.Notes = appendUnique(fx.Notes, p.notes...)
	fx.Summary = joinSummary(fx.Summary, "a session policy cannot be changed after the fact: start a new session (aws sts assume-role --policy file://session.json) passing this document, which adds a statement to "+allowText(s, p)+"; or start it without a session policy")
}

// missingResource appends a statement naming the caller to the resource's
// policy (cross-account access needs both sides to allow).
func (f *fixer) missingResource(i int, b simulate.Blocker) {
	lr := f.layer(policy.LayerResource)
	var src *policy.Source
	if lr != nil && len(lr.Policies) > 0 {
		src = lr.Policies[0].Source
	}
	s := f.scopeOf()
	switch f.req.Principal.Type {
	case "Anonymous":
		// Granting an anonymous caller makes the resource public: never
		// proposed as a document.
		fx, _ := f.get(string(policy.LayerResource)+"|"+b.Policy, func() (*Fix, *working) {
			return &Fix{Layer: policy.LayerResource, Policy: b.Policy, PolicyName: b.PolicyName, Change: NoChange}, nil
		})
		fx.Blockers = append(fx.Blockers, i)
		fx.Summary = joinSummary(fx.Summary, "only a statement with Principal \"*\" would let an anonymous caller "+s.action+": that makes the resource public, which S3 Block Public Access refuses when it is on. Prefer giving the caller credentials, a presigned URL (S3), or a CDN with origin access control (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html)")
		return
	case "Service":
		if src != nil && src.Document != nil && f.req.Principal.Service != "" {
			f.serviceResource(i, src, s)
			return
		}
	}
	arn := f.principalARN()
	if src == nil || src.Document == nil || arn == "" {
		fx, _ := f.get(string(policy.LayerResource)+"|"+b.Policy, func() (*Fix, *working) {
			return &Fix{Layer: policy.LayerResource, Policy: b.Policy, PolicyName: b.PolicyName, Change: NoChange}, nil
		})
		fx.Blockers = append(fx.Blockers, i)
		fx.Summary = joinSummary(fx.Summary, "the resource's policy must allow the caller: add a statement with Principal "+orUnknown(arn)+", Action "+s.action+" and Resource "+f.req.Resource)
		return
	}
	p := f.plan(s, sidBase(s.action), false)
	for j := range p.statements {
		p.statements[j].Principal = &policy.Principals{Values: map[string][]string{"AWS": {arn}}}
	}
	fx := f.appendPlan(i, policy.LayerResource, src, p)
	fx.Summary = joinSummary(fx.Summary, "append to the resource-based policy of "+QuoteName(src.Name, src.ID())+" a statement with Principal "+arn+" to "+allowText(s, p)+". The resource's owner must make this change (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies-cross-account-resource-access.html)")
}

// appendPlan appends the statements of p to src, a policy of layer, in the
// fix that changes src, for blocker i; the plan's notes go with them.
func (f *fixer) appendPlan(i int, layer policy.Layer, src *policy.Source, p allowPlan) *Fix {
	fx, w := f.get(string(layer)+"|"+src.ID(), func() (*Fix, *working) {
		return &Fix{Layer: layer, Policy: src.ID(), PolicyName: src.Name, Change: AppendStatement},
			&working{old: src.Document, doc: clone(src.Document)}
	})
	fx.Blockers = append(fx.Blockers, i)
	fx.Statements = appendUnique(fx.Statements, appendStatements(w.doc, p.statements)...)
	fx.Notes = appendUnique(fx.Notes, p.notes...)
	return fx
}

// serviceResource appends to the resource's policy a statement that
// allows the calling AWS service principal, pinned to the request's
// aws:SourceArn and aws:SourceAccount when it carries them, as AWS
// recommends against the confused deputy problem
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
func (f *fixer) serviceResource(i int, src *policy.Source, s scope) {
	svc := f.req.Principal.Service
	p := f.plan(s, sidBase(s.action), false)
	var pins []string
	for j := range p.statements {
		p.statements[j].Principal = &policy.Principals{Values: map[string][]string{"Service": {svc}}}
		for _, k := range [...]struct{ key, op string }{{"aws:SourceArn", "ArnEquals"}, {"aws:SourceAccount", "StringEquals"}} {
			if v, ok := f.req.Context.Get(k.key); ok && len(v) > 0 {
				p.statements[j].Conditions = append(p.statements[j].Conditions, policy.Condition{Operator: k.op, Key: k.key, Values: v})
				if j == 0 {
					pins = append(pins, k.key+" "+strings.Join(v, ", "))
				}
			}
		}
	}
	fx := f.appendPlan(i, policy.LayerResource, src, p)
	pinned := "; the request carried neither aws:SourceArn nor aws:SourceAccount: add the one that names the resource calling on your behalf, against the confused deputy problem (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html)"
	if len(pins) > 0 {
		pinned = ", only on behalf of " + strings.Join(pins, " and ") + " (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html)"
	}
	fx.Summary = joinSummary(fx.Summary, "append to the resource-based policy of "+QuoteName(src.Name, src.ID())+" a statement with Principal {\"Service\": \""+svc+"\"} to "+allowText(s, p)+pinned)
}

// missingOrg allows the request at an SCP level where nothing allows it:
// in a customer managed SCP attached there, or in a new one, scoped to the
// caller with aws:PrincipalArn.
func (f *fixer) missingOrg(i int, b simulate.Blocker) {
	lr := f.layer(b.Layer)
	var src *policy.Source
	var levelPolicies []string
	if lr != nil {
		for _, lv := range lr.Levels {
			if lv.Target != b.Target {
				continue
			}
			for _, p := range lv.Policies {
				if p.Source == nil {
					continue
				}
				levelPolicies = append(levelPolicies, p.Source.Name)
				if src == nil && editable(p.Source) {
					src = p.Source
				}
			}
		}
	}
	s := f.scopeOf()
	p := f.plan(s, sidBase(s.action), true)
	arn := f.principalARN()
	for j := range p.statements {
		if arn != "" {
			// Scoped to the caller: the level's other principals gain
			// nothing (SCP Allow statements take conditions:
			// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html).
			p.statements[j].Conditions = append(p.statements[j].Conditions, policy.Condition{Operator: "StringEquals", Key: "aws:PrincipalArn", Values: []string{arn}})
		}
	}
	title := b.Layer.Title()
	if src == nil {
		name := sidBase(s.action)
		fx, w := f.get(string(b.Layer)+"|new|"+b.Target, func() (*Fix, *working) {
			return &Fix{Layer: b.Layer, PolicyName: name, Change: NewPolicy, AttachTo: b.Target, target: b.Target},
				&working{doc: &policy.Document{Version: "2012-10-17"}}
		})
		fx.Blockers = append(fx.Blockers, i)
		fx.Statements = appendUnique(fx.Statements, appendStatements(w.doc, p.statements)...)
		fx.Who = whoOrganizations
		target := b.Target
		if lr != nil {
			target = lr.LevelName(b.Target)
		}
		fx.AlsoAffects = []string{target}
		who := ". Who: " + whoOrganizations + ". It applies to " + under(target)
		fx.Summary = joinSummary(fx.Summary, "no "+title+" attached to "+target+" allows this call, and none there can be changed ("+strings.Join(levelPolicies, ", ")+"): create the "+title+" "+name+" and attach it to "+target+"; it would "+allowText(s, p)+", for "+orUnknown(arn)+" only"+who)
		fx.reach = append(fx.reach, who)
		return
	}
	fx, w := f.get(string(b.Layer)+"|"+src.ID(), func() (*Fix, *working) {
		return &Fix{Layer: b.Layer, Policy: src.ID(), PolicyName: src.Name, Change: AppendStatement},
			&working{old: src.Document, doc: clone(src.Document)}
	})
	fx.Blockers = append(fx.Blockers, i)
	fx.Statements = appendUnique(fx.Statements, appendStatements(w.doc, p.statements)...)
	fx.Summary = joinSummary(fx.Summary, "append to the "+title+" "+QuoteName(src.Name, src.ID())+" a statement to "+allowText(s, p)+" for "+orUnknown(arn)+" only")
	f.orgReach(fx, src, b)
}

// under says which accounts a level's policy reaches.
func under(level string) string {
	if strings.HasPrefix(level, "account ") {
		return level + " only"
	}
	return "every account under " + level
}

// missingVPCEndpoint appends to the policy of the VPC endpoint the request
// went through a statement that lets the caller through for this call:
// Principal "*" with an aws:PrincipalArn condition, the form gateway
// endpoints require and interface endpoints accept
// (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html).
// The endpoint policy grants nothing itself: the other layers still decide.
func (f *fixer) missingVPCEndpoint(i int, b simulate.Blocker) {
	lr := f.layer(policy.LayerVPCEndpoint)
	var src *policy.Source
	if lr != nil && len(lr.Policies) > 0 {
		src = lr.Policies[0].Source
	}
	s := f.scopeOf()
	arn := f.principalARN()
	if src == nil || src.Document == nil || arn == "" {
		fx, _ := f.get(string(policy.LayerVPCEndpoint)+"|"+b.Policy, func() (*Fix, *working) {
			return &Fix{Layer: policy.LayerVPCEndpoint, Policy: b.Policy, PolicyName: b.PolicyName, Change: NoChange}, nil
		})
		fx.Blockers = append(fx.Blockers, i)
		fx.Summary = joinSummary(fx.Summary, "the VPC endpoint policy must allow the call: add a statement with Principal \"*\", the condition StringEquals aws:PrincipalArn "+orUnknown(arn)+", Action "+s.action+" and Resource "+f.req.Resource)
		f.vpceReach(fx, src)
		return
	}
	p := f.plan(s, sidBase(s.action), false)
	for j := range p.statements {
		p.statements[j].Principal = &policy.Principals{Wildcard: true}
		p.statements[j].Conditions = append(p.statements[j].Conditions, policy.Condition{Operator: "StringEquals", Key: "aws:PrincipalArn", Values: []string{arn}})
	}
	fx := f.appendPlan(i, policy.LayerVPCEndpoint, src, p)
	fx.Summary = joinSummary(fx.Summary, "append to the VPC endpoint policy "+QuoteName(src.Name, src.ID())+" a statement with Principal \"*\" to "+allowText(s, p)+
		" through the endpoint; it grants nothing by itself, the other layers still decide")
	f.vpceReach(fx, src)
}

// vpceReach says who changes a VPC endpoint policy, the account that owns
// the endpoint, and what the change reaches: every request through it.
func (f *fixer) vpceReach(fx *Fix, src *policy.Source) {
	id := ""
	if v, ok := f.req.Context.Get("aws:SourceVpce"); ok && len(v) > 0 {
		id = v[0]
	}
	owner := ""
	if src != nil {
		if a, ok := policy.ParseARN(src.ARN); ok && a.Service == "ec2" {
			owner = a.Account
			if r := strings.TrimPrefix(a.Resource, "vpc-endpoint/"); r != a.Resource {
				id = r
			}
		}
	}
	endpoint := "the VPC endpoint"
	if id != "" {
		endpoint += " " + id
	}
	switch {
	case owner != "":
		fx.Who = "the owner of " + endpoint + ": account " + owner
	default:
		fx.Who = "the owner of " + endpoint + ": the account that owns its VPC"
	}
	if id != "" {
		fx.AlsoAffects = appendUnique(fx.AlsoAffects, "every request through "+id)
	}
	how := "aws ec2 modify-vpc-endpoint --policy-document file://policy.json --vpc-endpoint-id " + orUnknown(id)
	if !strings.Contains(fx.Summary, "Who: ") {
		fx.Summary += ". Who: " + fx.Who + " (" + how + ")"
	}
}

package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/lint"
)

// OrgOptions tune an audit of a multi-account snapshot.
type OrgOptions struct {
	// Options apply to each account's audit; Progress counts accounts
	// (done of total) instead of policies and principals.
	Options
	// Accounts, when set, limits the audit to these account ids.
	Accounts []string
	// OUs, when set, limits the audit to the accounts under these OUs (or
	// the root), at any depth.
	OUs []string
}

// ErrNotInOrganization is wrapped when OrgOptions name an account or OU
// that the organization snapshot does not hold.
var ErrNotInOrganization = errors.New("not in the organization snapshot")

// RunOrg audits every account of a multi-account snapshot, one at a time:
// an account is audited, its findings kept and its snapshot dropped while
// the next is loaded, so memory is bounded by the two largest accounts
// (plus the findings), not by the organization. Accounts with the same SCP
// levels share the dead-grant check's SCP work. Every finding carries its
// account and OU; an account recorded unreadable, or whose file cannot be
// loaded, is a finding (IAMA007), not a failure; a trust policy naming an
// account outside the organization is a finding (IAMA006). Findings about
// the organization's SCPs and RCPs are reported once, without an account.
// It fails only when ctx is done or the options name what the organization
// does not hold.
func RunOrg(ctx context.Context, org *layers.OrgSnapshot, opt OrgOptions) (*Report, error) {
	if org == nil || org.Organization == nil {
		return nil, errors.New("auditing: no organization snapshot")
	}
	o := org.Organization
	nodes := make(map[string]layers.OrgNode, len(o.Nodes))
	inOrg := map[string]bool{}
	if o.ManagementAccountID != "" {
		inOrg[o.ManagementAccountID] = true
	}
	for _, n := range o.Nodes {
		nodes[n.ID] = n
		if n.Type == layers.NodeAccount {
			inOrg[n.ID] = true
		}
	}
	for _, a := range org.Accounts {
		inOrg[a.ID] = true
	}
	for _, id := range opt.Accounts {
		if org.Entry(id) == nil {
			return nil, fmt.Errorf("auditing: account %s: %w", id, ErrNotInOrganization)
		}
	}
	for _, id := range opt.OUs {
		if n, ok := nodes[id]; !ok || n.Type == layers.NodeAccount {
			return nil, fmt.Errorf("auditing: OU %s: %w", id, ErrNotInOrganization)
		}
	}
	var selected []*layers.OrgAccount
	for i := range org.Accounts {
		a := &org.Accounts[i]
		if (len(opt.Accounts) == 0 || slices.Contains(opt.Accounts, a.ID)) && under(nodes, a.ID, opt.OUs) {
			selected = append(selected, a)
		}
	}

	r := &Report{Source: opt.Source, Organization: o.ID, Findings: []Finding{}, Summary: &Summary{Accounts: []AccountSummary{}}}
	if !org.CapturedAt.IsZero() {
		t := org.CapturedAt.UTC()
		r.CapturedAt = &t
	}
	one := opt.Options
	one.Progress = nil
	seenOrg := map[string]bool{}
	var warns []string
	shared := newSCPShared()
	loads, stop := loadAhead(ctx, org, selected)
	defer stop()
	for i, a := range selected {
		if opt.Progress != nil {
			opt.Progress(i, len(selected))
		}
		as := AccountSummary{Account: a.ID, Name: a.Name, OU: ouPath(nodes, a.ID)}
		ld, ok := <-loads
		if !ok {
			return nil, fmt.Errorf("auditing: %w", context.Cause(ctx))
		}
		fs, rep, err := auditAccount(ctx, ld, one, inOrg, shared)
		shared.trim()
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("auditing: %w", ctx.Err())
		case err != nil:
			as.Unreadable = err.Error()
			fs = []Finding{unreadableAccount(a, err)}
		default:
			as.Roles, as.Users = rep.Roles, rep.Users
			r.Roles += rep.Roles
			r.Users += rep.Users
			r.Policies += rep.Policies
			for _, w := range rep.Warnings {
				warns = append(warns, "account "+a.ID+": "+w)
			}
		}
		for _, f := range fs {
			switch f.scope {
			case scopeOrganization:
				// The same SCP or RCP finding comes from every account.
				if seenOrg[f.ID] {
					continue
				}
				seenOrg[f.ID] = true
				r.Findings = append(r.Findings, f)
				continue
			case scopeShared:
				// An AWS managed policy's ARN is the same in every
				// account: the account keeps the ids apart.
				f.ID = findingID(f.Rule, a.ID, f.ID, "", "")
			}
			f.Account, f.AccountName, f.OU = a.ID, a.Name, as.OU
			r.Findings = append(r.Findings, f)
		}
		r.Summary.Accounts = append(r.Summary.Accounts, as)
	}
	if opt.Progress != nil {
		opt.Progress(len(selected), len(selected))
	}
	sortFindings(r.Findings)
	slices.Sort(warns)
	r.Warnings = warns
	r.recount()
	return r, nil
}

// loaded is an account's snapshot as loadAhead loaded it, or why it could
// not be.
type loaded struct {
	snap *layers.Snapshot
	err  error
}

// loadAhead loads the accounts, in order, one ahead of the audit: while
// the audit runs on one account, the next is read. It stops when ctx is
// done (closing the channel) or when stop is called; stop waits for it.
func loadAhead(ctx context.Context, org *layers.OrgSnapshot, accounts []*layers.OrgAccount) (<-chan loaded, func()) {
	out := make(chan loaded)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(out)
		for _, a := range accounts {
			var ld loaded
			if a.File == "" {
				ld.err = errors.New(cmp.Or(a.Error, "the snapshot records no file for it"))
			} else {
				// Loading an account parses the organization's
				// policies into it while the audit of the previous
				// account reads them: each account gets its own
				// copy.
				o := *org.Organization
				o.Policies = slices.Clone(o.Policies)
				one := *org
				one.Organization = &o
				ld.snap, ld.err = one.Account(a.ID)
			}
			select {
			case out <- ld:
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	})
	return out, func() {
		close(done)
		wg.Wait()
	}
}

// auditAccount audits one loaded account; the snapshot is not kept. An
// error means the account could not be read or audited.
func auditAccount(ctx context.Context, ld loaded, opt Options, inOrg map[string]bool, shared *scpShared) ([]Finding, *Report, error) {
	if ld.err != nil {
		return nil, nil, ld.err
	}
	rep, err := runSnapshot(ctx, ld.snap, opt, inOrg, shared)
	if err != nil {
		return nil, nil, err
	}
	return rep.Findings, rep, nil
}

// unreadableAccount is the finding for an account that could not be read
// or audited.
func unreadableAccount(a *layers.OrgAccount, err error) Finding {
	f := Finding{Rule: RuleUnreadableAccount, Severity: ruleSeverity(RuleUnreadableAccount),
		Message: "account " + a.ID + " was not audited: " + err.Error(), Why: why[RuleUnreadableAccount],
		Fix:     "Make the account readable (deploy the reader role there, see examples/org-reader; check the account role and external id the capture used) and capture the organization again, or repair the account's file in the folder.",
		subject: a.ID}
	if a.ErrorCode != "" && !strings.Contains(f.Message, a.ErrorCode) {
		f.Message += " (" + a.ErrorCode + ")"
	}
	f.ID = findingID(f.Rule, "", "", "", f.subject)
	return f
}

// under reports whether the node id is under one of ous at any depth (true
// when ous is empty).
func under(nodes map[string]layers.OrgNode, id string, ous []string) bool {
	if len(ous) == 0 {
		return true
	}
	seen := map[string]bool{}
	for p := nodes[id].Parent; p != "" && !seen[p]; p = nodes[p].Parent {
		if slices.Contains(ous, p) {
			return true
		}
		seen[p] = true
	}
	return false
}

// ouPath is the path of an account's parents, root first, each by name
// (by id when it has none): "Root/Workloads/Prod". "" when the tree does
// not hold the account.
func ouPath(nodes map[string]layers.OrgNode, id string) string {
	var names []string
	seen := map[string]bool{}
	for p := nodes[id].Parent; p != "" && !seen[p]; p = nodes[p].Parent {
		seen[p] = true
		n := nodes[p]
		names = append(names, cmp.Or(n.Name, n.ID))
	}
	slices.Reverse(names)
	return strings.Join(names, "/")
}

// Summary counts the findings of an organization audit by account, OU and
// severity; filters (AtLeast, Since) recount it.
type Summary struct {
	// Severity counts every finding.
	Severity Counts `json:"severity"`
	// Organization counts the findings about the organization's own
	// policies (SCPs, RCPs), which belong to no account.
	Organization Counts `json:"organization"`
	// Accounts lists every audited account, in the snapshot's order.
	Accounts []AccountSummary `json:"accounts"`
	// OUs lists the OU paths of the audited accounts, sorted.
	OUs []OUSummary `json:"ous"`
}

// Counts counts findings by severity.
type Counts struct {
	Findings int `json:"findings"`
	Error    int `json:"error"`
	Warning  int `json:"warning"`
	Info     int `json:"info"`
}

func (c *Counts) add(s lint.Severity) {
	c.Findings++
	switch s {
	case lint.Error:
		c.Error++
	case lint.Warning:
		c.Warning++
	default:
		c.Info++
	}
}

// AccountSummary is one account's line of the summary.
type AccountSummary struct {
	Account string `json:"account"`
	Name    string `json:"name,omitempty"`
	OU      string `json:"ou,omitempty"`
	Roles   int    `json:"roles"`
	Users   int    `json:"users"`
	// Unreadable says why the account was not audited.
	Unreadable string `json:"unreadable,omitempty"`
	Counts
}

// OUSummary is one OU path's line of the summary: its accounts directly
// under it, not those of nested OUs.
type OUSummary struct {
	OU       string `json:"ou"`
	Accounts int    `json:"accounts"`
	Counts
}

// recount recomputes the summary's counts from r.Findings.
func (r *Report) recount() {
	s := r.Summary
	if s == nil {
		return
	}
	s.Severity, s.Organization = Counts{}, Counts{}
	idx := make(map[string]int, len(s.Accounts))
	for i := range s.Accounts {
		s.Accounts[i].Counts = Counts{}
		idx[s.Accounts[i].Account] = i
	}
	for _, f := range r.Findings {
		s.Severity.add(f.Severity)
		if i, ok := idx[f.Account]; ok && f.Account != "" {
			s.Accounts[i].Counts.add(f.Severity)
		} else {
			s.Organization.add(f.Severity)
		}
	}
	ous := map[string]*OUSummary{}
	for _, a := range s.Accounts {
		o := ous[a.OU]
		if o == nil {
			o = &OUSummary{OU: a.OU}
			ous[a.OU] = o
		}
		o.Accounts++
		o.Findings += a.Findings
		o.Error += a.Error
		o.Warning += a.Warning
		o.Info += a.Info
	}
	s.OUs = make([]OUSummary, 0, len(ous))
	for _, o := range ous {
		s.OUs = append(s.OUs, *o)
	}
	slices.SortFunc(s.OUs, func(a, b OUSummary) int { return cmp.Compare(a.OU, b.OU) })
}

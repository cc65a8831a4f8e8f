package audit

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// maxSharedVerdicts bounds scpShared: past it, the verdicts are dropped
// between two accounts and computed again as needed.
const maxSharedVerdicts = 1 << 20

// scpShared holds the SCP verdicts that the audits of an organization's
// accounts share. A verdict depends on the account's SCP levels, root to
// account; accounts under the same OU with the same account-level policies
// have the same levels but for the account level's target, so a verdict
// is kept by the chain of levels with the account level anonymised, and a
// verdict that names the account level is renamed for the account that
// reads it. It is safe for concurrent use.
type scpShared struct {
	verdicts sync.Map // sharedKey -> sharedVerdict
	cands    sync.Map // candShareKey -> sharedCands
	size     atomic.Int64

	mu     sync.Mutex
	chains map[string]int
}

// accountMark stands for the account's id in the resources of a shared
// statement.
const accountMark = "\x01"

func newSCPShared() *scpShared { return &scpShared{chains: map[string]int{}} }

// sharedKey is scpKey with the account replaced by its SCP chain. The
// principal and resource are those of scpKey (the principal's ARN, which
// names its account, when the SCPs read the principal); sameAccount says
// whether the resource's account is the principal's, which the engine
// reads (aws:ResourceOrgID is inferred for resources of the principal's
// account).
type sharedKey struct {
	chain                       int
	principal, action, resource string
	sameAccount                 bool
}

// sharedVerdict is a verdict and the account it was computed for.
type sharedVerdict struct {
	v       *scpVerdict
	account string
}

// chain returns the id of an account's SCP levels with the account
// level's target left out; -1 when a policy has no ARN to tell it apart
// (its verdicts are then not shared).
func (s *scpShared) chain(acct string, levels []policy.OrgLevel) int {
	var b strings.Builder
	for _, lv := range levels {
		target, name := lv.Target, lv.Name
		if target == acct {
			target, name = "\x01account", ""
		}
		b.WriteString(string(lv.Type) + "\x00" + target + "\x00" + name + "\x00")
		for _, src := range lv.Policies {
			if src.ARN == "" {
				return -1
			}
			t := src.Target
			if t == acct {
				t = "\x01account"
			}
			aws := "0"
			if src.AWSManaged {
				aws = "1"
			}
			b.WriteString("\x02" + src.ARN + "\x00" + src.Name + "\x00" + t + "\x00" + aws)
		}
		b.WriteString("\x03")
	}
	key := b.String()
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.chains[key]
	if !ok {
		id = len(s.chains)
		s.chains[key] = id
	}
	return id
}

// verdict returns the shared verdict of k for acct, computing it with
// compute when no account of the same chain has.
func (s *scpShared) verdict(k sharedKey, acct string, compute func() *scpVerdict) *scpVerdict {
	if e, ok := s.verdicts.Load(k); ok {
		return e.(sharedVerdict).forAccount(acct)
	}
	v := compute()
	e, loaded := s.verdicts.LoadOrStore(k, sharedVerdict{v: v, account: acct})
	if !loaded {
		s.size.Add(1)
	}
	return e.(sharedVerdict).forAccount(acct)
}

// forAccount is the verdict as acct sees it: a verdict about the account
// level names acct.
func (e sharedVerdict) forAccount(acct string) *scpVerdict {
	if acct == e.account || e.v.target != e.account {
		return e.v
	}
	v := *e.v
	v.target = acct
	return &v
}

// candShareKey keys the candidates of a statement shared by the accounts
// of a chain: its actions and its resources with the account's id
// replaced by accountMark.
type candShareKey struct {
	chain              int
	actions, resources string
}

// sharedCands is a statement's candidates as one account computed them.
type sharedCands struct {
	cands   []candidate
	account string
}

// candidates returns the shared candidates of k for acct, computing them
// with compute when no account of the same chain has.
func (s *scpShared) candidates(k candShareKey, acct string, compute func() []candidate) []candidate {
	if e, ok := s.cands.Load(k); ok {
		return e.(sharedCands).forAccount(acct)
	}
	out := compute()
	if _, loaded := s.cands.LoadOrStore(k, sharedCands{cands: out, account: acct}); !loaded {
		s.size.Add(1)
	}
	return out
}

// forAccount is the candidates as acct sees them: its resources and
// verdicts name acct where they named the account that computed them.
func (e sharedCands) forAccount(acct string) []candidate {
	if acct == e.account || len(e.cands) == 0 {
		return e.cands
	}
	out := make([]candidate, len(e.cands))
	for i, c := range e.cands {
		c.resource = strings.ReplaceAll(c.resource, e.account, acct)
		c.v = sharedVerdict{v: c.v, account: e.account}.forAccount(acct)
		out[i] = c
	}
	return out
}

// trim drops the verdicts when there are too many; it is called between
// two accounts.
func (s *scpShared) trim() {
	if s.size.Load() > maxSharedVerdicts {
		s.verdicts.Clear()
		s.cands.Clear()
		s.size.Store(0)
	}
}

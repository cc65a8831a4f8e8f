package layers

import (
	"strings"
	"sync"
	"testing"

	"github.com/iamdiag/iamdiag/internal/policy"
)

const realisticPath = "testdata/realistic/snapshot.json"

var realistic = sync.OnceValues(func() (*Snapshot, error) { return LoadFile(realisticPath) })

func loadRealistic(tb testing.TB) *Snapshot {
	tb.Helper()
	s, err := realistic()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// summary is the comparable shape of a *policy.Layers: ids and origins,
// not documents, and readability by error code, not wording.
type summary struct {
	Principal       policy.Principal
	OrgID, Mgmt     string
	Identity        []string
	IdentityRead    string
	Boundary        string
	BoundaryRead    string
	Session         []string
	SessionKnown    bool
	SCP             []string
	SCPRead         string
	RCP             []string
	RCPRead         string
	Resource        string
	ResourceRead    string
	ResourceAccount string
}

func readability(r policy.Readability) string {
	if !r.Unreadable {
		return ""
	}
	return "unreadable:" + r.Error
}

func sourceID(s policy.Source) string {
	return string(s.Layer) + "|" + s.Origin + "|" + s.ARN + "|" + s.Name
}

func levels(ls []policy.OrgLevel) []string {
	var out []string
	for _, l := range ls {
		var names []string
		for _, p := range l.Policies {
			if p.Target != l.Target {
				names = append(names, p.Name+"@"+p.Target)
				continue
			}
			names = append(names, p.Name)
		}
		out = append(out, l.Type+" "+l.Target+": "+strings.Join(names, ","))
	}
	return out
}

func summarize(l *policy.Layers) summary {
	s := summary{
		Principal: l.Principal, OrgID: l.OrgID, Mgmt: l.ManagementAccount,
		IdentityRead: readability(l.IdentityRead), BoundaryRead: readability(l.BoundaryRead),
		SessionKnown: l.SessionKnown,
		SCP:          levels(l.SCP), SCPRead: readability(l.SCPRead),
		RCP: levels(l.RCP), RCPRead: readability(l.RCPRead),
		ResourceRead: readability(l.ResourceRead), ResourceAccount: l.ResourceAccount,
	}
	for _, src := range l.Identity {
		s.Identity = append(s.Identity, sourceID(src))
	}
	for _, src := range l.Session {
		s.Session = append(s.Session, sourceID(src))
	}
	if l.Boundary != nil {
		s.Boundary = sourceID(*l.Boundary)
	}
	if l.Resource != nil {
		s.Resource = sourceID(*l.Resource)
	}
	for _, src := range l.Identity {
		if src.Document == nil {
			s.Identity = append(s.Identity, "nil document: "+src.Name)
		}
	}
	return s
}

package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/policy"
)

const (
	tAcct    = "123456789012"
	tOther   = "210987654321"
	tOKDoc   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	tOKTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	tRoot    = "r-ab12"
	tOUA     = "ou-ab12-aaaaaaaa"
	tOUB     = "ou-ab12-bbbbbbbb"
)

func raw(s string) RawPolicy { return RawPolicy{JSON: json.RawMessage(s)} }

func tRole(name string) Role {
	return Role{Path: "/", RoleName: name, RoleID: "AROA" + strings.ToUpper(name), Arn: "arn:aws:iam::" + tAcct + ":role/" + name,
		AssumeRolePolicyDocument: raw(tOKTrust), RolePolicyList: []InlinePolicy{{PolicyName: "inline", PolicyDocument: raw(tOKDoc)}},
		AttachedManagedPolicies: []AttachedPolicy{{PolicyName: "Shared", PolicyArn: "arn:aws:iam::" + tAcct + ":policy/Shared"}}}
}

func tManaged(name, doc string) ManagedPolicy {
	return ManagedPolicy{PolicyName: name, Arn: "arn:aws:iam::" + tAcct + ":policy/" + name, Path: "/", DefaultVersionID: "v1",
		PolicyVersionList: []PolicyVersion{{Document: raw(doc), VersionID: "v1", IsDefaultVersion: true}}}
}

// tSnapshot is a small snapshot with every kind of document: roles "good"
// and "victim", users "gooduser" and "victimuser" (in group "g"), a shared
// managed policy with two versions, an organization of two OUs with an SCP
// and an RCP, a bucket policy and a session policy.
func tSnapshot() *Snapshot {
	shared := tManaged("Shared", tOKDoc)
	shared.PolicyVersionList = append(shared.PolicyVersionList, PolicyVersion{Document: raw(tOKDoc), VersionID: "v2"})
	scp := func(id, target, typ string) OrgPolicy {
		return OrgPolicy{ID: id, ARN: "arn:aws:organizations::" + tAcct + ":policy/o-abcdefghij/x/" + id, Name: id, Type: typ, Targets: []string{target},
			Content: raw(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:*","Resource":"*"}]}`)}
	}
	return &Snapshot{
		Format: Format, AccountID: tAcct,
		AuthorizationDetails: AuthorizationDetails{
			RoleDetailList: []Role{tRole("good"), tRole("victim")},
			UserDetailList: []User{
				{Path: "/", UserName: "gooduser", UserID: "AIDAGOOD", Arn: "arn:aws:iam::" + tAcct + ":user/gooduser",
					UserPolicyList: []InlinePolicy{{PolicyName: "inline", PolicyDocument: raw(tOKDoc)}}},
				{Path: "/", UserName: "victimuser", UserID: "AIDAVICTIM", Arn: "arn:aws:iam::" + tAcct + ":user/victimuser", GroupList: []string{"g"}},
			},
			GroupDetailList: []Group{{Path: "/", GroupName: "g", GroupID: "AGPAG", Arn: "arn:aws:iam::" + tAcct + ":group/g",
				GroupPolicyList: []InlinePolicy{{PolicyName: "ginline", PolicyDocument: raw(tOKDoc)}}}},
			Policies: []ManagedPolicy{shared},
		},
		Organization: &Organization{ID: "o-abcdefghij", ManagementAccountID: tAcct,
			Nodes: []OrgNode{{ID: tRoot, Type: NodeRoot}, {ID: tOUA, Type: NodeOU, Parent: tRoot}, {ID: tOUB, Type: NodeOU, Parent: tRoot},
				{ID: tAcct, Type: NodeAccount, Parent: tOUA}, {ID: tOther, Type: NodeAccount, Parent: tOUB}},
			Policies: []OrgPolicy{scp("p-scpaaaaa", tOUA, PolicyTypeSCP), scp("p-rcpbbbbb", tOUB, PolicyTypeRCP)}},
		ResourcePolicies: []ResourcePolicy{{ARN: "arn:aws:s3:::b", Policy: raw(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`)}},
		SessionPolicies:  map[string]RawPolicy{"arn:aws:sts::" + tAcct + ":assumed-role/victim/s": raw(tOKDoc)},
	}
}

// reload writes s and loads it back, as a file would be.
func reload(t testing.TB, s *Snapshot) *Snapshot {
	t.Helper()
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Load(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return back
}

// reads returns every layer's readability, by layer.
func reads(l *policy.Layers) map[policy.Layer]policy.Readability {
	return map[policy.Layer]policy.Readability{
		policy.LayerIdentity: l.IdentityRead, policy.LayerBoundary: l.BoundaryRead, policy.LayerSession: l.SessionRead,
		policy.LayerSCP: l.SCPRead, policy.LayerRCP: l.RCPRead, policy.LayerResource: l.ResourceRead,
	}
}

func TestLoadUnreadable(t *testing.T) {
	victim := "arn:aws:iam::" + tAcct + ":role/victim"
	good := "arn:aws:iam::" + tAcct + ":role/good"
	inline := func(doc string) func(*Snapshot) {
		return func(s *Snapshot) {
			s.AuthorizationDetails.RoleDetailList[1].RolePolicyList[0].PolicyDocument = raw(doc)
		}
	}
	type req struct{ principal, action, resource string }
	tests := []struct {
		name   string
		mutate func(*Snapshot)
		// doc is what DocumentError.Document must say; used whether a
		// layer reads it.
		doc  string
		used bool
		// affected is a request whose layer must be unreadable.
		affected *req
		layer    policy.Layer
		// position is whether the parser gives a line and column.
		position bool
		// everyone: the broken document applies to every principal of
		// the account, so there is no unaffected one to check.
		everyone bool
	}{
		{name: "empty Statement in a trust policy",
			mutate: func(s *Snapshot) {
				s.AuthorizationDetails.RoleDetailList[1].AssumeRolePolicyDocument = raw(`{"Version":"2012-10-17","Statement":[]}`)
			},
			doc: "the trust policy of " + victim, used: true, affected: &req{good, "sts:AssumeRole", victim}, layer: policy.LayerResource, position: true},
		{name: "lowercase allow", mutate: inline(`{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}`),
			doc: `inline policy "inline" of ` + victim, used: true, affected: &req{victim, "s3:GetObject", "*"}, layer: policy.LayerIdentity, position: true},
		{name: "string Condition", mutate: inline(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":"aws:SecureTransport"}]}`),
			doc: `inline policy "inline" of ` + victim, used: true, affected: &req{victim, "s3:GetObject", "*"}, layer: policy.LayerIdentity, position: true},
		{name: "unknown statement element", mutate: inline(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Conditions":{}}]}`),
			doc: `inline policy "inline" of ` + victim, used: true, affected: &req{victim, "s3:GetObject", "*"}, layer: policy.LayerIdentity, position: true},
		{name: "neither object nor string", mutate: inline(`[1]`),
			doc: `inline policy "inline" of ` + victim, used: true, affected: &req{victim, "s3:GetObject", "*"}, layer: policy.LayerIdentity},
		{name: "URL-encoded, empty Statement", mutate: inline(`"%7B%22Statement%22%3A%5B%5D%7D"`),
			doc: `inline policy "inline" of ` + victim, used: true, affected: &req{victim, "s3:GetObject", "*"}, layer: policy.LayerIdentity, position: true},
		{name: "broken non-default version",
			mutate: func(s *Snapshot) {
				s.AuthorizationDetails.Policies[0].PolicyVersionList[1].Document = raw(`{"Statement":[{"Effect":"allow"}]}`)
			},
			doc: "managed policy arn:aws:iam::" + tAcct + ":policy/Shared version v2", position: true},
		{name: "broken unattached managed policy",
			mutate: func(s *Snapshot) {
				s.AuthorizationDetails.Policies = append(s.AuthorizationDetails.Policies, tManaged("Orphan", `{"Statement":"x"}`))
			},
			doc: "managed policy arn:aws:iam::" + tAcct + ":policy/Orphan version v1", position: true},
		{name: "broken attached managed policy",
			mutate: func(s *Snapshot) {
				d := &s.AuthorizationDetails
				d.Policies = append(d.Policies, tManaged("Bad", `{"Statement":{"Effect":"Allow"}}`))
				d.RoleDetailList[1].AttachedManagedPolicies = append(d.RoleDetailList[1].AttachedManagedPolicies, AttachedPolicy{PolicyName: "Bad", PolicyArn: "arn:aws:iam::" + tAcct + ":policy/Bad"})
			},
			doc: "managed policy arn:aws:iam::" + tAcct + ":policy/Bad version v1", used: true, affected: &req{victim, "s3:GetObject", "*"}, layer: policy.LayerIdentity, position: true},
		{name: "broken permissions boundary",
			mutate: func(s *Snapshot) {
				d := &s.AuthorizationDetails
				d.Policies = append(d.Policies, tManaged("Boundary", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*"}],"Extra":1}`))
				d.RoleDetailList[1].PermissionsBoundary = &PermissionsBoundary{PermissionsBoundaryArn: "arn:aws:iam::" + tAcct + ":policy/Boundary"}
			},
			doc: "managed policy arn:aws:iam::" + tAcct + ":policy/Boundary version v1", used: true, affected: &req{victim, "s3:GetObject", "*"}, layer: policy.LayerBoundary, position: true},
		{name: "broken group inline policy",
			mutate: func(s *Snapshot) {
				s.AuthorizationDetails.GroupDetailList[0].GroupPolicyList[0].PolicyDocument = raw(`{"Statement":[]}`)
			},
			doc: `inline policy "ginline" of arn:aws:iam::` + tAcct + `:group/g`, used: true,
			affected: &req{"arn:aws:iam::" + tAcct + ":user/victimuser", "s3:GetObject", "*"}, layer: policy.LayerIdentity, position: true},
		{name: "broken bucket policy",
			mutate: func(s *Snapshot) { s.ResourcePolicies[0].Policy = raw(`{"Statement":[{"Effect":"Permit"}]}`) },
			doc:    "the resource policy of arn:aws:s3:::b", used: true, affected: &req{good, "s3:GetObject", "arn:aws:s3:::b/key"}, layer: policy.LayerResource, position: true},
		{name: "broken session policy",
			mutate: func(s *Snapshot) {
				s.SessionPolicies["arn:aws:sts::"+tAcct+":assumed-role/victim/s"] = raw(`{"Statement":[]}`)
			},
			doc: "the session policy of arn:aws:sts::" + tAcct + ":assumed-role/victim/s", used: true,
			affected: &req{"arn:aws:sts::" + tAcct + ":assumed-role/victim/s", "s3:GetObject", "*"}, layer: policy.LayerSession, position: true},
		{name: "broken SCP over the account",
			mutate: func(s *Snapshot) { s.Organization.Policies[0].Content = raw(`{"Statement":"nope"}`) },
			doc:    "service control policy p-scpaaaaa", used: true, affected: &req{good, "s3:GetObject", "*"}, layer: policy.LayerSCP, position: true,
			everyone: true},
		{name: "broken RCP over another account",
			mutate: func(s *Snapshot) { s.Organization.Policies[1].Content = raw(`{"Statement":"nope"}`) },
			doc:    "resource control policy p-rcpbbbbb", used: true,
			affected: &req{good, "sqs:SendMessage", "arn:aws:sqs:us-east-1:" + tOther + ":q"}, layer: policy.LayerRCP, position: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tSnapshot()
			tt.mutate(s)
			snap := reload(t, s)
			bad := snap.Unreadable()
			if len(bad) != 1 {
				t.Fatalf("Unreadable() = %v, want one document", bad)
			}
			d := bad[0]
			if !strings.HasPrefix(d.Document, tt.doc) || d.Used != tt.used {
				t.Errorf("got %q used %v, want %q used %v", d.Document, d.Used, tt.doc, tt.used)
			}
			var pe *policy.ParseError
			if errors.As(d, &pe) != tt.position {
				t.Errorf("error %v: *policy.ParseError %v, want %v", d, !tt.position, tt.position)
			}
			if line, _ := d.Position(); tt.position && line == 0 {
				t.Errorf("error %v has no position", d)
			}
			if tt.affected != nil {
				l, err := snap.Layers(policy.NewRequest(tt.affected.principal, tt.affected.action, tt.affected.resource))
				if err != nil {
					t.Fatal(err)
				}
				r := reads(l)[tt.layer]
				if !r.Unreadable || r.Error != CodeMalformed || !strings.Contains(r.Message, tt.doc) {
					t.Errorf("%s layer = %+v, want unreadable (%s) naming %q", tt.layer, r, CodeMalformed, tt.doc)
				}
			}
			if tt.everyone {
				return
			}
			for _, p := range []string{good, "arn:aws:iam::" + tAcct + ":user/gooduser", "arn:aws:sts::" + tAcct + ":assumed-role/good/s"} {
				l, err := snap.Layers(policy.NewRequest(p, "s3:PutObject", "arn:aws:s3:::other/key"))
				if err != nil {
					t.Fatal(err)
				}
				for layer, r := range reads(l) {
					// The bucket policy the snapshot did not capture is
					// unknown whatever the bad documents.
					if r.Unreadable && r.Error != CodeNotCaptured {
						t.Errorf("%s: %s layer unreadable: %s", p, layer, r.Message)
					}
				}
			}
		})
	}
}

func TestLayersAmbiguousName(t *testing.T) {
	s := tSnapshot()
	a, b := tRole("dup"), tRole("dup")
	a.Path, a.Arn, a.RoleID = "/a/", "arn:aws:iam::"+tAcct+":role/a/dup", "AROADUPA"
	b.Path, b.Arn, b.RoleID = "/b/", "arn:aws:iam::"+tAcct+":role/b/dup", "AROADUPB"
	s.AuthorizationDetails.RoleDetailList = append(s.AuthorizationDetails.RoleDetailList, a, b)
	snap := reload(t, s)
	session := "arn:aws:sts::" + tAcct + ":assumed-role/dup/jane"
	tests := []struct {
		name    string
		req     func() *policy.Request
		want    string // the IAM ARN resolved; "" for an ambiguity
		wantErr []string
	}{
		{"session ARN alone", func() *policy.Request { return policy.NewRequest(session, "s3:GetObject", "*") }, "", []string{a.Arn, b.Arn}},
		{"role ARN without path", func() *policy.Request {
			return policy.NewRequest("arn:aws:iam::"+tAcct+":role/dup", "s3:GetObject", "*")
		}, "", []string{a.Arn, b.Arn}},
		{"role ARN with path", func() *policy.Request { return policy.NewRequest(b.Arn, "s3:GetObject", "*") }, b.Arn, nil},
		{"session with the role ARN (CloudTrail's sessionIssuer)", func() *policy.Request {
			r := policy.NewRequest(session, "s3:GetObject", "*")
			r.Principal.IAMARN = b.Arn
			return r
		}, b.Arn, nil},
		{"session with aws:userid", func() *policy.Request {
			r := policy.NewRequest(session, "s3:GetObject", "*")
			r.Context.Set("aws:userid", "AROADUPA:jane")
			return r
		}, a.Arn, nil},
		{"session with an unknown role id", func() *policy.Request {
			r := policy.NewRequest(session, "s3:GetObject", "*")
			r.Context.Set("aws:userid", "AROAOTHER:jane")
			return r
		}, "", []string{a.Arn, b.Arn}},
		{"unique name", func() *policy.Request {
			return policy.NewRequest("arn:aws:sts::"+tAcct+":assumed-role/good/jane", "s3:GetObject", "*")
		}, "arn:aws:iam::" + tAcct + ":role/good", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := snap.Layers(tt.req())
			if tt.want == "" {
				var amb *AmbiguousError
				if !errors.As(err, &amb) || !errors.Is(err, ErrAmbiguousPrincipal) {
					t.Fatalf("Layers error = %v, want an *AmbiguousError", err)
				}
				if diff := cmp.Diff(tt.wantErr, amb.Candidates); diff != "" {
					t.Errorf("candidates (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.Principal.IAMARN != tt.want {
				t.Errorf("resolved %s, want %s", l.Principal.IAMARN, tt.want)
			}
		})
	}
	t.Run("trust policy of an ambiguous role", func(t *testing.T) {
		l, err := snap.Layers(policy.NewRequest("arn:aws:iam::"+tAcct+":role/good", "sts:AssumeRole", "arn:aws:iam::"+tAcct+":role/dup"))
		if err != nil {
			t.Fatal(err)
		}
		if r := l.ResourceRead; !r.Unreadable || r.Error != "AmbiguousRole" || !strings.Contains(r.Message, a.Arn) || !strings.Contains(r.Message, b.Arn) {
			t.Errorf("ResourceRead = %+v, want AmbiguousRole naming both roles", r)
		}
	})
}

// flipTargets returns setters for every policy document of tSnapshot, in a
// fixed order.
func flipTargets(s *Snapshot) []*RawPolicy {
	d := &s.AuthorizationDetails
	out := []*RawPolicy{}
	for i := range d.RoleDetailList {
		out = append(out, &d.RoleDetailList[i].AssumeRolePolicyDocument, &d.RoleDetailList[i].RolePolicyList[0].PolicyDocument)
	}
	out = append(out, &d.UserDetailList[0].UserPolicyList[0].PolicyDocument, &d.GroupDetailList[0].GroupPolicyList[0].PolicyDocument)
	for i := range d.Policies[0].PolicyVersionList {
		out = append(out, &d.Policies[0].PolicyVersionList[i].Document)
	}
	for i := range s.Organization.Policies {
		out = append(out, &s.Organization.Policies[i].Content)
	}
	return append(out, &s.ResourcePolicies[0].Policy)
}

// FuzzLoadTolerant changes one byte of one document (kept a JSON string, so
// that the file stays JSON): Load never fails nor panics, at most that one
// document is unreadable, and Layers answers every principal.
func FuzzLoadTolerant(f *testing.F) {
	f.Add(uint8(0), uint16(0), byte('x'))
	f.Add(uint8(1), uint16(40), byte('a'))
	f.Add(uint8(3), uint16(12), byte('}'))
	f.Add(uint8(7), uint16(60), byte(0xff))
	f.Add(uint8(9), uint16(2), byte('"'))
	f.Fuzz(func(t *testing.T, which uint8, pos uint16, val byte) {
		s := tSnapshot()
		targets := flipTargets(s)
		rp := targets[int(which)%len(targets)]
		doc := []byte(string(rp.JSON))
		doc[int(pos)%len(doc)] = val
		js, err := json.Marshal(string(doc))
		if err != nil {
			t.Fatal(err)
		}
		*rp = raw(string(js))
		b, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		snap, err := Load(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("Load failed on one changed document: %v", err)
		}
		if n := len(snap.Unreadable()); n > 1 {
			t.Fatalf("one changed document made %d unreadable: %v", n, snap.Unreadable())
		}
		for _, p := range []string{"arn:aws:iam::" + tAcct + ":role/good", "arn:aws:sts::" + tAcct + ":assumed-role/victim/s", "arn:aws:iam::" + tAcct + ":user/victimuser"} {
			for _, res := range []string{"*", "arn:aws:iam::" + tAcct + ":role/victim", "arn:aws:s3:::b/k", "arn:aws:sqs:us-east-1:" + tOther + ":q"} {
				if _, err := snap.Layers(policy.NewRequest(p, "sts:AssumeRole", res)); err != nil {
					t.Fatalf("Layers(%s, %s): %v", p, res, err)
				}
			}
		}
	})
}

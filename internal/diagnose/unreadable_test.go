package diagnose

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

const genAccount = "123456789012"

// genSnapshot writes a snapshot of n roles (r00000 …), each with an inline
// policy allowing s3:* and sts:AssumeRole and the shared managed policy attached, with one bad
// document of each kind: an empty trust Statement (r00007), "allow"
// (r00100), a string Condition (r00200), an unknown element (r00300), a
// broken non-default version of the shared policy and a broken unattached
// policy; and two roles named "dup" on different paths.
func genSnapshot(n int) []byte {
	const (
		okInline = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","sts:AssumeRole"],"Resource":"*"}]}`
		okTrust  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	)
	var b bytes.Buffer
	b.WriteString(`{"format":"iamdiag-snapshot/v1","account_id":"` + genAccount + `","organization":{"standalone":true},"authorization_details":{"RoleDetailList":[`)
	role := func(path, name, id, trust, inline string) {
		fmt.Fprintf(&b, `{"Path":%q,"RoleName":%q,"RoleId":%q,"Arn":"arn:aws:iam::%s:role%s%s","AssumeRolePolicyDocument":%s,`+
			`"RolePolicyList":[{"PolicyName":"inline","PolicyDocument":%s}],"AttachedManagedPolicies":[{"PolicyName":"Shared","PolicyArn":"arn:aws:iam::%s:policy/Shared"}],"InstanceProfileList":[]},`,
			path, name, id, genAccount, path, name, trust, inline, genAccount)
	}
	for i := range n {
		trust, inline := okTrust, okInline
		switch i {
		case 7:
			trust = `{"Version":"2012-10-17","Statement":[]}`
		case 100:
			inline = `{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}`
		case 200:
			inline = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":"aws:SecureTransport"}]}`
		case 300:
			inline = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principals":"*"}]}`
		}
		name := fmt.Sprintf("r%05d", i)
		role("/", name, "AROA"+strings.ToUpper(name), trust, inline)
	}
	role("/a/", "dup", "AROADUPA", okTrust, okInline)
	role("/b/", "dup", "AROADUPB", okTrust, okInline)
	b.Truncate(b.Len() - 1)
	fmt.Fprintf(&b, `],"Policies":[{"PolicyName":"Shared","Arn":"arn:aws:iam::%[1]s:policy/Shared","Path":"/","DefaultVersionId":"v1","PolicyVersionList":[`+
		`{"Document":%[2]s,"VersionId":"v1","IsDefaultVersion":true},{"Document":{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Sid":7}]},"VersionId":"v2","IsDefaultVersion":false}]},`+
		`{"PolicyName":"Orphan","Arn":"arn:aws:iam::%[1]s:policy/Orphan","Path":"/","DefaultVersionId":"v1","PolicyVersionList":[{"Document":"%%7B%%22Statement%%22%%3A%%5B%%5D%%7D","VersionId":"v1","IsDefaultVersion":true}]}]}}`,
		genAccount, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}`)
	return b.Bytes()
}

func TestRunUnreadableDocuments(t *testing.T) {
	snap, err := layers.Load(bytes.NewReader(genSnapshot(20000)))
	if err != nil {
		t.Fatalf("loading a 20,000-role snapshot with bad documents: %v", err)
	}
	if n := len(snap.Unreadable()); n != 6 {
		t.Fatalf("Unreadable() lists %d documents, want 6: %v", n, snap.Unreadable())
	}
	src := Sources{Layers: Snapshot(snap)}
	roleARN := func(name string) string { return "arn:aws:iam::" + genAccount + ":role/" + name }
	tests := []struct {
		name     string
		in       Input
		want     simulate.Decision
		affected string // the document the diagnosis must name; "" when unaffected
	}{
		// The snapshot did not capture the bucket's policy: unknown,
		// whatever the bad documents.
		{"unaffected role", Input{Principal: roleARN("r00050"), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, simulate.Inconclusive, ""},
		{"unaffected role assuming an unaffected role", Input{Principal: roleARN("r00050"), Action: "sts:AssumeRole", Resource: roleARN("r00051")}, simulate.Allowed, ""},
		{"lowercase allow", Input{Principal: roleARN("r00100"), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, simulate.Inconclusive, `inline policy "inline" of ` + roleARN("r00100")},
		{"string Condition", Input{Principal: roleARN("r00200"), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, simulate.Inconclusive, roleARN("r00200")},
		{"unknown element", Input{Principal: roleARN("r00300"), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, simulate.Inconclusive, roleARN("r00300")},
		{"empty trust Statement", Input{Principal: roleARN("r00050"), Action: "sts:AssumeRole", Resource: roleARN("r00007")}, simulate.Inconclusive, "the trust policy of " + roleARN("r00007")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Run(context.Background(), tt.in, src)
			if err != nil {
				t.Fatal(err)
			}
			if d.Result.Decision != tt.want {
				t.Errorf("decision %v, want %v", d.Result.Decision, tt.want)
			}
			warn := strings.Join(d.Warnings, "\n")
			if !strings.Contains(warn, "6 policy document(s) that cannot be parsed") {
				t.Errorf("warnings %q do not name the unreadable documents", warn)
			}
			if tt.affected == "" {
				if !strings.Contains(warn, "reads none of them") {
					t.Errorf("warnings %q do not say the diagnosis is unaffected", warn)
				}
				return
			}
			named := false
			for _, lr := range d.Result.Layers {
				if !lr.Readable && lr.Error == layers.CodeMalformed && strings.Contains(lr.Note, tt.affected) {
					named = true
				}
			}
			if !named {
				t.Errorf("no unreadable layer names %q: %+v", tt.affected, d.Result.Layers)
			}
		})
	}
}

func TestRunAmbiguousPrincipal(t *testing.T) {
	snap, err := layers.Load(bytes.NewReader(genSnapshot(10)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), Input{Principal: "arn:aws:sts::" + genAccount + ":assumed-role/dup/jane", Action: "s3:GetObject"}, Sources{Layers: Snapshot(snap)})
	var e *Error
	if !errors.As(err, &e) || e.Kind != Incomplete || !errors.Is(err, layers.ErrAmbiguousPrincipal) {
		t.Fatalf("Run error = %v, want an Incomplete *Error for an ambiguous principal", err)
	}
	msg := e.Describe(func(Field) string { return "--principal" })
	for _, w := range []string{"--principal", "role/a/dup", "role/b/dup"} {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q does not say %q", msg, w)
		}
	}
	// The role's id, which CloudTrail and decoded messages carry as
	// aws:userid, picks one.
	d, err := Run(context.Background(), Input{Principal: "arn:aws:sts::" + genAccount + ":assumed-role/dup/jane", Action: "s3:GetObject",
		Context: []string{"aws:userid=AROADUPB:jane"}}, Sources{Layers: Snapshot(snap)})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Result.Request.Principal.IAMARN; got != "arn:aws:iam::"+genAccount+":role/b/dup" {
		t.Errorf("resolved %s, want role/b/dup", got)
	}
}

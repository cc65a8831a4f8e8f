package audit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iamdiag/iamdiag/internal/layers"
)

// TestAuditOrgScale audits a generated multi-account snapshot folder when
// IAMDIAG_AUDIT_ORG_SCALE=ACCOUNTSxROLES is set (the goal: 500x200, that
// is 100,000 roles, under 30 s and 1.5 GiB of peak RSS). Each account is
// genAccount's realistic mix with its own seed, written to its own file;
// the audit runs in a child process (this test binary again) so that its
// peak RSS is the audit's, not the generator's: wall time, peak RSS and
// findings are logged.
func TestAuditOrgScale(t *testing.T) {
	if dir := os.Getenv("IAMDIAG_AUDIT_ORG_DIR"); dir != "" {
		auditOrgChild(t, dir)
		return
	}
	spec := os.Getenv("IAMDIAG_AUDIT_ORG_SCALE")
	if spec == "" {
		t.Skip("set IAMDIAG_AUDIT_ORG_SCALE=500x200 to audit a generated organization of 500 accounts × 200 roles")
	}
	as, rs, ok := strings.Cut(spec, "x")
	accounts, err1 := strconv.Atoi(as)
	roles, err2 := strconv.Atoi(rs)
	if !ok || err1 != nil || err2 != nil || accounts < 1 || roles < 20 {
		t.Fatalf("IAMDIAG_AUDIT_ORG_SCALE=%q: want ACCOUNTSxROLES, e.g. 500x200 (at least 20 roles)", spec)
	}
	dir := t.TempDir()
	start := time.Now()
	genOrgFolder(t, dir, accounts, roles)
	t.Logf("generated %d accounts × %d roles in %v", accounts, roles, time.Since(start).Round(time.Millisecond))

	cmd := exec.Command(os.Args[0], "-test.run=^TestAuditOrgScale$", "-test.v")
	cmd.Env = append(os.Environ(), "IAMDIAG_AUDIT_ORG_DIR="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start = time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		t.Fatalf("the audit failed: %v\n%s", err, out.String())
	}
	// Maxrss is in KiB on Linux.
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	rss := ru.Maxrss << 10
	cpu := time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "audited:") {
			t.Log(strings.TrimSpace(line))
		}
	}
	t.Logf("audit of %d accounts × %d roles (%d roles), GOMAXPROCS %d: %.1f s wall, %.1f s CPU (the child process), peak RSS %d MiB",
		accounts, roles, accounts*roles, runtime.GOMAXPROCS(0), wall.Seconds(), cpu.Seconds(), rss>>20)
	if accounts*roles >= 100000 {
		if wall > 30*time.Second {
			t.Errorf("took %v, want under 30 s", wall)
		}
		if rss > 3<<29 {
			t.Errorf("peak RSS %d MiB, want under 1.5 GiB", rss>>20)
		}
	}
}

// auditOrgChild is the child process: it audits the folder and writes the
// JSON report as the CLI does.
func auditOrgChild(t *testing.T, dir string) {
	org, err := layers.LoadOrg(dir)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r, err := RunOrg(context.Background(), org, OrgOptions{Options: Options{Source: "organization snapshot " + dir}})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	f, err := os.Create(filepath.Join(dir, "audit.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := JSON(f, r); err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	fmt.Printf("audited: %d accounts, %d roles, %d users, %d policies: %d findings in %v (RunOrg), heap in use after it %d MiB (the findings), JSON report %d MiB\n",
		len(r.Summary.Accounts), r.Roles, r.Users, r.Policies, len(r.Findings), took.Round(time.Millisecond), ms.HeapInuse>>20, fi.Size()>>20)
}

// genOrgFolder writes a multi-account snapshot folder: accounts accounts of
// genAccount(roles, seed i) under ten OUs, with genAccount's SCPs attached
// at the root, and each account's file written as soon as it is generated.
func genOrgFolder(t *testing.T, dir string, accounts, roles int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "accounts"), 0o755); err != nil {
		t.Fatal(err)
	}
	var org *layers.Organization
	idx := &layers.OrgSnapshot{CapturedAt: time.Now().UTC()}
	for i := range accounts {
		id := fmt.Sprintf("%012d", 100000000000+i)
		s := genAccount(t, roles, uint64(i+1))
		if org == nil {
			org = genOrgTree(s.Organization, accounts)
		}
		s.Organization = nil
		b, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		// genAccount names account 123456789012 throughout; the account
		// of each file is its own.
		b = bytes.ReplaceAll(b, []byte("123456789012"), []byte(id))
		file := layers.AccountFile(id)
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(file)), b, 0o600); err != nil {
			t.Fatal(err)
		}
		idx.Accounts = append(idx.Accounts, layers.OrgAccount{ID: id, Name: "acct-" + id, File: file})
	}
	idx.Organization = org
	b, err := idx.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, layers.OrgIndexFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// genOrgTree is genAccount's organization (its SCPs) with the accounts
// spread over ten OUs under the root.
func genOrgTree(from *layers.Organization, accounts int) *layers.Organization {
	org := &layers.Organization{ID: from.ID, ManagementAccountID: from.ManagementAccountID,
		Nodes: []layers.OrgNode{{ID: "r-ab12", Type: layers.NodeRoot, Name: "Root"}}}
	var ous, ids []string
	for i := range 10 {
		ou := fmt.Sprintf("ou-ab12-%08d", i)
		ous = append(ous, ou)
		org.Nodes = append(org.Nodes, layers.OrgNode{ID: ou, Type: layers.NodeOU, Parent: "r-ab12", Name: "OU" + strconv.Itoa(i)})
	}
	for i := range accounts {
		id := fmt.Sprintf("%012d", 100000000000+i)
		ids = append(ids, id)
		org.Nodes = append(org.Nodes, layers.OrgNode{ID: id, Type: layers.NodeAccount, Parent: ous[i%10], Name: "acct-" + id})
	}
	for _, p := range from.Policies {
		switch {
		case p.AWSManaged:
			p.Targets = append(append([]string{"r-ab12"}, ous...), ids...)
		case slices.Contains(p.Targets, "r-ab12"):
			p.Targets = []string{"r-ab12"}
		default:
			p.Targets = ous
		}
		org.Policies = append(org.Policies, p)
	}
	return org
}

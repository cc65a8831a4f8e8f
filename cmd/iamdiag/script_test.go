package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
)

var update = flag.Bool("update", false, "rewrite the golden files (testdata/*, and cmp targets in testdata/script/*.txtar)")

// TestMain isolates the tests from the machine's AWS setup (isolatedM) and
// runs the scripts' iamdiag command with immediate retries, dialing only
// 127.0.0.1.
func TestMain(m *testing.M) {
	testscript.Main(isolatedM{m}, map[string]func(){
		"iamdiag": func() {
			// Retry throttled calls at once: the scripts prove the retry,
			// not its timing.
			awsBackoff = noBackoff
			awsDial = loopbackOnly
			os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// isolatedM runs the tests of this process (not the scripts' iamdiag
// command, whose environment the script sets) with every AWS_* variable of
// the machine cleared, no instance metadata, empty shared config and
// credentials files (fakeaws.IsolateEnv), and the SDK's clients dialing
// only 127.0.0.1: a test that builds an AWS configuration without pointing
// it at a fake server can neither find credentials nor reach AWS or the
// instance metadata service. A refused dial fails the run.
type isolatedM struct{ m *testing.M }

func (i isolatedM) Run() int {
	cleanup, err := fakeaws.IsolateEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	awsDial = loopbackOnly
	code := i.m.Run()
	if refused := refusedDials(); len(refused) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the AWS SDK tried to dial beyond 127.0.0.1: %v\n", refused)
		code = 1
	}
	return code
}

var (
	refusedMu sync.Mutex
	refused   []string
)

// loopbackOnly dials 127.0.0.1 (or another loopback address) and refuses,
// recording it, any other address.
func loopbackOnly(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		refusedMu.Lock()
		refused = append(refused, addr)
		refusedMu.Unlock()
		return nil, fmt.Errorf("test: refusing to dial %s: tests reach only 127.0.0.1", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// refusedDials returns the addresses loopbackOnly refused so far.
func refusedDials() []string {
	refusedMu.Lock()
	defer refusedMu.Unlock()
	return append([]string(nil), refused...)
}

// TestScripts runs the CLI on every example. Each script starts in a
// directory holding a copy of examples/, so that paths in the output are the
// same on every machine. `go test -update` rewrites the expected outputs.
func TestScripts(t *testing.T) {
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			// The SDK must never reach for the instance metadata service:
			// tests touch only 127.0.0.1.
			env.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			return copyTree(examples, filepath.Join(env.WorkDir, "examples"))
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status":       cmdStatus,
			"fakeaws":      cmdFakeAWS,
			"verdict":      cmdVerdict,
			"fakecalls":    cmdFakeCalls,
			"fakeorg":      cmdFakeOrg,
			"fakesessions": cmdFakeSessions,
		},
	})
}

// cmdStatus runs a program and checks its exit status:
//
//	status N program [args...]
//
// stdout and stderr are kept for the commands that follow, as with exec.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! status")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: status N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: %v", err)
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("running %s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// copyTree copies the regular files under src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/iamdiag/iamdiag/internal/redact"
)

// diagnoseRun is one `iamdiag diagnose` command of the testscript files.
type diagnoseRun struct {
	script string
	args   []string // without --format, paths relative to this directory
	stdin  string   // file fed to stdin, or ""
	// fake is the fake AWS server a live run reads (the script's latest
	// fakeaws command), nil for an offline run; abs resolves its paths.
	fake *fakeSpec
	abs  func(string) string
	// reset, when set, is called before each command (the fake's Reset).
	reset func()
	// inputs holds the arguments and the content of the files they name
	// (and of stdin's), where the run's own identifiers are looked for.
	inputs string
}

// offlineFlags name an offline source of diagnose.
var offlineFlags = map[string]bool{
	"--snapshot": true, "--identity-policy": true, "--boundary": true, "--session-policy": true,
	"--resource-policy": true, "--vpc-endpoint-policy": true, "--scp": true, "--rcp": true,
}

// diagnoseRuns collects the diagnose commands that exit 0 in
// testdata/script, so that every example the scripts run is redacted too,
// including the ones added later. In a script that starts a fake AWS
// server, the live runs (no offline source) are collected with the
// server's fakeaws arguments; its offline runs, which may read files the
// script wrote, are left to the offline scripts.
func diagnoseRuns(t *testing.T) []diagnoseRun {
	t.Helper()
	scripts, err := filepath.Glob(filepath.Join("testdata", "script", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	examples := filepath.Join("..", "..", "examples") + string(filepath.Separator)
	var runs []diagnoseRun
	for _, s := range scripts {
		ar, err := txtar.ParseFile(s)
		if err != nil {
			t.Fatal(err)
		}
		live := bytes.HasPrefix(ar.Comment, []byte("fakeaws ")) || bytes.Contains(ar.Comment, []byte("\nfakeaws "))
		// A fake organization's runs are left out (fake stays nil).
		live = live || bytes.Contains(ar.Comment, []byte("\nfakeorg "))
		// The script's own files (an error text) are written out, and the
		// arguments naming them point there.
		dir := t.TempDir()
		files := map[string]string{}
		for _, f := range ar.Files {
			p := filepath.Join(dir, filepath.FromSlash(f.Name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			files[f.Name] = p
		}
		path := func(a string) string {
			if strings.HasPrefix(a, "examples/") || strings.Contains(a, "=examples/") {
				return strings.Replace(a, "examples/", examples, 1)
			}
			prefix, name, ok := strings.Cut(a, "=")
			if !ok {
				prefix, name = "", a
			} else {
				prefix += "="
			}
			if p, ok := files[name]; ok {
				return prefix + p
			}
			return a
		}
		abs := func(a string) string {
			p, err := filepath.Abs(path(a))
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		stdin := ""
		var fake *fakeSpec
		sc := bufio.NewScanner(bytes.NewReader(ar.Comment))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			f := strings.Fields(line)
			if len(f) == 2 && f[0] == "stdin" {
				stdin = path(f[1])
				continue
			}
			if len(f) > 0 && f[0] == "fakeaws" {
				if fake, err = parseFakeArgs(f[1:]); err != nil {
					t.Fatalf("%s: %s: %v", s, line, err)
				}
				continue
			}
			if len(f) < 4 || f[0] != "status" || f[1] != "0" || f[2] != "iamdiag" || f[3] != "diagnose" || strings.Contains(line, "--redact") {
				continue
			}
			run := diagnoseRun{script: filepath.Base(s), stdin: stdin}
			if live {
				run.fake, run.abs = fake, abs
			}
			stdin = ""
			args := f[3:]
			offline := false
			for i := 0; i < len(args); i++ {
				if args[i] == "--format" {
					i++
					continue
				}
				offline = offline || offlineFlags[args[i]]
				run.args = append(run.args, path(args[i]))
			}
			if live && (offline || fake == nil) {
				continue
			}
			var in strings.Builder
			for _, a := range append(append([]string(nil), run.args...), run.stdin) {
				in.WriteString(a + "\n")
				_, p, _ := strings.Cut(a, "=")
				for _, name := range []string{a, p} {
					if b, err := os.ReadFile(name); err == nil {
						in.Write(b)
					}
				}
			}
			run.inputs = in.String()
			runs = append(runs, run)
		}
	}
	if len(runs) == 0 {
		t.Fatal("no diagnose command in testdata/script")
	}
	return runs
}

// Identifiers in the example inputs, found independently of the Redactor.
var (
	inputAccountRe = regexp.MustCompile(`(?:^|[^0-9])(\d{12})(?:[^0-9]|$)`)
	inputARNRe     = regexp.MustCompile(`arn:aws[\w-]*:(?:iam|sts)::\d{12}:(role|user|group|assumed-role|federated-user|instance-profile)/([\w+=,.@/-]+)`)
	inputSCPRe     = regexp.MustCompile(`arn:aws[\w-]*:organizations::\d{12}:policy/[\w/-]*?/(p-\w+)`)
	inputOtherRe   = regexp.MustCompile(`[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b(?:\d{1,3}\.){3}\d{1,3}\b|\b(?:AKIA|ASIA|AROA|AIDA|AGPA)[A-Z0-9]{12,}\b|\bo-[a-z0-9]{3,}\b|\bou-[a-z0-9]+-[a-z0-9]+\b|\br-[a-z0-9]{4,}\b`)
)

// exampleIdentifiers scans every file under examples/ for account ids, IAM
// and STS names, SCP policy ids, e-mail and IP addresses, access key and
// unique ids, organization ids and the organization's account names.
func exampleIdentifiers(t *testing.T) []string {
	t.Helper()
	set := map[string]bool{}
	err := filepath.WalkDir(filepath.Join("..", "..", "examples"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanIdentifiers(string(b), set)
		var doc any
		if json.Unmarshal(b, &doc) == nil {
			accountNames(doc, set)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for id := range set {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// scanIdentifiers adds to set the identifiers found in s: account ids, IAM
// and STS names, SCP policy ids, e-mail and IP addresses, access key and
// unique ids, organization ids.
func scanIdentifiers(text string, set map[string]bool) {
	// The decoded message is JSON inside a JSON string.
	s := strings.ReplaceAll(text, `\"`, `"`)
	for _, m := range inputAccountRe.FindAllStringSubmatch(s, -1) {
		set[m[1]] = true
	}
	for _, m := range inputARNRe.FindAllStringSubmatch(s, -1) {
		segs := strings.Split(m[2], "/")
		switch m[1] {
		case "assumed-role":
			set[segs[0]] = true
			if len(segs) > 1 {
				set[segs[1]] = true
			}
		default:
			// AWS chooses service-linked role names: kept by design.
			if name := segs[len(segs)-1]; !regexp.MustCompile(`^AWSServiceRoleFor[A-Za-z0-9]+$`).MatchString(name) && strings.Trim(name, "*") != "" {
				set[name] = true
			}
		}
	}
	for _, m := range inputSCPRe.FindAllStringSubmatch(s, -1) {
		set[m[1]] = true
	}
	for _, m := range inputOtherRe.FindAllString(s, -1) {
		set[m] = true
	}
}

// accountNames adds the names of ACCOUNT nodes of an organization.
func accountNames(v any, set map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		if v["type"] == "ACCOUNT" {
			if n, ok := v["name"].(string); ok && n != "" {
				set[n] = true
			}
		}
		for _, e := range v {
			accountNames(e, set)
		}
	case []any:
		for _, e := range v {
			accountNames(e, set)
		}
	}
}

// keptRe finds the AWS names a redacted report must keep: AWS managed policy
// ARNs, action names and condition keys, service principals, managed SCP
// names and regions.
var keptRe = regexp.MustCompile(`arn:aws[\w-]*:(?:iam|organizations)::aws:policy/[\w/+=,.@-]+|\b[a-z0-9-]+:[A-Z][A-Za-z0-9]+\b|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.amazonaws\.com\b|\b(?:RCP)?FullAWSAccess\b|\b(?:us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d\b`)

// TestRedactExamples runs every diagnose command of the scripts in every
// format with --redact: no identifier of the example inputs survives, the
// AWS names do, JSON stays valid, the mapping file (mode 0600) restores the
// report exactly, and the same run in every format gives the same mapping.
func TestRedactExamples(t *testing.T) {
	ids := exampleIdentifiers(t)
	if len(ids) == 0 {
		t.Fatal("no identifier found in examples/")
	}
	seen := map[string]bool{}
	for i, run := range diagnoseRuns(t) {
		t.Run(run.script+"/"+strconv.Itoa(i+1), func(t *testing.T) {
			run := startFake(t, run)
			// The run's own identifiers join the examples': a run whose
			// inputs hold none (an anonymous caller of a bucket) has
			// nothing to hide.
			ownSet := map[string]bool{}
			scanIdentifiers(run.inputs, ownSet)
			own := make([]string, 0, len(ownSet))
			for id := range ownSet {
				// A name of one or two letters (session "s") cannot be
				// looked for as a substring of a report.
				if len(id) > 2 {
					own = append(own, id)
				}
			}
			sort.Strings(own)
			ids := append(slices.Clone(ids), own...)
			var mappings []string
			formats := []string{"text", "json", "markdown", "slack"}
			fixFormat := ""
			for i, a := range run.args {
				if a == "--fix-format" && i+1 < len(run.args) {
					// Only the fixes are printed, whatever --format says.
					fixFormat, formats = run.args[i+1], []string{"text"}
				}
			}
			for _, format := range formats {
				orig, _ := runCLI(t, run, "--format", format)
				mapPath := filepath.Join(t.TempDir(), "map.json")
				red, stderr := runCLI(t, run, "--format", format, "--redact", "--redact-map", mapPath)
				if fixFormat != "" {
					format = "fix-" + fixFormat
				}
				if stderr != "" && !slices.Contains(run.args, "-v") {
					t.Errorf("%s: stderr %q", format, stderr)
				}
				present := 0
				for _, id := range ids {
					if strings.Contains(orig, id) {
						present++
						seen[id] = true
					}
					// In any case: a Terraform label is a lowercased name.
					if strings.Contains(strings.ToLower(red), strings.ToLower(id)) {
						t.Errorf("%s: %q survives redaction in:\n%s", format, id, red)
					}
				}
				if present == 0 && len(own) > 0 {
					t.Errorf("%s: the report shows no identifier of the inputs: the test proves nothing", format)
				}
				for _, k := range keptRe.FindAllString(orig, -1) {
					if got, want := strings.Count(red, k), strings.Count(orig, k); got != want {
						t.Errorf("%s: AWS name %q appears %d times redacted, %d times in the report", format, k, got, want)
					}
				}
				mb, err := os.ReadFile(mapPath)
				if err != nil {
					t.Fatal(err)
				}
				if runtime.GOOS != "windows" {
					if fi, err := os.Stat(mapPath); err != nil || fi.Mode().Perm() != 0o600 {
						t.Errorf("%s: mapping file mode %v (%v), want 0600", format, fi.Mode().Perm(), err)
					}
				}
				m, err := redact.ReadMapping(bytes.NewReader(mb))
				if err != nil {
					t.Fatal(err)
				}
				mappings = append(mappings, string(mb))
				if (format == "json" || format == "slack" || format == "fix-json") && !json.Valid([]byte(red)) {
					t.Fatalf("%s: redacted output is not valid JSON:\n%s", format, red)
				}
				if format == "json" {
					var o, r struct{ Decision string }
					if err := json.Unmarshal([]byte(red), &r); err != nil {
						t.Fatalf("redacted JSON: %v", err)
					}
					if err := json.Unmarshal([]byte(orig), &o); err != nil || o.Decision != r.Decision {
						t.Errorf("decision %q redacted, %q in the report (%v)", r.Decision, o.Decision, err)
					}
				}
				if format != "markdown" || !markdownEscapes(m) {
					if back := redact.Restore(red, m); back != orig {
						t.Errorf("%s: the mapping does not restore the report (-want +got):\n%s", format, cmp.Diff(orig, back))
					}
				}
			}
			for _, m := range mappings[1:] {
				if m != mappings[0] {
					t.Errorf("the mapping differs between formats (-text +other):\n%s", cmp.Diff(mappings[0], m))
				}
			}
		})
	}
	// Every identifier of the inputs that a report shows was checked; list
	// the others, which no report shows (a CloudTrail source IP).
	for _, id := range ids {
		if !seen[id] {
			t.Logf("identifier %q of the inputs appears in no report", id)
		}
	}
}

// startFake starts a live run's fake AWS server, points the SDK's
// environment at it for the test, and returns the run with the -encode
// variables of its arguments expanded. The run reads the server afresh
// each time: its counters (and so its throttling) are reset before every
// command.
func startFake(t *testing.T, run diagnoseRun) diagnoseRun {
	t.Helper()
	if run.fake == nil {
		return run
	}
	srv, env, err := run.fake.start(run.abs, filepath.Join(t.TempDir(), ".aws"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	// Retry throttled calls at once, as the scripts do.
	old := awsBackoff
	awsBackoff = noBackoff
	t.Cleanup(func() { awsBackoff = old })
	for k, v := range env {
		t.Setenv(k, v)
	}
	args := make([]string, len(run.args))
	for i, a := range run.args {
		args[i] = os.Expand(a, func(k string) string { return env[k] })
	}
	run.args = args
	run.reset = srv.Reset
	return run
}

// markdownEscapes reports whether a value of m holds a character Markdown
// running text escapes, which Restore cannot bring back there.
func markdownEscapes(m []redact.Replacement) bool {
	for _, e := range m {
		if strings.ContainsAny(e.Value, "\\`*_[]<>") {
			return true
		}
	}
	return false
}

// runCLI runs iamdiag with the run's arguments and extra ones, expecting
// exit status 0.
func runCLI(t *testing.T, dr diagnoseRun, extra ...string) (stdout, stderr string) {
	t.Helper()
	var in io.Reader = strings.NewReader("")
	if dr.stdin != "" {
		b, err := os.ReadFile(dr.stdin)
		if err != nil {
			t.Fatal(err)
		}
		in = bytes.NewReader(b)
	}
	if dr.reset != nil {
		dr.reset()
	}
	var out, errb bytes.Buffer
	args := append(append([]string{}, dr.args...), extra...)
	if code := run(args, in, &out, &errb); code != 0 {
		t.Fatalf("iamdiag %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String(), errb.String()
}

func TestRedactFlags(t *testing.T) {
	snapshot := example(t, "seed", "snapshot.json")
	errFile := example(t, "seed", "error.txt")
	missingDir := filepath.Join(t.TempDir(), "no-such-dir", "map.json")
	// /dev/stdout is a symbolic link: so is this one, to the same place.
	stdoutLink := filepath.Join(t.TempDir(), "stdout")
	if err := os.Symlink("/proc/self/fd/1", stdoutLink); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   bool
		errMatch string
	}{
		{"map without redact", []string{"--redact-map", filepath.Join(t.TempDir(), "m.json")}, exitUsage, false, "--redact-map needs --redact"},
		{"map to stdout", []string{"--redact", "--redact-map", "-"}, exitUsage, false, "never written to stdout"},
		{"unwritable map leaves stdout empty", []string{"--redact", "--redact-map", missingDir}, exitFailure, false, "writing --redact-map"},
		{"map to a stdout-like symlink", []string{"--redact", "--redact-map", stdoutLink}, exitFailure, false, stdoutLink + " is a symbolic link"},
		{"map to a FIFO", []string{"--redact", "--redact-map", fifo}, exitFailure, false, fifo + " is a named pipe (FIFO)"},
		{"redact without map", []string{"--redact"}, exitOK, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append([]string{"diagnose", "--snapshot", snapshot, "--error-file", errFile}, tc.args...)
			code := run(args, strings.NewReader(""), &out, &errb)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, errb.String())
			}
			if got := out.Len() > 0; got != tc.stdout {
				t.Errorf("stdout written = %v, want %v: %s", got, tc.stdout, out.String())
			}
			if !strings.Contains(errb.String(), tc.errMatch) {
				t.Errorf("stderr %q does not say %q", errb.String(), tc.errMatch)
			}
			if strings.Contains(out.String(), "123456789012") {
				t.Errorf("account id on stdout: %s", out.String())
			}
		})
	}
}

// TestRedactMapReplacesWiderFile: an existing mapping file with a wider mode
// is replaced by a 0600 one.
func TestRedactMapReplacesWiderFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes")
	}
	path := filepath.Join(t.TempDir(), "map.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	args := []string{"diagnose", "--snapshot", example(t, "seed", "snapshot.json"), "--error-file", example(t, "seed", "error.txt"), "--redact", "--redact-map", path}
	if code := run(args, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `"value": "123456789012"`) {
		t.Errorf("mapping lacks the account:\n%s", b)
	}
}

// TestRedactFailure: a --redact run that fails (a principal the snapshot
// does not have) does not echo the principal's role, session or account;
// without --redact it does.
func TestRedactFailure(t *testing.T) {
	const unknown = "arn:aws:sts::210987654321:assumed-role/GhostRole/jane.doe@example.com"
	leaks := []string{"210987654321", "GhostRole", "jane.doe", "example.com"}
	for _, redacted := range []bool{true, false} {
		t.Run(fmt.Sprintf("redact=%v", redacted), func(t *testing.T) {
			args := []string{"diagnose", "--snapshot", example(t, "seed", "snapshot.json"), "--principal", unknown, "--action", "ec2:RunInstances"}
			if redacted {
				args = append(args, "--redact")
			}
			var out, errb bytes.Buffer
			if code := run(args, strings.NewReader(""), &out, &errb); code != exitFailure {
				t.Fatalf("exit %d, want %d; stderr %s", code, exitFailure, errb.String())
			}
			if !strings.Contains(errb.String(), "not in the snapshot") {
				t.Errorf("stderr does not say what failed: %s", errb.String())
			}
			for _, leak := range leaks {
				if got := strings.Contains(errb.String(), leak); got == redacted {
					t.Errorf("stderr shows %q = %v with redact=%v: %s", leak, got, redacted, errb.String())
				}
			}
		})
	}
}

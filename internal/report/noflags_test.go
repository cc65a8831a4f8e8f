package report

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// flagRE is a command-line flag: two dashes and a lowercase word, not a run
// of dashes ("---" rules, "--- a/file" diff headers).
var flagRE = regexp.MustCompile(`(?:^|[^-])(--[a-z][a-z0-9-]+)`)

// awsCLIRE is an AWS CLI command with its options ("aws sso login --profile
// …", "aws sts assume-role --policy file://session.json"): what a person
// runs in a shell whichever front end showed the message, so its flags are
// AWS's, not iamdiag's.
var awsCLIRE = regexp.MustCompile(`\baws [a-z0-9-]+ [a-z0-9-]+(?: --[a-z][a-z0-9-]*(?: [^\s,;()-][^\s,;()]*)?)+`)

// allowedFlags are flag-like words a package may hold in its string
// literals, by slash-separated path under internal/.
var allowedFlags = map[string]map[string]bool{
	// The Slack slash command's own keyword, typed by the Slack user after
	// the command's text (and named in its help), not a CLI flag.
	"server/slack.go": {"--no-redact": true},
	// Suffixes S3 reserves in bucket names (access point aliases,
	// directory and table buckets), not CLI flags.
	"live/s3object.go": {"--ol-s3": true, "--x-s3": true, "--table-s3": true},
}

// flagsIn returns the CLI flags s names, leaving out AWS CLI commands.
func flagsIn(s string) []string {
	s = awsCLIRE.ReplaceAllString(s, "")
	var out []string
	for _, m := range flagRE.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestFlagsIn(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want []string
	}{
		{"flag", "or pass --snapshot", []string{"--snapshot"}},
		{"flag with value", "diagnose with --resource ARN", []string{"--resource"}},
		{"two flags", "use --principal/--action", []string{"--principal", "--action"}},
		{"command line", "see `iamdiag diagnose --fix-format diff`", []string{"--fix-format"}},
		{"flag at start", "--action %q is not service:Action", []string{"--action"}},
		{"words", "or diagnose from a snapshot", nil},
		{"rule", "|---|---|", nil},
		{"diff header", "--- a/policy.json\n+++ b/policy.json", nil},
		{"AWS CLI", "refresh the credentials (aws sso login --profile …, a new session token)", nil},
		{"AWS CLI with value", "start a new session (aws sts assume-role --policy file://session.json) passing", nil},
		{"AWS CLI then flag", "run aws iam get-role --role-name r, then pass --boundary", []string{"--boundary"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, flagsIn(tt.s)); diff != "" {
				t.Errorf("flagsIn(%q) (-want +got):\n%s", tt.s, diff)
			}
		})
	}
}

// TestNoCLIFlagsInMessages checks that no string literal in a non-test Go
// file under internal/ names a CLI flag: the HTTP API and the Slack command
// show the same messages as the CLI, so a message names its input in words
// ("give the resource policy", "diagnose from a snapshot"). Only cmd/ speaks
// in flags. Literals joined at run time ("--" + name) are not seen.
func TestNoCLIFlagsInMessages(t *testing.T) {
	root := ".."
	var hits []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (n == "testdata" || n == "node_modules" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("parsing %s: %w", rel, err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Errorf("internal/%s:%d: unquoting %s: %v", rel, fset.Position(lit.Pos()).Line, lit.Value, err)
				return true
			}
			for _, fl := range flagsIn(s) {
				if !allowedFlags[rel][fl] {
					hits = append(hits, fmt.Sprintf("internal/%s:%d: %s", rel, fset.Position(lit.Pos()).Line, fl))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) > 0 {
		t.Errorf("%d string literals name a CLI flag; name the input in words instead:\n%s", len(hits), strings.Join(hits, "\n"))
	}
}

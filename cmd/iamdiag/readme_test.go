package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadmeFirstSample: the output README shows for its first command is
// what that command prints (NO_COLOR, from the repository's root).
func TestReadmeFirstSample(t *testing.T) {
	root := filepath.Join("..", "..")
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const cmdLine = "go run ./cmd/iamdiag diagnose --snapshot examples/seed/snapshot.json --error-file examples/seed/error.txt\n```\n\n```text\n"
	readme := string(b)
	i := strings.Index(readme, cmdLine)
	if i < 0 {
		t.Fatal("README's first command and its sample output are not found")
	}
	sample := readme[i+len(cmdLine):]
	sample = sample[:strings.Index(sample, "```")]
	t.Setenv("NO_COLOR", "1")
	var out, errb bytes.Buffer
	args := []string{"diagnose", "--snapshot", filepath.Join(root, "examples", "seed", "snapshot.json"),
		"--error-file", filepath.Join(root, "examples", "seed", "error.txt")}
	if code := run(args, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if diff := cmp.Diff(sample, out.String()); diff != "" {
		t.Errorf("README's sample output differs from what the command prints (-README +printed):\n%s", diff)
	}
}

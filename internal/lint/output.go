package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
)

// Sort orders findings by file, line, column and rule id, keeping the order
// of equal ones.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(a, b int) bool {
		x, y := fs[a], fs[b]
		if x.File != y.File {
			return x.File < y.File
		}
		if x.Line != y.Line {
			return x.Line < y.Line
		}
		if x.Column != y.Column {
			return x.Column < y.Column
		}
		return x.Rule < y.Rule
	})
}

// Text writes one line per finding:
//
//	file:line: severity RULE [policy] statement S: message. Fix: fix
func Text(w io.Writer, fs []Finding) error {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s:%d: %s %s", f.File, f.Line, f.Severity, f.Rule)
		if f.Policy != "" {
			fmt.Fprintf(&b, " [%s]", f.Policy)
		}
		if f.Statement != "" {
			fmt.Fprintf(&b, " statement %s:", f.Statement)
		}
		fmt.Fprintf(&b, " %s. Fix: %s\n", strings.TrimSuffix(f.Message, "."), f.Fix)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// JSON writes the findings as a JSON list (an empty list when there are
// none).
func JSON(w io.Writer, fs []Finding) error {
	if fs == nil {
		fs = []Finding{}
	}
	b, err := json.MarshalIndent(fs, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding findings: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html),
// the subset code-scanning tools read: one run, the tool with its rules, one
// result per finding with a physical location.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	Name                 string       `json:"name"`
	ShortDescription     sarifMessage `json:"shortDescription"`
	FullDescription      sarifMessage `json:"fullDescription"`
	HelpURI              string       `json:"helpUri"`
	DefaultConfiguration sarifConfig  `json:"defaultConfiguration"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// sarifLevel maps a severity to SARIF's result.level
// (§3.27.10: "error", "warning", "note").
func sarifLevel(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// SARIF writes the findings as a SARIF 2.1.0 log; version is the tool's
// version ("" to leave it out).
func SARIF(w io.Writer, fs []Finding, version string) error {
	index := map[string]int{}
	rules := make([]sarifRule, len(Rules))
	for i, r := range Rules {
		index[r.ID] = i
		rules[i] = sarifRule{
			ID: r.ID, Name: r.Name,
			ShortDescription:     sarifMessage{Text: r.Summary},
			FullDescription:      sarifMessage{Text: r.Summary + " " + r.Why()},
			HelpURI:              r.Help,
			DefaultConfiguration: sarifConfig{Level: sarifLevel(r.Severity)},
		}
	}
	results := make([]sarifResult, 0, len(fs))
	for _, f := range fs {
		msg := f.Message
		if f.Statement != "" {
			msg = "Statement " + f.Statement + ": " + msg
		}
		if f.Policy != "" {
			msg = f.Policy + ": " + msg
		}
		msg = strings.TrimSuffix(msg, ".") + ". " + f.Why + " Fix: " + f.Fix
		loc := sarifPhysical{ArtifactLocation: sarifArtifact{URI: artifactURI(f.File)}}
		if f.Line > 0 {
			loc.Region = &sarifRegion{StartLine: f.Line}
		}
		results = append(results, sarifResult{
			RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevel(f.Severity),
			Message:   sarifMessage{Text: msg},
			Locations: []sarifLocation{{PhysicalLocation: loc}},
		})
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name: "iamdiag", InformationURI: "https://github.com/iamdiag/iamdiag",
				Version: version, Rules: rules,
			}},
			Results: results,
		}},
	}
	b, err := json.MarshalIndent(log, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding SARIF: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// artifactURI turns a file path into a relative URI reference, as
// code-scanning tools resolve it against the repository root; standard input
// becomes "stdin".
func artifactURI(file string) string {
	if file == "-" || file == "" {
		return "stdin"
	}
	u := url.URL{Path: filepath.ToSlash(file)}
	return u.String()
}

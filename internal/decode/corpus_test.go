package decode

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the want.json sections of testdata/errors from the current output (review the diff before committing)")

// TestErrorCorpus runs FromErrorText on every error text of
// testdata/errors/*.txtar, each a text pasted in a public issue or forum
// thread (its comment gives the source URL) or a synthetic case built from
// AWS's documented format (its comment says so), and compares the decode JSON
// with the file's want.json.
func TestErrorCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no corpus files")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			ar := parseTxtar(data)
			if !bytes.HasPrefix(ar.Comment, []byte("source: ")) {
				t.Fatalf("comment must start with \"source: \" and the URL (or \"synthetic, from <doc URL>\"), got %q", ar.Comment)
			}
			var input, want []byte
			wantIdx := -1
			for i, f := range ar.Files {
				switch f.Name {
				case "input":
					input = f.Data
				case "want.json":
					want, wantIdx = f.Data, i
				}
			}
			if input == nil || wantIdx < 0 {
				t.Fatal("need sections input and want.json")
			}
			r, err := FromErrorText(string(input))
			if err != nil {
				t.Fatalf("FromErrorText: %v", err)
			}
			got, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			if *update {
				ar.Files[wantIdx].Data = got
				if err := os.WriteFile(file, formatTxtar(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatalf("want.json: %v", err)
			}
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("decode JSON mismatch (-want +got):\n%s\nmissing: %q", diff, r.Missing)
			}
		})
	}
}

// The txtar format (a comment, then "-- name --" marker lines each starting
// a section), read and written here because go-internal's txtar package
// needs a module this one does not require.
type txtarFile struct {
	Name string
	Data []byte
}

type txtarArchive struct {
	Comment []byte
	Files   []txtarFile
}

func parseTxtar(data []byte) *txtarArchive {
	a := &txtarArchive{}
	cur := &a.Comment
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		t := bytes.TrimRight(line, "\r\n")
		if bytes.HasPrefix(t, []byte("-- ")) && bytes.HasSuffix(t, []byte(" --")) && len(t) > 6 {
			a.Files = append(a.Files, txtarFile{Name: string(bytes.TrimSpace(t[3 : len(t)-3]))})
			cur = &a.Files[len(a.Files)-1].Data
			continue
		}
		*cur = append(*cur, line...)
	}
	return a
}

func formatTxtar(a *txtarArchive) []byte {
	var b bytes.Buffer
	b.Write(a.Comment)
	for _, f := range a.Files {
		b.WriteString("-- " + f.Name + " --\n")
		b.Write(f.Data)
		if len(f.Data) > 0 && f.Data[len(f.Data)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

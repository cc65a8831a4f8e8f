package policy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// slowTree reads data with the encoding/json token reader alone.
func slowTree(data []byte) (*jnode, error) {
	p := &parser{data: data}
	p.dec = json.NewDecoder(bytes.NewReader(data))
	p.dec.UseNumber()
	root, err := p.value(0, roleRoot)
	if err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); err == nil {
		return nil, p.errAt(0, "", "trailing data")
	}
	return root, nil
}

var jnodeCmp = cmp.AllowUnexported(jnode{}, jmember{})

func TestFastTree(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":"*"}]}`, true},
		{"whitespace and numbers", " {\"a\" : [ 1, -0.5e+3, 0 , true,false ,null ] }\n", true},
		{"empty containers", `{"a":{},"b":[]}`, true},
		{"escape falls back", `{"a":"x\"y"}`, false},
		{"non-ASCII falls back", `{"a":"é"}`, false},
		{"control character falls back", "{\"a\":\"\x01\"}", false},
		{"duplicate key falls back", `{"a":1,"a":2}`, false},
		{"trailing data falls back", `{} {}`, false},
		{"trailing comma falls back", `{"a":1,}`, false},
		{"leading zero falls back", `{"a":01}`, false},
		{"bad literal falls back", `{"a":tru}`, false},
		{"literal run-on falls back", `{"a":truex}`, false},
		{"number run-on falls back", `{"a":1x}`, false},
		{"empty falls back", ``, false},
		{"too deep falls back", `[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := fastTree([]byte(tt.in))
			if ok != tt.ok {
				t.Fatalf("fastTree ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			want, err := slowTree([]byte(tt.in))
			if err != nil {
				t.Fatalf("slow reader: %v", err)
			}
			if diff := cmp.Diff(want, got, jnodeCmp); diff != "" {
				t.Errorf("fast tree differs from encoding/json's (-slow +fast):\n%s", diff)
			}
		})
	}
}

// FuzzFastTree checks that whenever the fast reader accepts an input, the
// encoding/json reader accepts it too and builds the same tree.
func FuzzFastTree(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "parse", "*.json"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{`{"a":[1,2.5e-3,true,null,"x"]}`, `[]`, `{"a":{"b":{}}}`, `-0`, `"s"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := fastTree(data)
		if !ok {
			return
		}
		want, err := slowTree(data)
		if err != nil {
			t.Fatalf("fast reader accepted %q, encoding/json says %v", data, err)
		}
		if diff := cmp.Diff(want, got, jnodeCmp); diff != "" {
			t.Fatalf("trees differ for %q (-slow +fast):\n%s", data, diff)
		}
	})
}

package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// node is a JSON value with the byte offset where it starts, so that findings
// can point at the line of the statement or value they are about. The policy
// package keeps no positions in its Document, hence this small second reader.
type node struct {
	kind    byte // 's' string, 'n' number, 'b' boolean, 'z' null, 'o' object, 'a' array
	off     int64
	str     string
	keys    []string
	members []*node
	elems   []*node
}

// maxTreeDepth bounds nesting while reading: Terraform plans nest deeper than
// policies (modules in modules), but never this deep.
const maxTreeDepth = 64

// member returns the value of key in an object, nil when absent or when n is
// not an object. With duplicate keys the first wins, as the policy parser
// rejects them anyway.
func (n *node) member(key string) *node {
	if n == nil || n.kind != 'o' {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.members[i]
		}
	}
	return nil
}

// item returns the i-th value of a string-or-list element: the element itself
// for i == 0 when it is a single value.
func (n *node) item(i int) *node {
	if n == nil {
		return nil
	}
	if n.kind == 'a' {
		if i < len(n.elems) {
			return n.elems[i]
		}
		return nil
	}
	if i == 0 {
		return n
	}
	return nil
}

// readTree reads data into a node tree; it fails on invalid JSON, nesting
// deeper than maxTreeDepth and trailing data.
func readTree(data []byte) (*node, error) {
	r := &treeReader{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	r.dec.UseNumber()
	root, err := r.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := r.dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return root, nil
}

type treeReader struct {
	data []byte
	dec  *json.Decoder
}

// start returns the offset of the next token: the decoder's offset past the
// whitespace and separators it consumes lazily.
func (r *treeReader) start() int64 {
	off := r.dec.InputOffset()
	for off < int64(len(r.data)) {
		switch r.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func (r *treeReader) value(depth int) (*node, error) {
	off := r.start()
	tok, err := r.dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case string:
		return &node{kind: 's', off: off, str: t}, nil
	case json.Number:
		return &node{kind: 'n', off: off, str: string(t)}, nil
	case bool:
		return &node{kind: 'b', off: off, str: strconv.FormatBool(t)}, nil
	case nil:
		return &node{kind: 'z', off: off}, nil
	case json.Delim:
		if depth >= maxTreeDepth {
			return nil, fmt.Errorf("JSON nested deeper than %d levels", maxTreeDepth)
		}
		if t == '{' {
			n := &node{kind: 'o', off: off}
			for r.dec.More() {
				ktok, err := r.dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := ktok.(string)
				v, err := r.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, key)
				n.members = append(n.members, v)
			}
			_, err := r.dec.Token()
			return n, err
		}
		n := &node{kind: 'a', off: off}
		for r.dec.More() {
			v, err := r.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, v)
		}
		_, err := r.dec.Token()
		return n, err
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// lineColumn returns the 1-based line and byte column of off in data.
func lineColumn(data []byte, off int64) (line, col int) {
	if off < 0 {
		return 0, 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

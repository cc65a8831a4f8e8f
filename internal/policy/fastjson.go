package policy

// A fast reader for the common policy document: ASCII JSON without escapes.
// Parse tries it first and falls back to the encoding/json token reader
// (parser.value) on anything else, and on any error, so that errors, their
// positions and unusual input (escapes, non-ASCII text, which encoding/json
// decodes and repairs) keep the exact behaviour of that reader.

// fastTree reads data as a jnode tree; ok is false when the input is not
// plain ASCII JSON without escapes, or is not valid, or breaks a rule tree
// enforces (duplicate keys, depth, trailing data).
func fastTree(data []byte) (root *jnode, ok bool) {
	r := fastReader{data: data}
	root, ok = r.value(0)
	if !ok {
		return nil, false
	}
	r.space()
	return root, r.pos == len(r.data)
}

type fastReader struct {
	data []byte
	pos  int
}

func (r *fastReader) space() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\r', '\n':
			r.pos++
			continue
		}
		return
	}
}

func (r *fastReader) value(depth int) (*jnode, bool) {
	r.space()
	if r.pos >= len(r.data) {
		return nil, false
	}
	off := int64(r.pos)
	switch c := r.data[r.pos]; {
	case c == '"':
		s, ok := r.str()
		return &jnode{kind: jString, off: off, str: s}, ok
	case c == '{':
		if depth >= maxDepth {
			return nil, false
		}
		r.pos++
		n := &jnode{kind: jObject, off: off}
		r.space()
		if r.pos < len(r.data) && r.data[r.pos] == '}' {
			r.pos++
			return n, true
		}
		for {
			r.space()
			koff := int64(r.pos)
			if r.pos >= len(r.data) || r.data[r.pos] != '"' {
				return nil, false
			}
			key, ok := r.str()
			if !ok {
				return nil, false
			}
			for _, m := range n.members {
				if m.key == key {
					return nil, false
				}
			}
			r.space()
			if r.pos >= len(r.data) || r.data[r.pos] != ':' {
				return nil, false
			}
			r.pos++
			v, ok := r.value(depth + 1)
			if !ok {
				return nil, false
			}
			n.members = append(n.members, jmember{key: key, off: koff, val: v})
			r.space()
			if r.pos >= len(r.data) {
				return nil, false
			}
			switch r.data[r.pos] {
			case ',':
				r.pos++
			case '}':
				r.pos++
				return n, true
			default:
				return nil, false
			}
		}
	case c == '[':
		if depth >= maxDepth {
			return nil, false
		}
		r.pos++
		n := &jnode{kind: jArray, off: off}
		r.space()
		if r.pos < len(r.data) && r.data[r.pos] == ']' {
			r.pos++
			return n, true
		}
		for {
			v, ok := r.value(depth + 1)
			if !ok {
				return nil, false
			}
			n.elems = append(n.elems, v)
			r.space()
			if r.pos >= len(r.data) {
				return nil, false
			}
			switch r.data[r.pos] {
			case ',':
				r.pos++
			case ']':
				r.pos++
				return n, true
			default:
				return nil, false
			}
		}
	case c == 't':
		return &jnode{kind: jBool, off: off, str: "true"}, r.literal("true")
	case c == 'f':
		return &jnode{kind: jBool, off: off, str: "false"}, r.literal("false")
	case c == 'n':
		return &jnode{kind: jNull, off: off}, r.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		s, ok := r.number()
		return &jnode{kind: jNumber, off: off, str: s}, ok
	}
	return nil, false
}

// str reads a string of printable ASCII without escapes.
func (r *fastReader) str() (string, bool) {
	start := r.pos + 1
	for i := start; i < len(r.data); i++ {
		switch c := r.data[i]; {
		case c == '"':
			r.pos = i + 1
			return string(r.data[start:i]), true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return "", false
		}
	}
	return "", false
}

func (r *fastReader) literal(lit string) bool {
	if len(r.data)-r.pos < len(lit) || string(r.data[r.pos:r.pos+len(lit)]) != lit {
		return false
	}
	r.pos += len(lit)
	// A literal must end where a value may end.
	return r.pos == len(r.data) || !isIdentByte(r.data[r.pos])
}

func isIdentByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-' || c == '+'
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *fastReader) number() (string, bool) {
	d := r.data
	start, i := r.pos, r.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		return "", false
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !isDigit(d[i]) {
			return "", false
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			return "", false
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && isIdentByte(d[i]) {
		return "", false
	}
	r.pos = i
	return string(d[start:i]), true
}

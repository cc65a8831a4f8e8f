package catalog

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// embedded is written by ./gen. After gunzip it is:
//
//	magic     "IAMDIAG-CATALOG\x01"
//	version   uvarint length, bytes (the iam-data package version)
//	strings   uvarint count N, uvarint total length L, N uvarint lengths,
//	          then L bytes: every string, concatenated
//	globals   uvarint count, then per key: name, type
//	services  uvarint count, then per service:
//	            prefix, name
//	            keys:           count, then per key: name, type
//	            resource types: count, then per type: name, ARN count, ARNs,
//	                            condition key list
//	            actions:        count, then per action: name, access level
//	                            code, condition key list, dependent action
//	                            list, resource count, then per resource:
//	                            index into this service's resource types,
//	                            required byte, condition key list, dependent
//	                            action list
//
// A string is a uvarint index into the string table; a list is a uvarint
// count followed by strings. Everything is sorted by lower-case name, so
// generation is deterministic.
//
//go:embed catalog.bin.gz
var embedded []byte

const magic = "IAMDIAG-CATALOG\x01"

// accessLevels is indexed by the access level code; gen has the same table.
var accessLevels = []string{"List", "Read", "Write", "Permissions management", "Tagging"}

// catalog is the decoded data with its indexes.
type catalog struct {
	version  string
	services []*Service
	byPrefix map[string]*Service
	// actions maps "prefix:lowername" to the action.
	actions map[string]*Action
	// keys indexes every condition key by lower-case name: the global keys
	// and every key any service defines.
	keys *keyIndex
	// global indexes the global condition keys alone.
	global *keyIndex
}

var (
	loadOnce sync.Once
	loaded   *catalog
)

// load decodes the embedded data once. The data is part of the binary and
// checked by the tests, so a decoding failure is a build defect: it panics.
func load() *catalog {
	loadOnce.Do(func() {
		c, err := decode(embedded)
		if err != nil {
			panic(fmt.Sprintf("catalog: decoding embedded data: %v", err))
		}
		loaded = c
	})
	return loaded
}

var errCorrupt = errors.New("corrupt catalog data")

// decoder reads the uncompressed file; the first error sticks.
type decoder struct {
	b    []byte
	off  int
	strs []string
	err  error
	// pool and resPool hand out sub-slices of large slices, to avoid one
	// allocation per list.
	pool    []string
	resPool []ActionResource
}

func (d *decoder) uint() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 || v > uint64(len(d.b)) {
		d.err = fmt.Errorf("%w: bad number at offset %d", errCorrupt, d.off)
		return 0
	}
	d.off += n
	return int(v)
}

func (d *decoder) str() string {
	i := d.uint()
	if d.err != nil {
		return ""
	}
	if i >= len(d.strs) {
		d.err = fmt.Errorf("%w: string index %d out of range at offset %d", errCorrupt, i, d.off)
		return ""
	}
	return d.strs[i]
}

// list reads a string list; an empty list is nil.
func (d *decoder) list() []string {
	n := d.uint()
	if n == 0 || d.err != nil {
		return nil
	}
	if n > len(d.b)-d.off {
		d.err = fmt.Errorf("%w: list of %d at offset %d", errCorrupt, n, d.off)
		return nil
	}
	if cap(d.pool)-len(d.pool) < n {
		d.pool = make([]string, 0, max(n, 8192))
	}
	start := len(d.pool)
	for range n {
		d.pool = append(d.pool, d.str())
	}
	// The full slice expression keeps a caller's append from overwriting
	// the next list.
	return d.pool[start:len(d.pool):len(d.pool)]
}

func decode(gz []byte) (*catalog, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("opening catalog: %w", err)
	}
	// gzip's trailer holds the uncompressed size (mod 2^32), so the buffer
	// can be allocated once; ReadAll would grow it by doubling.
	size := 0
	if len(gz) >= 4 {
		size = int(binary.LittleEndian.Uint32(gz[len(gz)-4:]))
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(size, 64<<20)+1))
	if _, err := io.Copy(buf, zr); err != nil {
		return nil, fmt.Errorf("decompressing catalog: %w", err)
	}
	raw := buf.Bytes()
	if !bytes.HasPrefix(raw, []byte(magic)) {
		return nil, fmt.Errorf("%w: bad magic", errCorrupt)
	}
	d := &decoder{b: raw, off: len(magic)}
	c := &catalog{}

	n := d.uint()
	if d.err == nil && n > len(raw)-d.off {
		return nil, fmt.Errorf("%w: version length %d", errCorrupt, n)
	}
	if d.err == nil {
		c.version = string(raw[d.off : d.off+n])
		d.off += n
	}

	// The string table: one string holds every byte, and each entry is a
	// slice of it.
	count, total := d.uint(), d.uint()
	if d.err != nil || count > len(raw) || total > len(raw) {
		return nil, fmt.Errorf("%w: string table", errCorrupt)
	}
	lens := make([]int, count)
	sum := 0
	for i := range lens {
		lens[i] = d.uint()
		sum += lens[i]
	}
	if d.err != nil || sum != total || total > len(raw)-d.off {
		return nil, fmt.Errorf("%w: string table lengths", errCorrupt)
	}
	blob := string(raw[d.off : d.off+total])
	d.off += total
	d.strs = make([]string, count)
	at := 0
	for i, l := range lens {
		d.strs[i] = blob[at : at+l]
		at += l
	}

	globals := make([]*ConditionKey, d.uint())
	for i := range globals {
		globals[i] = &ConditionKey{Name: d.str(), Type: d.str()}
	}

	c.services = make([]*Service, d.uint())
	nActions := 0
	for i := range c.services {
		c.services[i] = d.service()
		if d.err != nil {
			return nil, d.err
		}
		nActions += len(c.services[i].sorted)
	}
	if d.err != nil {
		return nil, d.err
	}
	if d.off != len(raw) {
		return nil, fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(raw)-d.off)
	}

	c.byPrefix = make(map[string]*Service, len(c.services))
	c.actions = make(map[string]*Action, nActions)
	// Every action's lower-case "prefix:name" is cut from one string, which
	// saves an allocation per action.
	size = 0
	for _, s := range c.services {
		size += len(s.sorted) * (len(s.Prefix) + 1)
		for _, a := range s.sorted {
			size += len(a.Name)
		}
	}
	lower := make([]byte, 0, size)
	for _, s := range c.services {
		for _, a := range s.sorted {
			lower = appendLower(lower, s.Prefix)
			lower = append(lower, ':')
			lower = appendLower(lower, a.Name)
		}
	}
	keys := string(lower)
	pos := 0
	for _, s := range c.services {
		c.byPrefix[asciiLower(s.Prefix)] = s
		s.keys = make([]string, len(s.sorted))
		s.names = make([]string, len(s.sorted))
		s.Actions = make(map[string]*Action, len(s.sorted))
		for i, a := range s.sorted {
			n := len(s.Prefix) + 1 + len(a.Name)
			s.keys[i] = keys[pos : pos+n]
			s.names[i] = s.keys[i][len(s.Prefix)+1:]
			pos += n
			s.Actions[s.names[i]] = a
			c.actions[s.keys[i]] = a
		}
		if !slices.IsSorted(s.names) {
			return nil, fmt.Errorf("%w: actions of %s not sorted", errCorrupt, s.Prefix)
		}
	}
	c.global = newKeyIndex(len(globals))
	c.keys = newKeyIndex(len(globals) + 3000)
	for _, k := range globals {
		c.global.add(k)
		c.keys.add(k)
	}
	// A service's own keys are added before keys it borrows from another
	// prefix (aws:RequestTag/${TagKey} in every service, the identity
	// providers' keys in sts), so each key's type comes from its owner.
	for _, own := range []bool{true, false} {
		for _, s := range c.services {
			p := asciiLower(s.Prefix) + ":"
			for lk, k := range s.ConditionKeys {
				if strings.HasPrefix(lk, p) == own {
					c.keys.add(k)
				}
			}
		}
	}
	return c, nil
}

// appendLower appends s with ASCII letters lower-cased.
func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

func (d *decoder) service() *Service {
	s := &Service{Prefix: d.str(), Name: d.str()}

	keys := make([]ConditionKey, d.uint())
	s.ConditionKeys = make(map[string]*ConditionKey, len(keys))
	for i := range keys {
		keys[i] = ConditionKey{Name: d.str(), Type: d.str()}
		s.ConditionKeys[asciiLower(keys[i].Name)] = &keys[i]
	}

	rts := make([]ResourceType, d.uint())
	s.ResourceTypes = make(map[string]*ResourceType, len(rts))
	for i := range rts {
		rt := &rts[i]
		rt.Name = d.str()
		rt.ARNs = d.list()
		rt.ConditionKeys = d.list()
		s.ResourceTypes[asciiLower(rt.Name)] = rt
	}

	actions := make([]Action, d.uint())
	s.sorted = make([]*Action, len(actions))
	for i := range actions {
		a := &actions[i]
		a.Service = s
		a.Name = d.str()
		if lvl := d.uint(); lvl < len(accessLevels) {
			a.AccessLevel = accessLevels[lvl]
		} else if d.err == nil {
			d.err = fmt.Errorf("%w: access level %d for %s:%s", errCorrupt, lvl, s.Prefix, a.Name)
		}
		a.ConditionKeys = d.list()
		a.DependentActions = d.list()
		if n := d.uint(); n > 0 && d.err == nil {
			if n > len(d.b)-d.off {
				d.err = fmt.Errorf("%w: %d resources for %s:%s", errCorrupt, n, s.Prefix, a.Name)
				return s
			}
			if cap(d.resPool)-len(d.resPool) < n {
				d.resPool = make([]ActionResource, 0, max(n, 4096))
			}
			start := len(d.resPool)
			d.resPool = d.resPool[:start+n]
			a.Resources = d.resPool[start : start+n : start+n]
			for j := range a.Resources {
				r := &a.Resources[j]
				if k := d.uint(); k < len(rts) {
					r.Type = &rts[k]
				} else if d.err == nil {
					d.err = fmt.Errorf("%w: resource type %d for %s:%s", errCorrupt, k, s.Prefix, a.Name)
				}
				r.Required = d.uint() == 1
				r.ConditionKeys = d.list()
				r.DependentActions = d.list()
			}
		}
		s.sorted[i] = a
	}
	return s
}

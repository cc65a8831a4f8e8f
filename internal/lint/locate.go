package lint

// locator finds the line and column of parts of a policy document.
type locator interface {
	// doc is the position of the document itself.
	doc() (line, col int)
	// stmt is the position of statement i (0-based).
	stmt(i int) (line, col int)
	// value is the position of the j-th value of element name in statement
	// i (the element itself when it holds a single value); j < 0 gives the
	// element's value as a whole.
	value(i int, name string, j int) (line, col int)
	// cond is the position of the value of condition op/key in statement i.
	cond(i int, op, key string) (line, col int)
}

// fixedLocator puts everything at one position: the string that holds a
// document inside another JSON file.
type fixedLocator struct{ line, col int }

func (f *fixedLocator) doc() (int, int)                   { return f.line, f.col }
func (f *fixedLocator) stmt(int) (int, int)               { return f.line, f.col }
func (f *fixedLocator) value(int, string, int) (int, int) { return f.line, f.col }
func (f *fixedLocator) cond(int, string, string) (int, int) {
	return f.line, f.col
}

// treeLocator locates parts of a document that is the whole text.
type treeLocator struct {
	data []byte
	root *node
}

func newTreeLocator(data []byte) locator {
	root, err := readTree(data)
	if err != nil {
		// Parse accepted the text, so this does not happen; point at the
		// start rather than fail.
		return &fixedLocator{line: 1, col: 1}
	}
	return &treeLocator{data: data, root: root}
}

func (t *treeLocator) at(n *node, fallback func() (int, int)) (int, int) {
	if n == nil {
		return fallback()
	}
	return lineColumn(t.data, n.off)
}

func (t *treeLocator) doc() (int, int) { return lineColumn(t.data, t.root.off) }

func (t *treeLocator) stmtNode(i int) *node {
	s := t.root.member("Statement")
	if s == nil {
		return nil
	}
	return s.item(i)
}

func (t *treeLocator) stmt(i int) (int, int) {
	return t.at(t.stmtNode(i), t.doc)
}

func (t *treeLocator) value(i int, name string, j int) (int, int) {
	el := t.stmtNode(i).member(name)
	if j >= 0 {
		el = el.item(j)
	}
	return t.at(el, func() (int, int) { return t.stmt(i) })
}

func (t *treeLocator) cond(i int, op, key string) (int, int) {
	c := t.stmtNode(i).member("Condition").member(op).member(key)
	return t.at(c, func() (int, int) { return t.value(i, "Condition", -1) })
}

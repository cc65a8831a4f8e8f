package policy

// Prepared is a request made ready to be evaluated against many policies:
// its action is lower-cased and its resource ARN split once, rather than
// once per policy. It reads the request it was prepared from, which must
// not change while the Prepared is in use. The zero value is not usable;
// call Prepare.
type Prepared struct {
	req *Request
	// action is req.Action made ready for matching action lists.
	action preparedAction
	// arn is req.Resource split (see splitARN).
	arn arnParts
}

// preparedAction is an action with what matchActions needs of it.
type preparedAction struct {
	raw   string
	ascii bool
	// lower holds the first n bytes of raw in lower case, colon is the
	// index of its first ':' (-1 when none); set when indexed is, for an
	// ASCII action of at most maxIndexedAction bytes (looked up in an
	// actionIndex).
	indexed  bool
	n, colon int
	lower    [maxIndexedAction]byte
}

// prepareAction fills a for action.
func (a *preparedAction) prepare(action string) {
	a.raw, a.ascii = action, isASCII(action)
	a.indexed = a.ascii && len(action) <= maxIndexedAction
	if !a.indexed {
		return
	}
	a.n, a.colon = len(action), -1
	for i := 0; i < len(action); i++ {
		c := action[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c == ':' && a.colon < 0 {
			a.colon = i
		}
		a.lower[i] = c
	}
}

// Prepare returns req made ready for evaluation. A nil req is an empty
// request.
func Prepare(req *Request) Prepared {
	if req == nil {
		req = &Request{}
	}
	p := Prepared{req: req, arn: splitARN(req.Resource)}
	p.action.prepare(req.Action)
	return p
}

// EvaluateInto is the package's EvaluateInto for the prepared request.
func (p *Prepared) EvaluateInto(ev *Evaluation, traces []StatementTrace, doc *Document, kind Kind) {
	p.evaluateInto(ev, traces, doc, kind)
}

// Decide is the package's Decide for the prepared request; it does not
// allocate where Decide does not.
func (p *Prepared) Decide(doc *Document, kind Kind) Decision {
	return p.decide(doc, kind)
}

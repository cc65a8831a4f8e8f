package decode

import (
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// The AccessDenied message formats are those of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html:
// "User: user is not authorized to perform: action on resource: resource
// because context", where context is "with an explicit deny in a TYPE" or
// "because no TYPE allows the ACTION action", and since 2026 an explicit deny
// may end with the denying policy's ARN ("…in a service control policy:
// arn:aws:organizations::…")
// (https://aws.amazon.com/blogs/security/enhanced-access-denied-error-messages-with-policy-arns).
// Services vary the wording; every regular expression here accepts any run of
// whitespace (a line break included) between words, so text wrapped by a
// terminal or Terraform at word boundaries reads the same.
var (
	// notAuthRE finds the denial sentence: "is not authorized to perform:",
	// CloudWatch Logs' "is not authorized to perform" without a colon, STS's
	// "Not authorized to perform sts:AssumeRoleWithWebIdentity".
	notAuthRE = regexp.MustCompile(`(?i)\bnot\s+authorized\s+to\s+perform\b\s*:?`)
	// thisOperationRE is EC2's generic "You are not authorized to perform
	// this operation.", which names nothing.
	thisOperationRE = regexp.MustCompile(`(?i)^\s*this\s+operation\b`)
	// subjectRE finds where the principal starts: "User: ", "User with
	// accountId: " (CloudWatch Logs), "federated user '".
	subjectRE = regexp.MustCompile(`(?i)\b(?:user\s+with\s+accountId\s*:|federated\s+user\s*:?\s*['"]|user\s*:)`)
	// onResourceRE follows the action: "on resource:", Logs' "on resource"
	// without colon; onThisResourceRE is KMS's "on this resource", which
	// does not name it.
	onResourceRE     = regexp.MustCompile(`(?i)^\s+on\s+resource\b\s*:?\s*`)
	onThisResourceRE = regexp.MustCompile(`(?i)^\s+on\s+this\s+resource\b`)
	// resourceEndRE ends a resource that is not an ARN ("on resource:
	// policy my-policy because …" from IAM, "on resource: my-secret").
	resourceEndRE = regexp.MustCompile(`(?i)\s+because\b|\s+with\s+an\s+explicit\s+deny|\s*\bEncoded\s+authorization|\s+\(Service\s*:|\s*\bstatus\s+code\b|\n|\.\s|\.$|,\s|["'` + "`" + `]|$`)

	explicitRE = regexp.MustCompile(`(?i)\bwith\s+an\s+explicit\s+deny(?:\s+in\s+(?:a|an|the)\s+(identity-based\s+polic(?:y|ies)|resource-based\s+polic(?:y|ies)|service\s+control\s+polic(?:y|ies)|resource\s+control\s+polic(?:y|ies)|permissions?\s+boundary(?:\s+polic(?:y|ies))?|sessions?\s+polic(?:y|ies)|VPC\s+endpoint\s+polic(?:y|ies)|(?:role\s+)?trust\s+polic(?:y|ies))(\s+transitively\s+through\s+a\s+service\s+control\s+policy)?)?`)
	implicitRE = regexp.MustCompile(`(?i)\bbecause\s+(?:no|the)\s+(identity-based|resource-based|service\s+control|resource\s+control|VPC\s+endpoint|sessions?|permissions?\s+boundary|(?:role\s+)?trust)(?:\s+polic(?:y|ies))?\s+allows?\b`)
	// kmsAmbiguousRE is KMS's "because the resource does not exist in this
	// Region, no resource-based policies allow access, or a resource-based
	// policy explicitly denies access": only the policy type is known.
	kmsAmbiguousRE = regexp.MustCompile(`(?i)\bno\s+resource-based\s+policies\s+allow\s+access\b`)

	reasonActionRE = regexp.MustCompile(`(?i)\ballows?\s+the\s+([A-Za-z0-9-]+:[A-Za-z0-9*]+)\s*action\b`)

	encodedRE = regexp.MustCompile(`(?i)\bEncoded\s+authorization\s+failure\s+message\s*:\s*`)

	// Wrappers that name the operation when the message does not name the
	// action: the Go SDK v2 ("operation error EC2: RunInstances,"), the AWS
	// CLI and boto3 ("when calling the RunInstances operation"), the Java
	// SDK ("(Service: AmazonEC2; Status Code: 403; …)", v2 "(Service: Ec2,
	// Status Code: 403, …)").
	goSDKRE    = regexp.MustCompile(`\boperation\s+error\s+([A-Za-z0-9][A-Za-z0-9 .-]{0,60}?)\s*:\s*([A-Za-z0-9]+)\s*,`)
	callingRE  = regexp.MustCompile(`(?i)\bwhen\s+calling\s+the\s+([A-Za-z0-9]+)\s+operation\b`)
	javaSDKRE  = regexp.MustCompile(`\(Service\s*:\s*([A-Za-z0-9][A-Za-z0-9 .-]{0,60}?)\s*[;,]\s*Status\s+Code\s*:`)
	denialRE   = regexp.MustCompile(`(?i)access\s*denied|unauthorized\s*operation|not\s+authorized|authorization\s*error|\bforbidden\b|access\s+to\s+the\s+resource\s+\S+\s+is\s+denied`)
	ansiRE     = regexp.MustCompile("\x1b\\[[0-9;?]*[A-Za-z]")
	linePrefRE = regexp.MustCompile(`(?m)^[ \t]*(?:[│╷╵]|>)[ \t]?`)

	// s3TransferRE is the AWS CLI's s3 commands' failure line: "upload
	// failed: ./f to s3://bucket/key An error occurred (AccessDenied) …",
	// "download failed: s3://bucket/key to ./f …", "copy failed: s3://a/k
	// to s3://b/k …", "delete failed: s3://bucket/key …". The object
	// written (the destination of an upload or copy, else the source) is
	// the resource of the denied call.
	s3TransferRE = regexp.MustCompile(`(?i)\b(upload|download|copy|move|delete|remove)\s+failed\s*:\s*(\S+)(?:\s+to\s+(\S+))?`)
	// sqsDeniedRE is SQS's "Access to the resource
	// https://sqs.us-east-1.amazonaws.com/123456789012/queue is denied."
	// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-responses.html):
	// the queue URL names region, account and queue.
	sqsDeniedRE = regexp.MustCompile(`(?i)\baccess\s+to\s+the\s+resource\s+https?://(?:sqs\.)?([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:queue\.)?amazonaws\.com(?:\.cn)?/(\d{12})/([A-Za-z0-9_-]{1,80}(?:\.fifo)?)\s+is\s+denied`)
)

// FromErrorText reads an AccessDenied or UnauthorizedOperation error exactly
// as printed: bare, or wrapped by the AWS CLI, boto3, the Go SDK, the Java
// SDK or Terraform; hard-wrapped by a terminal, quoted, JSON- or
// HTML-escaped. Principal, action and resource are kept as written (minus
// quotes). When the message does not name the action but the wrapper names
// the operation, the action is derived from the service and operation names
// and Missing says so.
func FromErrorText(text string) (*Request, error) {
	if len(text) > MaxInputSize {
		return nil, fmt.Errorf("%w: the error text is %d bytes, at most %d are read; paste only the error", ErrTooLarge, len(text), MaxInputSize)
	}
	s := normalizeText(text)
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("%w: paste the whole error, or give the principal and the action", ErrEmpty)
	}
	r := &Request{Source: SourceErrorText}
	p := &textParser{s: s, r: r}
	found := p.parseDenial()
	if r.Resource == "" && len(p.placeholders) == 0 {
		p.resourceFromURL()
	}
	r.EncodedMessage = p.encoded()
	r.AuthorizationID, r.AuthorizationRegion = authorizationID(s)
	if !found && r.EncodedMessage == "" && r.AuthorizationID == "" && !denialRE.MatchString(s) && reasonHint(s) == nil {
		return nil, fmt.Errorf("%w: paste the whole error, or give the principal and the action", ErrNoDenial)
	}
	if r.Hint == nil {
		// No "is not authorized to perform" sentence, or one without a
		// reason: a reason phrase elsewhere still says which layer.
		r.Hint = reasonHint(s)
	}
	if r.Action == "" {
		// "because no identity-based policy allows the iam:PassRole action"
		// names the action even where the sentence before it was cut.
		if m := reasonActionRE.FindStringSubmatch(s[p.end:]); m != nil {
			r.Action = m[1]
		}
	}
	p.deriveAction()
	for _, v := range p.placeholders {
		r.addMissing(fmt.Sprintf("a value: the text has the placeholder %q where a principal, account or resource was", v))
	}
	if r.Principal == "" {
		if r.Account != "" {
			r.addMissing("principal: the text names only the account " + r.Account)
		} else {
			r.addMissing("principal")
		}
	}
	if r.Resource == "" {
		if p.thisResource {
			r.addMissing(`resource: the text says only "this resource"`)
		} else {
			r.addMissing("resource")
		}
	}
	return r, nil
}

type textParser struct {
	s string
	r *Request
	// op is a bare operation name the denial sentence gave as its action
	// (CloudWatch Logs: "perform CreateLogStream").
	op           string
	thisResource bool
	// placeholders are values the text hides ("<arn here>"), reported in
	// Missing.
	placeholders []string
	// end is where the denial sentence's resource ended.
	end int
	// urlService is the service of a resource read from a URL of the
	// failed call itself (s3://, an SQS queue URL), "" otherwise.
	urlService string
}

// resourceFromURL reads the resource from the URL that the AWS CLI's s3
// commands or SQS print for the denied call, when no denial sentence named
// it.
func (p *textParser) resourceFromURL() {
	if m := sqsDeniedRE.FindStringSubmatch(p.s); m != nil {
		p.r.Resource = "arn:aws:sqs:" + strings.ToLower(m[1]) + ":" + m[2] + ":" + m[3]
		p.urlService = "sqs"
		return
	}
	m := s3TransferRE.FindStringSubmatch(p.s)
	if m == nil {
		return
	}
	url := m[2]
	if verb := strings.ToLower(m[1]); (verb == "upload" || verb == "copy" || verb == "move") && m[3] != "" {
		url = m[3]
	}
	bucketKey, ok := strings.CutPrefix(url, "s3://")
	if !ok || bucketKey == "" {
		return
	}
	bucketKey = strings.TrimRight(bucketKey, ".,;")
	p.r.Resource = "arn:aws:s3:::" + bucketKey
	p.urlService = "s3"
}

// parseDenial reads the first "not authorized to perform" sentence that names
// an action, and reports whether it found one.
func (p *textParser) parseDenial() bool {
	s := p.s
	for _, m := range notAuthRE.FindAllStringIndex(s, 64) {
		ms, me := m[0], m[1]
		if thisOperationRE.MatchString(s[me:]) {
			continue
		}
		i := skipSpace(s, me)
		action, end := readToken(s, i, isActionByte)
		action = strings.TrimRight(action, ".,;:")
		if action == "" || !plausibleAction(action) {
			continue
		}
		p.principal(ms)
		if strings.Contains(action, ":") {
			p.r.Action = action
		} else {
			p.op = action
		}
		p.end = end
		if loc := onResourceRE.FindStringIndex(s[end:]); loc != nil {
			p.resource(end + loc[1])
		} else if onThisResourceRE.MatchString(s[end:]) {
			p.thisResource = true
		}
		// The reason belongs to this sentence: look for it before the next
		// denial sentence.
		rest := s[p.end:min(len(s), p.end+4096)]
		if next := notAuthRE.FindStringIndex(rest); next != nil {
			rest = rest[:next[0]]
		}
		p.r.Hint = reasonHint(rest)
		return true
	}
	return false
}

// principal reads the caller between the subject ("User:") before the
// denial sentence at ms and the sentence itself. Whitespace inside is a line
// break from wrapping: principals hold no spaces.
func (p *textParser) principal(ms int) {
	lo := max(0, ms-4096)
	region := p.s[lo:ms]
	subs := subjectRE.FindAllStringIndex(region, -1)
	if len(subs) == 0 {
		// Some tools print the ARN without "User:" ("arn:aws:sts::…:
		// assumed-role/R/s is not authorized to perform: …").
		fields := strings.Fields(strings.TrimSuffix(strings.TrimRight(region, " \t\n"), "is"))
		if len(fields) > 0 {
			if last := trimQuotes(fields[len(fields)-1]); strings.HasPrefix(last, "arn:") {
				p.setPrincipal(last)
			}
		}
		return
	}
	last := subs[len(subs)-1]
	subject := region[last[0]:last[1]]
	between := region[last[1]:]
	// A federated-user subject ends on the opening quote: keep it for
	// trimming below.
	if strings.HasSuffix(subject, "'") || strings.HasSuffix(subject, `"`) {
		between = subject[len(subject)-1:] + between
	}
	between = strings.TrimSpace(between)
	between = strings.TrimSuffix(between, "is")
	between = strings.TrimSuffix(between, "Is")
	between = trimQuotes(strings.TrimSpace(between))
	between = joinWrapped(between)
	if between == "" || len(between) > 2048 {
		return
	}
	if strings.ContainsAny(between, " \t\n") {
		// Spaces are allowed only in a redaction inside an ARN.
		if tok, end := readARN(between, 0); !strings.HasPrefix(between, "arn:") || end != len(between) || tok != between {
			return
		}
	}
	if strings.Contains(strings.ToLower(subject), "accountid") {
		if placeholder(between) {
			p.placeholders = append(p.placeholders, between)
			return
		}
		p.r.Account = between
		return
	}
	p.setPrincipal(between)
}

func (p *textParser) setPrincipal(v string) {
	if placeholder(v) {
		p.placeholders = append(p.placeholders, v)
		return
	}
	p.r.Principal = v
}

// placeholderRE matches what people paste instead of a value they hide or do
// not have: "<arn here>", "<snip>", "<>", "{resource}", "...". A masked part
// inside an ARN ("arn:aws:iam::<ID>:role/x") is not one: the ARN is kept as
// written.
var placeholderRE = regexp.MustCompile(`^(?:<[^<>]*>|\{[^{}]*\}|\[[^\[\]]*\]|\.{2,}|…|\*+)$`)

func placeholder(v string) bool {
	return placeholderRE.MatchString(v)
}

// resource reads the resource starting at i.
func (p *textParser) resource(i int) {
	s := p.s
	if i >= len(s) {
		return
	}
	// S3 and some SDKs quote the resource: on resource: "arn:aws:s3:::b/k".
	if q := s[i]; q == '"' || q == '\'' || q == '`' {
		if j := strings.IndexByte(s[i+1:], q); j >= 0 && j < 4096 {
			p.setResource(joinWrapped(strings.TrimSpace(s[i+1 : i+1+j])))
			p.end = i + 1 + j + 1
			return
		}
		i++
	}
	if strings.HasPrefix(s[i:], "arn:") {
		tok, end := readARN(s, i)
		p.setResource(tok)
		p.end = end
		return
	}
	// A resource is short: look for its end in a bounded window.
	loc := resourceEndRE.FindStringIndex(s[i:min(len(s), i+4096)])
	if loc == nil { // resourceEndRE matches at the end of text at least.
		return
	}
	cand := strings.Join(strings.Fields(s[i:i+loc[0]]), " ")
	if len(strings.Fields(cand)) > 4 {
		tok, end := readToken(s, i, isARNByte)
		p.setResource(tok)
		p.end = end
		return
	}
	p.setResource(cand)
	p.end = i + loc[0]
}

func (p *textParser) setResource(v string) {
	if strings.HasSuffix(v, "...") || strings.HasSuffix(v, "…") {
		// "arn:aws:ec2:us-east-1:...": the person cut it; what is left
		// names another resource.
		p.placeholders = append(p.placeholders, v)
		return
	}
	v = trimResource(v)
	// "on resource: *" names every resource (actions that support only
	// "*"); "**" and "***" hide one.
	if v != "*" && placeholder(v) {
		p.placeholders = append(p.placeholders, v)
		return
	}
	p.r.Resource = v
}

// logsStreamRE is a CloudWatch Logs ARN that ends with an empty log stream
// or log group qualifier ("…:log-group:/aws/lambda/f:log-stream:"): Logs
// writes the trailing colon, which is part of the ARN
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html#amazoncloudwatchlogs-resources-for-iam-policies).
var logsStreamRE = regexp.MustCompile(`^arn:[a-z-]+:logs:[^:]*:[^:]*:log-group:[^:]*(?::log-stream)?:$`)

// trimResource is trimTrailing, keeping the trailing colon of a CloudWatch
// Logs ARN.
func trimResource(v string) string {
	t := trimTrailing(v)
	if t != v && logsStreamRE.MatchString(strings.TrimRight(v, ".,;\\")) {
		return strings.TrimRight(v, ".,;\\")
	}
	return t
}

// encoded returns the encoded authorization failure message, rejoined where a
// terminal wrapped it, or "" when the text holds none (or only a placeholder
// such as "...").
func (p *textParser) encoded() string {
	loc := encodedRE.FindStringIndex(p.s)
	if loc == nil {
		return ""
	}
	tok, end := readToken(p.s, loc[1], isEncodedByte)
	if len(tok) < 16 {
		return ""
	}
	// "g4oZPBqZ4Bni8dE5…": the person cut it; STS cannot decode a part.
	if rest := p.s[end:]; strings.HasPrefix(rest, "...") || strings.HasPrefix(rest, "…") {
		p.r.addMissing("encoded message: cut short in the text (it ends with an ellipsis)")
		return ""
	}
	return tok
}

// deriveAction fills Action from the operation a wrapper names when the
// message itself did not name the action, and records what it did.
func (p *textParser) deriveAction() {
	r := p.r
	if r.Action != "" {
		return
	}
	op, opFrom := p.op, "the message"
	var prefix, prefixFrom string
	// An operation and a service are put together only when they describe
	// the same call: the Go SDK names both; a bare operation in the message
	// takes the service of the Java SDK's "(Service: …)" that wraps that
	// message, or of the resource ARN. The AWS CLI's "when calling the X
	// operation" names the outer call, which may differ from the denied one
	// (SSM's GetParameter denied by KMS), so it is never given another
	// wrapper's service.
	if op == "" {
		if m := goSDKRE.FindStringSubmatch(p.s); m != nil {
			op, opFrom = m[2], "the Go SDK error"
			if pr := servicePrefix(m[1]); pr != "" {
				prefix, prefixFrom = pr, fmt.Sprintf("the service %q", m[1])
			}
		} else if m := callingRE.FindStringSubmatch(p.s); m != nil {
			op, opFrom = m[1], "the AWS CLI/boto3 error"
		}
	} else if m := javaSDKRE.FindStringSubmatch(p.s[p.end:]); m != nil {
		if pr := servicePrefix(m[1]); pr != "" {
			prefix, prefixFrom = pr, fmt.Sprintf("the service %q", m[1])
		}
	}
	if prefix == "" && p.urlService != "" {
		// The URL is the failed call's own (the s3 command's object, the
		// queue SQS named): its service is the operation's.
		prefix, prefixFrom = p.urlService, "the "+p.urlService+" URL in the text"
	}
	if prefix == "" && p.op != "" && r.Resource != "" {
		if svc := arnService(r.Resource); svc != "" {
			prefix, prefixFrom = svc, "the resource ARN"
		}
	}
	switch {
	case op == "":
		r.addMissing("action")
	case prefix == "":
		r.Operation = op
		r.addMissing(fmt.Sprintf("action: the text names the %s operation but not its service", op))
	default:
		action, renamed := actionFor(prefix, op)
		r.Action = action
		note := fmt.Sprintf("action: not in the text; %s derived from the %s operation (%s) and %s", action, op, opFrom, prefixFrom)
		if renamed {
			note += "; the IAM action of that operation has another name"
		}
		r.addMissing(note)
	}
}

// reasonHint reads the reason phrase of a denial.
func reasonHint(s string) *Hint {
	em := explicitRE.FindStringSubmatchIndex(s)
	im := implicitRE.FindStringSubmatchIndex(s)
	switch {
	case em != nil && (im == nil || em[0] < im[0]):
		h := &Hint{Kind: KindExplicitDeny}
		if em[2] >= 0 {
			h.Layer = layerName(s[em[2]:em[3]])
		}
		if em[4] >= 0 {
			// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
			// "Access denied when a VPC request fails due to another policy":
			// "…with an explicit deny in a VPC endpoint policy transitively
			// through a service control policy" means an SCP denied it.
			h.Layer = "scp"
		}
		h.PolicyARN = policyARNAfter(s, em[1])
		return h
	case im != nil:
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
		// documents "because the role trust policy allows the sts:AssumeRole
		// action" for an implicit deny by the trust policy: "the" is read
		// like "no".
		return &Hint{Kind: KindImplicitDeny, Layer: layerName(s[im[2]:im[3]])}
	case kmsAmbiguousRE.MatchString(s):
		return &Hint{Layer: "resource-policy"}
	}
	return nil
}

// layerName maps the policy type an error message names to a hint layer.
func layerName(t string) string {
	t = strings.ToLower(strings.Join(strings.Fields(t), " "))
	switch {
	case strings.HasPrefix(t, "identity-based"):
		return "identity-policy"
	case strings.HasPrefix(t, "resource-based"):
		return "resource-policy"
	case strings.HasPrefix(t, "service control"):
		return "scp"
	case strings.HasPrefix(t, "resource control"):
		return "rcp"
	case strings.HasPrefix(t, "permission"):
		return "permissions-boundary"
	case strings.HasPrefix(t, "session"):
		// The documentation's example says "a sessions policy".
		return "session-policy"
	case strings.HasPrefix(t, "vpc endpoint"):
		return LayerVPCEndpoint
	case strings.Contains(t, "trust"):
		return LayerRoleTrust
	}
	return ""
}

// policyARNAfter reads the denying policy's ARN that 2026 messages put after
// the policy type ("…in a service control policy: arn:aws:organizations::…"),
// followed possibly by a period, the policy name in parentheses or "Go to
// https://…".
func policyARNAfter(s string, i int) string {
	j := i
	for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n') {
		j++
	}
	if j >= len(s) || s[j] != ':' {
		return ""
	}
	j = skipSpace(s, j+1)
	if !strings.HasPrefix(s[j:], "arn:") {
		return ""
	}
	tok, _ := readARN(s, j)
	tok = trimTrailing(tok)
	// A cut-off paste ("…policy: arn:") leaves no ARN: a policy ARN has a
	// partition, service, (empty) region, account and resource part.
	if _, ok := policy.ParseARN(tok); !ok {
		return ""
	}
	return tok
}

// normalizeText undoes what happened to the text on its way to the user: ANSI
// colours, CRLF, JSON escaping (one or two levels), HTML entities, and the
// line prefixes of Terraform's diagnostics ("│ ") and of quoted mail or
// Markdown ("> ").
func normalizeText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0x1b) >= 0 {
		s = ansiRE.ReplaceAllString(s, "")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	for range 3 {
		if !strings.Contains(s, `\`) {
			break
		}
		u := unescapeJSONish(s)
		if u == s {
			break
		}
		s = u
	}
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	if strings.ContainsAny(s, "│╷╵>") {
		s = linePrefRE.ReplaceAllString(s, "")
	}
	return joinHardWrapped(s)
}

// joinHardWrapped joins the lines of a block that a terminal wrapped at a
// fixed width, inside words and ARNs alike: two or more consecutive lines of
// the same length (at least 60 characters), and the shorter line that ends
// the block.
func joinHardWrapped(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) < 3 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(lines); {
		w := utf8.RuneCountInString(lines[i])
		j := i + 1
		for w >= 60 && j < len(lines) && utf8.RuneCountInString(lines[j]) == w {
			j++
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		if j-i >= 2 {
			// lines[i:j] have width w; the next line, if shorter, ends
			// the wrapped block.
			if j < len(lines) && utf8.RuneCountInString(lines[j]) < w && strings.TrimSpace(lines[j]) != "" {
				j++
			}
			b.WriteString(strings.Join(lines[i:j], ""))
			// The break after the block is a real one: a blank line keeps
			// readToken from joining across it.
			if j < len(lines) {
				b.WriteByte('\n')
			}
			i = j
			continue
		}
		b.WriteString(lines[i])
		i++
	}
	return b.String()
}

// unescapeJSONish replaces the JSON escapes \" \' \\ \/ \n \t \r \uXXXX and
// leaves every other backslash alone.
func unescapeJSONish(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		switch n := s[i+1]; n {
		case '"', '\'', '\\', '/':
			b.WriteByte(n)
			i++
		case 'n':
			b.WriteByte('\n')
			i++
		case 't':
			b.WriteByte('\t')
			i++
		case 'r':
			i++
		case 'u':
			if i+6 <= len(s) {
				if v, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
					b.WriteRune(rune(v))
					i += 5
					continue
				}
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// stopWords start the text that follows a token; a line that continues with
// one of them was not wrapped inside the token.
var stopWords = map[string]bool{
	"because": true, "with": true, "on": true, "is": true, "encoded": true, "status": true,
	"error": true, "request": true, "requestid": true, "operation": true, "an": true, "the": true,
	"you": true, "user": true, "and": true, "for": true, "at": true, "in": true, "to": true,
	"go": true, "service": true, "exit": true, "api": true, "http": true, "https": true,
}

// readToken reads the run of bytes accepted by ok from i. Where the run
// reaches a line break that a terminal inserted (the line at least 40
// characters long, no space before the break, the next line continuing at
// once with a token byte, not with a stop word, and with a run that looks
// like a token's rest: it reaches the end of its line or holds a digit,
// colon, slash, dash or underscore), it goes on on the next line.
func readToken(s string, i int, ok func(byte) bool) (string, int) {
	var b strings.Builder
	for {
		j := i
		for j < len(s) && ok(s[j]) {
			j++
		}
		b.WriteString(s[i:j])
		if b.Len() > 64<<10 || j == i || j+1 >= len(s) || s[j] != '\n' || !ok(s[j+1]) {
			return b.String(), j
		}
		lineStart := strings.LastIndexByte(s[:j], '\n') + 1
		if utf8.RuneCountInString(s[lineStart:j]) < 40 {
			return b.String(), j
		}
		k := j + 1
		for k < len(s) && ok(s[k]) {
			k++
		}
		cont := s[j+1 : k]
		if stopWords[strings.ToLower(leadingWord(cont))] && leadingWord(cont) == cont {
			return b.String(), j
		}
		atEOL := k >= len(s) || s[k] == '\n'
		if !atEOL && !strings.ContainsAny(cont, "0123456789:/-_") {
			return b.String(), j
		}
		i = j + 1
	}
}

// redactionRE matches a redaction written with spaces inside an ARN
// ("arn:aws:sts:: ... :assumed-role/…", "arn:aws:sts::<account id>:…").
var redactionRE = regexp.MustCompile(`^(?: +(?:\.{2,}|…) +|<[^<>\n]{0,40}>)`)

// readARN reads an ARN from i like readToken, keeping as written the
// redactions people type with spaces inside it.
func readARN(s string, i int) (string, int) {
	var b strings.Builder
	for range 16 {
		tok, end := readToken(s, i, isARNByte)
		b.WriteString(tok)
		i = end
		rest := s[i:]
		if open := strings.LastIndexByte(tok, '<'); open >= 0 && !strings.Contains(tok[open:], ">") {
			// The token stopped at a space inside "<account id>".
			if j := strings.IndexByte(rest, '>'); j >= 0 && j < 40 && !strings.Contains(rest[:j], "\n") {
				b.WriteString(rest[:j+1])
				i += j + 1
				continue
			}
		}
		if strings.HasSuffix(tok, ":") {
			if m := redactionRE.FindString(rest); m != "" && i+len(m) < len(s) && isARNByte(s[i+len(m)]) {
				b.WriteString(m)
				i += len(m)
				continue
			}
		}
		break
	}
	return b.String(), i
}

// leadingWord returns the leading ASCII letters of s.
func leadingWord(s string) string {
	n := 0
	for n < len(s) && (s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z') {
		n++
	}
	return s[:n]
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
		i++
	}
	return i
}

// isActionByte accepts the bytes of "service:Action" (and of a bare
// operation name).
func isActionByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ':' || c == '-' || c == '_' || c == '*' || c == '.'
}

// plausibleAction rejects words that follow "not authorized to perform" but
// are not an action.
func plausibleAction(a string) bool {
	if len(a) > 256 {
		return false
	}
	svc, name, ok := strings.Cut(a, ":")
	if ok {
		return svc != "" && name != "" && !strings.Contains(name, ":")
	}
	// A bare operation name is CamelCase: "CreateLogStream".
	return len(a) > 2 && a[0] >= 'A' && a[0] <= 'Z' && strings.IndexFunc(a[1:], func(r rune) bool { return r >= 'a' && r <= 'z' }) >= 0 && !strings.ContainsAny(a, ".*")
}

// isARNByte accepts the bytes of an ARN or resource name, masked account ids
// included ("<ID>", "{account-id}"); quotes, backticks, spaces and parentheses
// that wrap an ARN in prose are not.
func isARNByte(c byte) bool {
	return c > ' ' && c < 0x7f && c != '"' && c != '\'' && c != '`' && c != '(' && c != ')'
}

// isEncodedByte accepts the bytes of an encoded authorization message (URL-
// safe base64).
func isEncodedByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// trimTrailing drops the punctuation that ends the sentence around a token,
// and a closing bracket that the token does not open (log stream names hold
// "[$LATEST]").
func trimTrailing(s string) string {
	s = strings.TrimRight(s, ".,;:\\")
	for strings.HasSuffix(s, "]") && strings.Count(s, "[") < strings.Count(s, "]") {
		s = strings.TrimRight(s[:len(s)-1], ".,;:\\")
	}
	return s
}

func trimQuotes(s string) string {
	return strings.Trim(s, "'\"`")
}

// joinWrapped removes the line breaks (and the spaces around them) that
// wrapping put inside a value that holds none.
func joinWrapped(s string) string {
	if !strings.Contains(s, "\n") {
		return s
	}
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			line = strings.TrimLeft(line, " \t")
		}
		b.WriteString(strings.TrimRight(line, " \t"))
	}
	return b.String()
}

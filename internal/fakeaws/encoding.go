package fakeaws

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/iamdiag/iamdiag/internal/layers"
)

// docText returns a snapshot policy document as the JSON text AWS stores:
// the object as written, or the text of a JSON string (URL-decoded when it
// is URL-encoded). It returns "" for an absent document.
func docText(r layers.RawPolicy) string {
	js := bytes.TrimSpace(r.JSON)
	if len(js) == 0 {
		return ""
	}
	if js[0] != '"' {
		return string(js)
	}
	var s string
	if err := json.Unmarshal(js, &s); err != nil {
		return string(js)
	}
	if t := strings.TrimSpace(s); len(t) >= 3 && strings.EqualFold(t[:3], "%7B") {
		// The snapshot holds it URL-encoded, as the raw IAM API does;
		// PathUnescape keeps a literal '+'.
		if dec, err := url.PathUnescape(t); err == nil {
			return dec
		}
	}
	return s
}

// urlEncode encodes a policy document as IAM returns it: "URL-encoded
// compliant with RFC 3986"
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html):
// every byte but the unreserved characters becomes %XX, so both
// url.PathUnescape and url.QueryUnescape decode it exactly.
func urlEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// encodedDoc is urlEncode(docText(r)), "" for an absent document.
func encodedDoc(r layers.RawPolicy) string {
	t := docText(r)
	if t == "" {
		return ""
	}
	return urlEncode(t)
}

// defaultDate stands for a date the snapshot does not hold: the SDK parses
// every date element, so one must be sent.
var defaultDate = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// dateLayouts are the forms dates take in snapshot files: the raw API's
// ISO 8601 and the AWS CLI's "2023-03-09 10:41:45+00:00".
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05.999999Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
}

// isoDate converts a snapshot date to the ISO 8601 form awsquery sends.
func isoDate(s string) string {
	return parseDate(s).UTC().Format("2006-01-02T15:04:05Z")
}

func parseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t
		}
	}
	return defaultDate
}

// Service default page sizes.
const (
	iamDefaultPage = 100 // MaxItems default (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRolePolicies.html)
	iamMaxPage     = 1000
	orgDefaultPage = 20 // MaxResults maximum (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListParents.html)
)

// page picks the window [start, end) of n items for a request with the
// client's limit (0: none) and continuation token (""), and returns the
// token of the next page ("" on the last). Tokens are opaque to clients and
// bound to the operation.
func (s *Server) page(rq *request, n, limit, def int, token string) (start, end int, next string, e *apiError) {
	size := def
	if limit > 0 {
		size = limit
	}
	if s.opts.PageSize > 0 && s.opts.PageSize < size {
		size = s.opts.PageSize
	}
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		op, off, ok := strings.Cut(string(raw), "|")
		i, aerr := strconv.Atoi(off)
		if err != nil || !ok || op != rq.op || aerr != nil || i < 0 || i > n {
			return 0, 0, "", invalidToken(rq)
		}
		start = i
	}
	end = min(start+size, n)
	if end < n {
		next = base64.RawURLEncoding.EncodeToString([]byte(rq.op + "|" + strconv.Itoa(end)))
	}
	return start, end, next, nil
}

func invalidToken(rq *request) *apiError {
	if rq.service == "organizations" {
		return &apiError{Code: "InvalidInputException", Message: "The NextToken is not valid (INVALID_PAGINATION_TOKEN)."}
	}
	return &apiError{Code: "ValidationError", Message: "Invalid Marker"}
}

package decode

import (
	"regexp"
	"strings"
)

// Since 2026-08 AccessDenied messages of supported services end with the
// authorization ID of AWS's record of the denial, twice: in a console link
// and in a sentence
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied-authorization-id.html):
//
//	… Go to https://us-east-1.console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/EXAMPLE1a2b3c4d5e
//	for complete details, or call the GetRequestAuthorizationDetails API with the following authorization id:
//	EXAMPLE1a2b3c4d5e
//
// The sentence is read first (words may be wrapped at any space); the link
// is the fallback, and gives the region the record lives in.
var (
	authIDSentenceRE = regexp.MustCompile(`(?i)\bauthorization\s+id\s*:\s*([0-9A-Za-z]+)`)
	authIDLinkRE     = regexp.MustCompile(`(?i)authorization-details/([0-9A-Za-z]+)`)
	authRegionRE     = regexp.MustCompile(`(?i)https://([a-z0-9-]+)\.console\.aws\.amazon\.com/iam/home\?region=([a-z0-9-]+)`)
)

// authorizationID returns the authorization ID and the region of the
// console link in s; "" for what s does not say. When both the sentence
// and the link hold an ID and one is the start of the other, a line break
// cut the shorter: the longer wins.
func authorizationID(s string) (id, region string) {
	var fromSentence, fromLink string
	if m := authIDSentenceRE.FindStringSubmatch(s); m != nil {
		fromSentence = m[1]
	}
	if m := authIDLinkRE.FindStringSubmatchIndex(s); m != nil {
		fromLink = s[m[2]:m[3]]
		// A link wrapped inside the ID: the rest of it starts the next
		// line, followed by " for complete details".
		if rest := s[m[3]:]; strings.HasPrefix(rest, "\n") {
			tail, end := readToken(rest, 1, isIDByte)
			if tail != "" && strings.HasPrefix(strings.TrimLeft(rest[end:], " \t\n"), "for ") {
				fromLink += tail
			}
		}
	}
	if m := authRegionRE.FindStringSubmatch(s); m != nil {
		region = m[2]
	}
	switch {
	case fromSentence == "":
		id = fromLink
	case fromLink != "" && len(fromLink) > len(fromSentence) && strings.HasPrefix(fromLink, fromSentence):
		id = fromLink
	default:
		id = fromSentence
	}
	return id, region
}

func isIDByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

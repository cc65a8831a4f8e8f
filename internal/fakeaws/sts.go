package fakeaws

import (
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
)

// stsOps are the STS operations served.
var stsOps = map[string]opHandler{
	"GetCallerIdentity":          (*Server).getCallerIdentity,
	"DecodeAuthorizationMessage": (*Server).decodeAuthorizationMessage,
}

type xCallerIdentity struct {
	UserId  string
	Account string
	Arn     string
}

type xDecoded struct{ DecodedMessage string }

// getCallerIdentity describes Options.CallerARN
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
func (s *Server) getCallerIdentity(*request) (any, *apiError) {
	arn := s.opts.CallerARN
	return xCallerIdentity{UserId: s.userID(arn), Account: accountOf(arn), Arn: arn}, nil
}

// userID is aws:userid of a caller ARN: ROLEID:SESSION for a role session,
// the user id for a user, the account for root
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable).
func (s *Server) userID(arn string) string {
	res := resourceOf(arn)
	typ, rest, _ := strings.Cut(res, "/")
	switch typ {
	case "assumed-role":
		role, sess, _ := strings.Cut(rest, "/")
		id := "AROAFAKEAWS" + fakeID(role)
		if r := s.iam.roles[strings.ToLower(role)]; r != nil && r.RoleID != "" {
			id = r.RoleID
		}
		return id + ":" + sess
	case "user":
		name := rest[strings.LastIndexByte(rest, '/')+1:]
		if u := s.iam.users[strings.ToLower(name)]; u != nil && u.UserID != "" {
			return u.UserID
		}
		return "AIDAFAKEAWS" + fakeID(name)
	case "federated-user":
		return accountOf(arn) + ":" + rest
	}
	return accountOf(arn)
}

// fakeID is a stable 10-character upper-case id suffix for name.
func fakeID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return strings.ToUpper(base32Alphabet(sum[:]))[:10]
}

func base32Alphabet(b []byte) string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(alpha[c&31])
	}
	return sb.String()
}

// Encode returns an encoded authorization message for decoded (the JSON
// that `aws sts decode-authorization-message` prints in DecodedMessage):
// an opaque token that this server's DecodeAuthorizationMessage turns back
// into decoded. Tokens of another server, or made up, are rejected with
// InvalidAuthorizationMessageException, as AWS rejects a corrupted message.
func (s *Server) Encode(decoded []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := sha256.New()
	h.Write([]byte(strconv.Itoa(len(s.tokens))))
	h.Write([]byte{0})
	h.Write(decoded)
	h.Write([]byte(s.url))
	// Real encoded messages are long base64url-like strings; a fixed
	// prefix keeps them recognisable in logs.
	tok := "fakeaws-" + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
	s.tokens[tok] = append([]byte(nil), decoded...)
	return tok
}

// decodeAuthorizationMessage returns what Encode was given
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html).
func (s *Server) decodeAuthorizationMessage(rq *request) (any, *apiError) {
	msg, e := required(rq, "EncodedMessage")
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	dec, ok := s.tokens[strings.TrimSpace(msg)]
	s.mu.Unlock()
	if !ok {
		return nil, &apiError{Code: "InvalidAuthorizationMessageException", Message: "The message is invalid or has expired."}
	}
	return xDecoded{DecodedMessage: string(dec)}, nil
}

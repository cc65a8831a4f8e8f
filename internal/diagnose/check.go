package diagnose

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/iamdiag/iamdiag/internal/catalog"
	"github.com/iamdiag/iamdiag/internal/decode"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// The checks of this file run on the decoded request before any evaluation:
// what the input says is read against AWS's Service Authorization Reference
// (internal/catalog), and inputs that cannot be evaluated as they are say
// what to give instead.

// operationAction fills the action of a request whose text named an
// operation but not its service, when exactly one service has an action of
// that name.
func operationAction(req *decode.Request) {
	if req.Action != "" || req.Operation == "" {
		return
	}
	as := catalog.ActionsNamed(req.Operation)
	if len(as) != 1 {
		return
	}
	req.Action = as[0].FullName()
	for i, m := range req.Missing {
		if strings.HasPrefix(m, "action:") {
			req.Missing[i] = fmt.Sprintf("action: not in the text; %s derived from the %s operation, which only %s has", req.Action, req.Operation, as[0].Service.Prefix)
		}
	}
}

// encodedOnly decodes the encoded message of an error text that names
// neither the caller nor the action (the console's "You are not authorized
// to perform this operation. Encoded authorization failure message: …"),
// when the sources can decode it.
func encodedOnly(ctx context.Context, req *decode.Request, src Sources) (*decode.Request, error) {
	if req.Source != decode.SourceErrorText || req.EncodedMessage == "" || req.Principal != "" || req.Action != "" || src.Decoder == nil {
		return req, nil
	}
	dec, err := decode.FromEncoded(ctx, src.Decoder, req.EncodedMessage)
	if err != nil {
		if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			return nil, err
		}
		kind := NotUnderstood
		if errors.Is(err, decode.ErrSTS) {
			kind = STS
		}
		return nil, &Error{Kind: kind, Field: FieldErrorText, Err: err}
	}
	return dec, nil
}

// unevaluable explains why a request that lacks its caller or action cannot
// be evaluated when the input itself shows why: the text holds only an
// encoded message, names an operation several services have, or is a web
// identity's or SAML assertion's denial, which only the role's trust policy
// decides. It returns nil otherwise.
func unevaluable(in *decode.Request, missing []Field) error {
	field := FieldNone
	switch in.Source {
	case decode.SourceErrorText:
		field = FieldErrorText
	case decode.SourceCloudTrail:
		field = FieldCloudTrail
	case decode.SourceDecodedMessage:
		field = FieldDecodedMessage
	}
	switch {
	case in.Principal == "" && federatedAssume(in.Action):
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html
		// and …/id_roles_providers_saml.html: the caller presents a
		// token or an assertion, not AWS credentials; the role's trust
		// policy alone allows or denies it.
		role := "the role"
		if in.Resource != "" {
			role = in.Resource
		}
		return &Error{Kind: Incomplete, Field: field, Err: fmt.Errorf("%s is called with a web identity token or SAML assertion, not by an IAM principal, so there is no caller to diagnose: the trust policy of %s decides it alone. Check that its Principal names the identity provider (Federated) and that its conditions on the token's claims (aud, sub, amr) match the token (`aws iam get-role --role-name NAME --query Role.AssumeRolePolicyDocument`); iamdiag does not evaluate trust policies. See https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html", in.Action, role)}
	case in.Action == "" && in.Operation != "":
		as := catalog.ActionsNamed(in.Operation)
		if len(as) == 0 {
			return &Error{Kind: Incomplete, Field: field, Missing: missing, Err: fmt.Errorf("the text names the %s operation but not its service", in.Operation)}
		}
		names := make([]string, len(as))
		for i, a := range as {
			names[i] = a.FullName()
		}
		return &Error{Kind: Incomplete, Field: field, Missing: missing, Err: fmt.Errorf("the text names the %s operation but not its service, and %d services have an action of that name (%s)", in.Operation, len(as), strings.Join(names, ", "))}
	case in.Principal == "" && in.Action == "" && in.EncodedMessage != "" && in.Source != decode.SourceEncodedMessage:
		return &Error{Kind: Incomplete, Field: field, Missing: missing, Want: FieldEncodedMessage, Err: errors.New("the text holds only an encoded authorization message, which names both once decoded (sts:DecodeAuthorizationMessage)")}
	}
	return nil
}

// federatedAssume reports whether action is one that a web identity or a
// SAML assertion calls.
func federatedAssume(action string) bool {
	return strings.EqualFold(action, "sts:AssumeRoleWithWebIdentity") || strings.EqualFold(action, "sts:AssumeRoleWithSAML")
}

// checkAction reads the action and resource against the catalog. An action
// the person typed (explicit) that the catalog does not know but that is one
// edit or two from a known one of the same service is a typo: an Invalid
// error with the suggestion. Any other unknown action is a warning, since
// the catalog ages and AWS adds actions. A resource ARN that fits none of the
// action's resource types is a warning. caveat, for an unknown action, is
// what the verdict's first line must say about it.
func checkAction(action, resource string, explicit bool) (warnings []string, caveat string, err error) {
	a, ok := catalog.Lookup(action)
	if !ok {
		if strings.ContainsAny(action, "*?") {
			return nil, "", nil
		}
		s, close := catalog.Suggest(action)
		svc, _, _ := strings.Cut(action, ":")
		if close && explicit && strings.HasPrefix(strings.ToLower(s), strings.ToLower(svc)+":") {
			return nil, "", &Error{Kind: Invalid, Field: FieldAction, Err: fmt.Errorf("%s is not an action in AWS's Service Authorization Reference: did you mean %s?", action, s)}
		}
		w := fmt.Sprintf("%s is not an action in AWS's Service Authorization Reference as of the catalog iamdiag carries (%s)", action, catalog.Version())
		if close {
			w += ": did you mean " + s + "?"
		} else {
			w += ": if AWS added it since, the verdict stands; otherwise check its spelling"
		}
		return []string{w}, action + " is unknown to the service catalog iamdiag carries (see the warnings)", nil
	}
	if resource == "" || resource == "*" || !strings.HasPrefix(resource, "arn:") || a.Fits(resource) {
		return nil, "", nil
	}
	types := a.ResourceTypeNames()
	if len(types) == 0 {
		return []string{fmt.Sprintf("%s is authorized against \"*\" only, not a resource: the resource %s is not what AWS evaluates", a.FullName(), resource)}, "", nil
	}
	if len(types) > 4 {
		types = append(types[:4:4], "…")
	}
	return []string{fmt.Sprintf("the resource %s fits none of the resource types %s is authorized against (%s): check the ARN's service and resource type", resource, a.FullName(), strings.Join(types, ", "))}, "", nil
}

// nonARNResource reads a resource that is not an ARN ("prod/db/password",
// as Secrets Manager prints a secret's name): it is never evaluated or
// written into a fix as written. It returns the warning that says what ARN
// it stands for, or "" when the resource is an ARN or "*".
func nonARNResource(in *decode.Request) string {
	r := in.Resource
	if r == "" || r == "*" || strings.HasPrefix(r, "arn:") {
		return ""
	}
	account := in.Account
	if account == "" {
		if a, ok := policy.ParseARN(in.Principal); ok && policy.IsAccountID(a.Account) {
			account = a.Account
		}
	}
	if account == "" {
		account = "ACCOUNT"
	}
	var pattern string
	svc, _, _ := strings.Cut(in.Action, ":")
	switch strings.ToLower(svc) {
	case "secretsmanager":
		// A secret's ARN ends with a dash and six random characters
		// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html#iam-resources).
		pattern = "arn:aws:secretsmanager:REGION:" + account + ":secret:" + r + "-??????"
	case "ssm":
		// A parameter's ARN drops the leading slash of a hierarchical
		// name (https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html).
		pattern = "arn:aws:ssm:REGION:" + account + ":parameter/" + strings.TrimPrefix(r, "/")
	}
	w := fmt.Sprintf("the input names the resource %q, which is not an ARN: evaluated as unknown (against \"*\")", r)
	if pattern != "" {
		w += "; it stands for " + pattern
	}
	return w + "; give the resource's ARN for an exact answer"
}

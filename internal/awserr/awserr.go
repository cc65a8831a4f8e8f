// Package awserr classifies the errors AWS services return by their error
// code: which codes reject the caller's credentials and which refuse a
// permission. It reads the code with errors.As into smithy.APIError, never
// by matching message text (the AWS SDK for Go v2 developer guide, "Handling
// errors": https://docs.aws.amazon.com/sdk-for-go/v2/developer-guide/handle-errors.html).
package awserr

import (
	"errors"

	"github.com/aws/smithy-go"
)

// credentialCodes are the error codes by which AWS services reject the
// caller's credentials rather than its permissions
// (https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html,
// https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html).
var credentialCodes = map[string]bool{
	"ExpiredToken": true, "ExpiredTokenException": true, "RequestExpired": true,
	"InvalidClientTokenId": true, "UnrecognizedClientException": true,
	"SignatureDoesNotMatch": true, "InvalidSignatureException": true,
	"IncompleteSignature": true, "MissingAuthenticationToken": true,
	"InvalidToken": true, "TokenRefreshRequired": true, "AuthFailure": true,
}

// IsCredential reports whether an AWS error code rejects the caller's
// credentials themselves (expired, invalid, unsigned) rather than a
// permission.
func IsCredential(code string) bool {
	return credentialCodes[code]
}

// Code returns the AWS error code of err, "" when err is not an AWS API
// error.
func Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// IsDenied reports whether an AWS error code says the caller lacks a
// permission.
func IsDenied(code string) bool {
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "Forbidden":
		return true
	}
	return false
}

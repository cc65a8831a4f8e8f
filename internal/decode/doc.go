// Package decode turns whatever an on-call engineer has in hand into a
// Request: the flags they typed, an AccessDenied/UnauthorizedOperation error
// text exactly as a CLI, an SDK, Terraform or the console printed it, a
// CloudTrail record, the output of `aws sts decode-authorization-message`, or
// an encoded authorization failure message decoded through STS.
//
// A Request says only what the input said. Nothing is guessed: what the
// input did not say is left empty and listed in Request.Missing, and a value
// derived from something else (an IAM action built from an SDK operation
// name, say) is said so there too.
//
// Every input is untrusted: it is size-limited (MaxInputSize), parsed with
// linear-time regular expressions and never panics.
package decode

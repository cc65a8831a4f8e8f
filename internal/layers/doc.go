// Package layers gathers the policy layers that apply to one request: the
// caller's identity-based policies, permissions boundary and session
// policies, the SCPs and RCPs on the organization path, and the resource's
// resource-based policy, each with where it came from.
//
// Sources:
//   - a snapshot file (format iamdiag-snapshot/v1, or a bare
//     `aws iam get-account-authorization-details` output): Load, LoadFile and
//     Snapshot.Layers;
//   - ad-hoc policy files for "what if" questions: FromFiles;
//   - the live account through the AWS SDK: NewLive and Live.Layers, which
//     return what Snapshot.Layers would for the same account data, and
//     Capture, which writes that data into a Snapshot.
//
// Every source produces a *policy.Layers. A layer a source cannot read is
// marked unreadable with a reason, never returned silently empty.
package layers

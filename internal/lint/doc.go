// Package lint checks IAM policy documents before they are deployed: the
// prevention half of iamdiag. It finds grants that turn a stolen session into
// an account compromise (wildcard actions, ec2:RunInstances or iam:PassRole on
// every resource, known privilege-escalation combinations), statements AWS
// would reject or silently read otherwise (unknown actions and condition keys,
// invalid ARNs, policy variables without Version 2012-10-17, elements the
// policy type does not allow, documents over AWS's size quotas), and renders
// the findings as text, JSON or SARIF 2.1.0 for code-scanning tools.
//
// Every finding names its rule, severity, file position and statement, says
// why it matters (with the AWS documentation page or the incident that
// motivated it) and how to fix it.
package lint

package cases

import (
	"github.com/iamdiag/iamdiag/internal/simulate"
	"github.com/iamdiag/iamdiag/internal/simulate/corpus"
)

// Context inference, missing keys, and the incident the project started
// from (../../../../../shared/seed/incident.md, not part of the repository).

func inferenceCases(add adder) {
	self := func(desc, cond string, docs ...string) *Case {
		return roleSession(desc, docs...).call("s3:GetObject", object).identity(managed("Self", doc(
			`{"Sid": "Self", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": `+cond+`}`)))
	}
	add("infer-principalarn", self("aws:PrincipalArn is the role ARN, inferred from the caller",
		`{"StringEquals": {"aws:PrincipalArn": "`+roleARN+`"}}`, docGlobalKeys).allowed().inferred("aws:PrincipalArn", roleARN))
	add("infer-principalarn-not-session-arn", self("aws:PrincipalArn is the role ARN, never the session ARN",
		`{"StringEquals": {"aws:PrincipalArn": "`+sessARN+`"}}`, docGlobalKeys).implicit(idCond(lIdentity, "aws:PrincipalArn")).inferred("aws:PrincipalArn", roleARN))
	path := self("aws:PrincipalArn keeps the role's path", `{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::`+acct+`:role/teams/*"}}`, docGlobalKeys, docARNs)
	path.Principal.IAMARN = "arn:aws:iam::" + acct + ":role/teams/platform/AppRole"
	add("infer-principalarn-with-path", path.allowed().inferred("aws:PrincipalArn", path.Principal.IAMARN))
	tag := self("aws:PrincipalTag/team comes from the role's tags", `{"StringEquals": {"aws:PrincipalTag/team": "platform"}}`, docGlobalKeys, docTags)
	tag.Principal.Tags = map[string]string{"team": "platform", "cost-center": "42"}
	add("infer-principaltag", tag.allowed().inferred("aws:PrincipalTag/team", "platform"))
	wrongTag := self("aws:PrincipalTag/team comes from the role's tags: another team", `{"StringEquals": {"aws:PrincipalTag/team": "payments"}}`, docGlobalKeys, docTags)
	wrongTag.Principal.Tags = map[string]string{"team": "platform"}
	add("infer-principaltag-mismatch", wrongTag.implicit(idCond(lIdentity, "aws:PrincipalTag/team")).inferred("aws:PrincipalTag/team", "platform"))
	add("infer-principalaccount", self("aws:PrincipalAccount is the caller's account", `{"StringEquals": {"aws:PrincipalAccount": "`+acct+`"}}`, docGlobalKeys).
		allowed().inferred("aws:PrincipalAccount", acct))
	org := self("aws:PrincipalOrgID is the organization of a member account's caller", `{"StringEquals": {"aws:PrincipalOrgID": "`+orgID+`"}}`, docGlobalKeys).inOrg()
	add("infer-principalorgid", org.allowed().inferred("aws:PrincipalOrgID", orgID))

	region := func(desc, action, resource string) *Case {
		return roleSession(desc, docGlobalKeys).call(action, resource).identity(managed("USEast1", doc(
			`{"Sid": "USEast1", "Effect": "Allow", "Action": "`+action+`", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}`)))
	}
	add("infer-requestedregion-from-arn", region("aws:RequestedRegion is the region of a regional resource ARN", "ec2:RunInstances", instance).
		allowed().inferred("aws:RequestedRegion", "us-east-1"))
	add("infer-requestedregion-other-region", region("aws:RequestedRegion from the ARN: eu-west-1 fails a us-east-1 condition",
		"ec2:RunInstances", "arn:aws:ec2:eu-west-1:"+acct+":instance/*").
		implicit(idCond(lIdentity, "aws:RequestedRegion")).inferred("aws:RequestedRegion", "eu-west-1"))
	add("infer-requestedregion-s3-arn", region("an S3 object ARN has no region: aws:RequestedRegion is missing", "s3:GetObject", object).
		implicit(idCond(lIdentity, "aws:RequestedRegion")).missing("aws:RequestedRegion"))
	add("infer-requestedregion-no-resource", region("a call without a resource ARN: aws:RequestedRegion is missing", "ec2:DescribeInstances", "*").
		implicit(idCond(lIdentity, "aws:RequestedRegion")).missing("aws:RequestedRegion"))
	add("infer-given-value-wins", region("a region given in the request wins over the resource ARN", "ec2:RunInstances", instance).
		ctx("aws:RequestedRegion", "eu-west-1").implicit(idCond(lIdentity, "aws:RequestedRegion")))

	keys := func(desc string, docs ...string) *Case {
		return roleSession(desc, docs...).call("ec2:RunInstances", instance).identity(managed("Sized", doc(
			`{"Sid": "Sized", "Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*",
			  "Condition": {"StringEquals": {"ec2:InstanceType": ["t3.medium", "t3.large"]}, "ArnLike": {"ec2:Vpc": "arn:aws:ec2:us-east-1:`+acct+`:vpc/vpc-0abc1234"}}}`)))
	}
	add("missing-two-service-keys", keys("two service keys tested and absent: both reported missing", docEC2Keys, docCondOps).
		implicit(idCond(lIdentity, "ec2:InstanceType", "ec2:Vpc")).missing("ec2:InstanceType", "ec2:Vpc"))
	add("missing-one-service-key", keys("one of two keys given: the other is reported missing", docEC2Keys, docCondOps).
		ctx("ec2:InstanceType", "t3.medium").implicit(idCond(lIdentity, "ec2:Vpc")).missing("ec2:Vpc"))
	add("missing-none", keys("every tested key given", docEC2Keys).
		ctx("ec2:InstanceType", "t3.large", "ec2:Vpc", "arn:aws:ec2:us-east-1:"+acct+":vpc/vpc-0abc1234").allowed().missing())
	add("missing-in-deny-statement", roleSession("a Deny whose key is absent does not apply; the key is reported missing", docCondOps, docEC2Keys).
		call("ec2:RunInstances", instance).identity(managed("NoGPUs", doc(allowAllStmt,
		`{"Sid": "NoGPUs", "Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*", "Condition": {"StringLike": {"ec2:InstanceType": ["p4d.*", "p5.*"]}}}`))).
		allowed().missing("ec2:InstanceType"))
}

// The incident: MyFederatedRole's session cannot call ec2:RunInstances.
const (
	incAccount = "123456789012"
	incRole    = "arn:aws:iam::" + incAccount + ":role/MyFederatedRole"
	incSession = "arn:aws:sts::" + incAccount + ":assumed-role/MyFederatedRole/session-name"
	incInst    = "arn:aws:ec2:us-east-1:" + incAccount + ":instance/*"
)

func incident(desc string, docs ...string) *Case {
	return &Case{Case: corpus.Case{
		Description: desc, Doc: append(docs, docTroubleshoot),
		Request:   Request{Principal: incSession, Action: "ec2:RunInstances", Resource: incInst},
		Principal: &Principal{IAMARN: incRole, Account: incAccount, Type: "AssumedRole", SessionName: "session-name"},
		Org:       &Org{ID: orgID, ManagementAccount: mgmt},
		SCP: []Level{
			{Target: rootID, Type: "ROOT", Name: "Root", Policies: pols(fullAWSAccess())},
			{Target: ouID, Type: "ORGANIZATIONAL_UNIT", Name: "Workloads", Policies: pols(fullAWSAccess())},
			{Target: incAccount, Type: "ACCOUNT", Policies: pols(fullAWSAccess())},
		},
	}}
}

func incPolicy(name, stmts string) Pol {
	return Pol{Name: name, ARN: "arn:aws:iam::" + incAccount + ":policy/" + name, Origin: "role/MyFederatedRole", Document: raw(doc(stmts))}
}

const incRunStmt = `{"Sid": "AllowRun", "Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:DescribeImages", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeKeyPairs", "ec2:CreateTags"], "Resource": "*"}`

const incLeastPrivilege = `{"Sid": "AllowScopedEC2Launch", "Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:CreateTags"],
  "Resource": ["arn:aws:ec2:us-east-1:` + incAccount + `:instance/*", "arn:aws:ec2:us-east-1:` + incAccount + `:subnet/subnet-0abc1234",
    "arn:aws:ec2:us-east-1::image/ami-*", "arn:aws:ec2:us-east-1:` + incAccount + `:security-group/sg-0abc1234",
    "arn:aws:ec2:us-east-1:` + incAccount + `:network-interface/*", "arn:aws:ec2:us-east-1:` + incAccount + `:volume/*"],
  "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1", "ec2:InstanceType": ["t3.medium", "t3.large", "m5.xlarge"]},
    "StringLike": {"ec2:Vpc": "arn:aws:ec2:us-east-1:` + incAccount + `:vpc/vpc-0abc1234"}}}`

func scenarioCases(add adder) {
	const denyARN = "arn:aws:organizations::" + mgmt + ":policy/" + orgID + "/service_control_policy/p-denyec2"
	seed := incident("the seed incident: an SCP on the Workloads OU denies ec2:* while the role allows ec2:RunInstances", docSCPEval)
	seed.Identity = pols(incPolicy("RunInstances", incRunStmt))
	seed.SCP[1].Policies = append(seed.SCP[1].Policies, scpPol("p-denyec2", "DenyEC2", doc(denyEC2)))
	add("incident-scp-on-ou-denies-ec2", seed.explicit(xdAt(lSCP, denyARN, "NoEC2", ouID)).layer(lIdentity, simulate.LayerAllow))

	miss := incident("the incident, cause 1: the role's policy grants s3:GetObject but not ec2:RunInstances", docEvalLogic)
	miss.Identity = pols(incPolicy("ReadS3", `{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}`))
	add("incident-missing-allow", miss.implicit(id(lIdentity)).layer(lSCP, simulate.LayerAllow))

	gap := incident("the incident, cause 3: a permissions boundary without ec2:RunInstances caps the role", docBoundaries)
	gap.Identity = pols(incPolicy("RunInstances", incRunStmt))
	gap.Boundary = &Pol{Name: "DeveloperBoundary", ARN: "arn:aws:iam::" + incAccount + ":policy/DeveloperBoundary", Document: raw(doc(
		`{"Sid": "ReadOnly", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "ec2:Describe*"], "Resource": "*"}`))}
	add("incident-boundary-gap", gap.implicit(Blocker{Layer: lBoundary, Kind: simulate.BlockerImplicitDeny.String(), Policy: str("arn:aws:iam::" + incAccount + ":policy/DeveloperBoundary")}))

	all := incident("the incident with all three causes at once: SCP deny first, then the missing allow, then the boundary", docDenyAllow, docSCPEval, docBoundaries)
	all.Identity = pols(incPolicy("ReadS3", `{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}`))
	all.Boundary = gap.Boundary
	all.SCP[1].Policies = append(all.SCP[1].Policies, scpPol("p-denyec2", "DenyEC2", doc(denyEC2)))
	add("incident-all-three-causes", all.explicit(xdAt(lSCP, denyARN, "NoEC2", ouID), id(lIdentity), id(lBoundary)))

	fixed := incident("the incident's SCP fix: the Deny now spares MyFederatedRole through aws:PrincipalARN", docSCPExamples, docGlobalKeys)
	fixed.Identity = pols(incPolicy("RunInstances", incRunStmt))
	fixed.SCP[1].Policies = append(fixed.SCP[1].Policies, scpPol("p-denyec2", "DenyEC2", doc(
		`{"Sid": "NoEC2", "Effect": "Deny", "Action": "ec2:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalARN": ["`+incRole+`"]}}}`)))
	add("incident-scp-fixed-with-exception", fixed.allowed().inferred("aws:PrincipalArn", incRole))

	lp := func(desc string) *Case {
		c := incident(desc, docCondOps, docEC2Keys)
		c.Identity = pols(incPolicy("ScopedLaunch", incLeastPrivilege))
		return c
	}
	add("incident-least-privilege-match", lp("the incident's least-privilege policy: t3.medium in the approved VPC").
		ctx("ec2:InstanceType", "t3.medium", "ec2:Vpc", "arn:aws:ec2:us-east-1:"+incAccount+":vpc/vpc-0abc1234").allowed())
	add("incident-least-privilege-instance-type", lp("the incident's least-privilege policy: a p4d.24xlarge is not an approved type").
		ctx("ec2:InstanceType", "p4d.24xlarge", "ec2:Vpc", "arn:aws:ec2:us-east-1:"+incAccount+":vpc/vpc-0abc1234").
		implicit(idCond(lIdentity, "ec2:InstanceType")))
	add("incident-least-privilege-other-vpc", lp("the incident's least-privilege policy: another VPC").
		ctx("ec2:InstanceType", "t3.large", "ec2:Vpc", "arn:aws:ec2:us-east-1:"+incAccount+":vpc/vpc-0def5678").
		implicit(idCond(lIdentity, "ec2:Vpc")))
	add("incident-least-privilege-missing-keys", lp("the incident's least-privilege policy: the error text gives no instance type or VPC").
		implicit(idCond(lIdentity, "ec2:InstanceType", "ec2:Vpc")).missing("ec2:InstanceType", "ec2:Vpc"))
	west := lp("the incident's least-privilege policy: an instance in us-west-2 matches no listed resource")
	west.Request.Resource = "arn:aws:ec2:us-west-2:" + incAccount + ":instance/*"
	add("incident-least-privilege-other-region", west.ctx("ec2:InstanceType", "t3.medium").implicit(id(lIdentity)))
}

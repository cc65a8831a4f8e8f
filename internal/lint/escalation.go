package lint

import (
	"fmt"
	"strings"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// escalationPath is a set of permissions that together let the holder gain
// more than they grant, from Rhino Security Labs' catalogue of AWS IAM
// privilege-escalation methods
// (https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/)
// and the incident write-up ("ec2:RunInstances + iam:PassRole is a full
// account compromise vector").
type escalationPath struct {
	actions []string
	how     string
}

var escalationPaths = []escalationPath{
	{[]string{"iam:CreatePolicyVersion"}, "write a new default version of a managed policy it is attached to"},
	{[]string{"iam:SetDefaultPolicyVersion"}, "switch a managed policy it is attached to to a more permissive version"},
	{[]string{"iam:CreateAccessKey"}, "create access keys for a more privileged user"},
	{[]string{"iam:CreateLoginProfile"}, "set a console password on a more privileged user"},
	{[]string{"iam:UpdateLoginProfile"}, "change the console password of a more privileged user"},
	{[]string{"iam:AttachUserPolicy"}, "attach AdministratorAccess to a user"},
	{[]string{"iam:AttachGroupPolicy"}, "attach AdministratorAccess to a group"},
	{[]string{"iam:AttachRolePolicy"}, "attach AdministratorAccess to a role"},
	{[]string{"iam:PutUserPolicy"}, "write an inline admin policy on a user"},
	{[]string{"iam:PutGroupPolicy"}, "write an inline admin policy on a group"},
	{[]string{"iam:PutRolePolicy"}, "write an inline admin policy on a role"},
	{[]string{"iam:AddUserToGroup"}, "join a more privileged group"},
	{[]string{"iam:UpdateAssumeRolePolicy", "sts:AssumeRole"}, "let itself assume any role"},
	{[]string{"iam:PassRole", "ec2:RunInstances"}, "launch an instance with a privileged instance profile and read its credentials from the metadata service"},
	{[]string{"iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"}, "run code as any role through a new Lambda function"},
	{[]string{"iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"}, "run code as any role through a new Lambda function triggered by an event source"},
	{[]string{"lambda:UpdateFunctionCode"}, "replace the code of a function that runs as a more privileged role"},
	{[]string{"iam:PassRole", "glue:CreateDevEndpoint"}, "open a Glue development endpoint as any role"},
	{[]string{"glue:UpdateDevEndpoint"}, "add its SSH key to an existing Glue development endpoint"},
	{[]string{"iam:PassRole", "cloudformation:CreateStack"}, "create a stack that acts as any role"},
	{[]string{"iam:PassRole", "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition"}, "run commands as any role through a data pipeline"},
	{[]string{"iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"}, "run a container as any role"},
	{[]string{"iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild"}, "run a build as any role"},
	{[]string{"iam:PassRole", "sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"}, "open a notebook that runs as any role"},
}

// checkEscalation: IAMD007, once per identity policy, listing every path
// whose actions the policy allows on every resource. A policy that allows
// "*" is reported by IAMD002 instead.
func (c *checker) checkEscalation() {
	if c.kind != Identity {
		return
	}
	for i := range c.doc.Statements {
		if st := &c.doc.Statements[i]; st.Effect == policy.Allow && contains(st.Action, "*") {
			return
		}
	}
	var found []string
	first := -1
	for _, p := range escalationPaths {
		at := -1
		ok := true
		for _, a := range p.actions {
			i := c.grantsBroadly(a)
			if i < 0 {
				ok = false
				break
			}
			if at < 0 {
				at = i
			}
		}
		if !ok {
			continue
		}
		if first < 0 {
			first = at
		}
		found = append(found, fmt.Sprintf("%s (%s)", strings.Join(p.actions, " + "), p.how))
	}
	if len(found) == 0 {
		return
	}
	st := &c.doc.Statements[first]
	l, cl := c.loc.stmt(first)
	c.add(l, cl, RuleEscalation, st,
		fmt.Sprintf("the policy allows %d privilege-escalation path(s) on every resource: %s", len(found), strings.Join(found, "; ")),
		"Scope each of these actions to the named resources the workload needs (roles, users, policies, functions), "+
			"add iam:PassedToService and iam:PolicyARN conditions, or move them to a separate, tightly held role.")
}

// grantsBroadly returns the index of the first Allow statement that grants
// action on every resource, -1 when none does or an unconditional Deny on
// every resource takes it away. A statement restricted by iam:PolicyARN or
// iam:PermissionsBoundary (AWS's pattern for safe delegation) does not count.
func (c *checker) grantsBroadly(action string) int {
	for i := range c.doc.Statements {
		st := &c.doc.Statements[i]
		if st.Effect == policy.Deny && !hasCondition(st) && st.CoversAction(action) && (hasBroad(st.Resource) || st.NotResource != nil) {
			return -1
		}
	}
	for i := range c.doc.Statements {
		st := &c.doc.Statements[i]
		if st.Effect != policy.Allow || !st.CoversAction(action) || !(hasBroad(st.Resource) || st.NotResource != nil) {
			continue
		}
		if conditionOn(st, "iam:PolicyARN") || conditionOn(st, "iam:PermissionsBoundary") {
			continue
		}
		return i
	}
	return -1
}

#!/usr/bin/env bash
# capture-snapshot.sh: write an iamdiag-snapshot/v1 file for the current
# account by hand, with the AWS CLI alone (`iamdiag snapshot -o FILE` does the
# same from iamdiag).
#
#   bash examples/capture-snapshot.sh > snapshot.json
#
# Needs the AWS CLI v2 and jq, and read-only permissions:
#   iam:GetAccountAuthorizationDetails                     (the account's credentials)
#   organizations:DescribeOrganization, ListParents, DescribeOrganizationalUnit,
#   DescribeAccount, ListPoliciesForTarget, DescribePolicy (the management account
#   or a delegated administrator)
# Set ORG_PROFILE to the AWS CLI profile that can read Organizations, and
# ACCOUNT to the account to capture when ORG_PROFILE is not that account.
# Without Organizations access the organization section is left out: iamdiag
# then reports the SCP and RCP layers as unreadable, never as empty.
set -euo pipefail

account=${ACCOUNT:-$(aws sts get-caller-identity --query Account --output text)}
gaad=$(aws iam get-account-authorization-details --output json)

org_aws() { aws ${ORG_PROFILE:+--profile "$ORG_PROFILE"} organizations "$@"; }

organization=null
if org=$(org_aws describe-organization --output json 2>/dev/null); then
	nodes='[]'
	policies='{}'
	child=$account
	type=ACCOUNT
	# Walk from the account up to the root, recording each level and the
	# SCPs and RCPs attached to it.
	while :; do
		case $type in
		ORGANIZATIONAL_UNIT) name=$(org_aws describe-organizational-unit --organizational-unit-id "$child" --query OrganizationalUnit.Name --output text) ;;
		ACCOUNT) name=$(org_aws describe-account --account-id "$child" --query Account.Name --output text) ;;
		*) name="" ;;
		esac
		parent="" ptype=""
		if [ "$type" != ROOT ]; then
			read -r parent ptype < <(org_aws list-parents --child-id "$child" --query 'Parents[0].[Id,Type]' --output text)
		fi
		nodes=$(jq -c --arg id "$child" --arg t "$type" --arg p "$parent" --arg n "$name" \
			'. + [{id: $id, type: $t} + (if $n == "" then {} else {name: $n} end) + (if $p == "" then {} else {parent: $p} end)]' <<<"$nodes")
		for filter in SERVICE_CONTROL_POLICY RESOURCE_CONTROL_POLICY; do
			# A policy type that is not enabled lists nothing.
			ids=$(org_aws list-policies-for-target --target-id "$child" --filter "$filter" --query 'Policies[].Id' --output text 2>/dev/null || true)
			for id in $ids; do
				[ "$id" = None ] && continue
				p=$(org_aws describe-policy --policy-id "$id" --query Policy --output json)
				policies=$(jq -c --arg id "$id" --arg target "$child" --argjson p "$p" '
					.[$id] = ((.[$id] // {
						id: $id, arn: $p.PolicySummary.Arn, name: $p.PolicySummary.Name,
						type: $p.PolicySummary.Type, aws_managed: $p.PolicySummary.AwsManaged,
						targets: [], content: ($p.Content | fromjson)
					}) | .targets += [$target])' <<<"$policies")
			done
		done
		[ "$type" = ROOT ] && break
		child=$parent
		type=$ptype
	done
	organization=$(jq -c --argjson org "$org" --argjson nodes "$nodes" --argjson policies "$policies" -n '{
		id: $org.Organization.Id,
		management_account_id: $org.Organization.MasterAccountId,
		nodes: ($nodes | reverse),
		policies: [$policies[]]
	}')
else
	echo "capture-snapshot: cannot read AWS Organizations: the snapshot has no organization section (SCPs and RCPs unreadable)" >&2
fi

jq -n --arg account "$account" --arg now "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--argjson gaad "$gaad" --argjson organization "$organization" '{
	format: "iamdiag-snapshot/v1",
	captured_at: $now,
	account_id: $account,
	authorization_details: $gaad
} + (if $organization == null then {} else {organization: $organization} end)'

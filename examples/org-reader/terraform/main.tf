# iamdiag's reader roles. Apply in every member account (with a provider per
# account, or from an account-vending pipeline) with create_member_reader,
# and in the management account (or a delegated administrator for AWS
# Organizations) with create_organizations_reader. The policies are the
# files in ../policies, which a test checks against iamdiag's code and the
# Service Authorization Reference.

data "aws_partition" "current" {}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "TrustIamdiag"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${var.trusted_account_id}:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [var.external_id]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalOrgID"
      values   = [var.organization_id]
    }
  }
}

resource "aws_iam_role" "member_reader" {
  count                = var.create_member_reader ? 1 : 0
  name                 = var.member_role_name
  description          = "iamdiag reads this account's IAM policies and resource policies (read-only)"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "member_reader" {
  count  = var.create_member_reader ? 1 : 0
  name   = "iamdiag-member-reader"
  role   = aws_iam_role.member_reader[0].id
  policy = file("${path.module}/../policies/member-reader.json")
}

resource "aws_iam_role" "organizations_reader" {
  count                = var.create_organizations_reader ? 1 : 0
  name                 = var.organizations_role_name
  description          = "iamdiag reads the organization's tree, SCPs and RCPs (read-only)"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "organizations_reader" {
  count  = var.create_organizations_reader ? 1 : 0
  name   = "iamdiag-organizations-reader"
  role   = aws_iam_role.organizations_reader[0].id
  policy = file("${path.module}/../policies/organizations-reader.json")
}

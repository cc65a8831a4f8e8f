output "member_reader_role_arn" {
  description = "The member reader role's ARN; pass its name to --account-role."
  value       = one(aws_iam_role.member_reader[*].arn)
}

output "organizations_reader_role_arn" {
  description = "The Organizations reader role's ARN, for --org-role-arn."
  value       = one(aws_iam_role.organizations_reader[*].arn)
}

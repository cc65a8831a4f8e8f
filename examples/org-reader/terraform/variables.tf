variable "trusted_account_id" {
  description = "The account iamdiag runs in: its credentials assume the roles."
  type        = string
  validation {
    condition     = can(regex("^[0-9]{12}$", var.trusted_account_id))
    error_message = "trusted_account_id must be a 12-digit account id."
  }
}

variable "external_id" {
  description = "The value passed to --external-id (IAMDIAG_EXTERNAL_ID)."
  type        = string
  sensitive   = true
}

variable "organization_id" {
  description = "The organization's id: only its principals may assume the roles."
  type        = string
}

variable "create_member_reader" {
  description = "Create the member-account reader role (--account-role)."
  type        = bool
  default     = true
}

variable "member_role_name" {
  description = "The name passed to --account-role."
  type        = string
  default     = "iamdiag-reader"
}

variable "create_organizations_reader" {
  description = "Create the Organizations reader role (--org-role-arn): only in the management account or a delegated administrator."
  type        = bool
  default     = false
}

variable "organizations_role_name" {
  description = "The name of the Organizations reader role."
  type        = string
  default     = "iamdiag-organizations-reader"
}

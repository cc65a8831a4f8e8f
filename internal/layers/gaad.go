package layers

// The types below mirror what `aws iam get-account-authorization-details`
// prints (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html),
// field for field, so that a file written by the AWS CLI loads unchanged and
// Marshal writes a file the AWS tooling recognises. Dates are kept as the
// strings the tool printed: iamdiag never reasons about them.

// AuthorizationDetails is the output of iam:GetAccountAuthorizationDetails.
type AuthorizationDetails struct {
	UserDetailList  []User          `json:"UserDetailList"`
	GroupDetailList []Group         `json:"GroupDetailList"`
	RoleDetailList  []Role          `json:"RoleDetailList"`
	Policies        []ManagedPolicy `json:"Policies"`
	// IsTruncated and Marker are printed by the raw API; a truncated file is
	// rejected because policies would be missing from it.
	IsTruncated bool   `json:"IsTruncated,omitempty"`
	Marker      string `json:"Marker,omitempty"`
}

// InlinePolicy is an inline policy embedded in a user, group or role.
type InlinePolicy struct {
	PolicyName     string    `json:"PolicyName"`
	PolicyDocument RawPolicy `json:"PolicyDocument"`
}

// AttachedPolicy names a managed policy attached to a user, group or role.
type AttachedPolicy struct {
	PolicyName string `json:"PolicyName"`
	PolicyArn  string `json:"PolicyArn"`
}

// PermissionsBoundary is the permissions boundary of a user or role.
type PermissionsBoundary struct {
	PermissionsBoundaryType string `json:"PermissionsBoundaryType,omitempty"`
	PermissionsBoundaryArn  string `json:"PermissionsBoundaryArn"`
}

// Tag is an IAM tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// User is one entry of UserDetailList.
type User struct {
	Path                    string               `json:"Path"`
	UserName                string               `json:"UserName"`
	UserID                  string               `json:"UserId"`
	Arn                     string               `json:"Arn"`
	CreateDate              string               `json:"CreateDate,omitempty"`
	UserPolicyList          []InlinePolicy       `json:"UserPolicyList,omitempty"`
	GroupList               []string             `json:"GroupList"`
	AttachedManagedPolicies []AttachedPolicy     `json:"AttachedManagedPolicies"`
	PermissionsBoundary     *PermissionsBoundary `json:"PermissionsBoundary,omitempty"`
	Tags                    []Tag                `json:"Tags,omitempty"`
}

// Group is one entry of GroupDetailList.
type Group struct {
	Path                    string           `json:"Path"`
	GroupName               string           `json:"GroupName"`
	GroupID                 string           `json:"GroupId"`
	Arn                     string           `json:"Arn"`
	CreateDate              string           `json:"CreateDate,omitempty"`
	GroupPolicyList         []InlinePolicy   `json:"GroupPolicyList"`
	AttachedManagedPolicies []AttachedPolicy `json:"AttachedManagedPolicies"`
}

// RoleLastUsed says when and where a role was last used.
type RoleLastUsed struct {
	LastUsedDate string `json:"LastUsedDate,omitempty"`
	Region       string `json:"Region,omitempty"`
}

// Role is one entry of RoleDetailList.
type Role struct {
	Path                     string               `json:"Path"`
	RoleName                 string               `json:"RoleName"`
	RoleID                   string               `json:"RoleId"`
	Arn                      string               `json:"Arn"`
	CreateDate               string               `json:"CreateDate,omitempty"`
	AssumeRolePolicyDocument RawPolicy            `json:"AssumeRolePolicyDocument"`
	InstanceProfileList      []InstanceProfile    `json:"InstanceProfileList"`
	RolePolicyList           []InlinePolicy       `json:"RolePolicyList"`
	AttachedManagedPolicies  []AttachedPolicy     `json:"AttachedManagedPolicies"`
	PermissionsBoundary      *PermissionsBoundary `json:"PermissionsBoundary,omitempty"`
	Tags                     []Tag                `json:"Tags,omitempty"`
	RoleLastUsed             *RoleLastUsed        `json:"RoleLastUsed,omitempty"`
}

// InstanceProfile is an instance profile a role belongs to.
type InstanceProfile struct {
	Path                string                `json:"Path"`
	InstanceProfileName string                `json:"InstanceProfileName"`
	InstanceProfileID   string                `json:"InstanceProfileId"`
	Arn                 string                `json:"Arn"`
	CreateDate          string                `json:"CreateDate,omitempty"`
	Roles               []InstanceProfileRole `json:"Roles"`
	Tags                []Tag                 `json:"Tags,omitempty"`
}

// InstanceProfileRole is a role as listed inside an instance profile. Its
// trust policy duplicates the role's own AssumeRolePolicyDocument; it is kept
// for round-tripping and never evaluated.
type InstanceProfileRole struct {
	Path                     string    `json:"Path"`
	RoleName                 string    `json:"RoleName"`
	RoleID                   string    `json:"RoleId"`
	Arn                      string    `json:"Arn"`
	CreateDate               string    `json:"CreateDate,omitempty"`
	AssumeRolePolicyDocument RawPolicy `json:"AssumeRolePolicyDocument,omitzero"`
	Description              string    `json:"Description,omitempty"`
	MaxSessionDuration       int       `json:"MaxSessionDuration,omitempty"`
	Tags                     []Tag     `json:"Tags,omitempty"`
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	Document         RawPolicy `json:"Document"`
	VersionID        string    `json:"VersionId"`
	IsDefaultVersion bool      `json:"IsDefaultVersion"`
	CreateDate       string    `json:"CreateDate,omitempty"`
}

// ManagedPolicy is one entry of Policies: a customer managed policy, or an
// AWS managed policy attached somewhere in the account.
type ManagedPolicy struct {
	PolicyName                    string          `json:"PolicyName"`
	PolicyID                      string          `json:"PolicyId"`
	Arn                           string          `json:"Arn"`
	Path                          string          `json:"Path"`
	DefaultVersionID              string          `json:"DefaultVersionId"`
	AttachmentCount               int             `json:"AttachmentCount"`
	PermissionsBoundaryUsageCount int             `json:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool            `json:"IsAttachable"`
	Description                   string          `json:"Description,omitempty"`
	CreateDate                    string          `json:"CreateDate,omitempty"`
	UpdateDate                    string          `json:"UpdateDate,omitempty"`
	PolicyVersionList             []PolicyVersion `json:"PolicyVersionList"`
}

package layers

// BoundaryUsers returns the ARNs of the roles and users whose permissions
// boundary is policyARN, in snapshot order: who else a change to that
// boundary reaches.
func (s *Snapshot) BoundaryUsers(policyARN string) []string {
	if s == nil || policyARN == "" {
		return nil
	}
	var out []string
	d := &s.AuthorizationDetails
	for i := range d.RoleDetailList {
		r := &d.RoleDetailList[i]
		if r.PermissionsBoundary != nil && r.PermissionsBoundary.PermissionsBoundaryArn == policyARN {
			out = append(out, r.Arn)
		}
	}
	for i := range d.UserDetailList {
		u := &d.UserDetailList[i]
		if u.PermissionsBoundary != nil && u.PermissionsBoundary.PermissionsBoundaryArn == policyARN {
			out = append(out, u.Arn)
		}
	}
	return out
}

// PolicyUsers returns the ARNs of the roles, users and groups that have the
// managed policy policyARN attached as a permissions policy, in snapshot
// order: who else a change to that policy reaches.
func (s *Snapshot) PolicyUsers(policyARN string) []string {
	if s == nil || policyARN == "" {
		return nil
	}
	attached := func(list []AttachedPolicy) bool {
		for _, ap := range list {
			if ap.PolicyArn == policyARN {
				return true
			}
		}
		return false
	}
	var out []string
	d := &s.AuthorizationDetails
	for i := range d.RoleDetailList {
		if attached(d.RoleDetailList[i].AttachedManagedPolicies) {
			out = append(out, d.RoleDetailList[i].Arn)
		}
	}
	for i := range d.UserDetailList {
		if attached(d.UserDetailList[i].AttachedManagedPolicies) {
			out = append(out, d.UserDetailList[i].Arn)
		}
	}
	for i := range d.GroupDetailList {
		if attached(d.GroupDetailList[i].AttachedManagedPolicies) {
			out = append(out, d.GroupDetailList[i].Arn)
		}
	}
	return out
}

// PolicyTargets returns every root, OU and account the organization policy
// (SCP or RCP) policyARN is attached to, as the snapshot records them; nil
// when the snapshot has no organization or does not know the policy.
func (s *Snapshot) PolicyTargets(policyARN string) []string {
	if s == nil || s.Organization == nil || policyARN == "" {
		return nil
	}
	for i := range s.Organization.Policies {
		p := &s.Organization.Policies[i]
		if p.ARN == policyARN {
			return append([]string(nil), p.Targets...)
		}
	}
	return nil
}

package policy

import "testing"

// Callers used by the principal and evaluation tests.
var (
	callerSession = Principal{
		ARN:     "arn:aws:sts::123456789012:assumed-role/Deployer/jane",
		IAMARN:  "arn:aws:iam::123456789012:role/service-role/Deployer",
		Account: "123456789012", Type: "AssumedRole", UserID: "AROAEXAMPLEID:jane", SessionName: "jane",
	}
	// callerSessionNoRole is a session whose role ARN (and path) is unknown.
	callerSessionNoRole = Principal{ARN: "arn:aws:sts::123456789012:assumed-role/Deployer/jane", Type: "AssumedRole"}
	callerUser          = Principal{ARN: "arn:aws:iam::123456789012:user/Bob", IAMARN: "arn:aws:iam::123456789012:user/Bob",
		Account: "123456789012", Type: "User", UserID: "AIDAEXAMPLEID", Username: "Bob"}
	callerRoot      = Principal{ARN: "arn:aws:iam::123456789012:root", IAMARN: "arn:aws:iam::123456789012:root", Account: "123456789012", Type: "Account"}
	callerFederated = Principal{ARN: "arn:aws:sts::123456789012:federated-user/Bob", IAMARN: "arn:aws:iam::123456789012:user/Bob",
		Account: "123456789012", Type: "FederatedUser"}
	callerOther     = Principal{ARN: "arn:aws:sts::999999999999:assumed-role/Deployer/jane", IAMARN: "arn:aws:iam::999999999999:role/Deployer", Account: "999999999999", Type: "AssumedRole"}
	callerService   = Principal{Type: "Service", Service: "ec2.amazonaws.com"}
	callerAnonymous = Principal{Type: "Anonymous"}
	callerGov       = Principal{ARN: "arn:aws-us-gov:iam::123456789012:user/Bob", Account: "123456789012", Type: "User"}
)

func awsPrincipals(values ...string) *Principals {
	return &Principals{Values: map[string][]string{"AWS": values}, typeOrder: []string{"AWS"}}
}

func TestPrincipalNames(t *testing.T) {
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
	tests := []struct {
		name   string
		p      *Principals
		caller Principal
		want   bool
	}{
		{"star names everyone", &Principals{Wildcard: true}, callerAnonymous, true},
		{"star names services", &Principals{Wildcard: true}, callerService, true},
		{"AWS star names sessions", awsPrincipals("*"), callerSession, true},
		{"AWS star names anonymous", awsPrincipals("*"), callerAnonymous, true},
		{"AWS star is not a service principal", awsPrincipals("*"), callerService, false},
		{"account id names a session of the account", awsPrincipals("123456789012"), callerSession, true},
		{"account id names a user of the account", awsPrincipals("123456789012"), callerUser, true},
		{"account root ARN names every principal of the account", awsPrincipals("arn:aws:iam::123456789012:root"), callerUser, true},
		{"account root ARN names sessions", awsPrincipals("arn:aws:iam::123456789012:root"), callerSession, true},
		{"other account", awsPrincipals("arn:aws:iam::123456789012:root"), callerOther, false},
		{"account id from the ARN when Account is unset", awsPrincipals("123456789012"), callerSessionNoRole, true},
		{"root ARN of another partition", awsPrincipals("arn:aws:iam::123456789012:root"), callerGov, false},
		{"GovCloud root ARN", awsPrincipals("arn:aws-us-gov:iam::123456789012:root"), callerGov, true},
		{"account does not name anonymous", awsPrincipals("123456789012"), Principal{Type: "Anonymous", Account: "123456789012"}, false},
		{"role ARN with path names its sessions", awsPrincipals("arn:aws:iam::123456789012:role/service-role/Deployer"), callerSession, true},
		{"role ARN without the path names nothing", awsPrincipals("arn:aws:iam::123456789012:role/Deployer"), callerSession, false},
		{"role ARN vs session with unknown role path", awsPrincipals("arn:aws:iam::123456789012:role/service-role/Deployer"), callerSessionNoRole, true},
		{"role of another name", awsPrincipals("arn:aws:iam::123456789012:role/Other"), callerSessionNoRole, false},
		{"role ARN does not name a user", awsPrincipals("arn:aws:iam::123456789012:role/service-role/Deployer"), callerUser, false},
		{"session ARN names that session", awsPrincipals("arn:aws:sts::123456789012:assumed-role/Deployer/jane"), callerSession, true},
		{"session ARN names no other session", awsPrincipals("arn:aws:sts::123456789012:assumed-role/Deployer/joe"), callerSession, false},
		{"user ARN", awsPrincipals("arn:aws:iam::123456789012:user/Bob"), callerUser, true},
		{"user name is case sensitive", awsPrincipals("arn:aws:iam::123456789012:user/bob"), callerUser, false},
		{"federated user ARN", awsPrincipals("arn:aws:sts::123456789012:federated-user/Bob"), callerFederated, true},
		{"no partial wildcards in principals", awsPrincipals("arn:aws:iam::123456789012:role/service-role/*"), callerSession, false},
		{"no account wildcard", awsPrincipals("arn:aws:iam::*:root"), callerSession, false},
		{"unique id of a role", awsPrincipals("AROAEXAMPLEID"), callerSession, true},
		{"unique id of a deleted role", awsPrincipals("AROAOTHERID"), callerSession, false},
		{"service principal", &Principals{Values: map[string][]string{"Service": {"ecs.amazonaws.com", "ec2.amazonaws.com"}}}, callerService, true},
		{"other service", &Principals{Values: map[string][]string{"Service": {"ecs.amazonaws.com"}}}, callerService, false},
		{"service principal is not an IAM caller", &Principals{Values: map[string][]string{"Service": {"ec2.amazonaws.com"}}}, Principal{Service: "ec2.amazonaws.com", Type: "AssumedRole"}, false},
		{"federated SAML provider", &Principals{Values: map[string][]string{"Federated": {"arn:aws:iam::123456789012:saml-provider/Okta"}}},
			Principal{ARN: "arn:aws:iam::123456789012:saml-provider/Okta", Type: "SAMLUser"}, true},
		{"federated provider vs session", &Principals{Values: map[string][]string{"Federated": {"cognito-identity.amazonaws.com"}}}, callerSession, false},
		{"canonical user names nothing", &Principals{Values: map[string][]string{"CanonicalUser": {"AROAEXAMPLEID"}}}, callerSession, false},
		{"any of several types", &Principals{Values: map[string][]string{"Service": {"x.amazonaws.com"}, "AWS": {"123456789012"}}}, callerUser, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := principalNames(tt.p, &tt.caller); got != tt.want {
				t.Errorf("principalNames = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNotPrincipalExcludes(t *testing.T) {
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html:
	// the account, the role and the session must all be named.
	const (
		acct    = "arn:aws:iam::123456789012:root"
		role    = "arn:aws:iam::123456789012:role/service-role/Deployer"
		session = "arn:aws:sts::123456789012:assumed-role/Deployer/jane"
		user    = "arn:aws:iam::123456789012:user/Bob"
	)
	tests := []struct {
		name   string
		p      *Principals
		caller Principal
		want   bool
	}{
		{"star exempts everyone", &Principals{Wildcard: true}, callerAnonymous, true},
		{"AWS star exempts sessions", awsPrincipals("*"), callerSession, true},
		{"user and account named", awsPrincipals(user, acct), callerUser, true},
		{"user named without account", awsPrincipals(user), callerUser, false},
		{"account id form", awsPrincipals(user, "123456789012"), callerUser, true},
		{"account only does not exempt the user", awsPrincipals(acct), callerUser, false},
		{"session, role and account named", awsPrincipals(session, role, acct), callerSession, true},
		{"session and account without role", awsPrincipals(session, acct), callerSession, false},
		{"role and account without session", awsPrincipals(role, acct), callerSession, false},
		{"other session", awsPrincipals("arn:aws:sts::123456789012:assumed-role/Deployer/joe", role, acct), callerSession, false},
		{"root user by its account", awsPrincipals(acct), callerRoot, true},
		{"federated user", awsPrincipals("arn:aws:sts::123456789012:federated-user/Bob", acct), callerFederated, true},
		{"other account", awsPrincipals(session, role, acct), callerOther, false},
		{"service named", &Principals{Values: map[string][]string{"Service": {"ec2.amazonaws.com"}}}, callerService, true},
		{"service not named", awsPrincipals(acct), callerService, false},
		{"anonymous is never exempt by name", awsPrincipals(acct), callerAnonymous, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := notPrincipalExcludes(tt.p, &tt.caller); got != tt.want {
				t.Errorf("notPrincipalExcludes = %v, want %v", got, tt.want)
			}
		})
	}
}

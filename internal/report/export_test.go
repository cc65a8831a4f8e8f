package report

// TestCases are the report cases, for the redaction tests of package
// report_test (which import internal/redact, itself importing report).
var TestCases = func() []struct {
	Name string
	D    func() *Diagnosis
} {
	out := make([]struct {
		Name string
		D    func() *Diagnosis
	}, len(cases))
	for i, c := range cases {
		out[i].Name, out[i].D = c.name, c.d
	}
	return out
}()

// SCPDenyCase is the report case of an SCP's explicit deny.
var SCPDenyCase = scpDenyCase

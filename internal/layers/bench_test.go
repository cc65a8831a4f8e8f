package layers

import (
	"bytes"
	"os"
	"testing"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// BenchmarkLoad measures reading, validating (every document parsed) and
// indexing the realistic snapshot. Target: < 50 ms.
func BenchmarkLoad(b *testing.B) {
	data, err := os.ReadFile(realisticPath)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLayers measures answering one request from an indexed snapshot.
// Target: ~1-2 µs.
func BenchmarkLayers(b *testing.B) {
	s := loadRealistic(b)
	cases := []struct {
		name string
		req  *policy.Request
	}{
		{"assumed-role", policy.NewRequest("arn:aws:sts::"+acct+":assumed-role/MyFederatedRole/jane", "ec2:RunInstances", "arn:aws:ec2:us-east-1:"+acct+":instance/*")},
		{"s3-object", policy.NewRequest("arn:aws:sts::"+acct+":assumed-role/MyFederatedRole/jane", "s3:GetObject", "arn:aws:s3:::example-prod-artifacts-"+acct+"/builds/app.tar.gz")},
		{"user", policy.NewRequest("arn:aws:iam::"+acct+":user/privesc-sre-user", "iam:PassRole", "*")},
		{"assume-role-trust", policy.NewRequest("arn:aws:iam::"+acct+":user/privesc-sre-user", "sts:AssumeRole", fedRole)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Layers(c.req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

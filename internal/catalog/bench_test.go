package catalog

import "testing"

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(embedded)))
	for b.Loop() {
		if _, err := decode(embedded); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	for _, action := range []string{"ec2:runinstances", "ec2:RunInstances", "ec2:RunInstance"} {
		b.Run(action, func(b *testing.B) {
			Lookup(action)
			b.ReportAllocs()
			for b.Loop() {
				Lookup(action)
			}
		})
	}
}

func BenchmarkExpand(b *testing.B) {
	for _, p := range []string{"s3:Get*", "*:Get*"} {
		b.Run(p, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Expand(p)
			}
		})
	}
}

func BenchmarkSuggest(b *testing.B) {
	Suggest("ec2:RunInstance")
	b.ReportAllocs()
	for b.Loop() {
		Suggest("ec2:RunInstance")
	}
}

func BenchmarkConditionKeyKnown(b *testing.B) {
	for _, k := range []string{"aws:SourceIp", "aws:RequestTag/Env", "ec2:Bogus"} {
		b.Run(k, func(b *testing.B) {
			ConditionKeyKnown(k)
			b.ReportAllocs()
			for b.Loop() {
				ConditionKeyKnown(k)
			}
		})
	}
}

func BenchmarkActionSetsKey(b *testing.B) {
	ActionSetsKey("ec2:RunInstances", "ec2:InstanceType")
	b.ReportAllocs()
	for b.Loop() {
		ActionSetsKey("ec2:RunInstances", "ec2:InstanceType")
	}
}

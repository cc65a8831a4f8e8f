package audit

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// BenchmarkAudit audits generated accounts of 1,000, 5,000 and 10,000
// roles (twice as many managed policies); IAMDIAG_BENCH_ROLES=N adds N.
func BenchmarkAudit(b *testing.B) {
	sizes := []int{1000, 5000, 10000}
	if n, err := strconv.Atoi(os.Getenv("IAMDIAG_BENCH_ROLES")); err == nil && n > 0 {
		sizes = append(sizes, n)
	}
	for _, n := range sizes {
		b.Run(strconv.Itoa(n)+"roles", func(b *testing.B) {
			snap := genAccount(b, n, 1)
			runtime.GC()
			b.ReportAllocs()
			b.ResetTimer()
			var findings int
			for b.Loop() {
				r, err := Run(context.Background(), snap, Options{})
				if err != nil {
					b.Fatal(err)
				}
				findings = len(r.Findings)
			}
			b.ReportMetric(float64(findings), "findings")
		})
	}
}

// TestAuditScale checks the 10,000-role target (under 10 s, under 1 GiB of
// heap) when IAMDIAG_AUDIT_SCALE is set: it takes seconds and the whole
// machine.
func TestAuditScale(t *testing.T) {
	if os.Getenv("IAMDIAG_AUDIT_SCALE") == "" {
		t.Skip("set IAMDIAG_AUDIT_SCALE=1 to run the 10,000-role scale test")
	}
	for _, n := range []int{1000, 5000, 10000} {
		snap := genAccount(t, n, 1)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		r, err := Run(context.Background(), snap, Options{})
		if err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		t.Logf("%d roles, %d users, %d policies: %d findings in %v; heap in use %d MiB, allocated %d MiB",
			r.Roles, r.Users, r.Policies, len(r.Findings), took, after.HeapInuse>>20, (after.TotalAlloc-before.TotalAlloc)>>20)
		if n == 10000 && took > 10*time.Second {
			t.Errorf("10,000 roles took %v, want under 10 s", took)
		}
		if after.HeapInuse > 1<<30 {
			t.Errorf("heap in use %d MiB, want under 1 GiB", after.HeapInuse>>20)
		}
	}
}

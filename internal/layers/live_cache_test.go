package layers_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/layers"
)

// TestLiveOnCall checks that OnCall sees every call Stats counts, with its
// exact operation and error code, and that the cache counts a cold
// resolution's fetches as misses and a warm one's answers as hits.
func TestLiveOnCall(t *testing.T) {
	snap := loadSnap(t, "testdata/realistic/snapshot.json")
	tests := []struct {
		name     string
		opts     fakeaws.Options
		wantCode map[string]string // operation → code it must be seen with
	}{
		{name: "success", wantCode: map[string]string{"iam:GetRole": ""}},
		{
			name:     "denied",
			opts:     fakeaws.Options{Deny: map[string]string{"ListParents": "AccessDeniedException"}},
			wantCode: map[string]string{"iam:GetRole": "", "organizations:ListParents": "AccessDeniedException"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startFake(t, snap, tt.opts)
			var mu sync.Mutex
			seen := map[[2]string]int{}
			live := c.live(layers.LiveOptions{OnCall: func(op, code string) {
				mu.Lock()
				seen[[2]string{op, code}]++
				mu.Unlock()
			}})
			_, st, err := live.LayersStats(context.Background(), prodRole(t, snap))
			if err != nil {
				t.Fatal(err)
			}
			calls, errs := map[string]int{}, map[string]int{}
			for k, n := range seen {
				calls[k[0]] += n
				if k[1] != "" {
					errs[k[1]] += n
				}
			}
			wantErrs := map[string]int{}
			for code, n := range st.Errors {
				if n > 0 {
					wantErrs[code] = n
				}
			}
			if diff := cmp.Diff(st.Calls, calls); diff != "" {
				t.Errorf("OnCall operations (-stats +hook):\n%s", diff)
			}
			if diff := cmp.Diff(wantErrs, errs); diff != "" {
				t.Errorf("OnCall error codes (-stats +hook):\n%s", diff)
			}
			for op, code := range tt.wantCode {
				if seen[[2]string{op, code}] == 0 {
					t.Errorf("OnCall never saw %s with code %q: %v", op, code, seen)
				}
			}
			if st.CacheMisses == 0 || st.CacheHits != 0 {
				t.Errorf("cold resolution: %d misses, %d hits; want misses only", st.CacheMisses, st.CacheHits)
			}
			_, warm, err := live.LayersStats(context.Background(), prodRole(t, snap))
			if err != nil {
				t.Fatal(err)
			}
			if tt.opts.Deny == nil && (warm.CacheMisses != 0 || warm.CacheHits == 0) {
				t.Errorf("warm resolution: %d misses, %d hits; want hits only", warm.CacheMisses, warm.CacheHits)
			}
		})
	}
}

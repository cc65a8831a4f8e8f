package live_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/live"
)

// TestLiveOnCall checks that OnCall sees every call Stats counts, with its
// exact operation and error code, and that the cache counts a cold
// resolution's fetches as misses and a warm one's answers as hits.
func TestLiveOnCall(t *testing.T) {
	snap := loadSnap(t, realisticSnapshot)
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
			rd := c.live(live.Options{OnCall: func(op, code string) {
				mu.Lock()
				seen[[2]string{op, code}]++
				mu.Unlock()
			}})
			_, st, err := rd.LayersStats(context.Background(), prodRole(t, snap))
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
			_, warm, err := rd.LayersStats(context.Background(), prodRole(t, snap))
			if err != nil {
				t.Fatal(err)
			}
			if tt.opts.Deny == nil && (warm.CacheMisses != 0 || warm.CacheHits == 0) {
				t.Errorf("warm resolution: %d misses, %d hits; want hits only", warm.CacheMisses, warm.CacheHits)
			}
		})
	}
}

// cachedOps are the operations whose answers the Cache keeps.
var cachedOps = []string{"DescribeOrganization", "ListRoots", "ListParents", "ListPoliciesForTarget",
	"DescribePolicy", "DescribeAccount", "DescribeOrganizationalUnit", "GetPolicyVersion"}

func cachedCalls(f *fakeaws.Server) map[string]int {
	all := f.Calls()
	out := map[string]int{}
	for _, op := range cachedOps {
		if all[op] > 0 {
			out[op] = all[op]
		}
	}
	return out
}

// TestCacheCollapsesConcurrentReads checks that concurrent cold
// resolutions sharing a Cache make each cached call once, as one
// resolution alone does.
func TestCacheCollapsesConcurrentReads(t *testing.T) {
	snap := loadSnap(t, realisticSnapshot)
	req := prodRole(t, snap)
	one := startFake(t, snap, fakeaws.Options{Latency: 20 * time.Millisecond})
	if _, err := one.live(live.Options{}).Layers(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	want := cachedCalls(one.fake)
	if len(want) == 0 {
		t.Fatal("a cold resolution made no cached call")
	}

	many := startFake(t, snap, fakeaws.Options{Latency: 20 * time.Millisecond})
	cache := live.NewCache(time.Hour)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := many.live(live.Options{Cache: cache}).Layers(context.Background(), req)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(want, cachedCalls(many.fake)); diff != "" {
		t.Errorf("cached calls of 8 concurrent resolutions (-one alone +8):\n%s", diff)
	}
}

// TestCacheWaiterOutlivesOwner checks that a resolution waiting on another
// one's fetch does not fail because the other gave up: it fetches again
// with its own context.
func TestCacheWaiterOutlivesOwner(t *testing.T) {
	snap := loadSnap(t, realisticSnapshot)
	req := prodRole(t, snap)
	c := startFake(t, snap, fakeaws.Options{Latency: 150 * time.Millisecond})
	cache := live.NewCache(time.Hour)
	short, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
	defer cancel()
	ownerErr := make(chan error, 1)
	go func() {
		_, err := c.live(live.Options{Cache: cache}).Layers(short, req)
		ownerErr <- err
	}()
	time.Sleep(30 * time.Millisecond) // the owner's first organization calls are in flight
	if _, err := c.live(live.Options{Cache: cache}).Layers(context.Background(), req); err != nil {
		t.Errorf("the waiting resolution failed with the owner's cancellation: %v", err)
	}
	if err := <-ownerErr; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the owner's resolution: %v, want its deadline", err)
	}
}

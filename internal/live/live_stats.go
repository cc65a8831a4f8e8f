package live

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/iamdiag/iamdiag/internal/awserr"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// Stats counts the AWS calls one live resolution made.
type Stats struct {
	// Calls counts the calls by "service:Operation" (each page of a
	// paginated list is one call; the SDK's retries of a call are not
	// counted separately).
	Calls map[string]int
	// Errors counts the failed calls by AWS error code ("" for failures
	// that carry no code: network, malformed response, cancellation).
	Errors map[string]int
	// RoundTrips is the number of sequential calls on the critical path:
	// the longest chain of calls each of which needed the previous one's
	// answer. Answers served from the Cache cost none.
	RoundTrips int
	// CacheHits counts the answers served from the Cache.
	CacheHits int
	// CacheMisses counts the Cache lookups this resolution had to fetch
	// from AWS. A lookup answered by another resolution's fetch in flight
	// is neither a hit nor a miss.
	CacheMisses int
	// Elapsed is the wall time of the resolution.
	Elapsed time.Duration
}

// Total returns the number of AWS calls made.
func (s *Stats) Total() int {
	n := 0
	for _, c := range s.Calls {
		n += c
	}
	return n
}

// String is the one-line summary the CLI prints with -v: "12 AWS calls, 4
// round trips, 3 cached, 180ms (iam:GetRole 1, …)".
func (s *Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d AWS calls, %d round trips, %d cached, %s", s.Total(), s.RoundTrips, s.CacheHits, s.Elapsed.Round(time.Millisecond))
	if len(s.Calls) > 0 {
		b.WriteString(" (")
		for i, op := range slices.Sorted(maps.Keys(s.Calls)) {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %d", op, s.Calls[op])
		}
		b.WriteString(")")
	}
	if len(s.Errors) > 0 {
		b.WriteString("; errors:")
		for _, code := range slices.Sorted(maps.Keys(s.Errors)) {
			c := code
			if c == "" {
				c = "(no code)"
			}
			fmt.Fprintf(&b, " %s %d", c, s.Errors[code])
		}
	}
	return b.String()
}

// Errors a live resolution returns; callers branch on them with errors.Is.
var (
	// ErrCredentials is wrapped when AWS rejects the credentials (expired,
	// invalid, unsigned): no layer can be read until they are refreshed.
	ErrCredentials = errors.New("AWS rejected the credentials")
	// ErrNoSuchPrincipal is wrapped when IAM says the request's role or user
	// does not exist.
	ErrNoSuchPrincipal = errors.New("principal does not exist")
)

// fatal turns an error that stops the whole resolution into the error
// Layers returns; it returns nil for an error that only makes one layer
// unreadable (any other AWS error code).
func fatal(op string, err error) error {
	code := awserr.Code(err)
	switch {
	case code == "":
		return fmt.Errorf("calling %s: %w", op, err)
	case awserr.IsCredential(code):
		return fmt.Errorf("%w: %s failed with %s: refresh the credentials (aws sso login --profile …, a new session token, or new keys) and run again: %w", ErrCredentials, op, code, err)
	}
	return nil
}

// unreadable describes a failed read of one layer for people: what could
// not be read, which call failed with which code, and what to do.
func unreadable(what, op string, err error) policy.Readability {
	code := awserr.Code(err)
	verb := "failed"
	hint := "retry, or diagnose from a snapshot"
	if awserr.IsDenied(code) {
		verb = "was denied"
		hint = "allow " + op + " to the credentials iamdiag runs with (see the README's minimal policy), or diagnose from a snapshot"
	}
	return policy.Readability{Unreadable: true, Error: code,
		Message: fmt.Sprintf("cannot read %s: %s %s (%s); %s", what, op, verb, code, hint)}
}

// cacheEntry is one cached answer.
type cacheEntry struct {
	val   any
	at    time.Time
	owner *walk // the resolution that fetched it
	depth int   // the round trip at which owner got it
}

// flight is what one fetch through the Cache's singleflight group gives
// every resolution waiting on it.
type flight struct {
	e *cacheEntry
	// cached is set when the fetch found the answer already stored (by a
	// flight that ended after the caller looked): no call was made.
	cached bool
}

// Cache holds what live resolutions read from Organizations (the path of
// each account to the root, the policies attached at each level, policy
// contents) and immutable IAM policy versions, so that a daemon reading
// many requests asks each once per TTL. Concurrent requests for the same
// answer share one call (golang.org/x/sync/singleflight). A Cache is safe
// for concurrent use; failed reads are not cached.
type Cache struct {
	ttl time.Duration
	now func() time.Time
	sf  singleflight.Group
	mu  sync.Mutex
	m   map[string]*cacheEntry
}

// DefaultCacheTTL is how long New's own Cache keeps organization data.
const DefaultCacheTTL = 5 * time.Minute

// NewCache returns an empty Cache whose organization entries expire after
// ttl (immutable IAM policy versions never expire).
func NewCache(ttl time.Duration) *Cache {
	return &Cache{ttl: ttl, now: time.Now, m: map[string]*cacheEntry{}}
}

// Purge drops every entry. Fetches in flight still store their answers.
func (c *Cache) Purge() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

// lookup returns key's answer unless it is missing or expired.
func (c *Cache) lookup(key string, immutable bool) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || (!immutable && c.now().Sub(e.at) > c.ttl) {
		return nil
	}
	return e
}

// answer gives w a stored answer: known at the owner's depth to the
// resolution that fetched it, and at once (a hit) to any other.
func (w *walk) answer(e *cacheEntry, after int) (any, int, error) {
	if e.owner == w {
		return e.val, max(after, e.depth), nil
	}
	w.hit()
	return e.val, after, nil
}

// Flight states of one do call's own fetch function.
const (
	fetchPending   int32 = iota // not run (yet): another flight may answer
	fetchRunning                // this resolution is fetching
	fetchAbandoned              // the caller left: the function must not fetch
)

// do returns the cached answer for key, or waits for the fetch in flight,
// or fetches it. after is the caller's round trip; the returned depth is
// the round trip at which the answer is known to this resolution (after
// itself for an answer cached by an earlier one). immutable entries never
// expire. ctx is w's context: the fetch runs with it.
func (c *Cache) do(ctx context.Context, w *walk, key string, after int, immutable bool, fetch func() (any, int, error)) (any, int, error) {
	// A waiter whose flight failed only because the resolution that ran
	// it gave up (its context ended) tries once more with its own.
	for attempt := 0; ; attempt++ {
		if e := c.lookup(key, immutable); e != nil {
			return w.answer(e, after)
		}
		var state atomic.Int32
		ch := c.sf.DoChan(key, func() (any, error) {
			if !state.CompareAndSwap(fetchPending, fetchRunning) {
				return flight{e: &cacheEntry{owner: w}}, ctx.Err()
			}
			// A flight that ended between the lookup and now stored its
			// answer.
			if e := c.lookup(key, immutable); e != nil {
				return flight{e: e, cached: true}, nil
			}
			w.miss()
			val, depth, err := fetch()
			e := &cacheEntry{val: val, at: c.now(), owner: w, depth: depth}
			if err == nil {
				c.mu.Lock()
				c.m[key] = e
				c.mu.Unlock()
			}
			return flight{e: e}, err
		})
		var r singleflight.Result
		select {
		case r = <-ch:
		case <-ctx.Done():
			if state.CompareAndSwap(fetchPending, fetchAbandoned) {
				return nil, after, ctx.Err()
			}
			// This resolution's own fetch is running: wait for it (its
			// calls end with ctx), so that it never touches w's stats
			// after the resolution returned.
			r = <-ch
		}
		f, _ := r.Val.(flight)
		mine := f.e != nil && f.e.owner == w
		if r.Err != nil {
			if mine {
				return f.e.val, f.e.depth, r.Err
			}
			if attempt == 0 && ctx.Err() == nil && (errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, context.DeadlineExceeded)) {
				continue
			}
			return nil, after, r.Err
		}
		if mine || f.cached {
			return w.answer(f.e, after)
		}
		// Another resolution's call answered this one: it cost a round
		// trip, but no call of ours.
		return f.e.val, after + 1, nil
	}
}

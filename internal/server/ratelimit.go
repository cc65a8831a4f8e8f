package server

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is the per-client rate limit: one golang.org/x/time/rate token
// bucket per client, each allowing rate requests per second on average and
// burst at once. Buckets that have refilled are dropped (a client that comes
// back starts full, as it would have anyway), and at most maxClients are
// kept, so memory stays bounded whatever the number of clients.
type limiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	clients map[string]*rate.Limiter
	swept   time.Time
}

// maxClients bounds the buckets kept.
const maxClients = 10000

// sweepEvery is how often idle buckets are dropped; sweepFullEvery how often
// at most when the table is full and a new client arrives.
const (
	sweepEvery     = time.Minute
	sweepFullEvery = time.Second
)

func newLimiter(perSecond float64, burst int, now func() time.Time) *limiter {
	if burst < 1 {
		burst = 1
	}
	return &limiter{limit: rate.Limit(perSecond), burst: burst, now: now, clients: map[string]*rate.Limiter{}}
}

// allow takes a token from client's bucket. When none is left it returns
// false and how long until one is.
func (l *limiter) allow(client string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	if now.Sub(l.swept) >= sweepEvery {
		l.sweep(now)
	}
	b, ok := l.clients[client]
	if !ok {
		if len(l.clients) >= maxClients && now.Sub(l.swept) >= sweepFullEvery {
			l.sweep(now)
		}
		if len(l.clients) >= maxClients {
			l.mu.Unlock()
			// Too many clients at once: refuse newcomers rather than grow
			// without bound.
			return false, time.Second
		}
		b = rate.NewLimiter(l.limit, l.burst)
		l.clients[client] = b
	}
	l.mu.Unlock()
	if b.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - b.TokensAt(now)
	return false, time.Duration(math.Ceil(missing / float64(l.limit) * float64(time.Second)))
}

// sweep drops the buckets that are full again. l.mu is held.
func (l *limiter) sweep(now time.Time) {
	l.swept = now
	for k, b := range l.clients {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.clients, k)
		}
	}
}

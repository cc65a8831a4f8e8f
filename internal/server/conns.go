package server

import (
	"container/list"
	"context"
	"net"
	"net/http"
	"sync"
)

// DefaultMaxConns is the default limit of open client connections: far
// above what chat-ops, probes and scrapers open, far below the process's
// file limit.
const DefaultMaxConns = 1024

// connLimiter bounds the daemon's open connections without letting slow
// clients lock everyone else out. Blocking Accept at the limit (as
// netutil.LimitListener does) hands the daemon to whoever opens the most
// connections and sends slowest: ReadHeaderTimeout frees a slot only after
// seconds, while probes wait in the kernel's backlog. Instead, a connection
// that arrives at the limit evicts one that costs nobody anything to lose:
// an idle keep-alive connection (HTTP clients retry a request on a reused
// connection that closes), else the one that has waited longest for its
// request headers. A connection whose request is being handled is never
// evicted; when every connection is busy handling, Accept waits.
type connLimiter struct {
	net.Listener
	max int

	mu   sync.Mutex
	cond *sync.Cond
	// evictable are the connections idle or reading a request's headers,
	// oldest first; busy counts those whose request is being handled.
	evictable *list.List
	conns     map[net.Conn]*trackedConn
	closed    bool
	// onEvict, when set, is told of each eviction (metrics).
	onEvict func()
}

// trackedConn is one open connection and its place in evictable (nil while
// its request is handled).
type trackedConn struct {
	c    net.Conn
	elem *list.Element
}

// connKey carries the request's connection in its context, for
// handling.
type connKey struct{}

func newConnLimiter(ln net.Listener, max int, onEvict func()) *connLimiter {
	l := &connLimiter{Listener: ln, max: max, evictable: list.New(), conns: map[net.Conn]*trackedConn{}, onEvict: onEvict}
	l.cond = sync.NewCond(&l.mu)
	return l
}

// Accept accepts a connection, evicting one when at the limit, or waiting
// while every connection is handling a request.
func (l *connLimiter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.conns) >= l.max && !l.closed {
		front := l.evictable.Front()
		if front == nil {
			l.cond.Wait()
			continue
		}
		old := l.evictable.Remove(front).(*trackedConn)
		delete(l.conns, old.c)
		// The server's goroutine for it sees the error and ends; its
		// StateClosed finds it already forgotten.
		_ = old.c.Close()
		if l.onEvict != nil {
			l.onEvict()
		}
	}
	t := &trackedConn{c: c}
	t.elem = l.evictable.PushBack(t)
	l.conns[c] = t
	return c, nil
}

// Close closes the listener and wakes a waiting Accept.
func (l *connLimiter) Close() error {
	l.mu.Lock()
	l.closed = true
	l.cond.Broadcast()
	l.mu.Unlock()
	return l.Listener.Close()
}

// connState is the http.Server's ConnState hook: an idle or reading
// connection is evictable again (newest last), a closed one forgotten.
func (l *connLimiter) connState(c net.Conn, st http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.conns[c]
	if t == nil {
		return
	}
	switch st {
	case http.StateIdle, http.StateActive:
		// Idle: between requests (a request being sent slowly on a
		// keep-alive connection stays idle until its headers are read).
		// Active: its headers are read; handling marks it busy next, and
		// until then it is the newest, the last to be evicted.
		if t.elem != nil {
			l.evictable.Remove(t.elem)
		}
		t.elem = l.evictable.PushBack(t)
	case http.StateClosed, http.StateHijacked:
		if t.elem != nil {
			l.evictable.Remove(t.elem)
		}
		delete(l.conns, c)
		l.cond.Broadcast()
	}
}

// connContext is the http.Server's ConnContext hook: the request's context
// knows its connection.
func (l *connLimiter) connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// handling marks the connection of a request whose headers are read as
// busy until it is idle again: it is not evicted while handled.
func (l *connLimiter) handling(ctx context.Context) {
	c, ok := ctx.Value(connKey{}).(net.Conn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if t := l.conns[c]; t != nil && t.elem != nil {
		l.evictable.Remove(t.elem)
		t.elem = nil
	}
}

// open returns the number of open connections.
func (l *connLimiter) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

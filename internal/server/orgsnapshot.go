package server

import (
	"container/list"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/diagnose"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// DefaultOrgAccounts is how many accounts of a multi-account snapshot the
// daemon keeps loaded by default.
const DefaultOrgAccounts = 32

// OrgSnapshotSource answers layer requests from a multi-account snapshot
// folder (`iamdiag snapshot --org`): each principal and resource from its
// own account's file, loaded when a request needs it and kept in a cache
// of the most recently used accounts, so that a daemon answering many
// accounts neither reads a file per request nor holds the organization.
// It reloads the index (organization.json) when it changes, as
// SnapshotSource does its file, and then forgets every loaded account (the
// SCPs they were indexed with may have changed); an account whose own file
// changed is forgotten at the next check. It is safe for concurrent use.
type OrgSnapshotSource struct {
	path, index string
	max         int
	log         *zap.Logger
	metrics     *Metrics
	cur         atomic.Pointer[loadedOrg]
	// failed is the latest reload's failure, nil once a reload succeeds.
	failed atomic.Pointer[reloadFailure]
}

// loadedOrg is one content of the index with the accounts loaded for it.
type loadedOrg struct {
	// index reads every account from its file (the audit's); cached
	// reads through accounts.
	index, cached *layers.OrgSnapshot
	info          os.FileInfo
	at            time.Time

	mu       sync.Mutex
	accounts *accountCache
	// broken are the accounts whose file failed to load, with the error.
	broken map[string]string
}

// accountCache keeps the most recently used accounts, at most max.
type accountCache struct {
	max   int
	order *list.List // of *cachedAccount, most recent first
	byID  map[string]*list.Element
}

// cachedAccount is a loaded account and the state of its file when it was
// read.
type cachedAccount struct {
	id   string
	snap *layers.Snapshot
	info os.FileInfo
}

func newAccountCache(max int) *accountCache {
	return &accountCache{max: max, order: list.New(), byID: map[string]*list.Element{}}
}

func (c *accountCache) get(id string) *cachedAccount {
	e, ok := c.byID[id]
	if !ok {
		return nil
	}
	c.order.MoveToFront(e)
	return e.Value.(*cachedAccount)
}

func (c *accountCache) add(a *cachedAccount) {
	if e, ok := c.byID[a.id]; ok {
		e.Value = a
		c.order.MoveToFront(e)
		return
	}
	c.byID[a.id] = c.order.PushFront(a)
	for c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.byID, old.Value.(*cachedAccount).id)
	}
}

func (c *accountCache) remove(id string) {
	if e, ok := c.byID[id]; ok {
		c.order.Remove(e)
		delete(c.byID, id)
	}
}

// OpenOrgSnapshot loads the index of the multi-account snapshot at path
// (the folder or its organization.json); at most maxAccounts accounts are
// kept loaded (DefaultOrgAccounts when 0 or less). metrics may be nil.
func OpenOrgSnapshot(path string, maxAccounts int, log *zap.Logger, metrics *Metrics) (*OrgSnapshotSource, error) {
	if log == nil {
		log = zap.NewNop()
	}
	if metrics == nil {
		metrics = NewMetrics()
	}
	if maxAccounts <= 0 {
		maxAccounts = DefaultOrgAccounts
	}
	index := filepath.Join(path, layers.OrgIndexFile)
	if filepath.Base(path) == layers.OrgIndexFile {
		index = path
	}
	s := &OrgSnapshotSource{path: path, index: index, max: maxAccounts, log: log, metrics: metrics}
	if _, err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// load reads the index and swaps it in, with no account loaded. Content
// that failed before (same size and hash) fails again with the same error
// without being parsed again; repeated says so.
func (s *OrgSnapshotSource) load() (repeated bool, err error) {
	info, err := os.Stat(s.index)
	if err != nil {
		return false, fmt.Errorf("reading the organization snapshot %s: %w", s.index, err)
	}
	b, err := os.ReadFile(s.index)
	if err != nil {
		return false, fmt.Errorf("reading the organization snapshot %s: %w", s.index, err)
	}
	state := fileState{size: info.Size(), mtime: info.ModTime(), sum: sha256.Sum256(b)}
	if f := s.failed.Load(); f != nil && f.state.size == state.size && f.state.sum == state.sum {
		s.failed.Store(&reloadFailure{state: state, info: info, err: f.err, at: f.at})
		return true, f.err
	}
	// LoadOrg reads the file again: the state above may be older than
	// what it reads, which only makes the next check reload once more.
	org, err := layers.LoadOrg(s.path)
	if err != nil {
		s.failed.Store(&reloadFailure{state: state, info: info, err: err, at: time.Now()})
		s.metrics.reloadFailing.Set(1)
		return false, err
	}
	now := time.Now()
	l := &loadedOrg{index: org, info: info, at: now, accounts: newAccountCache(s.max), broken: map[string]string{}}
	l.cached = org.WithLoader(l.account)
	s.cur.Store(l)
	s.failed.Store(nil)
	s.metrics.reloadFailing.Set(0)
	s.metrics.snapshotAt.Set(float64(now.Unix()))
	unread := unreadAccounts(org)
	s.log.Info("organization snapshot loaded", zap.String("path", s.index), zap.String("organization", org.Organization.ID),
		zap.Int("accounts", len(org.Accounts)), zap.Time("captured_at", org.CapturedAt))
	if len(unread) > 0 {
		// Once per file state: a state is loaded once.
		s.log.Warn("organization snapshot loaded with accounts that could not be read: their layers are unknown",
			zap.Int("accounts", len(unread)), zap.String("first", unread[0]))
	}
	return false, nil
}

// account returns account id, from the cache or read from its file and
// cached. Two requests missing the same account may both read it.
func (l *loadedOrg) account(id string) (*layers.Snapshot, error) {
	l.mu.Lock()
	if a := l.accounts.get(id); a != nil {
		l.mu.Unlock()
		return a.snap, nil
	}
	l.mu.Unlock()
	info, statErr := os.Stat(l.index.AccountPath(id))
	snap, err := l.index.ReadAccount(id)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.broken[id] = err.Error()
		return nil, err
	}
	delete(l.broken, id)
	if statErr == nil {
		l.accounts.add(&cachedAccount{id: id, snap: snap, info: info})
	}
	return snap, nil
}

// dropChanged forgets the accounts whose file changed since it was read.
func (l *loadedOrg) dropChanged() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var dropped []string
	for e := l.accounts.order.Front(); e != nil; {
		next := e.Next()
		a := e.Value.(*cachedAccount)
		info, err := os.Stat(l.index.AccountPath(a.id))
		if err != nil || !sameFile(a.info, info) {
			l.accounts.remove(a.id)
			dropped = append(dropped, a.id)
		}
		e = next
	}
	return dropped
}

// unreadAccounts lists the accounts the index records unreadable, as
// "ID (code)".
func unreadAccounts(o *layers.OrgSnapshot) []string {
	var out []string
	for _, a := range o.Accounts {
		if a.File == "" {
			code := a.ErrorCode
			if code == "" {
				code = "unreadable"
			}
			out = append(out, a.ID+" ("+code+")")
		}
	}
	return out
}

// Index returns the index in use, whose Account reads each file anew
// (the audit's, which must not churn the daemon's cache).
func (s *OrgSnapshotSource) Index() *layers.OrgSnapshot { return s.cur.Load().index }

// Path returns the folder or index the source was opened with.
func (s *OrgSnapshotSource) Path() string { return s.path }

// Loaded returns the ids of the accounts loaded now, most recently used
// first.
func (s *OrgSnapshotSource) Loaded() []string {
	l := s.cur.Load()
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := make([]string, 0, l.accounts.order.Len())
	for e := l.accounts.order.Front(); e != nil; e = e.Next() {
		ids = append(ids, e.Value.(*cachedAccount).id)
	}
	return ids
}

// Gather answers req from the organization snapshot in use.
func (s *OrgSnapshotSource) Gather(ctx context.Context, req *policy.Request) (*diagnose.Gathered, error) {
	return diagnose.OrgSnapshot(s.cur.Load().cached).Gather(ctx, req)
}

// Ready reports whether an index is loaded and its file still readable.
// Unreadable accounts do not make the source unready: Degraded lists them.
func (s *OrgSnapshotSource) Ready(context.Context) error {
	if s.cur.Load() == nil {
		return errors.New("no organization snapshot loaded")
	}
	if _, err := os.Stat(s.index); err != nil {
		return fmt.Errorf("organization snapshot index: %w", err)
	}
	return nil
}

// Degraded says why the daemon serves less than the organization holds:
// the latest reload of the index failed, accounts were recorded unreadable
// at capture, or account files failed to load; "" when none.
func (s *OrgSnapshotSource) Degraded(context.Context) string {
	cur := s.cur.Load()
	if cur == nil {
		return ""
	}
	var parts []string
	if f := s.failed.Load(); f != nil {
		parts = append(parts, fmt.Sprintf("the organization snapshot's index changed but cannot be loaded (%v); serving the index loaded %s ago",
			f.err, time.Since(cur.at).Round(time.Second)))
	}
	if unread := unreadAccounts(cur.index); len(unread) > 0 {
		parts = append(parts, fmt.Sprintf("%d account(s) could not be read when the snapshot was captured, so their layers are unknown: %s",
			len(unread), listSome(unread)))
	}
	cur.mu.Lock()
	broken := make([]string, 0, len(cur.broken))
	for id, msg := range cur.broken {
		broken = append(broken, id+": "+msg)
	}
	cur.mu.Unlock()
	if len(broken) > 0 {
		slices.Sort(broken)
		parts = append(parts, fmt.Sprintf("%d account file(s) cannot be loaded, so their layers are unknown: %s", len(broken), listSome(broken)))
	}
	return strings.Join(parts, "; ")
}

// listSome joins the first items of a list, saying how many it leaves out.
func listSome(items []string) string {
	const most = 10
	if len(items) <= most {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:most], ", ") + fmt.Sprintf(" and %d more", len(items)-most)
}

// Reload reloads the index if it changed since it was loaded, and reports
// whether it did; otherwise it forgets the loaded accounts whose file
// changed.
func (s *OrgSnapshotSource) Reload() (bool, error) {
	info, err := os.Stat(s.index)
	if err != nil {
		return false, fmt.Errorf("checking the organization snapshot %s: %w", s.index, err)
	}
	cur := s.cur.Load()
	if sameFile(cur.info, info) {
		if dropped := cur.dropChanged(); len(dropped) > 0 {
			s.log.Info("account files changed: they are read again when needed", zap.Strings("accounts", dropped))
		}
		return false, nil
	}
	if f := s.failed.Load(); f != nil && sameFile(f.info, info) {
		// The state that failed: not read, parsed, counted or logged
		// again.
		return false, f.err
	}
	if repeated, err := s.load(); err != nil {
		if !repeated {
			s.metrics.reloads.WithLabelValues("failure").Inc()
		}
		return false, err
	}
	s.metrics.reloads.WithLabelValues("success").Inc()
	return true, nil
}

// Watch reloads the index every interval until ctx is done; a failed
// reload is logged once per failure and retried at the next interval.
func (s *OrgSnapshotSource) Watch(ctx context.Context, every time.Duration) {
	watchEvery(ctx, every, func(context.Context) error {
		_, err := s.Reload()
		return err
	}, s.log, "organization snapshot reload failed: still serving the previous index")
}

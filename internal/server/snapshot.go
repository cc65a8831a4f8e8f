package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/diagnose"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// SnapshotSource answers layer requests from a snapshot file and reloads it
// when the file changes (polling its size, modification time and identity,
// which also sees a file replaced by rename, as a ConfigMap update or
// `iamdiag snapshot -o` through a temporary file does). A reload that fails
// keeps the snapshot in use. It is safe for concurrent use.
type SnapshotSource struct {
	path    string
	log     *zap.Logger
	metrics *Metrics
	cur     atomic.Pointer[loadedSnapshot]
	// failed is the latest reload's failure, nil once a reload succeeds.
	failed atomic.Pointer[reloadFailure]
}

type loadedSnapshot struct {
	snap *layers.Snapshot
	info os.FileInfo
	at   time.Time
}

// fileState identifies one content of the snapshot file: a failed reload
// is retried, and warned about, only when the state changes.
type fileState struct {
	size  int64
	mtime time.Time
	sum   [sha256.Size]byte
}

// reloadFailure is a reload that failed, with the file state it read.
type reloadFailure struct {
	state fileState
	info  os.FileInfo
	err   error
	at    time.Time
}

// OpenSnapshot loads the snapshot at path. metrics may be nil.
func OpenSnapshot(path string, log *zap.Logger, metrics *Metrics) (*SnapshotSource, error) {
	if log == nil {
		log = zap.NewNop()
	}
	if metrics == nil {
		metrics = NewMetrics()
	}
	s := &SnapshotSource{path: path, log: log, metrics: metrics}
	if _, err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// load reads the file and swaps it in. Content that failed before (same
// size and hash, whatever the modification time) fails again with the
// same error without being parsed again; repeated says so.
func (s *SnapshotSource) load() (repeated bool, err error) {
	info, err := os.Stat(s.path)
	if err != nil {
		return false, fmt.Errorf("reading the snapshot %s: %w", s.path, err)
	}
	b, err := readSnapshotFile(s.path)
	if err != nil {
		return false, fmt.Errorf("reading the snapshot %s: %w", s.path, err)
	}
	state := fileState{size: info.Size(), mtime: info.ModTime(), sum: sha256.Sum256(b)}
	if f := s.failed.Load(); f != nil && f.state.size == state.size && f.state.sum == state.sum {
		s.failed.Store(&reloadFailure{state: state, info: info, err: f.err, at: f.at})
		return true, f.err
	}
	snap, err := layers.Load(bytes.NewReader(b))
	if err != nil {
		err = fmt.Errorf("reading the snapshot %s: %w", s.path, err)
		s.failed.Store(&reloadFailure{state: state, info: info, err: err, at: time.Now()})
		s.metrics.reloadFailing.Set(1)
		return false, err
	}
	now := time.Now()
	s.cur.Store(&loadedSnapshot{snap: snap, info: info, at: now})
	s.failed.Store(nil)
	s.metrics.reloadFailing.Set(0)
	s.metrics.snapshotAt.Set(float64(now.Unix()))
	bad := snap.Unreadable()
	s.metrics.unreadableDocs.Set(float64(len(bad)))
	s.log.Info("snapshot loaded", zap.String("path", s.path), zap.String("account", snap.AccountID),
		zap.Time("captured_at", snap.CapturedAt), zap.Int64("bytes", info.Size()))
	if len(bad) > 0 {
		// Once per file state: a state is loaded once.
		s.log.Warn("snapshot loaded with policy documents that cannot be parsed: the layers that use them are unknown",
			zap.Int("documents", len(bad)), zap.String("first", bad[0].Error()))
	}
	return false, nil
}

// readSnapshotFile reads the file, up to the size Load accepts.
func readSnapshotFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, layers.DefaultMaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > layers.DefaultMaxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", layers.ErrTooLarge, layers.DefaultMaxBytes)
	}
	return b, nil
}

// Degraded says why the daemon serves less than the file holds: the latest
// reload failed (with the error and the age of the snapshot still served),
// or the snapshot in use has documents that cannot be parsed; "" when
// neither. /readyz reports it and stays 200: the daemon still answers.
func (s *SnapshotSource) Degraded(context.Context) string {
	cur := s.cur.Load()
	if cur == nil {
		return ""
	}
	var parts []string
	if f := s.failed.Load(); f != nil {
		parts = append(parts, fmt.Sprintf("the file changed but cannot be loaded (%v); serving the snapshot loaded %s ago",
			f.err, time.Since(cur.at).Round(time.Second)))
	}
	if bad := cur.snap.Unreadable(); len(bad) > 0 {
		parts = append(parts, fmt.Sprintf("%d policy document(s) of the snapshot in use cannot be parsed, so the layers that use them are unknown (first: %v)", len(bad), bad[0]))
	}
	return strings.Join(parts, "; ")
}

// Snapshot returns the snapshot in use.
func (s *SnapshotSource) Snapshot() *layers.Snapshot { return s.cur.Load().snap }

// Layers answers req from the snapshot in use.
func (s *SnapshotSource) Gather(ctx context.Context, req *policy.Request) (*diagnose.Gathered, error) {
	return diagnose.Snapshot(s.cur.Load().snap).Gather(ctx, req)
}

// Ready reports whether a snapshot is loaded and its file still readable.
func (s *SnapshotSource) Ready(context.Context) error {
	if s.cur.Load() == nil {
		return errors.New("no snapshot loaded")
	}
	if _, err := os.Stat(s.path); err != nil {
		return fmt.Errorf("snapshot file: %w", err)
	}
	return nil
}

// Reload reloads the file if it changed since it was loaded, and reports
// whether it did.
func (s *SnapshotSource) Reload() (bool, error) {
	info, err := os.Stat(s.path)
	if err != nil {
		return false, fmt.Errorf("checking the snapshot %s: %w", s.path, err)
	}
	old := s.cur.Load().info
	if os.SameFile(old, info) && info.Size() == old.Size() && info.ModTime().Equal(old.ModTime()) {
		return false, nil
	}
	if f := s.failed.Load(); f != nil && os.SameFile(f.info, info) && info.Size() == f.state.size && info.ModTime().Equal(f.state.mtime) {
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

// Watch reloads the file every interval until ctx is done; a failed reload
// is logged and retried at the next interval, when the file may be whole.
func (s *SnapshotSource) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.Reload(); err != nil {
			// Log a persisting failure once, not every interval.
			if err.Error() != lastErr {
				s.log.Warn("snapshot reload failed: still serving the previous snapshot", zap.Error(err))
			}
			lastErr = err.Error()
			continue
		}
		lastErr = ""
	}
}

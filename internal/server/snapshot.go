package server

import (
	"context"
	"errors"
	"fmt"
	"os"
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
}

type loadedSnapshot struct {
	snap *layers.Snapshot
	info os.FileInfo
	at   time.Time
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
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// load reads the file and swaps it in.
func (s *SnapshotSource) load() error {
	info, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("reading the snapshot %s: %w", s.path, err)
	}
	snap, err := layers.LoadFile(s.path)
	if err != nil {
		return fmt.Errorf("reading the snapshot %s: %w", s.path, err)
	}
	now := time.Now()
	s.cur.Store(&loadedSnapshot{snap: snap, info: info, at: now})
	s.metrics.snapshotAt.Set(float64(now.Unix()))
	s.log.Info("snapshot loaded", zap.String("path", s.path), zap.String("account", snap.AccountID),
		zap.Time("captured_at", snap.CapturedAt), zap.Int64("bytes", info.Size()))
	return nil
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
	if err := s.load(); err != nil {
		s.metrics.reloads.WithLabelValues("failure").Inc()
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

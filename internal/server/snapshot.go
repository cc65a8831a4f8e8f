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
//
// OpenSnapshotObject makes one that reads an object of a store many
// daemons share (S3) instead, and reloads it when its version (S3's ETag)
// changes.
type SnapshotSource struct {
	path    string
	obj     SnapshotObject // nil for a file
	log     *zap.Logger
	metrics *Metrics
	cur     atomic.Pointer[loadedSnapshot]
	// failed is the latest reload's failure, nil once a reload succeeds.
	failed atomic.Pointer[reloadFailure]
}

type loadedSnapshot struct {
	snap    *layers.Snapshot
	info    os.FileInfo // nil for an object
	version string      // an object's version
	at      time.Time
}

// SnapshotObject is a snapshot kept as one object of a store many daemons
// share; live.S3Object implements it over S3, so that this package needs
// no AWS SDK.
type SnapshotObject interface {
	// Read returns the object's content and its version.
	Read(ctx context.Context) (content []byte, version string, err error)
	// Version returns the object's version (S3's ETag) without reading
	// the content: it changes when the content does.
	Version(ctx context.Context) (string, error)
	// String names the object (s3://BUCKET/KEY).
	String() string
}

// objectTimeout bounds one check or read of a snapshot object.
const objectTimeout = time.Minute

// fileState identifies one content of the snapshot file: a failed reload
// is retried, and warned about, only when the state changes.
type fileState struct {
	size  int64
	mtime time.Time
	sum   [sha256.Size]byte
}

// sameFile reports whether info describes the file that old did, unchanged:
// the same file, size and modification time. A nil old is no file.
func sameFile(old, info os.FileInfo) bool {
	return old != nil && os.SameFile(old, info) && info.Size() == old.Size() && info.ModTime().Equal(old.ModTime())
}

// watchEvery calls reload every interval until ctx is done; a failed
// reload is warned with what once per distinct error, not every interval,
// and retried at the next one.
func watchEvery(ctx context.Context, every time.Duration, reload func(context.Context) error, log *zap.Logger, what string) {
	t := time.NewTicker(every)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := reload(ctx); err != nil {
			if err.Error() != lastErr {
				log.Warn(what, zap.Error(err))
			}
			lastErr = err.Error()
			continue
		}
		lastErr = ""
	}
}

// reloadFailure is a reload that failed, with the file state it read.
type reloadFailure struct {
	state   fileState
	info    os.FileInfo
	version string // an object's version
	err     error
	at      time.Time
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
	s.swap(&loadedSnapshot{snap: snap, info: info}, info.Size())
	return false, nil
}

// swap puts cur in use, loaded from size bytes.
func (s *SnapshotSource) swap(cur *loadedSnapshot, size int64) {
	snap := cur.snap
	now := time.Now()
	cur.at = now
	s.cur.Store(cur)
	s.failed.Store(nil)
	s.metrics.reloadFailing.Set(0)
	s.metrics.snapshotAt.Set(float64(now.Unix()))
	bad := snap.Unreadable()
	s.metrics.unreadableDocs.Set(float64(len(bad)))
	s.log.Info("snapshot loaded", zap.String("path", s.path), zap.String("account", snap.AccountID),
		zap.Time("captured_at", snap.CapturedAt), zap.Int64("bytes", size))
	if len(bad) > 0 {
		// Once per file state: a state is loaded once.
		s.log.Warn("snapshot loaded with policy documents that cannot be parsed: the layers that use them are unknown",
			zap.Int("documents", len(bad)), zap.String("first", bad[0].Error()))
	}
}

// OpenSnapshotObject loads the snapshot object obj. metrics may be nil.
func OpenSnapshotObject(ctx context.Context, obj SnapshotObject, log *zap.Logger, metrics *Metrics) (*SnapshotSource, error) {
	if log == nil {
		log = zap.NewNop()
	}
	if metrics == nil {
		metrics = NewMetrics()
	}
	s := &SnapshotSource{path: obj.String(), obj: obj, log: log, metrics: metrics}
	if _, err := s.loadObject(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// loadObject is load for an object: a version that failed before fails
// again without being parsed again.
func (s *SnapshotSource) loadObject(ctx context.Context) (repeated bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, objectTimeout)
	defer cancel()
	b, version, err := s.obj.Read(ctx)
	if err != nil {
		return false, fmt.Errorf("reading the snapshot: %w", err)
	}
	if f := s.failed.Load(); f != nil && f.version == version {
		return true, f.err
	}
	snap, err := layers.Load(bytes.NewReader(b))
	if err != nil {
		err = fmt.Errorf("reading the snapshot %s: %w", s.path, err)
		s.failed.Store(&reloadFailure{version: version, err: err, at: time.Now()})
		s.metrics.reloadFailing.Set(1)
		return false, err
	}
	s.swap(&loadedSnapshot{snap: snap, version: version}, int64(len(b)))
	return false, nil
}

// reloadObject is Reload for an object: it reads it again when its
// version changed.
func (s *SnapshotSource) reloadObject(ctx context.Context) (bool, error) {
	vctx, cancel := context.WithTimeout(ctx, objectTimeout)
	version, err := s.obj.Version(vctx)
	cancel()
	if err != nil {
		return false, fmt.Errorf("checking the snapshot: %w", err)
	}
	if version == s.cur.Load().version {
		return false, nil
	}
	if f := s.failed.Load(); f != nil && f.version == version {
		return false, f.err
	}
	if repeated, err := s.loadObject(ctx); err != nil {
		if !repeated {
			s.metrics.reloads.WithLabelValues("failure").Inc()
		}
		return false, err
	}
	s.metrics.reloads.WithLabelValues("success").Inc()
	return true, nil
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
	what := "file"
	if s.obj != nil {
		what = "object"
	}
	if f := s.failed.Load(); f != nil {
		parts = append(parts, fmt.Sprintf("the "+what+" changed but cannot be loaded (%v); serving the snapshot loaded %s ago",
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

// Ready reports whether a snapshot is loaded and its file still readable
// (an object: loaded).
func (s *SnapshotSource) Ready(context.Context) error {
	if s.cur.Load() == nil {
		return errors.New("no snapshot loaded")
	}
	if s.obj != nil {
		// Checked every poll; a failed check is a reload failure.
		return nil
	}
	if _, err := os.Stat(s.path); err != nil {
		return fmt.Errorf("snapshot file: %w", err)
	}
	return nil
}

// Reload reloads the file if it changed since it was loaded, and reports
// whether it did.
func (s *SnapshotSource) Reload() (bool, error) {
	return s.reload(context.Background())
}

func (s *SnapshotSource) reload(ctx context.Context) (bool, error) {
	if s.obj != nil {
		return s.reloadObject(ctx)
	}
	info, err := os.Stat(s.path)
	if err != nil {
		return false, fmt.Errorf("checking the snapshot %s: %w", s.path, err)
	}
	if sameFile(s.cur.Load().info, info) {
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

// Watch reloads the file every interval until ctx is done; a failed reload
// is logged and retried at the next interval, when the file may be whole.
func (s *SnapshotSource) Watch(ctx context.Context, every time.Duration) {
	watchEvery(ctx, every, func(ctx context.Context) error {
		_, err := s.reload(ctx)
		return err
	}, s.log, "snapshot reload failed: still serving the previous snapshot")
}

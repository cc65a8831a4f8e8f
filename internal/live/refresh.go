package live

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/atomicfile"
	"github.com/iamdiag/iamdiag/internal/layers"
)

// Capturer captures the account for the daemon: on demand for an audit, or
// into its snapshot file on a schedule. Its warnings (an unreadable
// organization) go to the log.
type Capturer struct {
	// Clients are the clients Capture reads through.
	Clients CaptureClients
	// Log receives the capture's warnings and outcome; nil discards them.
	Log *zap.Logger
}

func (c *Capturer) log() *zap.Logger {
	if c.Log == nil {
		return zap.NewNop()
	}
	return c.Log
}

// Capture captures the account, as Capture does, and logs its warnings.
func (c *Capturer) Capture(ctx context.Context) (*layers.Snapshot, error) {
	snap, warnings, err := Capture(ctx, c.Clients, CaptureOptions{})
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		c.log().Warn("capture", zap.String("warning", w))
	}
	return snap, nil
}

// CaptureFile captures the account into path, atomically (a temporary
// file renamed over it), so that the snapshot's watcher never reads half a
// file.
func (c *Capturer) CaptureFile(ctx context.Context, path string) error {
	start := time.Now()
	snap, err := c.Capture(ctx)
	if err != nil {
		return fmt.Errorf("capturing the snapshot: %w", err)
	}
	b, err := snap.Marshal()
	if err != nil {
		return fmt.Errorf("capturing the snapshot: %w", err)
	}
	if err := atomicfile.Write(ctx, path, b); err != nil {
		return fmt.Errorf("writing the snapshot %s: %w", path, err)
	}
	c.log().Info("snapshot captured", zap.String("path", path), zap.String("account", snap.AccountID), zap.Duration("duration", time.Since(start)))
	return nil
}

// Reloader reloads a snapshot file once it has changed; the daemon's
// server.SnapshotSource implements it.
type Reloader interface {
	Reload() (changed bool, err error)
}

// Refresh captures the account into path every interval and reloads r,
// until ctx is done. A failed capture keeps the previous file, logged.
func (c *Capturer) Refresh(ctx context.Context, path string, every time.Duration, r Reloader) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := c.CaptureFile(ctx, path); err != nil {
			c.log().Warn("snapshot refresh failed: still serving the previous snapshot", zap.Error(err))
			continue
		}
		if _, err := r.Reload(); err != nil {
			c.log().Warn("reloading the refreshed snapshot failed", zap.Error(err))
		}
	}
}

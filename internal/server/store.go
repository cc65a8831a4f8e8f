package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/iamdiag/iamdiag/internal/atomicfile"
)

// Store keeps the latest audit report in a state directory, written
// atomically: a crash or a full disk leaves the previous report, never half
// of one.
type Store struct {
	dir string
}

// auditFile is the report's file name in the state directory.
const auditFile = "audit.json"

// OpenStore returns a Store in dir, creating it (mode 0700: reports name
// every principal of the account).
func OpenStore(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("opening state directory: no directory given")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("opening state directory: %w", err)
	}
	return &Store{dir: dir}, nil
}

// Path returns the report's path.
func (s *Store) Path() string { return filepath.Join(s.dir, auditFile) }

// Load returns the stored report, nil when there is none yet.
func (s *Store) Load() (*AuditReport, error) {
	b, err := os.ReadFile(s.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the stored audit: %w", err)
	}
	var rep AuditReport
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("reading the stored audit %s: %w; move it away to start afresh", s.Path(), err)
	}
	return &rep, nil
}

// Save writes rep atomically: a temporary file in the same directory,
// synced, then renamed over the report, then the directory synced so that
// the rename itself survives a crash.
func (s *Store) Save(rep *AuditReport) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the audit: %w", err)
	}
	if err := atomicfile.Write(context.Background(), s.Path(), append(b, '\n')); err != nil {
		return fmt.Errorf("storing the audit: %w", err)
	}
	return nil
}

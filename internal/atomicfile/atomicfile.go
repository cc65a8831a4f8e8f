// Package atomicfile replaces a file's content atomically: a reader (the
// daemon's snapshot watcher, a restarted daemon reading its audit) sees the
// old file or the new one, never a part, and a crash, a full disk or an
// interruption leaves the old one.
package atomicfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces path with data atomically: readers see the old
// file or the new one, never a part (the snapshot refresh, `snapshot -o` and
// --redact-map use it). It writes regular files only: a target that is a
// symbolic link (/dev/stdout is one), a device, a named pipe, a socket or a
// folder is refused with ErrNotRegularFile, as the rename would replace the
// link or device itself (run as root, it would replace the system's
// /dev/stdout). The temporary file is created in path's folder with O_EXCL
// and mode 0600 (the files name every principal, or hold unredacted
// values); it is removed when the write fails or ctx is cancelled
// (SIGINT, SIGTERM), leaving the target as it was.
func Write(ctx context.Context, path string, data []byte) error {
	return writeAtomic(ctx, path, data)
}

// ErrNotRegularFile: a file target exists and is not a regular file.
var ErrNotRegularFile = errors.New("not a regular file")

// CheckTarget checks, before a long job whose result Write
// will write to path, that path is a regular file or absent and that its
// folder takes new files (a temporary file is created there and removed),
// so that the job does not fail at its end.
func CheckTarget(path string) error {
	if err := regularTarget(path); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("checking that %s can be written: %w", filepath.Dir(path), err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// regularTarget returns an error wrapping ErrNotRegularFile when path
// exists and is not a regular file. Lstat, not Stat: a symbolic link is
// refused whatever it points to.
func regularTarget(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if what := fileKind(fi.Mode()); what != "" {
		return fmt.Errorf("%w: %s is %s, and iamdiag replaces the file it writes; give the path of a regular file, or of a new one", ErrNotRegularFile, path, what)
	}
	return nil
}

// fileKind names what a file of mode m is when it is not a regular file,
// "" for a regular file.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return ""
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// atomicChunk is how much writeAtomic writes between two checks of its
// context: a snapshot of a large account is hundreds of megabytes.
const atomicChunk = 1 << 20

// writeAtomic replaces path with data, atomically; see Write.
func writeAtomic(ctx context.Context, path string, data []byte) (err error) {
	if err := regularTarget(path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	// CreateTemp opens with O_CREATE|O_EXCL and mode 0600.
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	for rest := data; ; {
		if err = ctx.Err(); err != nil {
			f.Close()
			return err
		}
		if len(rest) == 0 {
			break
		}
		n := min(len(rest), atomicChunk)
		if _, err = f.Write(rest[:n]); err != nil {
			f.Close()
			return err
		}
		rest = rest[n:]
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	// Again just before the rename: the target may have been replaced
	// while the data was written.
	if err = regularTarget(path); err != nil {
		return err
	}
	if err = ctx.Err(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

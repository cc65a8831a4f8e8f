package atomicfile

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

// targets returns a folder holding one file target of each kind, by name.
func targets(t *testing.T) (dir string, paths map[string]string) {
	t.Helper()
	dir = t.TempDir()
	paths = map[string]string{
		"absent":  filepath.Join(dir, "new.json"),
		"regular": filepath.Join(dir, "regular.json"),
		"symlink": filepath.Join(dir, "link.json"),
		// /dev/stdout is a symbolic link to /proc/self/fd/1: the same
		// shape, without touching the system's /dev.
		"stdout-like": filepath.Join(dir, "stdout"),
		"fifo":        filepath.Join(dir, "fifo"),
		"folder":      filepath.Join(dir, "folder"),
	}
	if err := os.WriteFile(paths["regular"], []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(paths["regular"], paths["symlink"]); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/proc/self/fd/1", paths["stdout-like"]); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(paths["fifo"], 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(paths["folder"], 0o700); err != nil {
		t.Fatal(err)
	}
	return dir, paths
}

// TestWriteTargets: only a regular file or a new one is written;
// every other target is refused with ErrNotRegularFile and left as it was,
// with no temporary file beside it.
func TestWriteTargets(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links and FIFOs")
	}
	dir, paths := targets(t)
	tests := []struct {
		name    string
		refused bool
	}{
		{"absent", false},
		{"regular", false},
		{"symlink", true},
		{"stdout-like", true},
		{"fifo", true},
		{"folder", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := paths[tc.name]
			before, _ := os.Lstat(path)
			err := Write(context.Background(), path, []byte("new"))
			if got := errors.Is(err, ErrNotRegularFile); got != tc.refused {
				t.Fatalf("Write: %v; refused = %v, want %v", err, got, tc.refused)
			}
			if cerr := CheckTarget(path); errors.Is(cerr, ErrNotRegularFile) != tc.refused {
				t.Errorf("CheckTarget: %v, refused want %v", cerr, tc.refused)
			}
			after, lerr := os.Lstat(path)
			if lerr != nil {
				t.Fatal(lerr)
			}
			if tc.refused {
				if after.Mode() != before.Mode() {
					t.Errorf("the target changed from %v to %v", before.Mode(), after.Mode())
				}
				return
			}
			if !after.Mode().IsRegular() || after.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want a regular file 0600", after.Mode())
			}
			if b, _ := os.ReadFile(path); string(b) != "new" {
				t.Errorf("content %q", b)
			}
		})
	}
	if b, _ := os.ReadFile(paths["regular"]); string(b) != "new" {
		t.Errorf("the regular file holds %q", b)
	}
	assertNoTemp(t, dir)
}

// TestFileKind: every kind of non-regular file is named, devices included
// (a device cannot be made without privileges, so by mode).
func TestFileKind(t *testing.T) {
	tests := []struct {
		mode fs.FileMode
		want string
	}{
		{0o644, ""},
		{fs.ModeSymlink | 0o777, "a symbolic link"},
		{fs.ModeDir | 0o755, "a folder"},
		{fs.ModeNamedPipe | 0o600, "a named pipe (FIFO)"},
		{fs.ModeSocket | 0o600, "a socket"},
		{fs.ModeDevice | fs.ModeCharDevice | 0o666, "a device"},
		{fs.ModeDevice | 0o660, "a device"},
		{fs.ModeIrregular, "not a regular file"},
	}
	for _, tc := range tests {
		t.Run(tc.mode.String(), func(t *testing.T) {
			if got := fileKind(tc.mode); got != tc.want {
				t.Errorf("fileKind(%v) = %q, want %q", tc.mode, got, tc.want)
			}
		})
	}
}

// TestCheckTargetUnwritable: a folder that takes no file fails the
// check, before any long job.
func TestCheckTargetUnwritable(t *testing.T) {
	dir := t.TempDir()
	t.Run("missing folder", func(t *testing.T) {
		if err := CheckTarget(filepath.Join(dir, "none", "snap.json")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("got %v, want a missing folder", err)
		}
	})
	t.Run("folder is a file", func(t *testing.T) {
		file := filepath.Join(dir, "file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := CheckTarget(filepath.Join(file, "snap.json")); !errors.Is(err, syscall.ENOTDIR) {
			t.Errorf("got %v, want not a directory", err)
		}
	})
	t.Run("read-only folder", func(t *testing.T) {
		if os.Geteuid() == 0 || runtime.GOOS == "windows" {
			t.Skip("root writes in any folder")
		}
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(ro, 0o700) })
		if err := CheckTarget(filepath.Join(ro, "snap.json")); !errors.Is(err, fs.ErrPermission) {
			t.Errorf("got %v, want permission denied", err)
		}
	})
	assertNoTemp(t, dir)
}

// cancelAfter is a context cancelled after its Err has answered nil n
// times: an interruption in the middle of a write.
type cancelAfter struct {
	context.Context
	n int
}

func (c *cancelAfter) Err() error {
	if c.n <= 0 {
		return context.Canceled
	}
	c.n--
	return nil
}

// TestWriteInterrupted: a write interrupted (SIGINT, SIGTERM
// cancel the command's context) before, during or after the data leaves
// the target as it was and no temporary file.
func TestWriteInterrupted(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 3*atomicChunk+1)
	for n := range 6 {
		dir := t.TempDir()
		path := filepath.Join(dir, "snap.json")
		if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		err := Write(&cancelAfter{Context: context.Background(), n: n}, path, data)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled after %d checks: %v", n, err)
		}
		if b, _ := os.ReadFile(path); string(b) != "old" {
			t.Errorf("cancelled after %d checks: the target holds %d bytes", n, len(b))
		}
		assertNoTemp(t, dir)
	}
}

// assertNoTemp fails when a temporary file is left in dir.
func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	tmps, err := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tmps) > 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
}

package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// publishMark is the file that tells a temp folder of PublishDir from
// anything else: the writer creates it first and holds an flock on it
// until it is done, so recovery removes only temp folders whose writer
// has died, never another's, and never a folder it did not make.
const publishMark = ".vlmq-publish"

// PublishDir replaces the folder dir as a whole with what fill writes,
// but only when dir is absent, empty or already of kind k (CheckOut):
// it never replaces a folder it did not write. A symlinked dir is
// followed. fill writes into a fresh folder inside a hidden sibling
// temp folder; the two are then exchanged in one atomic step
// (renameat2 RENAME_EXCHANGE), so a reader always finds a complete old
// or new folder under dir, never none and never a mix. The caller must
// hold dir's lock (LockDir) when other writers may run.
func PublishDir(dir string, k Kind, fill func(tmp string) error) (err error) {
	dir, err = Resolve(dir)
	if err != nil {
		return err
	}
	if err := CheckOut(dir, k); err != nil {
		return err
	}
	if err := Recover(dir); err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	wrap, mark, err := markedTemp(dir)
	if err != nil {
		return err
	}
	defer func() {
		// After a successful swap wrap holds the replaced folder.
		rerr := os.RemoveAll(wrap)
		mark.Close()
		if err == nil && rerr != nil {
			err = rerr
		}
	}()
	tmp := filepath.Join(wrap, "new")
	if err = os.Mkdir(tmp, 0o755); err != nil {
		return err
	}
	if err = fill(tmp); err != nil {
		return err
	}
	if err = WriteMarker(tmp, k, nil); err != nil {
		return err
	}
	syncDir(tmp)
	if err = swap(tmp, dir, filepath.Join(wrap, "old")); err != nil {
		return fmt.Errorf("atomicfile: publish %s: %w", dir, err)
	}
	syncDir(parent)
	return nil
}

// swap puts the folder tmp at dir. An existing dir is exchanged with tmp
// atomically; on filesystems without RENAME_EXCHANGE it is renamed to
// old first (a crash between the two renames is undone by Recover).
func swap(tmp, dir, old string) error {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_EXCHANGE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENOENT):
		if _, serr := os.Lstat(dir); errors.Is(serr, fs.ErrNotExist) {
			return os.Rename(tmp, dir)
		}
		return err
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EOPNOTSUPP):
		if err := os.Rename(dir, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return os.Rename(tmp, dir)
	}
	return err
}

// tempPrefix is the MkdirTemp pattern of dir's temp folders.
func tempPrefix(dir string) string { return "." + filepath.Base(dir) + ".new-*" }

// Recover cleans up after writers of dir that died while publishing: a
// temp folder is recognised by its publishMark, and only when no live
// process holds the mark's flock is it touched. When such a writer died
// between the two renames of the fallback swap (dir missing, the
// replaced folder at <temp>/old), the old folder is put back. Readers
// never call it; writers do, before they read what they resume from.
func Recover(dir string) error {
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	ents, err := os.ReadDir(parent)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	prefix := "." + filepath.Base(dir) + ".new-"
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		wrap := filepath.Join(parent, e.Name())
		mark, err := os.OpenFile(filepath.Join(wrap, publishMark), os.O_RDWR, 0)
		if err != nil {
			continue // not ours, or being created: leave it
		}
		if syscall.Flock(int(mark.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			mark.Close() // its writer is alive
			continue
		}
		old := filepath.Join(wrap, "old")
		if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
			if _, err := os.Stat(old); err == nil {
				if err := os.Rename(old, dir); err != nil {
					mark.Close()
					return fmt.Errorf("atomicfile: recover %s: %w", dir, err)
				}
			}
		}
		err = os.RemoveAll(wrap)
		mark.Close()
		if err != nil {
			return fmt.Errorf("atomicfile: recover %s: %w", dir, err)
		}
	}
	return nil
}

// RemoveDir removes a folder of kind k as a whole: it is moved into a
// marked temp folder first (one atomic step) and deleted there, so a
// crash never leaves a half-deleted folder under its name, and Recover
// removes what a crash left. A missing folder is not an error; a folder
// of another kind is refused.
func RemoveDir(dir string, k Kind) error {
	dir = filepath.Clean(dir)
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := CheckOut(dir, k); err != nil {
		return err
	}
	wrap, mark, err := markedTemp(dir)
	if err != nil {
		return err
	}
	defer mark.Close()
	// Moved into "gone", not "old": Recover must not bring it back.
	if err := os.Rename(dir, filepath.Join(wrap, "gone")); err != nil {
		os.RemoveAll(wrap)
		return fmt.Errorf("atomicfile: remove %s: %w", dir, err)
	}
	syncDir(filepath.Dir(dir))
	return os.RemoveAll(wrap)
}

// markedTemp makes a temp folder beside dir holding the writer's mark,
// flock-held: the lock says "alive" to Recover and dies with this
// process, so only a dead writer's temp folders are ever removed. The
// caller closes mark (after removing wrap, or leaving it to Recover).
func markedTemp(dir string) (wrap string, mark *os.File, err error) {
	wrap, err = os.MkdirTemp(filepath.Dir(dir), tempPrefix(dir))
	if err != nil {
		return "", nil, err
	}
	mark, err = os.OpenFile(filepath.Join(wrap, publishMark), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		os.Remove(wrap)
		return "", nil, err
	}
	if err := syscall.Flock(int(mark.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		mark.Close()
		os.RemoveAll(wrap)
		return "", nil, fmt.Errorf("atomicfile: locking %s: %w", mark.Name(), err)
	}
	return wrap, mark, nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: some filesystems cannot sync directories
		d.Close()
	}
}

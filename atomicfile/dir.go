package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// PublishDir replaces the folder dir as a whole: fill writes the new
// contents into a fresh sibling folder, which is then swapped in with two
// renames (dir to dir.old, the new folder to dir). A crash leaves either the
// old folder, the new one, or only dir.old, which RecoverDir (called here
// first, and by readers through it) renames back; a reader never sees a mix
// of old and new files.
func PublishDir(dir string, fill func(tmp string) error) (err error) {
	dir = filepath.Clean(dir)
	if err := RecoverDir(dir); err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".new-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err = os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err = fill(tmp); err != nil {
		return err
	}
	syncDir(tmp)
	old := dir + ".old"
	if err = os.RemoveAll(old); err != nil {
		return err
	}
	if _, serr := os.Stat(dir); serr == nil {
		if err = os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err = os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("atomicfile: publish %s: %w", dir, err)
	}
	syncDir(parent)
	return os.RemoveAll(old)
}

// RecoverDir finishes a swap that a crash interrupted between its two
// renames: when dir is missing but dir.old exists, dir.old is the last
// complete folder and is renamed back. When both exist the crash came
// after the swap, while dir.old was being removed: the rest of it is
// removed now (otherwise a run whose last publish was interrupted so
// keeps a stray, half-deleted copy). It also removes stale ".new-*"
// folders of earlier crashed writers.
func RecoverDir(dir string) error {
	dir = filepath.Clean(dir)
	old := dir + ".old"
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(old); err == nil {
			if err := os.Rename(old, dir); err != nil {
				return fmt.Errorf("atomicfile: recover %s: %w", dir, err)
			}
		}
	} else if err == nil {
		// dir exists only once a complete folder was renamed to it, so a
		// dir.old beside it is the replaced one.
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("atomicfile: recover %s: %w", dir, err)
		}
	}
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".new-*"))
	for _, s := range stale {
		_ = os.RemoveAll(s)
	}
	return nil
}

// RemoveDir removes a folder published by PublishDir as a whole: it is
// renamed aside first (one atomic step), then deleted, so a crash never
// leaves a partly deleted folder under its name (which a reader would take
// for a damaged one). A leftover from such a crash is a stale ".new-*"
// folder, which RecoverDir removes. A missing folder is not an error.
func RemoveDir(dir string) error {
	dir = filepath.Clean(dir)
	if err := os.RemoveAll(dir + ".old"); err != nil {
		return err
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	aside := filepath.Join(filepath.Dir(dir), fmt.Sprintf(".%s.new-removed-%d-%d", filepath.Base(dir), os.Getpid(), time.Now().UnixNano()))
	if err := os.Rename(dir, aside); err != nil {
		return fmt.Errorf("atomicfile: remove %s: %w", dir, err)
	}
	syncDir(filepath.Dir(dir))
	return os.RemoveAll(aside)
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: some filesystems cannot sync directories
		d.Close()
	}
}

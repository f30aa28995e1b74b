package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
// complete folder and is renamed back. It also removes stale ".new-*"
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
	}
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".new-*"))
	for _, s := range stale {
		_ = os.RemoveAll(s)
	}
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: some filesystems cannot sync directories
		d.Close()
	}
}

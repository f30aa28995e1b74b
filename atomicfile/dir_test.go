package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestPublishDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "m")
	write := func(v string) func(string) error {
		return func(tmp string) error {
			for _, f := range []string{"a", "b"} {
				if err := os.WriteFile(filepath.Join(tmp, f), []byte(v), 0o644); err != nil {
					return err
				}
			}
			return nil
		}
	}
	read := func() string {
		a, _ := os.ReadFile(filepath.Join(dir, "a"))
		b, _ := os.ReadFile(filepath.Join(dir, "b"))
		if string(a) != string(b) {
			t.Fatalf("mixed folder: a=%q b=%q", a, b)
		}
		return string(a)
	}
	if err := PublishDir(dir, write("1")); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "1" {
		t.Fatalf("got %q", got)
	}
	// A failing writer leaves the old folder and no temp folder.
	boom := errors.New("boom")
	if err := PublishDir(dir, func(tmp string) error {
		_ = write("2")(tmp)
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if got := read(); got != "1" {
		t.Fatalf("after failed publish got %q", got)
	}
	// A crash between the two renames leaves only dir.old: it is recovered.
	if err := os.Rename(dir, dir+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, ".m.new-123"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := RecoverDir(dir); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "1" {
		t.Fatalf("after recovery got %q", got)
	}
	if err := PublishDir(dir, write("3")); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "3" {
		t.Fatalf("got %q", got)
	}
	left, _ := os.ReadDir(root)
	if len(left) != 1 {
		t.Fatalf("leftovers: %v", left)
	}
}

// TestRecoverDirRemovesReplacedFolder: a crash after the swap, while the
// replaced folder (dir.old) was being removed, leaves both; recovery
// keeps dir and removes the rest of dir.old.
func TestRecoverDirRemovesReplacedFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	for _, d := range []string{dir, dir + ".old"} {
		if err := os.MkdirAll(filepath.Join(d, "model"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "progress.json"), []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := RecoverDir(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir + ".old"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dir.old left behind: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "progress.json")); err != nil || string(b) != dir {
		t.Errorf("dir lost its contents: %q %v", b, err)
	}
}

// TestRemoveDir: the folder disappears at once under its name; what a
// crash during the deletion leaves is a stale folder RecoverDir removes.
func TestRemoveDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "base.ckpt")
	if err := PublishDir(dir, func(tmp string) error {
		return os.WriteFile(filepath.Join(tmp, "progress.json"), []byte("{}"), 0o644)
	}); err != nil {
		t.Fatal(err)
	}
	if err := RemoveDir(dir); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
	if err := RemoveDir(dir); err != nil {
		t.Errorf("removing a missing folder: %v", err)
	}
	// A crash mid-deletion leaves only the renamed folder.
	stale := filepath.Join(root, ".base.ckpt.new-removed-1")
	if err := os.MkdirAll(filepath.Join(stale, "model"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := RecoverDir(dir); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Errorf("RecoverDir left: %v", ents)
	}
}

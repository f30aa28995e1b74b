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

package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// writeAB returns a fill that writes files a and b holding v.
func writeAB(v string) func(string) error {
	return func(tmp string) error {
		for _, f := range []string{"a", "b"} {
			if err := os.WriteFile(filepath.Join(tmp, f), []byte(v), 0o644); err != nil {
				return err
			}
		}
		return nil
	}
}

var kindAB = Kind{Name: "ab", Legacy: []string{"a", "b"}, Needs: []string{"a"}}

func readAB(t *testing.T, dir string) string {
	t.Helper()
	a, _ := os.ReadFile(filepath.Join(dir, "a"))
	b, _ := os.ReadFile(filepath.Join(dir, "b"))
	if string(a) != string(b) {
		t.Fatalf("mixed folder: a=%q b=%q", a, b)
	}
	return string(a)
}

func TestPublishDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "m")
	if err := PublishDir(dir, kindAB, writeAB("1")); err != nil {
		t.Fatal(err)
	}
	if got := readAB(t, dir); got != "1" {
		t.Fatalf("got %q", got)
	}
	if m, ok, err := ReadMarker(dir); err != nil || !ok || m.Kind != "ab" || m.Command == "" {
		t.Fatalf("marker %+v %v %v", m, ok, err)
	}
	// A failing writer leaves the old folder and no temp folder.
	boom := errors.New("boom")
	if err := PublishDir(dir, kindAB, func(tmp string) error {
		_ = writeAB("2")(tmp)
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if got := readAB(t, dir); got != "1" {
		t.Fatalf("after failed publish got %q", got)
	}
	if err := PublishDir(dir, kindAB, writeAB("3")); err != nil {
		t.Fatal(err)
	}
	if got := readAB(t, dir); got != "3" {
		t.Fatalf("got %q", got)
	}
	if left, _ := os.ReadDir(root); len(left) != 1 {
		t.Fatalf("leftovers: %v", left)
	}
}

// TestPublishDirRefusesForeignFolders: a folder PublishDir did not write
// as its kind is never replaced, and stays as it was.
func TestPublishDirRefusesForeignFolders(t *testing.T) {
	cases := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		wantErr string // "" = published
	}{
		{"absent", func(*testing.T, string) {}, ""},
		{"empty", func(t *testing.T, dir string) { mkdir(t, dir) }, ""},
		{"own kind", func(t *testing.T, dir string) {
			if err := PublishDir(dir, kindAB, writeAB("0")); err != nil {
				t.Fatal(err)
			}
		}, ""},
		{"unmarked with own files only", func(t *testing.T, dir string) { mkdir(t, dir); put(t, dir, "a", "0") }, ""},
		{"unmarked without the kind's own file", func(t *testing.T, dir string) { mkdir(t, dir); put(t, dir, "b", "0") }, "not an ab vlmq wrote"},
		{"user notes", func(t *testing.T, dir string) { mkdir(t, dir); put(t, dir, "notes.txt", "doc") }, "did not write"},
		{"own files and a user file", func(t *testing.T, dir string) {
			mkdir(t, dir)
			put(t, dir, "a", "0")
			put(t, dir, "IMPORTANT.txt", "x")
		}, "IMPORTANT.txt"},
		{"another kind", func(t *testing.T, dir string) {
			if err := PublishDir(dir, Kind{Name: "model"}, writeAB("0")); err != nil {
				t.Fatal(err)
			}
		}, "holds a vlmq model"},
		{"a file", func(t *testing.T, dir string) { put(t, filepath.Dir(dir), filepath.Base(dir), "x") }, "is a file"},
		{"damaged marker", func(t *testing.T, dir string) { mkdir(t, dir); put(t, dir, MarkerFile, "{") }, "damaged"},
		{"dangling symlink", func(t *testing.T, dir string) {
			if err := os.Symlink(filepath.Join(filepath.Dir(dir), "nowhere"), dir); err != nil {
				t.Fatal(err)
			}
		}, "symlink"},
		{"name too long", nil, "characters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "out")
			if c.setup == nil {
				dir = filepath.Join(root, strings.Repeat("x", 250))
			} else {
				c.setup(t, dir)
			}
			before := snapshot(t, root)
			err := PublishDir(dir, kindAB, writeAB("new"))
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := readAB(t, dir); got != "new" {
					t.Fatalf("got %q", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
			}
			if after := snapshot(t, root); after != before {
				t.Fatalf("a refused publish changed the folder:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestPublishDirFollowsSymlink: the link stays a link; its target is
// published.
func TestPublishDirFollowsSymlink(t *testing.T) {
	root := t.TempDir()
	target, link := filepath.Join(root, "real"), filepath.Join(root, "link")
	mkdir(t, target)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := PublishDir(link, kindAB, writeAB("1")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
	}
	if got := readAB(t, target); got != "1" {
		t.Fatalf("target holds %q", got)
	}
}

// TestRecoverTouchesOnlyDeadOwnTemps: recovery never deletes or renames
// a sibling by its name (dir.old, .dir.new-x without a mark), nor the
// temp folder of a live writer; it removes a dead writer's temp folder
// and puts back a folder a dead writer had moved aside.
func TestRecoverTouchesOnlyDeadOwnTemps(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "m")
	if err := PublishDir(dir, kindAB, writeAB("1")); err != nil {
		t.Fatal(err)
	}
	mkdir(t, dir+".old")
	put(t, dir+".old", "IMPORTANT.txt", "backup")
	mkdir(t, filepath.Join(root, ".m.new-user"))
	put(t, filepath.Join(root, ".m.new-user"), "keep", "x")
	// A live writer: its mark is flocked through another descriptor.
	live := filepath.Join(root, ".m.new-live")
	mkdir(t, live)
	put(t, live, publishMark, "")
	f, err := os.Open(filepath.Join(live, publishMark))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(root, ".m.new-dead")
	mkdir(t, filepath.Join(dead, "new"))
	put(t, dead, publishMark, "")
	if err := PublishDir(dir, kindAB, writeAB("2")); err != nil {
		t.Fatal(err)
	}
	if got := readAB(t, dir); got != "2" {
		t.Fatalf("got %q", got)
	}
	for _, keep := range []string{filepath.Join(dir+".old", "IMPORTANT.txt"), filepath.Join(root, ".m.new-user", "keep"), filepath.Join(live, publishMark)} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("recovery removed %s: %v", keep, err)
		}
	}
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dead writer's temp folder is left: %v", err)
	}
	// A writer killed between the fallback swap's renames: dir is gone,
	// the replaced folder is in its temp folder; its writer's Recover
	// puts it back.
	aside := filepath.Join(root, ".m.new-crash")
	mkdir(t, aside)
	put(t, aside, publishMark, "")
	if err := os.Rename(dir, filepath.Join(aside, "old")); err != nil {
		t.Fatal(err)
	}
	if err := Recover(dir); err != nil {
		t.Fatal(err)
	}
	if got := readAB(t, dir); got != "2" {
		t.Fatalf("after recovery got %q", got)
	}
}

// TestPublishDirNeverLeavesNoFolder: a reader polling during many
// publishes always finds a complete folder.
func TestPublishDirNeverLeavesNoFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	if err := PublishDir(dir, kindAB, writeAB("0")); err != nil {
		t.Fatal(err)
	}
	var stop, misses atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		for stop.Load() == 0 {
			if _, err := os.Stat(filepath.Join(dir, "a")); err != nil {
				misses.Add(1)
			}
		}
	}()
	for i := range 200 {
		if err := PublishDir(dir, kindAB, writeAB(string(rune('a'+i%26)))); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(1)
	<-done
	if n := misses.Load(); n > 0 {
		t.Errorf("the reader found no folder %d times", n)
	}
}

func TestLockDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "run")
	l, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockDir(dir); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second lock: %v", err)
	}
	if _, err := Claim(dir, kindAB); err == nil {
		t.Fatal("Claim of a locked folder succeeded")
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Fatalf("unlock left %v", ents)
	}
	l2, err := Claim(dir, kindAB)
	if err != nil {
		t.Fatal(err)
	}
	l2.Unlock()
}

// TestRemoveDir: the folder disappears at once under its name; a folder
// of another kind is not removed.
func TestRemoveDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "base.ckpt")
	if err := PublishDir(dir, kindAB, writeAB("1")); err != nil {
		t.Fatal(err)
	}
	if err := RemoveDir(dir, kindAB); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
	if err := RemoveDir(dir, kindAB); err != nil {
		t.Errorf("removing a missing folder: %v", err)
	}
	mkdir(t, dir)
	put(t, dir, "notes.txt", "mine")
	if err := RemoveDir(dir, kindAB); err == nil {
		t.Error("removed a folder it did not write")
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Error(err)
	}
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func put(t *testing.T, dir, name, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// snapshot lists every path under root with its contents.
func snapshot(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(p)
		if fi.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			b.WriteString("=" + string(data))
		}
		b.WriteString(";")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestUnlockRemovesParentsItMade: a lock of a new nested --out makes its
// parent folders; a command refused after taking it leaves none of them,
// and one that wrote there keeps them.
func TestUnlockRemovesParentsItMade(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "a", "b", "out")
	l, err := Claim(out, KindEval)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "a")); !os.IsNotExist(err) {
		t.Errorf("a refused command left %s/a: %v", root, err)
	}
	if l, err = Claim(out, KindEval); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("the written folder went with the lock: %v", err)
	}
}

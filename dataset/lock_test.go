package dataset

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestStoreLock: a folder has one writer at a time; readers never need the
// lock, and Close (or the end of the holder) gives it back.
func TestStoreLock(t *testing.T) {
	type step struct {
		op      string // "open", "ro" (OpenReadOnly), "close <i>" or "append <i>"
		wantErr string // "" = success
	}
	pid := strconv.Itoa(os.Getpid())
	cases := []struct {
		name  string
		steps []step
	}{
		{"second writer refused", []step{{"open", ""}, {"open", "already open for writing in this process (PID " + pid}}},
		{"writer after close", []step{{"open", ""}, {"close 0", ""}, {"open", ""}, {"append 1", ""}}},
		{"close twice", []step{{"open", ""}, {"close 0", ""}, {"close 0", ""}, {"open", ""}}},
		{"reader beside writer", []step{{"open", ""}, {"ro", ""}, {"append 0", ""}, {"open", "already open"}}},
		{"writer beside reader", []step{{"ro", ""}, {"open", ""}, {"append 1", ""}}},
		{"reader cannot append", []step{{"ro", ""}, {"append 0", "read-only"}}},
		{"closed cannot append", []step{{"open", ""}, {"close 0", ""}, {"append 0", "closed"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			var stores []*Store
			defer func() {
				for _, s := range stores {
					s.Close()
				}
			}()
			for i, st := range c.steps {
				var err error
				op, arg, _ := strings.Cut(st.op, " ")
				n, _ := strconv.Atoi(arg)
				switch op {
				case "open", "ro":
					open := Open
					if op == "ro" {
						open = OpenReadOnly
					}
					var s *Store
					if s, err = open(dir); err == nil {
						stores = append(stores, s)
					}
				case "close":
					err = stores[n].Close()
				case "append":
					s := stores[n]
					err = s.Append(collectLine(t, s.NextEpisodeID(), 2, "expert"))
				}
				switch {
				case st.wantErr == "" && err != nil:
					t.Fatalf("step %d (%s): %v", i, st.op, err)
				case st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)):
					t.Fatalf("step %d (%s): error %v, want one mentioning %q", i, st.op, err, st.wantErr)
				}
			}
		})
	}
}

// TestStoreLockOtherProcess: a writer in another process is named by its
// PID, and its lock goes away with it when it is killed.
func TestStoreLockOtherProcess(t *testing.T) {
	dir := t.TempDir()
	a := startAppender(t, dir)
	deadline := time.Now().Add(20 * time.Second)
	for a.committed.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if a.committed.Load() < 1 {
		a.kill()
		t.Fatal("child appended nothing")
	}
	_, err := Open(dir)
	want := "process " + strconv.Itoa(a.cmd.Process.Pid) + " is writing to it"
	if err == nil || !strings.Contains(err.Error(), want) {
		a.kill()
		t.Fatalf("Open beside a live writer: error %v, want one mentioning %q", err, want)
	}
	ro, err := OpenReadOnly(dir)
	if err != nil || ro.Len() == 0 {
		a.kill()
		t.Fatalf("OpenReadOnly beside a live writer: %v (%d episodes)", err, ro.Len())
	}
	a.kill() // SIGKILL: the child never closes its store
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open after the writer was killed: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, LockName)); strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q, want this process's PID", b)
	}
	s.Close()
}

// openAndDrop opens dir for writing and loses the Store without Close.
func openAndDrop(t *testing.T, dir string) {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(collectLine(t, s.NextEpisodeID(), 1, "expert")); err != nil {
		t.Fatal(err)
	}
}

// TestDroppedStoreReleasesLock: a Store nobody can use any more (dropped
// without Close) does not block the next Open in this process.
func TestDroppedStoreReleasesLock(t *testing.T) {
	dir := t.TempDir()
	for i := range 3 {
		openAndDrop(t, dir)
		s, err := Open(dir)
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if s.Len() != i+1 {
			t.Fatalf("round %d: %d episodes", i, s.Len())
		}
		// s is dropped here too; the next openAndDrop must get past it.
	}
}

// TestOpenPathKinds: a file is not a dataset folder, and a reader needs an
// existing folder.
func TestOpenPathKinds(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "episodes.parquet")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		open    func(string) (*Store, error)
		path    string
		wantErr string
	}{
		{"writer on a file", Open, file, "is a file, not a dataset folder"},
		{"reader on a file", OpenReadOnly, file, "is a file, not a dataset folder"},
		{"reader on nothing", OpenReadOnly, filepath.Join(dir, "missing"), "does not exist"},
		{"writer creates", Open, filepath.Join(dir, "new"), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := c.open(c.path)
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %v, want one mentioning %q", err, c.wantErr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Error("OpenReadOnly created the folder")
	}
}

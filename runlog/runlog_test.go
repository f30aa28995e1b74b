package runlog

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vlmq/tensor"
)

// TestSessionsAddUp: each Begin adds a session, Save and End record its
// wall time and how it ended, and the total sums the sessions; a record
// that does not parse is refused before anything is written over it.
func TestSessionsAddUp(t *testing.T) {
	dir := t.TempDir()
	clock := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	r, err := begin(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(90 * time.Second)
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	// A kill here: the record keeps the last save, marked running.
	l, err := Read(dir)
	if err != nil || len(l.Sessions) != 1 || l.Sessions[0].Ended != "running" || l.WallSeconds != 90 {
		t.Fatalf("after a save: %+v, %v", l, err)
	}
	r, err = begin(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(30 * time.Second)
	if err := r.End(errors.New("interrupted")); err != nil {
		t.Fatal(err)
	}
	r, err = begin(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Second)
	if err := r.End(nil); err != nil {
		t.Fatal(err)
	}
	l, err = Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		seconds float64
		ended   string
	}{{90, "running"}, {30, "stopped: interrupted"}, {1, "finished"}}
	if len(l.Sessions) != len(want) || l.WallSeconds != 121 {
		t.Fatalf("record %+v, want 3 sessions of 121 s", l)
	}
	for i, w := range want {
		s := l.Sessions[i]
		if s.Seconds != w.seconds || s.Ended != w.ended || s.Commit == "" || s.CPUs < 1 || s.Gemm != tensor.BLASBackend || !strings.HasPrefix(s.Go, "go") {
			t.Errorf("session %d: %+v, want %v s, %q", i, s, w.seconds, w.ended)
		}
	}

	bad := filepath.Join(dir, File)
	if err := os.WriteFile(bad, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Begin(dir); err == nil || !strings.Contains(err.Error(), "move it away") {
		t.Errorf("a malformed record: %v", err)
	}
	if b, _ := os.ReadFile(bad); string(b) != "{not json" {
		t.Errorf("the malformed record was overwritten: %q", b)
	}
}

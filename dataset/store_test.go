package dataset

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"vlmq/atomicfile"
)

func seeds(from, n int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = int64(from + i)
	}
	return s
}

// collectLine makes episodes on the fake env with a noisy expert so that
// valid, invalid, successful and cut-off episodes all occur.
func collectLine(t testing.TB, firstID int64, n int, source string) []Episode {
	t.Helper()
	l := newLine()
	pol, err := Noisy(ExpertPolicy(&lineExpert{l: l}, l.Syntax()), l, NoiseConfig{PRandomValid: 0.3, PInvalid: 0.3, Rng: rand.New(rand.NewPCG(uint64(firstID), 1))})
	if err != nil {
		t.Fatal(err)
	}
	eps, err := Collect(l, pol, seeds(int(firstID), n), CollectOptions{FirstID: firstID, Source: source})
	if err != nil {
		t.Fatal(err)
	}
	for i := range eps {
		for j := range eps[i].Turns {
			eps[i].Turns[j].ReplyTokens = []int32{int32(i), int32(j), -1}
		}
	}
	return eps
}

func TestStoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 0 || s.NextEpisodeID() != 0 {
		t.Fatalf("empty store: Len %d next %d", s.Len(), s.NextEpisodeID())
	}
	a := collectLine(t, 0, 7, "expert")
	b := collectLine(t, 7, 5, "random")
	b[0].Turns[0].ReplyTokens = nil // empty token lists survive too
	if err := s.Append(a); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(nil); err != nil { // no-op, no empty shard
		t.Fatal(err)
	}
	if err := s.Append(b); err != nil {
		t.Fatal(err)
	}
	want := append(append([]Episode{}, a...), b...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(s2.Shards()); got != 2 {
		t.Fatalf("shards %d, want 2", got)
	}
	if s2.Len() != 12 || s2.NextEpisodeID() != 12 || s2.NumTurns() != NumTurns(want) {
		t.Fatalf("Len %d next %d turns %d; want 12 12 %d", s2.Len(), s2.NextEpisodeID(), s2.NumTurns(), NumTurns(want))
	}
	got, err := s2.Episodes()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", got[0], want[0])
	}
	again, _ := s2.Episodes()
	if !reflect.DeepEqual(again, got) {
		t.Fatal("second read differs")
	}
	img, err := DecodeImage(got[3].Turns[0].Image)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 6 || img.Bounds().Dy() != 2 {
		t.Fatalf("image bounds %v", img.Bounds())
	}
	rnd, err := s2.EpisodesBySource("random")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rnd, b) || !reflect.DeepEqual(FilterSource(got, "random"), b) {
		t.Fatalf("source filter: got %d episodes, want %d", len(rnd), len(b))
	}
	if none, _ := s2.EpisodesBySource("nobody"); len(none) != 0 {
		t.Fatalf("unknown source gave %d episodes", len(none))
	}
}

func TestAppendRejectsBadEpisodes(t *testing.T) {
	base := collectLine(t, 0, 2, "expert")
	mut := func(f func(eps []Episode)) []Episode {
		eps := collectLine(t, 100, 2, "expert")
		f(eps)
		return eps
	}
	cases := []struct {
		name string
		eps  []Episode
		msg  string
	}{
		{"no turns", mut(func(e []Episode) { e[0].Turns = nil }), "no turns"},
		{"stored id", mut(func(e []Episode) { e[1] = renumber(e[1], 1) }), "already stored"},
		{"twice in batch", mut(func(e []Episode) { e[1] = renumber(e[1], e[0].ID) }), "given twice"},
		{"turn numbering", mut(func(e []Episode) { e[0].Turns[0].Turn = 5 }), "numbered"},
		{"episode mismatch", mut(func(e []Episode) { e[0].Turns[0].Episode = 9 }), "Turn.Episode"},
		{"env mismatch", mut(func(e []Episode) { e[0].Turns[0].Env = "other" }), "Turn.Env"},
		{"nan reward", mut(func(e []Episode) { e[0].Turns[0].Reward = math.NaN() }), "reward"},
		{"inf return", mut(func(e []Episode) { e[0].Return = math.Inf(1) }), "return"},
		{"done early", mut(func(e []Episode) { e[0].Turns = append(e[0].Turns, e[0].Turns...); renumberTurns(&e[0]) }), "Done"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Append(base); err != nil {
				t.Fatal(err)
			}
			err = s.Append(c.eps)
			if err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v, want one mentioning %q", err, c.msg)
			}
			if n := len(s.Shards()); n != 1 {
				t.Fatalf("%d shards after a rejected append", n)
			}
			entries, _ := os.ReadDir(dir)
			entries = slices.DeleteFunc(entries, func(e os.DirEntry) bool { return e.Name() == LockName || e.Name() == atomicfile.MarkerFile })
			if len(entries) != 1 {
				t.Fatalf("dir holds %d files after a rejected append", len(entries))
			}
		})
	}
}

func renumber(e Episode, id int64) Episode {
	e.ID = id
	e.Turns = append([]Turn(nil), e.Turns...)
	for i := range e.Turns {
		e.Turns[i].Episode = id
	}
	return e
}

func renumberTurns(e *Episode) {
	for i := range e.Turns {
		e.Turns[i].Turn = i
		e.Turns[i].Done = true
	}
}

func TestOpenCleansTempFiles(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir)
	a := collectLine(t, 0, 3, "expert")
	if err := s.Append(a); err != nil {
		t.Fatal(err)
	}
	// A crash mid-write leaves a temp file holding part of a shard.
	full, err := os.ReadFile(s.Shards()[0])
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, tempPrefix+"12345"+tempSuffix)
	if err := os.WriteFile(tmp, full[:len(full)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	s.Close()
	var warned []string
	s2, err := OpenWith(dir, OpenOptions{Warn: func(m string) { warned = append(warned, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatalf("temp file still there: %v", err)
	}
	if len(warned) != 1 {
		t.Fatalf("warnings %q", warned)
	}
	got, err := s2.Episodes()
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("episodes after cleanup: %v (%d episodes)", err, len(got))
	}
	b := collectLine(t, s2.NextEpisodeID(), 2, "expert")
	if err := s2.Append(b); err != nil {
		t.Fatal(err)
	}
	if got := s2.Len(); got != 5 {
		t.Fatalf("Len %d after append, want 5", got)
	}
}

// TestHelperAppender is the child process of TestKillDuringAppend.
func TestHelperAppender(t *testing.T) {
	dir := os.Getenv("VLMQ_APPEND_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	eps := collectLine(t, 0, 4, "expert")
	for i := int64(0); ; i++ {
		batch := make([]Episode, len(eps))
		for j, e := range eps {
			batch[j] = renumber(e, s.NextEpisodeID()+int64(j))
		}
		if err := s.Append(batch); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(os.Stdout, "shard", i)
	}
}

// appender runs TestHelperAppender in a child process; committed counts
// the shards it has reported as appended.
type appender struct {
	cmd       *exec.Cmd
	committed atomic.Int64
	done      chan struct{}
}

func startAppender(t *testing.T, dir string) *appender {
	t.Helper()
	a := &appender{cmd: exec.Command(os.Args[0], "-test.run=^TestHelperAppender$"), done: make(chan struct{})}
	a.cmd.Env = append(os.Environ(), "VLMQ_APPEND_DIR="+dir)
	out, err := a.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(a.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "shard ") {
				a.committed.Add(1)
			}
		}
	}()
	return a
}

func (a *appender) kill() int {
	a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.done
	a.cmd.Wait()
	return int(a.committed.Load())
}

func TestKillDuringAppend(t *testing.T) {
	dir := t.TempDir()
	total := 0
	for round := range 3 {
		a := startAppender(t, dir)
		time.Sleep(time.Duration(150+100*round) * time.Millisecond)
		total += a.kill()

		s, err := Open(dir)
		if err != nil {
			t.Fatalf("round %d: open after kill: %v", round, err)
		}
		eps, err := s.Episodes()
		if err != nil {
			t.Fatalf("round %d: read after kill: %v", round, err)
		}
		if len(eps) != 4*len(s.Shards()) {
			t.Fatalf("round %d: %d episodes in %d shards", round, len(eps), len(s.Shards()))
		}
		// A shard published just before the kill may not have been reported.
		if n := len(s.Shards()); n < total || n > total+1 {
			t.Fatalf("round %d: %d shards visible, child reported %d committed", round, n, total)
		}
		total = len(s.Shards())
		s.Close() // the next round's child must get the lock
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), tempSuffix) {
				t.Fatalf("temp file %s survived Open", e.Name())
			}
		}
	}
}

func TestKillKeepsCommittedShards(t *testing.T) {
	dir := t.TempDir()
	a := startAppender(t, dir)
	deadline := time.Now().Add(20 * time.Second)
	for a.committed.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	committed := a.kill()
	if committed < 3 {
		t.Fatalf("child committed only %d shards", committed)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Shards()); n < committed {
		t.Fatalf("%d shards visible, %d were committed", n, committed)
	}
}

func TestCorruptShard(t *testing.T) {
	damage := []struct {
		name string
		f    func(b []byte) []byte
		// atOpen: the footer is damaged, so Open itself fails.
		atOpen bool
	}{
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }, true},
		{"empty", func(b []byte) []byte { return nil }, true},
		{"not parquet", func(b []byte) []byte { return []byte("hello, this is not a parquet file at all") }, true},
		{"flipped data bytes", func(b []byte) []byte {
			c := append([]byte(nil), b...)
			for i := 8; i < len(c)/3; i += 97 {
				c[i] ^= 0x5a
			}
			return c
		}, false},
	}
	for _, d := range damage {
		t.Run(d.name, func(t *testing.T) {
			dir := t.TempDir()
			s, _ := Open(dir)
			a, b := collectLine(t, 0, 3, "expert"), collectLine(t, 3, 3, "expert")
			if err := s.Append(a); err != nil {
				t.Fatal(err)
			}
			if err := s.Append(b); err != nil {
				t.Fatal(err)
			}
			// Damage the newest shard so that the next Append must also
			// step over its number.
			bad := s.Shards()[1]
			raw, _ := os.ReadFile(bad)
			if err := os.WriteFile(bad, d.f(raw), 0o644); err != nil {
				t.Fatal(err)
			}
			s.Close()
			s2, err := Open(dir)
			if d.atOpen {
				if err == nil || !strings.Contains(err.Error(), filepath.Base(bad)) {
					t.Fatalf("Open error %v, want one naming %s", err, bad)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				_, err = s2.Episodes()
				if err == nil || !strings.Contains(err.Error(), filepath.Base(bad)) {
					t.Fatalf("Episodes error %v, want one naming %s", err, bad)
				}
				s2.Close()
			}
			var warned []string
			s3, err := OpenWith(dir, OpenOptions{SkipCorrupt: true, Warn: func(m string) { warned = append(warned, m) }})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s3.Episodes()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, a) {
				t.Fatalf("skipping gave %d episodes, want the %d of the good shard", len(got), len(a))
			}
			if len(warned) == 0 || !strings.Contains(warned[0], filepath.Base(bad)) || len(s3.Skipped()) != 1 {
				t.Fatalf("warnings %q skipped %v", warned, s3.Skipped())
			}
			// The skipped shard's number is not reused.
			if err := s3.Append(collectLine(t, 50, 1, "expert")); err != nil {
				t.Fatal(err)
			}
			if raw2, _ := os.ReadFile(bad); bytes.Equal(raw2, raw) {
				t.Fatal("corrupt shard was overwritten")
			}
		})
	}
}

func TestImageRoundTrip(t *testing.T) {
	l := newLine()
	obs, _ := l.Reset(3)
	b, err := EncodeImage(obs.Image)
	if err != nil {
		t.Fatal(err)
	}
	img, err := DecodeImage(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(img.Pix, obs.Image.Pix) || img.Rect != obs.Image.Rect {
		t.Fatal("pixels differ after PNG round trip")
	}
	if _, err := EncodeImage(nil); err == nil {
		t.Fatal("nil image encoded")
	}
	for _, bad := range [][]byte{nil, []byte("not a png")} {
		if _, err := DecodeImage(bad); err == nil {
			t.Fatalf("decoded %q", bad)
		}
	}
}

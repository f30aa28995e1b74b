package metrics

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

type logged struct {
	step   int64
	phase  string
	values map[string]float64
}

func sameValues(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !(v == w || math.IsNaN(v) && math.IsNaN(w)) {
			return false
		}
	}
	return true
}

// checkFiles reads both log files and compares them with want.
func checkFiles(t *testing.T, dir string, want []logged) {
	t.Helper()
	recs, err := ReadLog(filepath.Join(dir, JSONLName))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(want) {
		t.Fatalf("JSONL has %d records, want %d", len(recs), len(want))
	}
	wantRows := 0
	for i, r := range recs {
		w := want[i]
		if r.Step != w.step || r.Phase != w.phase || !sameValues(r.Values, w.values) || r.Time.IsZero() {
			t.Fatalf("record %d = %+v, want %+v", i, r, w)
		}
		wantRows += len(w.values)
	}
	f, err := os.Open(filepath.Join(dir, CSVName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "step,phase,time,name,value" || len(rows)-1 != wantRows {
		t.Fatalf("CSV header %v, %d rows; want %d", rows[0], len(rows)-1, wantRows)
	}
	// Every CSV row matches a value of the record with that step+phase.
	got := map[string]float64{}
	for _, row := range rows[1:] {
		v, err := strconv.ParseFloat(row[4], 64)
		if err != nil {
			t.Fatalf("CSV value %q: %v", row[4], err)
		}
		got[row[0]+"|"+row[1]+"|"+row[3]] = v
	}
	for _, w := range want {
		for k, v := range w.values {
			g, ok := got[fmt.Sprint(w.step)+"|"+w.phase+"|"+k]
			if !ok || !(g == v || math.IsNaN(g) && math.IsNaN(v)) {
				t.Fatalf("CSV lacks step %d %s %s=%v (got %v)", w.step, w.phase, k, v, g)
			}
		}
	}
}

func logAll(t *testing.T, l *Logger, recs []logged) {
	t.Helper()
	for _, r := range recs {
		if err := l.Log(r.step, r.phase, r.values); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoggerWriteAndResume(t *testing.T) {
	dir := t.TempDir()
	first := []logged{
		{0, "train", map[string]float64{"loss": 2.5, "lr": 1e-4}},
		{10, "train", map[string]float64{"loss": math.NaN(), "grad,norm": math.Inf(1)}},
		{10, "eval", map[string]float64{"success": 0.25, "syntax \"acc\"": 1}},
	}
	l, err := OpenLogger(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l.LastStep(); ok {
		t.Fatal("new log has a last step")
	}
	logAll(t, l, first)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, first) // flushed records are on disk before Close
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Log(11, "train", map[string]float64{"x": 1}); err == nil {
		t.Fatal("Log after Close accepted")
	}

	l2, err := OpenLogger(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := l2.LastStep(); !ok || s != 10 || l2.Len() != 3 {
		t.Fatalf("resumed at step %d (ok %v) with %d records", s, ok, l2.Len())
	}
	more := []logged{{20, "train", map[string]float64{"loss": 1.5, "new_metric": -3}}}
	logAll(t, l2, more)
	if err := l2.Close(); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, append(first, more...))
}

func TestLoggerTornTail(t *testing.T) {
	dir := t.TempDir()
	l, _ := OpenLogger(dir)
	recs := []logged{{1, "train", map[string]float64{"loss": 1}}, {2, "train", map[string]float64{"loss": 0.5}}}
	logAll(t, l, recs)
	l.Close()
	// A crash mid-write: half a JSON line in the JSONL, and the CSV ahead.
	for name, tail := range map[string]string{JSONLName: `{"step":3,"phase":"tr`, CSVName: "3,train,x,loss,0.4\n"} {
		f, _ := os.OpenFile(filepath.Join(dir, name), os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString(tail)
		f.Close()
	}
	l2, err := OpenLogger(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n, torn := l2.Resumed(); n != 2 || !torn {
		t.Fatalf("Resumed() = %d, %v; want 2, true", n, torn)
	}
	next := []logged{{3, "train", map[string]float64{"loss": 0.25}}}
	logAll(t, l2, next)
	l2.Close()
	checkFiles(t, dir, append(recs, next...))
}

func TestLoggerCorruptLineIsAnError(t *testing.T) {
	dir := t.TempDir()
	l, _ := OpenLogger(dir)
	logAll(t, l, []logged{{1, "train", map[string]float64{"loss": 1}}})
	l.Close()
	path := filepath.Join(dir, JSONLName)
	good, _ := os.ReadFile(path)
	os.WriteFile(path, append([]byte("{not json}\n"), good...), 0o644)
	if _, err := OpenLogger(dir); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("error %v, want one naming line 1", err)
	}
	if after, _ := os.ReadFile(path); len(after) != len(good)+len("{not json}\n") {
		t.Fatal("a damaged log was rewritten")
	}
}

func TestLoggerDropAfter(t *testing.T) {
	dir := t.TempDir()
	l, _ := OpenLogger(dir)
	var all []logged
	for s := int64(0); s < 10; s++ {
		all = append(all, logged{s, "train", map[string]float64{"loss": float64(10 - s)}})
	}
	logAll(t, l, all)
	if err := l.DropAfter(4); err != nil {
		t.Fatal(err)
	}
	if s, _ := l.LastStep(); s != 4 || l.Len() != 5 {
		t.Fatalf("after DropAfter(4): last %d len %d", s, l.Len())
	}
	redo := []logged{{5, "train", map[string]float64{"loss": 99}}}
	logAll(t, l, redo)
	l.Close()
	checkFiles(t, dir, append(all[:5:5], redo...))
}

func TestLoggerConcurrent(t *testing.T) {
	dir := t.TempDir()
	l, _ := OpenLogger(dir)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				l.Log(int64(i), fmt.Sprint("worker", g), map[string]float64{"v": float64(g*1000 + i)})
			}
		}()
	}
	wg.Wait()
	l.Close()
	recs, err := ReadLog(filepath.Join(dir, JSONLName))
	if err != nil || len(recs) != 400 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
}

func TestLoggerBadInput(t *testing.T) {
	l, _ := OpenLogger(t.TempDir())
	defer l.Close()
	for _, c := range []struct {
		step int64
		v    map[string]float64
	}{{-1, map[string]float64{"a": 1}}, {0, nil}, {0, map[string]float64{"": 1}}} {
		if err := l.Log(c.step, "p", c.v); err == nil {
			t.Errorf("Log(%d, %v) accepted", c.step, c.v)
		}
	}
	if _, err := OpenLogger(""); err == nil {
		t.Error("empty dir accepted")
	}
}

package metrics

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"
	"vlmq/atomicfile"
)

// Log file names inside a Logger's directory.
const (
	JSONLName = "metrics.jsonl"
	CSVName   = "metrics.csv"
)

var csvHeader = []string{"step", "phase", "time", "name", "value"}

// Record is one Log call. The JSONL file holds one record per line; the
// CSV file holds one row per (record, name) in long format, so new metric
// names never change its columns.
type Record struct {
	Step   int64
	Phase  string
	Time   time.Time
	Values map[string]float64
}

type recordJSON struct {
	Step   int64          `json:"step"`
	Phase  string         `json:"phase"`
	Time   string         `json:"time"`
	Values map[string]any `json:"values"`
}

// formatValue spells non-finite values as strings ("NaN", "+Inf",
// "-Inf"), since a NaN loss is worth logging and JSON has no literal for it.
func formatValue(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return v
}

func (r Record) marshal() ([]byte, error) {
	j := recordJSON{Step: r.Step, Phase: r.Phase, Time: r.Time.UTC().Format(time.RFC3339Nano), Values: map[string]any{}}
	for k, v := range r.Values {
		j.Values[k] = formatValue(v)
	}
	return json.Marshal(j) // map keys come out sorted
}

func parseRecord(line []byte) (Record, error) {
	var j recordJSON
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&j); err != nil {
		return Record{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, j.Time)
	if err != nil {
		return Record{}, fmt.Errorf("bad time: %w", err)
	}
	r := Record{Step: j.Step, Phase: j.Phase, Time: t, Values: make(map[string]float64, len(j.Values))}
	for k, v := range j.Values {
		var s string
		switch x := v.(type) {
		case json.Number:
			s = x.String()
		case string:
			s = x
		default:
			return Record{}, fmt.Errorf("value %q is %T", k, v)
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return Record{}, fmt.Errorf("value %q: %w", k, err)
		}
		r.Values[k] = f
	}
	return r, nil
}

func (r Record) csvRows() [][]string {
	names := make([]string, 0, len(r.Values))
	for k := range r.Values {
		names = append(names, k)
	}
	sort.Strings(names)
	ts := r.Time.UTC().Format(time.RFC3339Nano)
	rows := make([][]string, len(names))
	for i, k := range names {
		rows[i] = []string{strconv.FormatInt(r.Step, 10), r.Phase, ts, k, strconv.FormatFloat(r.Values[k], 'g', -1, 64)}
	}
	return rows
}

// Logger appends training metrics to dir/metrics.jsonl and
// dir/metrics.csv. It is safe for concurrent use. Opening a directory that
// already has logs continues them: a torn last line left by a crash is
// dropped, and the CSV is rebuilt from the JSONL (the primary record), so
// the two always agree after Open.
type Logger struct {
	dir string
	now func() time.Time

	mu       sync.Mutex
	jf, cf   *os.File
	jw       *bufio.Writer
	cw       *csv.Writer
	last     int64
	n        int
	closed   bool
	resumed  int
	tornTail bool
}

// OpenLogger opens or creates the logs in dir.
func OpenLogger(dir string) (*Logger, error) {
	if dir == "" {
		return nil, errors.New("metrics: OpenLogger: empty directory name")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("metrics: creating log dir: %w", err)
	}
	l := &Logger{dir: dir, now: time.Now, last: -1}
	jpath := filepath.Join(dir, JSONLName)
	recs, torn, err := readJSONL(jpath)
	if err != nil {
		return nil, err
	}
	l.tornTail = torn
	if err := l.rewrite(recs); err != nil {
		return nil, err
	}
	if err := l.openFiles(); err != nil {
		return nil, err
	}
	l.resumed = len(recs)
	l.n = len(recs)
	for _, r := range recs {
		l.last = max(l.last, r.Step)
	}
	return l, nil
}

func (l *Logger) openFiles() error {
	var err error
	l.jf, err = os.OpenFile(filepath.Join(l.dir, JSONLName), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("metrics: opening JSONL log: %w", err)
	}
	l.cf, err = os.OpenFile(filepath.Join(l.dir, CSVName), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		l.jf.Close()
		return fmt.Errorf("metrics: opening CSV log: %w", err)
	}
	l.jw = bufio.NewWriter(l.jf)
	l.cw = csv.NewWriter(l.cf)
	return nil
}

// readJSONL reads all complete records. A last line without its newline
// is a torn write: it is reported and left out. A bad complete line is an
// error naming it, so damaged logs are never silently rewritten.
func readJSONL(path string) ([]Record, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("metrics: reading %s: %w", path, err)
	}
	torn := false
	if i := bytes.LastIndexByte(data, '\n'); i < len(data)-1 {
		data, torn = data[:i+1], true
	}
	var recs []Record
	for n, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		r, err := parseRecord(line)
		if err != nil {
			return nil, false, fmt.Errorf("metrics: %s line %d: %w", path, n+1, err)
		}
		recs = append(recs, r)
	}
	return recs, torn, nil
}

// ReadLog reads the records of a JSONL log file (a torn last line is
// ignored).
func ReadLog(path string) ([]Record, error) {
	recs, _, err := readJSONL(path)
	return recs, err
}

// rewrite atomically replaces both files with recs.
func (l *Logger) rewrite(recs []Record) error {
	var jb, cb bytes.Buffer
	cw := csv.NewWriter(&cb)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, r := range recs {
		line, err := r.marshal()
		if err != nil {
			return err
		}
		jb.Write(line)
		jb.WriteByte('\n')
		if err := cw.WriteAll(r.csvRows()); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(l.dir, JSONLName), jb.Bytes()); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(l.dir, CSVName), cb.Bytes())
}

// Log appends one record. Values may be NaN or infinite.
func (l *Logger) Log(step int64, phase string, values map[string]float64) error {
	if step < 0 {
		return fmt.Errorf("metrics: Log: negative step %d", step)
	}
	if len(values) == 0 {
		return errors.New("metrics: Log: no values")
	}
	for k := range values {
		if k == "" {
			return errors.New("metrics: Log: empty metric name")
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errors.New("metrics: Log on a closed logger")
	}
	r := Record{Step: step, Phase: phase, Time: l.now(), Values: values}
	line, err := r.marshal()
	if err != nil {
		return fmt.Errorf("metrics: encoding record: %w", err)
	}
	if _, err := l.jw.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("metrics: writing JSONL log: %w", err)
	}
	for _, row := range r.csvRows() {
		if err := l.cw.Write(row); err != nil {
			return fmt.Errorf("metrics: writing CSV log: %w", err)
		}
	}
	l.last = max(l.last, step)
	l.n++
	return nil
}

// Flush writes buffered records and fsyncs both files.
func (l *Logger) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	return l.flush()
}

func (l *Logger) flush() error {
	if err := l.jw.Flush(); err != nil {
		return fmt.Errorf("metrics: flushing JSONL log: %w", err)
	}
	l.cw.Flush()
	if err := l.cw.Error(); err != nil {
		return fmt.Errorf("metrics: flushing CSV log: %w", err)
	}
	if err := l.jf.Sync(); err != nil {
		return fmt.Errorf("metrics: syncing JSONL log: %w", err)
	}
	if err := l.cf.Sync(); err != nil {
		return fmt.Errorf("metrics: syncing CSV log: %w", err)
	}
	return nil
}

// Close flushes and closes the files.
func (l *Logger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	err := l.flush()
	err = errors.Join(err, l.jf.Close(), l.cf.Close())
	return err
}

// LastStep is the largest step logged so far (including resumed
// records); ok is false for an empty log.
func (l *Logger) LastStep() (step int64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last, l.last >= 0
}

// Len is the number of records in the log.
func (l *Logger) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// Resumed is the number of records found when the log was opened, and
// whether a torn last line (from a crash) was dropped.
func (l *Logger) Resumed() (records int, droppedTornLine bool) {
	return l.resumed, l.tornTail
}

// DropAfter removes records with Step > step, for resuming training from
// a checkpoint older than the log's end. Both files are rewritten
// atomically.
func (l *Logger) DropAfter(step int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errors.New("metrics: DropAfter on a closed logger")
	}
	if err := l.flush(); err != nil {
		return err
	}
	recs, _, err := readJSONL(filepath.Join(l.dir, JSONLName))
	if err != nil {
		return err
	}
	kept := recs[:0]
	l.last = -1
	for _, r := range recs {
		if r.Step <= step {
			kept = append(kept, r)
			l.last = max(l.last, r.Step)
		}
	}
	l.jf.Close()
	l.cf.Close()
	if err := l.rewrite(kept); err != nil {
		l.closed = true
		return err
	}
	l.n = len(kept)
	if err := l.openFiles(); err != nil {
		l.closed = true
		return err
	}
	return nil
}

var _ io.Closer = (*Logger)(nil)

func writeAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, data); err != nil {
		return fmt.Errorf("metrics: replacing %s: %w", path, err)
	}
	return nil
}

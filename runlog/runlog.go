// Package runlog records how a run folder's work ran (run.json): the
// code and machine of each session and its wall time. A run resumed over
// several sessions adds one entry per session, so a reported figure
// carries what it cost and the commit that made it.
package runlog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"vlmq/atomicfile"
	"vlmq/jsonfile"
	"vlmq/tensor"
)

// File is the record's name in a run folder.
const File = "run.json"

// Session is one process's work on a run.
type Session struct {
	Start time.Time `json:"start"`
	// Seconds is the wall time from Start to the last save: a session
	// killed before its end keeps what its last checkpoint recorded.
	Seconds float64 `json:"seconds"`
	// Ended is "finished", "stopped: REASON", or "running" while the
	// session runs (and after a kill).
	Ended   string `json:"ended"`
	Command string `json:"command"`
	// Commit is the build's VCS revision, "+modified" when the tree had
	// changes, or "unknown" (a build outside a repository).
	Commit string `json:"commit"`
	Go     string `json:"go"`
	CPUs   int    `json:"cpus"`
	// Gemm is the matrix-product backend that ran (VLMQ_GEMM): a run on
	// bfloat16 products computes other numbers than one on float32.
	Gemm string `json:"gemm,omitempty"`
	// LoadStart and LoadEnd are the machine's 1-minute load average at
	// the start and at the last save: what shared the machine.
	LoadStart float64 `json:"load_avg_start"`
	LoadEnd   float64 `json:"load_avg_end"`
}

// Log is the contents of run.json.
type Log struct {
	// WallSeconds sums the sessions' Seconds.
	WallSeconds float64   `json:"wall_seconds"`
	Sessions    []Session `json:"sessions"`
}

// Read reads dir's record (an empty Log when there is none).
func Read(dir string) (Log, error) {
	var l Log
	err := jsonfile.Read(filepath.Join(dir, File), &l)
	if errors.Is(err, fs.ErrNotExist) {
		return Log{}, nil
	}
	if err != nil {
		return Log{}, fmt.Errorf("runlog: %w (move it away to start a new record)", err)
	}
	return l, nil
}

// Recorder keeps one session's entry up to date.
type Recorder struct {
	dir   string
	log   Log
	start time.Time
	now   func() time.Time
}

// Begin adds a session to dir's record (dir must exist) and writes it.
func Begin(dir string) (*Recorder, error) {
	return begin(dir, time.Now)
}

func begin(dir string, now func() time.Time) (*Recorder, error) {
	l, err := Read(dir)
	if err != nil {
		return nil, err
	}
	r := &Recorder{dir: dir, log: l, start: now(), now: now}
	r.log.Sessions = append(r.log.Sessions, Start(r.start))
	return r, r.write()
}

// Start is a new session's entry, started at t, by this process.
func Start(t time.Time) Session {
	l := load1()
	return Session{Start: t.UTC(), Ended: "running", Command: atomicfile.Command,
		Commit: Commit(), Go: runtime.Version(), CPUs: runtime.NumCPU(), Gemm: tensor.BLASBackend, LoadStart: l, LoadEnd: l}
}

// Update records the session's wall time up to now and the load then.
func (s *Session) Update(now time.Time) {
	s.Seconds = now.Sub(s.Start).Seconds()
	s.LoadEnd = load1()
}

// Save records the session's wall time so far.
func (r *Recorder) Save() error {
	r.log.Sessions[len(r.log.Sessions)-1].Update(r.now())
	r.log.WallSeconds = 0
	for _, x := range r.log.Sessions {
		r.log.WallSeconds += x.Seconds
	}
	return r.write()
}

// End saves the session as finished, or as stopped by err.
func (r *Recorder) End(err error) error {
	s := &r.log.Sessions[len(r.log.Sessions)-1]
	s.Ended = "finished"
	if err != nil {
		s.Ended = "stopped: " + err.Error()
	}
	return r.Save()
}

func (r *Recorder) write() error {
	return jsonfile.Write(filepath.Join(r.dir, File), r.log)
}

// Commit is the running build's VCS revision (see Session.Commit).
func Commit() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, modified := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	if modified {
		rev += "+modified"
	}
	return rev
}

// load1 is the 1-minute load average (0 where /proc/loadavg is missing).
func load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	x, _ := strconv.ParseFloat(f[0], 64)
	return x
}

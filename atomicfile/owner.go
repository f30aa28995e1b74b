package atomicfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// MarkerFile names what made the folder it is in: its kind and the
// command line. A command writes only into folders that are absent,
// empty, or carry its own kind's marker.
const MarkerFile = ".vlmq.json"

// Kind is what an output folder holds.
type Kind struct {
	Name string
	// Legacy lists the name patterns (filepath.Match) a folder of this
	// kind held before folders carried markers: an unmarked folder that
	// holds nothing else is taken as this kind, so older outputs still
	// resume; any other file in it makes it foreign.
	Legacy []string
	// Needs lists patterns of which an unmarked folder must hold one to
	// be taken as this kind (a folder holding only a README.md is not a
	// model).
	Needs []string
}

// The kinds of output folders.
var (
	KindModel      = Kind{Name: "model", Legacy: []string{"config.json", "tokenizer.json", "model.safetensors", "README.md", "critic.safetensors"}, Needs: []string{"*.safetensors"}}
	KindCheckpoint = Kind{Name: "checkpoint", Legacy: []string{"model", "target", "optim.safetensors", "progress.json", "train.json", "spec.json"}, Needs: []string{"progress.json"}}
	KindEval       = Kind{Name: "eval", Legacy: []string{"eval.json", "results.json"}, Needs: []string{"eval.json"}}
	KindDataset    = Kind{Name: "dataset", Legacy: []string{"shard-*.parquet", ".shard-*.tmp", ".lock"}, Needs: []string{"shard-*.parquet", ".lock"}}
	KindRun        = Kind{Name: "run", Legacy: []string{"spec.json", "metrics.jsonl", "metrics.csv", "ckpt", "online", "evals", "ckpt.old", ".*.new-*", ".*.lock", ".*.tmp-*"},
		Needs: []string{"spec.json", "ckpt", "online"}}
	// KindEvalCheckpoint is <out>.ckpt of eval --out: the finished
	// episodes of an evaluation not yet published. It had no earlier,
	// unmarked form.
	KindEvalCheckpoint = Kind{Name: "eval-checkpoint"}
	KindDemo           = Kind{Name: "demo", Legacy: []string{"demo.json", "results.json", "base", "base.ckpt", "data", "sft", "afsft", "online",
		"eval-*.json", "replays-*", "curves.png", "report.html", ".*.new-*", ".*.lock", ".*.tmp-*"}, Needs: []string{"demo.json"}}
	// KindReport is the folder of vlmq report (index.html and its
	// charts), replaced whole on every run. It had no unmarked form.
	KindReport = Kind{Name: "report"}
)

// Marker is the contents of MarkerFile.
type Marker struct {
	Kind    string `json:"kind"`
	Command string `json:"command"`
	// Info is what the kind records beyond that (a dataset's env).
	Info json.RawMessage `json:"info,omitempty"`
}

// Command is the command line markers record.
var Command = strings.Join(append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...), " ")

// ReadMarker reads dir's marker; ok is false when it has none.
func ReadMarker(dir string) (m Marker, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, MarkerFile))
	if errors.Is(err, fs.ErrNotExist) {
		return m, false, nil
	} else if err != nil {
		return m, false, err
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Kind == "" {
		return m, false, fmt.Errorf("atomicfile: %s is damaged (%v): it should name the folder's kind", filepath.Join(dir, MarkerFile), err)
	}
	return m, true, nil
}

// WriteMarker marks dir as kind k made by Command, with info (nil for
// none).
func WriteMarker(dir string, k Kind, info any) error {
	m := Marker{Kind: k.Name, Command: Command}
	if info != nil {
		b, err := json.Marshal(info)
		if err != nil {
			return err
		}
		m.Info = b
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return Write(filepath.Join(dir, MarkerFile), append(b, '\n'))
}

// nameMax is the longest file name most Linux filesystems take; the
// temp and lock names add at most nameSlack characters to a base name.
const (
	nameMax   = 255
	nameSlack = len(".") + len(".new-") + 10
)

// Resolve makes dir absolute and follows a symlink at it, so a command
// writes into the link's target and never replaces the link. A link to
// nothing is refused.
func Resolve(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("atomicfile: empty folder name")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	fi, err := os.Lstat(abs)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return abs, nil
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("atomicfile: %s is a symlink to a missing path (%v); refusing to replace the link: give the target folder instead", dir, err)
	}
	return real, nil
}

// CheckOut tells whether a command that writes folders of kind k may
// write dir: an absent or empty folder, one marked as k, or an unmarked
// one holding only k's legacy files. Anything else is refused, naming
// what is there, before any work. It also refuses names too long for
// the temp and lock names derived from them.
func CheckOut(dir string, k Kind) error {
	dir, err := Resolve(dir)
	if err != nil {
		return err
	}
	base := filepath.Base(dir)
	if dir == filepath.Dir(dir) {
		return fmt.Errorf("atomicfile: %s cannot be an output folder", dir)
	}
	if len(base)+nameSlack > nameMax {
		return fmt.Errorf("atomicfile: the folder name %.40s... has %d characters; at most %d fit (the temp and lock names add %d)", base, len(base), nameMax-nameSlack, nameSlack)
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is a file, not %s folder: choose another output folder", dir, withArticle(k.Name))
	}
	m, ok, err := ReadMarker(dir)
	if err != nil {
		return err
	}
	if ok {
		if m.Kind != k.Name {
			return fmt.Errorf("%s holds a vlmq %s (made by %q), and this command writes %s: refusing to write into it; choose another output folder", dir, m.Kind, m.Command, withArticle(k.Name))
		}
		return nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	needed := len(ents) == 0
	for _, e := range ents {
		if !matchAny(k.Legacy, e.Name()) {
			return fmt.Errorf("%s holds files vlmq did not write as %s (such as %s): refusing to replace or write into it; choose another output folder, or empty it", dir, withArticle(k.Name), e.Name())
		}
		needed = needed || matchAny(k.Needs, e.Name())
	}
	if !needed {
		return fmt.Errorf("%s is not empty and not %s vlmq wrote (it has no %s): refusing to replace or write into it; choose another output folder, or empty it", dir, withArticle(k.Name), strings.Join(k.Needs, " or "))
	}
	return nil
}

func matchAny(pats []string, name string) bool {
	for _, p := range pats {
		if ok, _ := filepath.Match(p, name); ok {
			return true
		}
	}
	return false
}

// EnsureDir creates dir (after CheckOut) and marks it as kind k unless it
// is marked already. For folders written in place, such as runs.
func EnsureDir(dir string, k Kind, info any) error {
	if err := CheckOut(dir, k); err != nil {
		return err
	}
	dir, err := Resolve(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if _, ok, err := ReadMarker(dir); err != nil || ok {
		return err
	}
	return WriteMarker(dir, k, info)
}

// Lock is a held writer lock of a folder (LockDir).
type Lock struct {
	f    *os.File
	path string
	// made lists the folders LockDir created for the lock file, deepest
	// first: Unlock removes those still empty, so a refused command
	// leaves no parent folder behind either.
	made []string
}

// LockDir takes the writer lock of dir: an flock on the hidden sibling
// file .<name>.lock, so the lock survives dir being swapped (PublishDir)
// and dies with a crashed process. A second writer, in this process or
// another, gets an error naming the holder. Take it before anything in
// dir is read for a resume or written.
func LockDir(dir string) (*Lock, error) {
	dir, err := Resolve(dir)
	if err != nil {
		return nil, err
	}
	var made []string
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil || p == filepath.Dir(p) {
			break
		}
		made = append(made, p)
	}
	path := filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".lock")
	for tries := 0; ; tries++ {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if errors.Is(err, fs.ErrNotExist) && tries < 10 {
			continue // another refused writer removed the empty parent
		}
		if err != nil {
			return nil, fmt.Errorf("atomicfile: cannot lock %s: %w", dir, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			defer f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				who := "another process"
				if b, rerr := io.ReadAll(io.LimitReader(f, 32)); rerr == nil {
					if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
						who = fmt.Sprintf("process %d", pid)
					}
				}
				return nil, fmt.Errorf("%s is in use: %s is writing to it (it holds %s); wait for it to finish or stop it, or use another folder", dir, who, path)
			}
			return nil, fmt.Errorf("atomicfile: locking %s: %w", path, err)
		}
		// The holder before us may have removed the file after we opened
		// it (Unlock): then our lock is on a file nobody else sees.
		var a, b syscall.Stat_t
		if syscall.Fstat(int(f.Fd()), &a) == nil && syscall.Stat(path, &b) == nil && a.Dev == b.Dev && a.Ino == b.Ino {
			if err := f.Truncate(0); err == nil {
				_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
			}
			return &Lock{f: f, path: path, made: made}, nil
		}
		f.Close()
	}
}

// Unlock releases the lock and removes its file (removed while held, so
// no other writer can hold a lock on the removed file).
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	os.Remove(l.path)
	err := l.f.Close()
	l.f = nil
	for _, d := range l.made {
		if os.Remove(d) != nil {
			break // not empty: the command wrote there
		}
	}
	return err
}

// Claim makes the caller the one writer of the output folder dir of kind
// k, before any work: it refuses a folder of another kind (or holding
// files vlmq did not write) and one that another command is writing. It
// creates nothing but the lock file, so a refused command leaves no trace.
func Claim(dir string, k Kind) (*Lock, error) {
	if err := CheckOut(dir, k); err != nil {
		return nil, err
	}
	lock, err := LockDir(dir)
	if err != nil {
		return nil, err
	}
	// Again under the lock: the folder may have changed meanwhile.
	if err := CheckOut(dir, k); err != nil {
		lock.Unlock()
		return nil, err
	}
	return lock, nil
}

// withArticle puts "a" or "an" before a kind's name, for messages.
func withArticle(name string) string {
	if name != "" && strings.ContainsRune("aeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

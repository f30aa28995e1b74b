package experiment

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"vlmq/afsft"
	"vlmq/jsonfile"
	"vlmq/metrics"
)

// RunKind tells the three folders that hold finished runs apart.
type RunKind string

// The run folders ReadRun reads.
const (
	DemoFolder  RunKind = "demo"  // vlmq demo: demo.json and results.json
	EvalFolder  RunKind = "eval"  // vlmq eval --out: eval.json and results.json
	TrainFolder RunKind = "train" // vlmq train --out: spec.json and evals/
)

// Run is what one run folder gives vlmq table and vlmq report: its env
// and its rows, and the rows of its online rounds.
type Run struct {
	Dir  string
	Kind RunKind
	Env  string
	Rows []Result
	// Rounds are the evaluations after each online round, from round 0
	// (the offline evaluation the rounds continue) when the run has it;
	// nil for a run without online rounds.
	Rounds []Round
}

// Round is the evaluation after online round N (0: before the first).
type Round struct {
	N       int
	Summary metrics.Summary
}

var (
	// ErrNotRun: the folder holds no demo.json, no eval.json and no
	// spec.json of vlmq train.
	ErrNotRun = errors.New("not a run folder")
	// ErrNoEvals: a training run folder without its evaluations (evals/),
	// such as a run trained with --eval-episodes 0.
	ErrNoEvals = errors.New("a training run without its evaluation")
)

// ReadRun reads a demo, an evaluation or a training run folder. A folder
// of none of these gives an error wrapping ErrNotRun, a training run
// without evals/ one wrapping ErrNoEvals; any other error (a damaged or
// missing results file) names the file.
func ReadRun(dir string) (Run, error) {
	var demo DemoSpec
	err := jsonfile.Read(filepath.Join(dir, "demo.json"), &demo)
	if err == nil {
		r, err := readResults(dir, DemoFolder, demo.Env)
		r.Rounds = demoRounds(r.Rows, demo.Online.OnlineRounds)
		return r, err
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return Run{}, err
	}
	var rec EvalRecord
	if err := jsonfile.Read(filepath.Join(dir, "eval.json"), &rec); err == nil {
		return readResults(dir, EvalFolder, rec.Spec.Env)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Run{}, err
	}
	return readTrain(dir)
}

// readResults reads the results.json of a demo or evaluation folder.
func readResults(dir string, k RunKind, env string) (Run, error) {
	r := Run{Dir: dir, Kind: k, Env: env}
	if err := jsonfile.Read(filepath.Join(dir, "results.json"), &r.Rows); err != nil {
		return Run{}, fmt.Errorf("%s: not a finished %s run: %w", dir, k, err)
	}
	return r, nil
}

// onlineMethod names a demo's row after online round r; the last round's
// row is named "AFSFT+online" alone.
func onlineMethod(r int) string { return onlineRoundPrefix + strconv.Itoa(r) + ")" }

const onlineRoundPrefix = "AFSFT+online (round "

// demoRounds picks a demo's online rounds out of its rows: AFSFT is round
// 0, "AFSFT+online (round N)" round N, and "AFSFT+online" the last round
// (rounds, or the one after the last numbered row if demo.json says
// less). A demo without an AFSFT+online row has none.
func demoRounds(rows []Result, rounds int) []Round {
	var out []Round
	online := false
	for _, r := range rows {
		n, ok := 0, r.Method == "AFSFT"
		if s, found := strings.CutPrefix(r.Method, onlineRoundPrefix); found {
			if v, err := strconv.Atoi(strings.TrimSuffix(s, ")")); err == nil && strings.HasSuffix(s, ")") {
				n, ok, online = v, true, true
			}
		}
		if r.Method == "AFSFT+online" {
			n, ok, online = rounds, true, true
			if len(out) > 0 {
				n = max(n, out[len(out)-1].N+1)
			}
		}
		if ok {
			out = append(out, Round{N: n, Summary: r.Summary})
		}
	}
	if !online {
		return nil
	}
	return out
}

// readTrain reads a training run folder's evaluations, offline first
// and then each online round, as rows named by the training mode, the
// phase, the step and the folder (which tells runs of one env apart). A
// run without offline steps may start at round 1.
func readTrain(dir string) (Run, error) {
	var spec TrainSpec
	if err := jsonfile.Read(filepath.Join(dir, "spec.json"), &spec); errors.Is(err, fs.ErrNotExist) {
		return Run{}, fmt.Errorf("%s: %w (it has no demo.json, eval.json, or spec.json with evals/ of vlmq train)", dir, ErrNotRun)
	} else if err != nil {
		return Run{}, err
	}
	if spec.Env == "" {
		// A pretraining spec, or a checkpoint's.
		return Run{}, fmt.Errorf("%s: spec.json names no env: %w", dir, ErrNotRun)
	}
	if fi, err := os.Stat(filepath.Join(dir, "evals")); err != nil || !fi.IsDir() {
		return Run{}, fmt.Errorf("%s: %w (run it with --eval-episodes): it has no evals/ folder", dir, ErrNoEvals)
	}
	r := Run{Dir: dir, Kind: TrainFolder, Env: spec.Env}
	for i := 0; ; i++ {
		label := "offline"
		if i > 0 {
			label = fmt.Sprintf("round-%d", i)
		}
		var res Result
		err := jsonfile.Read(filepath.Join(dir, "evals", label+".json"), &res)
		missing := errors.Is(err, fs.ErrNotExist)
		if missing && i == 0 && spec.Schedule.OfflineSteps == 0 {
			continue // no offline steps, so no offline evaluation
		}
		if missing && len(r.Rows) > 0 {
			break // after the last round
		}
		if err != nil {
			// evals/ without the first evaluation: a damaged or unfinished
			// run, not one that never evaluated (ErrNoEvals).
			return Run{}, fmt.Errorf("%s: a training run without its %s evaluation (run it with --eval-episodes): %w", dir, strings.ReplaceAll(label, "-", " "), err)
		}
		step := fmt.Sprintf("step %d", res.Step)
		if res.ModelStep > 0 {
			// The weights of the best validation step, not the last.
			step = fmt.Sprintf("step %d, the best validation step of %d", res.ModelStep, res.Step)
		}
		res.Method = fmt.Sprintf("%s %s, %s (%s)", modeName(spec.Train.Mode), strings.ReplaceAll(label, "-", " "), step, filepath.Base(filepath.Clean(dir)))
		r.Rows = append(r.Rows, res)
		r.Rounds = append(r.Rounds, Round{N: i, Summary: res.Summary})
	}
	if r.Rounds[len(r.Rounds)-1].N == 0 {
		r.Rounds = nil // offline only
	}
	return r, nil
}

// modeName is a training mode as the tables name methods.
func modeName(m afsft.Mode) string {
	switch m {
	case afsft.SFT:
		return "SFT"
	case afsft.Binary, "":
		return "AFSFT"
	}
	return "AFSFT (" + string(m) + " weights)"
}

// ownFolders are the sub-folders each kind of run writes for itself
// (filepath.Match patterns): FindRuns does not look for runs there.
var ownFolders = map[RunKind][]string{
	DemoFolder:  {"base", "base.ckpt", "data", "sft", "afsft", "online", "replays-*"},
	TrainFolder: {"ckpt", "ckpt.old", "online", "evals", "best"},
}

// owns tells whether name is one of the sub-folders a run of kind k
// writes.
func (k RunKind) owns(name string) bool {
	return slices.ContainsFunc(ownFolders[k], func(p string) bool {
		ok, _ := filepath.Match(p, name)
		return ok
	})
}

// FindRuns reads every run folder under the roots (each root included),
// sorted by env and then folder. It skips hidden folders and the
// sub-folders a run writes for itself (a demo's sft/, a training run's
// ckpt/, ...), but finds runs kept elsewhere inside a run folder (an
// evaluation beside a demo's files). Training runs without evaluations
// are left out and listed in noEvals. A damaged run folder is an error
// naming its file, as is a root without any run.
func FindRuns(roots ...string) (runs []Run, noEvals []string, err error) {
	seen := map[string]bool{}
	for _, root := range roots {
		found, skipped, err := findUnder(root)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range found {
			abs, err := filepath.Abs(r.Dir)
			if err != nil {
				return nil, nil, err
			}
			if !seen[abs] {
				seen[abs] = true
				runs = append(runs, r)
			}
		}
		noEvals = append(noEvals, skipped...)
		if len(found) == 0 {
			return nil, nil, fmt.Errorf("%s: no run folder under it (demo.json, eval.json, or spec.json with evals/)", root)
		}
	}
	slices.SortStableFunc(runs, func(a, b Run) int {
		if c := strings.Compare(a.Env, b.Env); c != 0 {
			return c
		}
		return strings.Compare(a.Dir, b.Dir)
	})
	slices.Sort(noEvals)
	return runs, slices.Compact(noEvals), nil
}

// findUnder walks one root (FindRuns).
func findUnder(root string) (runs []Run, noEvals []string, err error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, nil, err
	}
	if !fi.IsDir() {
		return nil, nil, fmt.Errorf("%s is not a folder", root)
	}
	kinds := map[string]RunKind{} // the run folders found, by path
	// The separator makes WalkDir follow a symlinked root.
	err = filepath.WalkDir(filepath.Clean(root)+string(filepath.Separator), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		p = filepath.Clean(p)
		if p != filepath.Clean(root) {
			if strings.HasPrefix(d.Name(), ".") || kinds[filepath.Dir(p)].owns(d.Name()) {
				return filepath.SkipDir
			}
		}
		r, err := ReadRun(p)
		switch {
		case errors.Is(err, ErrNotRun):
			return nil
		case errors.Is(err, ErrNoEvals):
			kinds[p] = TrainFolder
			noEvals = append(noEvals, p)
			return nil
		case err != nil:
			return err
		}
		kinds[p] = r.Kind
		runs = append(runs, r)
		return nil
	})
	return runs, noEvals, err
}

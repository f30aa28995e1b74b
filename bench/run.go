package bench

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"vlmq/tensor"
)

// Timing is the result of timing a trainer.
type Timing struct {
	MsPerStep    float64
	CPUMsPerStep float64 // process CPU time (all threads) per step: robust to a busy machine
	FirstLoss    float32
	LastLoss     float32
	Steps        int
	Threads      int
	Description  string
	Kernels      string // PyTorch: the BLAS and kernels it ran
}

// RunGo trains the model for warmup+steps steps and times the last steps.
func RunGo(c Config, warmup, steps int, seed int64) (Timing, error) {
	tr, err := NewTrainer(c, seed)
	if err != nil {
		return Timing{}, err
	}
	b := RandomBatch(c, seed+1)
	return timeSteps(warmup, steps, func() (float32, error) { return tr.Step(b) })
}

// timeSteps runs step warmup times untimed, then steps times timed (wall
// and process CPU time), keeping the first and last loss.
func timeSteps(warmup, steps int, step func() (float32, error)) (Timing, error) {
	var res Timing
	for i := 0; i < warmup; i++ {
		l, err := step()
		if err != nil {
			return res, err
		}
		if i == 0 {
			res.FirstLoss = l
		}
	}
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < steps; i++ {
		l, err := step()
		if err != nil {
			return res, err
		}
		if warmup == 0 && i == 0 {
			res.FirstLoss = l
		}
		res.LastLoss = l
	}
	res.Steps = steps
	res.MsPerStep = float64(time.Since(start).Microseconds()) / 1000 / float64(max(steps, 1))
	res.CPUMsPerStep = float64((cpuTime() - cpu0).Microseconds()) / 1000 / float64(max(steps, 1))
	res.Threads = runtime.GOMAXPROCS(0)
	res.Description = fmt.Sprintf("Go (%s, GOMAXPROCS=%d)", tensor.BLASBackend, res.Threads)
	return res, nil
}

// PeakEstimate is the machine's measured sgemm peak: the best n×n×n
// single-threaded rate of any gemm backend compiled in, times the cores.
type PeakEstimate struct {
	PerCoreGFLOPS float64
	Cores         int
	Library       string             // the backend that gave it, with its kernels
	ByLibrary     map[string]float64 // every backend's per-core rate
}

// Total is the estimated machine peak in GFLOP/s.
func (p PeakEstimate) Total() float64 { return p.PerCoreGFLOPS * float64(p.Cores) }

// EstimatePeak runs the measurement with every gemm backend (the default
// is switched back afterwards); with cores > 1 it also runs one gemm per
// core concurrently and keeps the per-core rate seen there if it is higher
// (it rarely is) so a busy machine is not overstated.
func EstimatePeak(n, reps int) PeakEstimate {
	defer tensor.UseGemm("")
	p := PeakEstimate{Cores: runtime.NumCPU(), ByLibrary: map[string]float64{}}
	for _, b := range tensor.GemmBackends() {
		desc, err := tensor.UseGemm(b)
		if err != nil {
			continue
		}
		g := peakRate(n, reps, p.Cores)
		p.ByLibrary[desc] = g
		if g > p.PerCoreGFLOPS {
			p.PerCoreGFLOPS, p.Library = g, desc
		}
	}
	return p
}

// peakRate is the best per-core n×n×n sgemm rate of the running backend.
func peakRate(n, reps, cores int) float64 {
	r := rand.New(rand.NewSource(1))
	mk := func() []float32 {
		s := make([]float32, n*n)
		for i := range s {
			s[i] = float32(r.NormFloat64())
		}
		return s
	}
	a, b := mk(), mk()
	flops := 2 * float64(n) * float64(n) * float64(n)
	best := 0.0
	c := make([]float32, n*n)
	for i := 0; i < reps; i++ {
		t0 := time.Now()
		tensor.SgemmSerial(false, false, n, n, n, 1, a, n, b, n, 0, c, n)
		if g := flops / time.Since(t0).Seconds() / 1e9; g > best {
			best = g
		}
	}
	if cores > 1 {
		var wg sync.WaitGroup
		rates := make([]float64, cores)
		for w := 0; w < cores; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				cw := make([]float32, n*n)
				t0 := time.Now()
				tensor.SgemmSerial(false, false, n, n, n, 1, a, n, b, n, 0, cw, n)
				rates[w] = flops / time.Since(t0).Seconds() / 1e9
			}(w)
		}
		wg.Wait()
		for _, g := range rates {
			best = max(best, g)
		}
	}
	return best
}

// TorchEnv is the environment of a PyTorch process: this process's,
// without the variables that pin OpenBLAS to one kernel family, so that
// PyTorch runs as a user's would (the Go side keeps them, as tests and
// CI must), plus extra.
func TorchEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "OPENBLAS_CORETYPE=") || strings.HasPrefix(kv, "OPENBLAS_L2_SIZE=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// ErrNoTorch reports that python3 or torch is unavailable.
var ErrNoTorch = errors.New("bench: python3 with torch is not available")

type torchResult struct {
	MsPerStep float64 `json:"ms_per_step"`
	CPUMs     float64 `json:"cpu_ms_per_step"`
	FirstLoss float32 `json:"first_loss"`
	LastLoss  float32 `json:"last_loss"`
	Threads   int     `json:"threads"`
	Version   string  `json:"torch"`
	Kernels   string  `json:"kernels"`
	Error     string  `json:"error"`
}

//go:embed torch_ref.py
var torchScript []byte

//go:embed torch_kernels.py
var torchKernelsScript []byte

// writeTorchScript writes a PyTorch script into dir, with the module that
// names PyTorch's kernels beside it, and returns the script's path.
func writeTorchScript(dir, name string, script []byte) (string, error) {
	if err := os.WriteFile(filepath.Join(dir, "torch_kernels.py"), torchKernelsScript, 0o644); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, script, 0o644)
}

// TorchScript returns the PyTorch twin of the reference model (torch_ref.py).
func TorchScript() []byte { return append([]byte(nil), torchScript...) }

// RunTorch runs the embedded PyTorch reference script with python using the
// same configuration and the given number of torch threads.
func RunTorch(ctx context.Context, python string, c Config, warmup, steps, threads int) (Timing, error) {
	if _, err := exec.LookPath(python); err != nil {
		return Timing{}, fmt.Errorf("%w: %v", ErrNoTorch, err)
	}
	dir, err := os.MkdirTemp("", "vlmq-bench")
	if err != nil {
		return Timing{}, err
	}
	defer os.RemoveAll(dir)
	script, err := writeTorchScript(dir, "torch_ref.py", torchScript)
	if err != nil {
		return Timing{}, err
	}
	cmd := exec.CommandContext(ctx, python, script,
		"--layers", fmt.Sprint(c.Layers), "--d", fmt.Sprint(c.D), "--heads", fmt.Sprint(c.Heads),
		"--hidden", fmt.Sprint(c.Hidden), "--vocab", fmt.Sprint(c.Vocab), "--seq", fmt.Sprint(c.Seq),
		"--batch", fmt.Sprint(c.Batch), "--warmup", fmt.Sprint(warmup), "--steps", fmt.Sprint(steps),
		"--threads", fmt.Sprint(threads))
	env := []string(nil)
	if threads > 1 && os.Getenv("OMP_WAIT_POLICY") == "" {
		env = append(env, "OMP_WAIT_POLICY=PASSIVE") // see RunRealTorch
	}
	cmd.Env = TorchEnv(env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var tr torchResult
	lines := bytes.Split(bytes.TrimSpace(stdout.Bytes()), []byte("\n"))
	if err := json.Unmarshal(lines[len(lines)-1], &tr); err != nil {
		if runErr != nil {
			return Timing{}, fmt.Errorf("bench: torch script failed: %v: %s", runErr, lastLine(stderr.Bytes()))
		}
		return Timing{}, fmt.Errorf("bench: torch script output unreadable: %v", err)
	}
	if tr.Error != "" {
		return Timing{}, fmt.Errorf("%w: %s", ErrNoTorch, tr.Error)
	}
	if runErr != nil {
		return Timing{}, fmt.Errorf("bench: torch script failed: %v: %s", runErr, lastLine(stderr.Bytes()))
	}
	return Timing{MsPerStep: tr.MsPerStep, CPUMsPerStep: tr.CPUMs, FirstLoss: tr.FirstLoss, LastLoss: tr.LastLoss, Steps: steps,
		Threads: tr.Threads, Description: fmt.Sprintf("PyTorch %s (%d threads)", tr.Version, tr.Threads), Kernels: tr.Kernels}, nil
}

func lastLine(b []byte) string {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return string(lines[len(lines)-1])
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

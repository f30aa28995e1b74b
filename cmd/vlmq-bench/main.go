// Command vlmq-bench trains the reference model (4 layers, d 256, 4 heads,
// MLP 1024, vocab 512, seq 256, batch 8, LM + critic heads, AdamW) in Go and,
// in the same run, its PyTorch twin, then prints ms/step for both, their
// ratio, and the share of the machine's sgemm peak (the best 1024³ rate of
// any gemm backend compiled in, in the same run). It then does the same
// for the real training step (--real: the shipped base VLM, or a preset,
// trained by afsft.Trainer.Step on NumberLine turns) against its PyTorch
// twin, after checking that both compute the same losses and gradient
// norm. PyTorch runs as a user's would: at the faster of its thread counts
// (--torch-threads, --real-torch-threads) and without the variables that
// pin OpenBLAS's kernels (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE), which only
// its process loses.
//
// With --hf it instead times full-size Hugging Face families built from
// random weights (hf.go).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/spf13/pflag"

	"vlmq/afsft"
	"vlmq/bench"
	"vlmq/cli/flagspec"
	"vlmq/tensor"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "vlmq-bench:", err)
		os.Exit(1)
	}
}

// benchSpec is vlmq-bench's settings: each field's flag and help text in
// its tags (package cli/flagspec), its default in defaultBench.
type benchSpec struct {
	Steps            int    `flag:"steps" help:"timed training steps"`
	Warmup           int    `flag:"warmup" help:"untimed warm-up steps"`
	Python           string `flag:"python" help:"python interpreter with torch"`
	TorchThreads     string `flag:"torch-threads" help:"torch thread counts tried for the reference step (the best is compared)"`
	NoTorch          bool   `flag:"no-torch" help:"skip the PyTorch comparison"`
	PeakN            int    `flag:"peak-n" help:"matrix size of the sgemm used to estimate peak"`
	NoReference      bool   `flag:"no-reference" help:"skip the reference step (time only the real step)"`
	Real             string `flag:"real" help:"model of the real AFSFT step: \"base\" (the shipped base VLM, preset medium), a preset name (fresh weights, e.g. tiny), or \"none\""`
	RealTurns        int    `flag:"real-turns" help:"turns (samples) per real step, the trainer's batch size"`
	RealSteps        int    `flag:"real-steps" help:"timed real steps"`
	RealWarmup       int    `flag:"real-warmup" help:"untimed real warm-up steps (the first steps grow the tape arena)"`
	RealTorchThreads string `flag:"real-torch-threads" help:"torch thread counts tried for the real step (the best is compared)"`
	// HF's help names the families (hfFamilies), which register at init.
	HF           string `flag:"hf" help:"instead: benchmark full-size Hugging Face families built from random weights (\"all\" or a comma list of FAMILIES; run one per process for per-family peak memory)"`
	HFText       int    `flag:"hf-text" help:"with --hf: text tokens of the training step and of the generation prompt"`
	HFGen        int    `flag:"hf-gen" help:"with --hf: tokens generated after the one-token prefill run"`
	HFCriticGrad bool   `flag:"hf-critic-grad" help:"with --hf: the step's loss includes both critic heads (false: no critic weight gradients, Vocab x Hidden x 2 floats, for PaliGemma's 257k vocabulary on a small machine)"`
	HFLayers     int    `flag:"hf-layers" help:"with --hf: decoder layers the training step runs (0: all; a full-depth step needs more memory than 24 GB for most families), its time and memory scaled to full depth"`
}

func defaultBench() benchSpec {
	return benchSpec{Steps: 10, Warmup: 2, Python: "/usr/bin/python3", TorchThreads: "1,2", PeakN: 1024, Real: "base",
		RealTurns: 16, RealSteps: 10, RealWarmup: 2, RealTorchThreads: "1,2", HFText: 4, HFGen: 4, HFCriticGrad: true, HFLayers: 6}
}

// hfFamilies stands in the --hf help for the families' names.
const hfFamilies = "FAMILIES"

// newFlags binds s to a flag set.
func newFlags(s *benchSpec) (*pflag.FlagSet, error) {
	fs := pflag.NewFlagSet("vlmq-bench", pflag.ContinueOnError)
	if err := flagspec.Bind(fs, s, nil); err != nil {
		return nil, err
	}
	f := fs.Lookup("hf")
	f.Usage = strings.Replace(f.Usage, hfFamilies, hfNames(), 1)
	return fs, nil
}

// longDashes turns the -name forms that Go's flag package took, which
// vlmq-bench parsed with before, into pflag's --name (a lone letter
// stays a shorthand: -h).
func longDashes(args []string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		if a == "--" {
			break
		}
		if len(a) > 2 && a[0] == '-' && unicode.IsLetter(rune(a[1])) {
			out[i] = "-" + a
		}
	}
	return out
}

func run(args []string) error {
	s := defaultBench()
	fs, err := newFlags(&s)
	if err != nil {
		return err
	}
	if err := fs.Parse(longDashes(args)); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return err
	}
	if s.HF != "" {
		return hfBench(s.HF, s.HFText, s.HFGen, s.HFLayers, s.HFCriticGrad)
	}
	if s.Steps <= 0 || s.Warmup < 0 || s.PeakN <= 0 || s.RealTurns <= 0 || s.RealSteps <= 0 || s.RealWarmup < 0 {
		return errors.New("steps, peak-n, real-turns and real-steps must be positive, warmups non-negative")
	}
	refThreads, err := threadList("--torch-threads", s.TorchThreads)
	if err != nil {
		return err
	}
	threads, err := threadList("--real-torch-threads", s.RealTorchThreads)
	if err != nil {
		return err
	}
	fmt.Printf("Go: %s, %s elementwise kernels, GOMAXPROCS=%d; PyTorch runs without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, at the faster of its thread counts\n",
		tensor.BLASBackend, tensor.KernelISA, runtime.GOMAXPROCS(0))
	refRatio, share := 0.0, 0.0
	if !s.NoReference {
		if refRatio, share, err = reference(s.Steps, s.Warmup, s.Python, refThreads, s.PeakN, s.NoTorch); err != nil {
			return err
		}
	}
	realRatio := 0.0
	if s.Real != "none" {
		if realRatio, err = realStep(s.Real, s.RealTurns, s.RealWarmup, s.RealSteps, s.Python, threads, s.NoTorch); err != nil {
			return err
		}
	}
	fmt.Println("summary:")
	if refRatio > 0 {
		fmt.Printf("  reference step: Go is %s than PyTorch at its best; %.1f%% of the measured sgemm peak\n", speed(refRatio), 100*share)
	} else if share > 0 {
		fmt.Printf("  reference step: %.1f%% of the measured sgemm peak\n", 100*share)
	}
	if realRatio > 0 {
		fmt.Printf("  real AFSFT step: Go is %s than PyTorch at its best\n", speed(realRatio))
	}
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(load))
		fmt.Printf("load average after run: %s (wall-clock numbers are unreliable when it exceeds the core count)\n",
			strings.Join(f[:min(3, len(f))], " "))
	}
	return nil
}

// reference times the reference step in Go and PyTorch (at its best
// thread count) and returns PyTorch's ms/step over Go's (0 without
// PyTorch) and Go's share of the measured sgemm peak.
func reference(steps, warmup int, python string, torchThreads []int, peakN int, noTorch bool) (float64, float64, error) {
	c := bench.Reference
	flops := bench.FLOPs(c)
	fmt.Printf("model: %d layers, d %d, %d heads, MLP %d, vocab %d, seq %d, batch %d; %.1f GFLOP/step (analytic, GEMMs+attention, fwd+2x bwd)\n",
		c.Layers, c.D, c.Heads, c.Hidden, c.Vocab, c.Seq, c.Batch, flops/1e9)

	peak := bench.EstimatePeak(peakN, 3)
	for lib, g := range peak.ByLibrary {
		fmt.Printf("sgemm %dx%dx%d, best single-thread rate: %.1f GFLOP/s per core with %s\n", peakN, peakN, peakN, g, lib)
	}
	fmt.Printf("peak: %.1f GFLOP/s per core (%s) x %d cores = %.1f GFLOP/s\n",
		peak.PerCoreGFLOPS, peak.Library, peak.Cores, peak.Total())

	g, err := bench.RunGo(c, warmup, steps, 1)
	if err != nil {
		return 0, 0, err
	}
	report(g, flops, peak)
	share := flops / (g.MsPerStep / 1000) / 1e9 / peak.Total()
	if noTorch {
		return 0, share, nil
	}
	var best bench.Timing
	for _, n := range torchThreads {
		t, err := bench.RunTorch(context.Background(), python, c, warmup, steps, n)
		if err != nil {
			if errors.Is(err, bench.ErrNoTorch) {
				fmt.Printf("PyTorch comparison skipped: %v (install Debian python3-torch)\n", err)
				return 0, share, nil
			}
			return 0, 0, err
		}
		report(t, flops, peak)
		if best.MsPerStep == 0 || t.MsPerStep < best.MsPerStep {
			best = t
		}
	}
	fmt.Printf("PyTorch kernels: %s\n", best.Kernels)
	fmt.Printf("reference-step ratio: PyTorch at its best (%d threads)/Go = %.2fx wall, %.2fx CPU time\n",
		best.Threads, best.MsPerStep/g.MsPerStep, best.CPUMsPerStep/g.CPUMsPerStep)
	return best.MsPerStep / g.MsPerStep, share, nil
}

// speed words a ratio of PyTorch's time over Go's.
func speed(r float64) string {
	if r >= 1 {
		return fmt.Sprintf("%.2fx faster", r)
	}
	return fmt.Sprintf("%.2fx slower", 1/r)
}

func threadList(flagName, list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%s %q: want positive integers separated by commas", flagName, list)
		}
		out = append(out, n)
	}
	return out, nil
}

// realStep checks and times the real AFSFT step in Go and PyTorch (at its
// best thread count) and returns PyTorch's ms/step over Go's (0 without
// PyTorch).
func realStep(name string, turns, warmup, steps int, python string, threads []int, noTorch bool) (float64, error) {
	m, err := bench.RealModel(name, 1)
	if err != nil {
		return 0, err
	}
	batch, err := bench.NumberLineBatch(m, turns, 1)
	if err != nil {
		return 0, err
	}
	// One trainer for the check (WriteRealStep steps it), another from the
	// same written state for the timing, so that the Go and PyTorch timed
	// runs take the same steps from the same weights (and their losses
	// can be compared too).
	check, err := afsft.NewTrainer(m.Clone(), bench.RealConfig(turns))
	if err != nil {
		return 0, err
	}
	tr, err := afsft.NewTrainer(m, bench.RealConfig(turns))
	if err != nil {
		return 0, err
	}
	prompt, reply, boot := 0, 0, 0
	for _, s := range batch {
		prompt += len(s.Prompt)
		reply += len(s.Reply)
		if !s.Done && s.Next != nil {
			boot++
		}
	}
	fmt.Printf("real step: model %q (preset %s, %.2fM parameters), afsft defaults, %d NumberLine turns: %d visual + %.0f prompt tokens each on average, %d reply tokens, %d turns bootstrapping into the next\n",
		name, m.Cfg.Preset, float64(m.NumParams())/1e6, turns, m.Cfg.Patches(), float64(prompt)/float64(turns), reply, boot)
	dir, err := os.MkdirTemp("", "vlmq-bench-real")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	goL, err := bench.WriteRealStep(dir, check, batch, "")
	if err != nil {
		return 0, err
	}
	ctx := context.Background()
	var thL []bench.RealLosses
	if !noTorch {
		if thL, err = bench.CheckRealTorch(ctx, python, dir); err != nil {
			if errors.Is(err, bench.ErrNoTorch) {
				fmt.Printf("PyTorch comparison skipped: %v (install Debian python3-torch)\n", err)
				noTorch = true
			} else {
				return 0, err
			}
		}
	}
	if !noTorch {
		d, dy, dw := 0.0, 0.0, 0.0
		for k := range goL {
			d, dy, dw = max(d, goL[k].RelDiff(thL[k])), max(dy, thL[k].YMaxDiff), max(dw, thL[k].WMaxDiff)
		}
		fmt.Printf("real step agreement over %d steps: Go and PyTorch actor loss, critic loss, loss and grad norm within %.2g (relative), TD targets within %.2g, actor weights within %.2g (Go step 1: actor %.4f critic %.4f grad norm %.4f)\n",
			len(goL), d, dy, dw, goL[0].ActorLoss, goL[0].CriticLoss, goL[0].GradNorm)
	}
	g, err := bench.RunRealGo(tr, batch, warmup, steps)
	if err != nil {
		return 0, err
	}
	reportReal(g)
	if noTorch {
		return 0, nil
	}
	var best bench.Timing
	for _, n := range threads {
		t, err := bench.RunRealTorch(ctx, python, dir, warmup, steps, n)
		if err != nil {
			return 0, err
		}
		reportReal(t)
		if best.MsPerStep == 0 || t.MsPerStep < best.MsPerStep {
			best = t
		}
	}
	fmt.Printf("PyTorch kernels: %s\n", best.Kernels)
	fmt.Printf("real-step ratio: PyTorch at its best (%d threads)/Go = %.2fx wall, %.2fx CPU time\n",
		best.Threads, best.MsPerStep/g.MsPerStep, best.CPUMsPerStep/g.CPUMsPerStep)
	return best.MsPerStep / g.MsPerStep, nil
}

func reportReal(t bench.Timing) {
	fmt.Printf("%-44s %8.1f ms/step (CPU %7.1f ms/step)  loss %.4f -> %.4f over %d steps\n",
		t.Description+":", t.MsPerStep, t.CPUMsPerStep, t.FirstLoss, t.LastLoss, t.Steps)
}

func report(t bench.Timing, flops float64, peak bench.PeakEstimate) {
	gf := flops / (t.MsPerStep / 1000) / 1e9
	fmt.Printf("%-36s %8.1f ms/step (CPU %7.1f ms/step)  %6.1f GFLOP/s  %5.1f%% of peak  loss %.4f -> %.4f over %d steps\n",
		t.Description+":", t.MsPerStep, t.CPUMsPerStep, gf, 100*gf/peak.Total(), t.FirstLoss, t.LastLoss, t.Steps)
}

func faster(torchMs, goMs float64) string {
	if goMs <= torchMs {
		return "faster"
	}
	return "slower"
}

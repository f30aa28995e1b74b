// Command vlmq-bench trains the reference model (4 layers, d 256, 4 heads,
// MLP 1024, vocab 512, seq 256, batch 8, LM + critic heads, AdamW) in Go and,
// in the same run, its PyTorch twin, then prints ms/step for both, their
// ratio, and the share of the estimated CPU peak FLOP rate.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"

	"vlmq/bench"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "vlmq-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	steps := flag.Int("steps", 10, "timed training steps")
	warmup := flag.Int("warmup", 2, "untimed warm-up steps")
	python := flag.String("python", "/usr/bin/python3", "python interpreter with torch")
	torchThreads := flag.Int("torch-threads", runtime.GOMAXPROCS(0), "torch.set_num_threads (default: same cores as Go)")
	noTorch := flag.Bool("no-torch", false, "skip the PyTorch comparison")
	peakN := flag.Int("peak-n", 1024, "matrix size of the sgemm used to estimate peak")
	flag.Parse()
	if *steps <= 0 || *warmup < 0 || *torchThreads <= 0 || *peakN <= 0 {
		return errors.New("steps, torch-threads and peak-n must be positive, warmup non-negative")
	}
	c := bench.Reference
	flops := bench.FLOPs(c)
	fmt.Printf("model: %d layers, d %d, %d heads, MLP %d, vocab %d, seq %d, batch %d; %.1f GFLOP/step (analytic, GEMMs+attention, fwd+2x bwd)\n",
		c.Layers, c.D, c.Heads, c.Hidden, c.Vocab, c.Seq, c.Batch, flops/1e9)

	peak := bench.EstimatePeak(*peakN, 3)
	fmt.Printf("peak estimate: %.1f GFLOP/s per core (best single-thread %dx%dx%d sgemm) x %d cores = %.1f GFLOP/s\n",
		peak.PerCoreGFLOPS, *peakN, *peakN, *peakN, peak.Cores, peak.Total())

	g, err := bench.RunGo(c, *warmup, *steps, 1)
	if err != nil {
		return err
	}
	report(g, flops, peak)

	if *noTorch {
		return nil
	}
	t, err := bench.RunTorch(context.Background(), *python, c, *warmup, *steps, *torchThreads)
	if err != nil {
		if errors.Is(err, bench.ErrNoTorch) {
			fmt.Printf("PyTorch comparison skipped: %v (install Debian python3-torch)\n", err)
			return nil
		}
		return err
	}
	report(t, flops, peak)
	fmt.Printf("ratio: PyTorch/Go = %.2fx wall (Go is %s), %.2fx CPU time\n",
		t.MsPerStep/g.MsPerStep, faster(t.MsPerStep, g.MsPerStep), t.CPUMsPerStep/g.CPUMsPerStep)
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(load))
		fmt.Printf("load average after run: %s (wall-clock numbers are unreliable when it exceeds the core count)\n",
			strings.Join(f[:min(3, len(f))], " "))
	}
	return nil
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

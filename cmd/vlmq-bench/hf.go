package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"vlmq/hfload"
	"vlmq/hfmodel"
	_ "vlmq/hfmodel/all"
)

// hfBench builds each named full-size family from random weights (bf16,
// trunk frozen: what fits this machine's RAM) and prints a training step's
// forward and backward time, generation time and memory, as a Markdown
// table. Each family runs once: at full size one step takes minutes on a
// core.
func hfBench(names string, text, gen, layers int, criticGrad bool) error {
	// Full-size steps allocate gigabytes of short-lived activations: a
	// heap allowed to grow to twice the live set (GOGC=100) would not fit.
	debug.SetGCPercent(10)
	full := map[string]string{}
	var fams []string
	for _, v := range hfload.Variants() {
		full[v.Name] = v.FullSize
		fams = append(fams, v.Name)
	}
	slices.Sort(fams)
	if names != "all" {
		fams = nil
		for _, n := range strings.Split(names, ",") {
			n = strings.TrimSpace(n)
			if _, ok := full[n]; !ok {
				return fmt.Errorf("--hf %q: unknown family %q (want all or some of %s)", names, n, hfNames())
			}
			fams = append(fams, n)
		}
	}
	if text <= 0 || gen <= 0 {
		return fmt.Errorf("--hf-text and --hf-gen must be positive")
	}
	fmt.Printf("full-size families, random bf16 weights, trunk frozen (16-bit), GOMAXPROCS=%d, 1 image, %d text tokens, %d generated tokens, critic gradients %v, training step on %d decoder layers (0: all)\n\n",
		runtime.GOMAXPROCS(0), text, gen, criticGrad, layers)
	fmt.Println("| family | params | positions | decoder layers in step | build | vision | step forward (measured) | step backward (measured) | forward, full depth | backward, full depth | forward / position | backward / position | prefill | decode / token | RSS built | step heap (measured) | step heap, full depth | peak RSS |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, n := range fams {
		t0 := time.Now()
		m, err := hfmodel.Random([]byte(full[n]), 1, hfmodel.Options{FreezeTrunk: true})
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		build := time.Since(t0)
		r, err := m.Bench(hfmodel.BenchOpts{Text: text, Gen: gen, Seed: 1, NoCriticGrad: !criticGrad, Layers: layers})
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		per := func(d time.Duration) string { return secs(d / time.Duration(r.Positions)) }
		fmt.Printf("| %s | %.2fB | %d | %d of %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f GB | %.1f GB | %.1f GB | %.1f GB |\n",
			n, float64(r.Params)/1e9, r.Positions, r.Layers, r.FullLayers, secs(build), secs(r.Vision), secs(r.Forward), secs(r.Backward),
			secs(r.ForwardFull), secs(r.BackwardFull), per(r.ForwardFull), per(r.BackwardFull),
			secs(r.Prefill), secs(r.Decode), gb(r.RSSBuilt), gb(r.StepMem), gb(r.StepMemFull), gb(r.PeakRSS))
		m = nil
		runtime.GC() // the next family starts from a clean heap (peak RSS is per process, though)
	}
	return nil
}

// hfNames lists the families' variants --hf takes.
func hfNames() string {
	var names []string
	for _, v := range hfload.Variants() {
		names = append(names, v.Name)
	}
	return strings.Join(names, ", ")
}

func secs(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func gb(b uint64) float64 { return float64(b) / 1e9 }

package bench

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"testing"

	"vlmq/tensor"
)

var tiny = Config{Layers: 2, D: 16, Heads: 2, Hidden: 32, Vocab: 11, Seq: 6, Batch: 3}

func TestFLOPsReference(t *testing.T) {
	// Hand count for the reference model: per layer 4 projections
	// 8·N·D² + MLP 4·N·D·F + attention 4·B·T²·D, heads 4·N·D·V, x3 for backward.
	n, d, f, v, b, s := 2048.0, 256.0, 1024.0, 512.0, 8.0, 256.0
	want := 3 * (4*(8*n*d*d+4*n*d*f+4*b*s*s*d) + 4*n*d*v)
	if got := FLOPs(Reference); math.Abs(got-want) > 1 {
		t.Fatalf("FLOPs %v want %v", got, want)
	}
}

func TestTrainerReducesLoss(t *testing.T) {
	tr, err := NewTrainer(tiny, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr.Opt.LR = 1e-2
	b := RandomBatch(tiny, 2)
	first, err := tr.Step(b)
	if err != nil {
		t.Fatal(err)
	}
	// Initial CE ≈ log(vocab) plus MSE ≈ E[q²] ≈ 1 for small initial outputs.
	if math.Abs(float64(first)-(math.Log(11)+1)) > 0.6 {
		t.Fatalf("initial loss %v far from log(V)+1", first)
	}
	var last float32
	for i := 0; i < 40; i++ {
		if last, err = tr.Step(b); err != nil {
			t.Fatal(err)
		}
	}
	if !(last < first-1) {
		t.Fatalf("loss %v -> %v", first, last)
	}
}

func TestRunGoAndPeak(t *testing.T) {
	res, err := RunGo(tiny, 1, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if res.MsPerStep <= 0 || res.Steps != 2 {
		t.Fatalf("%+v", res)
	}
	if p := EstimatePeak(64, 1); p.Total() <= 0 {
		t.Fatalf("peak %+v", p)
	}
}

func TestRunTorch(t *testing.T) {
	if _, err := RunTorch(context.Background(), "/nonexistent/python3", tiny, 0, 1, 1); !errors.Is(err, ErrNoTorch) {
		t.Fatalf("missing python: %v", err)
	}
	if testing.Short() {
		t.Skip("torch run skipped in -short")
	}
	skip := t.Skip
	if os.Getenv("VLMQ_REQUIRE_TORCH") != "" { // CI: fail, never skip
		skip = t.Fatal
	}
	if _, err := exec.LookPath("/usr/bin/python3"); err != nil {
		skip("no python3")
	}
	res, err := RunTorch(context.Background(), "/usr/bin/python3", tiny, 1, 2, 1)
	if errors.Is(err, ErrNoTorch) {
		skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if res.MsPerStep <= 0 || math.Abs(float64(res.FirstLoss)-(math.Log(11)+1)) > 0.6 {
		t.Fatalf("torch result %+v", res)
	}
}

// BenchmarkTrainStep times one reference training step (go test -bench TrainStep ./bench).
func BenchmarkTrainStep(b *testing.B) {
	tr, err := NewTrainer(Reference, 1)
	if err != nil {
		b.Fatal(err)
	}
	batch := RandomBatch(Reference, 2)
	if _, err := tr.Step(batch); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Step(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(FLOPs(Reference)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkSgemm times the parallel Sgemm on the model's MLP shape.
func BenchmarkSgemm(b *testing.B) {
	m, n, k := 2048, 1024, 256
	a, bb, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range a {
		a[i] = float32(i%7) * 0.1
	}
	for i := range bb {
		bb[i] = float32(i%5) * 0.1
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tensor.Sgemm(false, true, m, n, k, 1, a, k, bb, k, 0, c, n)
	}
	b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

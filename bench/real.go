package bench

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"

	"vlmq/afsft"
	"vlmq/dataset"
	"vlmq/env/cards"
	"vlmq/model"
	"vlmq/models"
	"vlmq/nn"
	"vlmq/optim"
	"vlmq/safetensors"
	"vlmq/vlm"
)

// The real training step: the project's VLM (model.VLM) trained by
// afsft.Trainer.Step on prepared NumberLine turns, next to its PyTorch twin
// (torch_vlm.py), which loads the same weights and batch and computes the
// same losses, gradients and update.

// RealModel returns the model of the real step: "base" (or "") is the
// shipped base VLM (models.Default, preset medium); any other name is a
// model preset, freshly initialised from seed with the shipped tokenizer.
func RealModel(name string, seed int64) (*model.VLM, error) {
	base, err := models.Default()
	if err != nil {
		return nil, err
	}
	if name == "" || name == "base" || name == models.DefaultName {
		return base, nil
	}
	cfg, err := model.Preset(name)
	if err != nil {
		return nil, err
	}
	return model.New(cfg, base.Tok, seed)
}

// MaxReply is the reply token limit of the real step's turns (the demo's).
const MaxReply = 12

// NumberLineBatch collects noisy-expert NumberLine episodes (the demo's
// noise: 20% random legal moves, 40% wrong moves, 25% malformed replies)
// and prepares them for m with afsft.Prepare, the trainer's own path
// (vlm.Downscale, tokenised prompt and reply), returning the first turns
// turns. Their Next links reach the following turns of each episode, also
// beyond the batch.
func NumberLineBatch(m *model.VLM, turns int, seed int64) ([]*afsft.Sample, error) {
	if turns <= 0 {
		return nil, errors.New("bench: a batch needs at least one turn")
	}
	e, err := cards.New(cards.NumberLine, cards.Options{})
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0xbe7c4))
	pol, err := dataset.Noisy(dataset.ExpertPolicy(cards.NewExpert(e), e.Syntax()), e,
		dataset.NoiseConfig{PRandomValid: 0.2, PWrongValid: 0.4, PInvalid: 0.25, Rng: rng})
	if err != nil {
		return nil, err
	}
	var eps []dataset.Episode
	for n, s := 0, seed*1000; n < turns; s++ {
		ep, err := dataset.Collect(e, pol, []int64{s}, dataset.CollectOptions{FirstID: s, Source: "noisy-expert"})
		if err != nil {
			return nil, err
		}
		eps = append(eps, ep...)
		n += dataset.NumTurns(ep)
	}
	samples, err := afsft.Prepare(eps, m, MaxReply)
	if err != nil {
		return nil, err
	}
	for _, s := range samples {
		if len(s.Prompt)+len(s.Reply) > m.Cfg.MaxText() {
			return nil, fmt.Errorf("bench: a NumberLine turn has %d text tokens, more than the %d of preset %q",
				len(s.Prompt)+len(s.Reply), m.Cfg.MaxText(), m.Cfg.Preset)
		}
	}
	return samples[:turns], nil
}

// RealConfig is the trainer configuration of the real step: the demo's
// (afsft.DefaultConfig) with the given batch size.
func RealConfig(turns int) afsft.Config {
	c := afsft.DefaultConfig()
	c.Batch = turns
	return c
}

// RealLosses are one step's loss parts and gradient norm (before
// clipping). ActorLoss is -(1/n) sum_j w_j log pi(a_j|s_j) over the n reply
// tokens; CriticLoss is Huber(Q1[a], y) + Huber(Q2[a], y), each the mean
// over the n tokens (without CQL or the critic coefficient); Loss is what
// the step differentiates, CriticCoef·(CriticLoss + CQL·(CE(Q1)+CE(Q2))) +
// ActorLoss.
type RealLosses struct {
	ActorLoss  float64 `json:"actor_loss"`
	CriticLoss float64 `json:"critic_loss"`
	Loss       float64 `json:"loss"`
	GradNorm   float64 `json:"grad_norm"`
	// Set by the twin only: the largest difference between the TD targets
	// and actor weights it computes itself and Go's (which it trains on).
	YMaxDiff float64 `json:"y_max_diff"`
	WMaxDiff float64 `json:"w_max_diff"`
}

// RelDiff is the largest relative difference of the four values,
// |a-b| / max(|a|, |b|, 1e-3).
func (a RealLosses) RelDiff(b RealLosses) float64 {
	d := 0.0
	for _, p := range [][2]float64{{a.ActorLoss, b.ActorLoss}, {a.CriticLoss, b.CriticLoss}, {a.Loss, b.Loss}, {a.GradNorm, b.GradNorm}} {
		den := max(math.Abs(p[0]), math.Abs(p[1]), 1e-3)
		d = max(d, math.Abs(p[0]-p[1])/den)
	}
	return d
}

// CheckSteps is the number of consecutive steps WriteRealStep takes and
// records: the second one checks the update (clipping, AdamW, Polyak).
const CheckSteps = 2

// realSample is a turn as the twin reads it.
type realSample struct {
	Image  string  `json:"image"` // base64 of size×size×3 RGB bytes, row-major
	Prompt []int   `json:"prompt"`
	Reply  []int   `json:"reply,omitempty"`
	Reward float64 `json:"reward"`
	Done   bool    `json:"done"`
	Next   int     `json:"next"` // index into nexts, -1 when the turn does not bootstrap
}

type realTrace struct {
	Steps   int        `json:"steps"`
	W       []float32  `json:"w"`
	Y       []float32  `json:"y"`
	Allowed [][]int    `json:"allowed"`
	First   []int      `json:"first"`
	Go      RealLosses `json:"go"`
}

type realBatch struct {
	Train   afsft.Config `json:"train"`
	PadID   int          `json:"pad_id"`
	Samples []realSample `json:"samples"`
	Nexts   []realSample `json:"nexts"`
	Trace   []realTrace  `json:"trace"`
}

// WriteRealStep writes the state of tr and the batch for the twin into dir
// (model/ and target/ as model folders with weights stored as dtype, and
// batch.json), then takes CheckSteps steps of tr on batch, records what Go
// computed in each (actor weights, TD targets, support sets, loss parts,
// gradient norm) in batch.json, and returns Go's loss parts. With F16 or
// BF16 the trainer's weights are first rounded to the stored values, so both
// sides start from the same weights. The Config must not use TurnLambda
// (cached returns the twin does not reproduce).
func WriteRealStep(dir string, tr *afsft.Trainer, batch []*afsft.Sample, dtype safetensors.DType) ([]RealLosses, error) {
	if tr.Cfg.TurnLambda > 0 {
		return nil, errors.New("bench: the PyTorch twin does not reproduce turn lambda-returns")
	}
	on, ok1 := tr.Model.(*model.VLM)
	tg, ok2 := tr.Target.(*model.VLM)
	if !ok1 || !ok2 {
		return nil, errors.New("bench: the PyTorch twin is of the small VLM only")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, side := range []struct {
		name string
		m    *model.VLM
	}{{"model", on}, {"target", tg}} {
		p := filepath.Join(dir, side.name)
		if err := model.SaveWith(p, side.m, model.SaveOptions{DType: dtype}); err != nil {
			return nil, err
		}
		if dtype != "" && dtype != safetensors.F32 {
			back, err := model.Load(p)
			if err != nil {
				return nil, err
			}
			if err := optim.HardCopy(nn.Tensors(side.m.Params()), nn.Tensors(back.Params())); err != nil {
				return nil, err
			}
		}
	}
	size := on.Cfg.ImageSize
	rb := realBatch{Train: tr.Cfg, PadID: on.Tok.PadID()}
	enc := func(s *afsft.Sample, reply bool) (realSample, error) {
		im, err := vlm.Downscale(s.Image, size)
		if err != nil {
			return realSample{}, err
		}
		px := make([]byte, 0, size*size*3)
		for y := 0; y < size; y++ {
			row := im.Pix[y*im.Stride:]
			for x := 0; x < size; x++ {
				px = append(px, row[x*4], row[x*4+1], row[x*4+2])
			}
		}
		r := realSample{Image: base64.StdEncoding.EncodeToString(px), Prompt: s.Prompt, Reward: s.Reward, Done: s.Done, Next: -1}
		if reply {
			r.Reply = s.Reply
		}
		return r, nil
	}
	for _, s := range batch {
		r, err := enc(s, true)
		if err != nil {
			return nil, err
		}
		if !s.Done && s.Next != nil {
			nx, err := enc(s.Next, false)
			if err != nil {
				return nil, err
			}
			r.Next = len(rb.Nexts)
			rb.Nexts = append(rb.Nexts, nx)
		}
		rb.Samples = append(rb.Samples, r)
	}
	var out []RealLosses
	for i := 0; i < CheckSteps; i++ {
		st, trace, err := tr.TraceStep(batch)
		if err != nil {
			return nil, err
		}
		l := RealLosses{ActorLoss: st.ActorLoss, CriticLoss: st.CriticLoss, Loss: st.Loss, GradNorm: trace.GradNorm}
		rb.Trace = append(rb.Trace, realTrace{Steps: trace.Steps, W: trace.W, Y: trace.Y, Allowed: trace.Allowed, First: trace.First, Go: l})
		out = append(out, l)
	}
	b, err := json.Marshal(rb)
	if err != nil {
		return nil, err
	}
	return out, os.WriteFile(filepath.Join(dir, "batch.json"), b, 0o644)
}

// RunRealGo times tr.Step on batch: warmup untimed steps, then steps timed.
func RunRealGo(tr *afsft.Trainer, batch []*afsft.Sample, warmup, steps int) (Timing, error) {
	return timeSteps(warmup, steps, func() (float32, error) {
		st, err := tr.Step(batch)
		return float32(st.Loss), err
	})
}

//go:embed torch_vlm.py
var torchVLMScript []byte

// TorchVLMScript returns the PyTorch twin of the real step (torch_vlm.py).
func TorchVLMScript() []byte { return append([]byte(nil), torchVLMScript...) }

type realTorchResult struct {
	torchResult
	Check []RealLosses `json:"check"`
}

// runTorchVLM runs torch_vlm.py on a folder written by WriteRealStep, with
// extra environment variables env.
func runTorchVLM(ctx context.Context, python, dir string, env []string, args ...string) (realTorchResult, error) {
	var tr realTorchResult
	if _, err := exec.LookPath(python); err != nil {
		return tr, fmt.Errorf("%w: %v", ErrNoTorch, err)
	}
	script, err := writeTorchScript(dir, "torch_vlm.py", torchVLMScript)
	if err != nil {
		return tr, err
	}
	cmd := exec.CommandContext(ctx, python, append([]string{script, "--dir", dir}, args...)...)
	cmd.Env = TorchEnv(env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	lines := bytes.Split(bytes.TrimSpace(stdout.Bytes()), []byte("\n"))
	if err := json.Unmarshal(lines[len(lines)-1], &tr); err != nil {
		if runErr != nil {
			return tr, fmt.Errorf("bench: torch_vlm.py failed: %v: %s", runErr, lastLine(stderr.Bytes()))
		}
		return tr, fmt.Errorf("bench: torch_vlm.py output unreadable: %v", err)
	}
	if tr.Error != "" {
		return tr, fmt.Errorf("%w: %s", ErrNoTorch, tr.Error)
	}
	if runErr != nil {
		return tr, fmt.Errorf("bench: torch_vlm.py failed: %v: %s", runErr, lastLine(stderr.Bytes()))
	}
	return tr, nil
}

// CheckRealTorch runs the twin on a folder written by WriteRealStep: for
// each recorded step it computes the loss parts and gradient norm with
// Go's actor weights and TD targets (and its own, reported as YMaxDiff and
// WMaxDiff), then takes the step's update, as Go did.
func CheckRealTorch(ctx context.Context, python, dir string) ([]RealLosses, error) {
	tr, err := runTorchVLM(ctx, python, dir, nil, "--mode", "check", "--threads", "1")
	if err != nil {
		return nil, err
	}
	return tr.Check, nil
}

// RunRealTorch times the twin's full step (forward, the bootstrap forwards
// for the TD targets, actor weights, backward, clipping, AdamW, Polyak) on
// a folder written by WriteRealStep, with threads torch threads.
//
// With more than one thread and OMP_WAIT_POLICY unset, the twin runs with
// OMP_WAIT_POLICY=PASSIVE: libgomp's default spin-waiting made 2 threads
// 100 times slower than 1 (2682 against 27 ms/step, tiny preset) while
// other jobs kept both cores of a 2-core machine busy; passive waiting gave
// 27 ms/step there.
func RunRealTorch(ctx context.Context, python, dir string, warmup, steps, threads int) (Timing, error) {
	var env []string
	policy := os.Getenv("OMP_WAIT_POLICY")
	if threads > 1 && policy == "" {
		policy = "PASSIVE"
		env = []string{"OMP_WAIT_POLICY=" + policy}
	}
	tr, err := runTorchVLM(ctx, python, dir, env, "--mode", "time", "--warmup", fmt.Sprint(warmup),
		"--steps", fmt.Sprint(steps), "--threads", fmt.Sprint(threads))
	if err != nil {
		return Timing{}, err
	}
	desc := fmt.Sprintf("PyTorch %s (%d threads)", tr.Version, tr.Threads)
	if threads > 1 && policy != "" {
		desc = fmt.Sprintf("PyTorch %s (%d threads, OMP %s)", tr.Version, tr.Threads, policy)
	}
	return Timing{MsPerStep: tr.MsPerStep, CPUMsPerStep: tr.CPUMs, FirstLoss: tr.FirstLoss, LastLoss: tr.LastLoss, Steps: steps,
		Threads: tr.Threads, Description: desc, Kernels: tr.Kernels}, nil
}

// Package vlm is the contract between vlmq's vision-language models and
// the code that trains, runs and evaluates them (afsft, agent, experiment,
// pretrain): one Model interface, the batch types it reads and writes, and
// a registry of checkpoint formats so a folder can be loaded without the
// caller naming its architecture. The project's small VLM (vlmq/model)
// and the Hugging Face families (vlmq/hfmodel) implement it.
package vlm

import (
	"fmt"
	"image"
	"math"

	"vlmq/nn"
	"vlmq/tensor"
)

// Model is a VLM with an actor (LM head) and two critic heads (Q over the
// vocabulary) on a shared trunk. Implementations are safe for concurrent
// inference (Forward with a nil tape, Generate) but not for concurrent
// training.
type Model interface {
	// Forward runs a teacher-forced batch and returns the three heads at
	// the requested rows. With a non-nil tape the outputs are valid until
	// tp.Reset and gradients reach the parameters.
	Forward(tp *tensor.Tape, batch []Input) (Output, error)
	// Generate decodes replies for a batch of prompts (batched, with a KV
	// cache).
	Generate(batch []GenInput, opts GenOpts) ([]GenOutput, error)

	// Params lists every parameter in a fixed order; names are stable
	// keys (used for optimiser state).
	Params() []nn.Param
	// Trainable is the subset fine-tuning updates, in a fixed order: all
	// of Params for full fine-tuning, adapters and critics when the trunk
	// is frozen. The target network's Polyak average runs over it.
	Trainable() []nn.Param
	// CriticParams are the two Q heads (a subset of Params).
	CriticParams() []nn.Param
	// SeedCriticsFromLM adds scale times the LM head to both critics'
	// weights and zeroes their biases.
	SeedCriticsFromLM(scale float32)
	// NumParams counts the scalar parameters.
	NumParams() int

	// Clone deep-copies what training changes (a target network); what it
	// cannot change may be shared.
	Clone() Model
	// Save writes the model as a folder that Load reads back.
	Save(dir string) error

	// Tokenizer is the model's vocabulary.
	Tokenizer() Tokenizer
	// EncodePrompt applies the family's prompt format to an instruction
	// and tokenises it; replies follow these tokens directly.
	EncodePrompt(text string) []int
	// ImageSize is the square side images are resized to (replays store
	// images already at this size).
	ImageSize() int
	// MaxText is the longest text (prompt plus reply) Forward accepts.
	MaxText() int
	// Describe is a one-line summary (family, size) for logs.
	Describe() string
}

// Tokenizer is what training and acting need of a vocabulary.
type Tokenizer interface {
	Encode(text string) []int
	// DecodeText decodes ids, leaving out special tokens.
	DecodeText(ids []int) string
	EOSID() int
	// VocabSize bounds the ids: every id in [0, VocabSize) is one the
	// model can read and generate.
	VocabSize() int
}

// Input is one sequence for Forward.
type Input struct {
	Image *image.RGBA
	// Tokens are the prompt+reply text ids (no image tokens).
	Tokens []int
	// Prompt is how many leading Tokens are the prompt. Families with a
	// prefix-LM (PaliGemma) attend over image and prompt bidirectionally,
	// as they do when they generate; causal models ignore it.
	Prompt int
	// Targets are indices t into Tokens whose predicting outputs are wanted:
	// the output at text position t-1 (or the last position before the
	// text for t=0). t == len(Tokens) is allowed and gives the prediction
	// after the whole sequence.
	Targets []int
}

// Output holds the head outputs at the requested rows.
type Output struct {
	// Logits, Q1 and Q2 are [N, Vocab], N = total len(Targets), rows in
	// batch order then Targets order.
	Logits, Q1, Q2 *tensor.Tensor
}

// GenInput is one generation request.
type GenInput struct {
	Image  *image.RGBA
	Prompt []int // text prompt ids (no image tokens)
}

// GenOpts controls decoding.
type GenOpts struct {
	MaxTokens   int     // reply length limit (> 0)
	Temperature float64 // 0 = greedy argmax
	Seed        uint64  // sampling seed; item i uses stream (Seed, i)
	StopAtEOS   bool    // end a reply at its first EOS (kept in Tokens)
}

// GenOutput is one generated reply.
type GenOutput struct {
	Tokens []int  // generated ids, including the final EOS if produced
	Text   string // decoded reply without special tokens
	EOS    bool   // the reply ended with EOS
	// LogProbs[j] is log pi(Tokens[j] | context) under the untempered
	// LM head (the behaviour policy's probability at temperature 1).
	LogProbs []float32
}

// ActorParams are Trainable without the critics: what pretraining an actor
// updates.
func ActorParams(m Model) []nn.Param {
	critic := map[*tensor.Tensor]bool{}
	for _, p := range m.CriticParams() {
		critic[p.T] = true
	}
	var out []nn.Param
	for _, p := range m.Trainable() {
		if !critic[p.T] {
			out = append(out, p)
		}
	}
	return out
}

// CheckFinite reports the first trainable parameter holding a NaN or
// infinity: a model with such a weight would play (and be trained on)
// garbage. Frozen parameters cannot become non-finite by training.
func CheckFinite(m Model) error {
	for _, p := range m.Trainable() {
		for i, x := range p.T.Data {
			if x != x || x > math.MaxFloat32 || x < -math.MaxFloat32 {
				return fmt.Errorf("vlm: parameter %s holds %v at %d", p.Name, x, i)
			}
		}
	}
	return nil
}

// LoRAAdder is the optional capability of fine-tuning through low-rank
// adapters: callers type-assert it (AddLoRA below) rather than every model
// carrying a method that can only fail.
type LoRAAdder interface {
	// AddLoRA freezes the trunk and adds low-rank adapters; Trainable
	// becomes the adapters and the critic heads, and Save writes the
	// adapters in PEFT's format.
	AddLoRA(cfg LoRA) error
}

// AddLoRA adds adapters to m, or says that m cannot take them.
func AddLoRA(m Model, cfg LoRA) error {
	a, ok := m.(LoRAAdder)
	if !ok {
		return fmt.Errorf("vlm: this model (%T) takes no LoRA adapters (--lora-rank): they are for the Hugging Face families; train it in full", m)
	}
	return a.AddLoRA(cfg)
}

// LoRA configures low-rank adapters (Hu et al., 2021) on a frozen trunk,
// as PEFT's LoraConfig does: each adapted weight W computes
// x·Wᵀ + Scale()·(x·Aᵀ)·Bᵀ with A [Rank, in] and B [out, Rank].
type LoRA struct {
	Rank int `json:"rank" flag:"rank" help:"Hugging Face base: freeze the trunk and train LoRA adapters of this rank and the critic heads (0 = full fine-tuning); saved in PEFT's format"`
	// Alpha sets the scale Alpha/Rank (Alpha/sqrt(Rank) with RSLoRA);
	// 0 means 2·Rank.
	Alpha float64 `json:"alpha,omitempty" flag:"alpha" help:"LoRA scale alpha/rank (0 = alpha 2·rank)"`
	// Targets name the adapted projections: groups ("attn", "mlp"), the
	// family-neutral names ("q", "k", "v", "o", "qkv", "gate", "up",
	// "down", "gate_up", "fc1", "fc2") or the checkpoint's own module
	// names ("q_proj", ...). Empty means every attention and MLP
	// projection of the decoder.
	Targets []string `json:"targets,omitempty" flag:"targets" help:"decoder projections to adapt: attn, mlp, neutral names (q,k,v,o,qkv,gate,up,down,gate_up,fc1,fc2) or the checkpoint's module names (q_proj, ...); default attn,mlp"`
	RSLoRA  bool     `json:"rslora,omitempty" flag:"-"`
	// Seed draws the A matrices.
	Seed uint64 `json:"seed,omitempty" flag:"-"`
}

// Validate reports a rank or alpha out of range.
func (c LoRA) Validate() error {
	if c.Rank < 1 || c.Rank > 4096 {
		return fmt.Errorf("vlm: LoRA rank %d, want 1 to 4096", c.Rank)
	}
	if !(c.Alpha >= 0) || math.IsInf(c.Alpha, 0) {
		return fmt.Errorf("vlm: LoRA alpha %v, want a finite number >= 0", c.Alpha)
	}
	return nil
}

// Scale multiplies the adapters' output.
func (c LoRA) Scale() float64 {
	a := c.Alpha
	if a == 0 {
		a = 2 * float64(c.Rank)
	}
	if c.RSLoRA {
		return a / math.Sqrt(float64(c.Rank))
	}
	return a / float64(c.Rank)
}

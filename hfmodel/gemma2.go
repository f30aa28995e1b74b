package hfmodel

import (
	"errors"
	"fmt"
	"math"

	"vlmq/hfload"
	"vlmq/tensor"
)

// Gemma 2 (the PaliGemma 2 decoder) differs from Gemma in four places,
// each a hook the shared decoder in forward.go calls and that is the
// identity for the other decoders:
//   - attention: scores scaled by query_pre_attn_scalar^-½ instead of
//     head_dim^-½, soft-capped as cap·tanh(s/cap), and every even layer
//     (0, 2, ...) attends within a sliding window (layerOpts);
//   - sandwich norms: the attention and MLP outputs are RMS-normed again
//     before joining the residual (postNorm);
//   - the LM logits are soft-capped too (capLogits; the critic heads are
//     ours and stay uncapped so Q values are not bounded by the cap);
//   - embeddings are scaled by sqrt(hidden) and the MLP is GeGLU with
//     GELU-tanh, as in Gemma, so those come from the config as before.
//
// The sliding window only hides keys Window or more positions in the past,
// also inside PaliGemma's bidirectional prefix, as transformers' Gemma 2
// layers did when PaliGemma 2 was released (a lower-triangular band over
// the prefix-LM mask). Newer transformers versions let prefix positions see
// each other whatever the distance; the two agree whenever the prefix
// (image tokens, BOS and prompt) is shorter than the window, 4096 for the
// released checkpoints, i.e. for every resolution but 896 px.

// gemma2 reports whether the decoder is Gemma 2.
func (m *Model) gemma2() bool { return m.Cfg.Text.Arch == "gemma2" }

// layerOpts returns decoder layer l's attention options: base with Gemma
// 2's scale, soft-cap and (on even layers) sliding window.
func (m *Model) layerOpts(l int, base tensor.AttnOpts) tensor.AttnOpts {
	if !m.gemma2() {
		return base
	}
	t := m.Cfg.Text
	base.Scale = float32(1 / math.Sqrt(t.QueryPreAttnScalar))
	base.Softcap = float32(t.AttnSoftcap)
	if l%2 == 0 {
		base.Window = t.SlidingWindow
	}
	return base
}

// postNorm is Gemma 2's sandwich norm on a block's output (key: the
// norm's parameter prefix); other decoders return x unchanged.
func (m *Model) postNorm(tp *tensor.Tape, x *tensor.Tensor, key string) *tensor.Tensor {
	if !m.Cfg.Text.SandwichNorm {
		return x
	}
	return m.norm(tp, x, key)
}

// capLogits applies the final logit soft-cap cap·tanh(x/cap).
func (m *Model) capLogits(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	c := float32(m.Cfg.Text.FinalSoftcap)
	if c <= 0 {
		return x
	}
	return tp.Scale(tp.Tanh(tp.Scale(x, 1/c)), c)
}

// checkGemma2 rejects Gemma 2 settings the forward pass cannot honour
// (config.json values that make no sense rather than unsupported ones).
func checkGemma2(t hfload.TextConfig) error {
	if t.Arch != "gemma2" {
		if t.SandwichNorm || t.AttnSoftcap != 0 || t.FinalSoftcap != 0 {
			return fmt.Errorf("text architecture %q with Gemma 2 soft-capping or sandwich norms", t.Arch)
		}
		return nil
	}
	var errs []error
	if !(t.QueryPreAttnScalar > 0) {
		errs = append(errs, fmt.Errorf("text_config.query_pre_attn_scalar %v must be positive", t.QueryPreAttnScalar))
	}
	if t.AttnSoftcap < 0 || math.IsInf(t.AttnSoftcap, 0) {
		errs = append(errs, fmt.Errorf("text_config.attn_logit_softcapping %v must be positive (or null: off)", t.AttnSoftcap))
	}
	if t.FinalSoftcap < 0 || math.IsInf(t.FinalSoftcap, 0) {
		errs = append(errs, fmt.Errorf("text_config.final_logit_softcapping %v must be positive (or null: off)", t.FinalSoftcap))
	}
	if t.SlidingWindow < 0 {
		errs = append(errs, fmt.Errorf("text_config.sliding_window %d must be positive (or null: off)", t.SlidingWindow))
	}
	if !t.SandwichNorm {
		errs = append(errs, errors.New("Gemma 2 decoder without sandwich norms"))
	}
	return errors.Join(errs...)
}

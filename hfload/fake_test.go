package hfload_test

import (
	"fmt"
	"math/rand"
	"path/filepath"
	"testing"

	"vlmq/hfload"
	"vlmq/jsonfile"
	"vlmq/safetensors"
)

// The builders below spell out the tensor names of each family's PyTorch
// module tree by hand (from the transformers / remote-code module
// definitions), independently of plan.go, so Check is tested against a
// second description of the same checkpoints.

type shapes map[string][]int

func (s shapes) lin(name string, out, in int, bias bool) {
	s[name+".weight"] = []int{out, in}
	if bias {
		s[name+".bias"] = []int{out}
	}
}

func (s shapes) ln(name string, d int, bias bool) {
	s[name+".weight"] = []int{d}
	if bias {
		s[name+".bias"] = []int{d}
	}
}

type tiny struct {
	img, patch, vh, vl, vheads, vmlp int
	th, tl, theads, tkv, hd, tmlp    int
	vocab                            int
}

var dims = tiny{img: 28, patch: 14, vh: 8, vl: 2, vheads: 2, vmlp: 12, th: 16, tl: 2, theads: 4, tkv: 2, hd: 4, tmlp: 24, vocab: 40}

// siglipModule mirrors SiglipVisionTransformer's state dict.
func siglipModule(s shapes, p string, d tiny, head bool) {
	n := (d.img / d.patch) * (d.img / d.patch)
	s[p+"embeddings.patch_embedding.weight"] = []int{d.vh, 3, d.patch, d.patch}
	s[p+"embeddings.patch_embedding.bias"] = []int{d.vh}
	s[p+"embeddings.position_embedding.weight"] = []int{n, d.vh}
	for i := 0; i < d.vl; i++ {
		l := fmt.Sprintf("%sencoder.layers.%d.", p, i)
		for _, x := range []string{"q_proj", "k_proj", "v_proj", "out_proj"} {
			s.lin(l+"self_attn."+x, d.vh, d.vh, true)
		}
		s.ln(l+"layer_norm1", d.vh, true)
		s.ln(l+"layer_norm2", d.vh, true)
		s.lin(l+"mlp.fc1", d.vmlp, d.vh, true)
		s.lin(l+"mlp.fc2", d.vh, d.vmlp, true)
	}
	s.ln(p+"post_layernorm", d.vh, true)
	if head {
		s[p+"head.probe"] = []int{1, 1, d.vh}
		s[p+"head.attention.in_proj_weight"] = []int{3 * d.vh, d.vh}
		s[p+"head.attention.in_proj_bias"] = []int{3 * d.vh}
		s.lin(p+"head.attention.out_proj", d.vh, d.vh, true)
		s.ln(p+"head.layernorm", d.vh, true)
		s.lin(p+"head.mlp.fc1", d.vmlp, d.vh, true)
		s.lin(p+"head.mlp.fc2", d.vh, d.vmlp, true)
	}
}

func paligemmaShapes(d tiny, gemma2, v5, withHead bool) shapes {
	s := shapes{}
	vt, mm, lm := "vision_tower.vision_model.", "multi_modal_projector.", "language_model.model."
	if v5 {
		vt, mm, lm = "model.vision_tower.vision_model.", "model.multi_modal_projector.", "model.language_model."
	}
	siglipModule(s, vt, d, false)
	s.lin(mm+"linear", d.th, d.vh, true)
	s[lm+"embed_tokens.weight"] = []int{d.vocab, d.th}
	for i := 0; i < d.tl; i++ {
		l := fmt.Sprintf("%slayers.%d.", lm, i)
		s.lin(l+"self_attn.q_proj", d.theads*d.hd, d.th, false)
		s.lin(l+"self_attn.k_proj", d.tkv*d.hd, d.th, false)
		s.lin(l+"self_attn.v_proj", d.tkv*d.hd, d.th, false)
		s.lin(l+"self_attn.o_proj", d.th, d.theads*d.hd, false)
		s.lin(l+"mlp.gate_proj", d.tmlp, d.th, false)
		s.lin(l+"mlp.up_proj", d.tmlp, d.th, false)
		s.lin(l+"mlp.down_proj", d.th, d.tmlp, false)
		s.ln(l+"input_layernorm", d.th, false)
		s.ln(l+"post_attention_layernorm", d.th, false)
		if gemma2 {
			s.ln(l+"pre_feedforward_layernorm", d.th, false)
			s.ln(l+"post_feedforward_layernorm", d.th, false)
		}
	}
	s.ln(lm+"norm", d.th, false)
	if withHead {
		if v5 {
			s["lm_head.weight"] = []int{d.vocab, d.th}
		} else {
			s["language_model.lm_head.weight"] = []int{d.vocab, d.th}
		}
	}
	return s
}

func paligemmaConfig(d tiny, gemma2 bool) map[string]any {
	text := map[string]any{
		"hidden_size": d.th, "intermediate_size": d.tmlp, "model_type": "gemma", "num_attention_heads": d.theads,
		"num_hidden_layers": d.tl, "num_image_tokens": 4, "num_key_value_heads": d.tkv, "head_dim": d.hd,
		"torch_dtype": "float32", "vocab_size": d.vocab,
	}
	if gemma2 {
		text["model_type"] = "gemma2"
		text["query_pre_attn_scalar"] = d.hd
	}
	return map[string]any{
		"architectures": []string{"PaliGemmaForConditionalGeneration"}, "bos_token_id": 2, "eos_token_id": 1,
		"hidden_size": d.th, "ignore_index": -100, "image_token_index": d.vocab - 1, "model_type": "paligemma",
		"pad_token_id": 0, "projection_dim": d.th, "torch_dtype": "float32",
		"text_config": text,
		"vision_config": map[string]any{
			"hidden_size": d.vh, "intermediate_size": d.vmlp, "model_type": "siglip_vision_model",
			"num_attention_heads": d.vheads, "num_hidden_layers": d.vl, "num_image_tokens": 4, "patch_size": d.patch,
			"projection_dim": d.th, "projector_hidden_act": "gelu_fast", "vision_use_head": false,
		},
		"vocab_size": d.vocab,
	}
}

const extraTokens = 3

func xgenmmShapes(d tiny, latents, depth, heads, dimHead int) shapes {
	s := shapes{}
	siglipModule(s, "vlm.vision_encoder.", d, true)
	vt := "vlm.vision_tokenizer."
	s[vt+"latents"] = []int{latents, d.vh}
	inner := heads * dimHead
	for i := 0; i < depth; i++ {
		l := fmt.Sprintf("%slayers.%d.", vt, i)
		s.ln(l+"0.norm_media", d.vh, true)
		s.ln(l+"0.norm_latents", d.vh, true)
		s.lin(l+"0.to_q", inner, d.vh, false)
		s.lin(l+"0.to_kv", 2*inner, d.vh, false)
		s.lin(l+"0.to_out", d.vh, inner, false)
		s.ln(l+"1.0", d.vh, true)
		s.lin(l+"1.1", 4*d.vh, d.vh, false)
		s.lin(l+"1.3", d.vh, 4*d.vh, false)
	}
	s.ln(vt+"norm", d.vh, true)
	s.lin(vt+"projection", d.th, d.vh, true)
	lm := "vlm.lang_model."
	s[lm+"model.embed_tokens.weight"] = []int{d.vocab, d.th}
	s[lm+"model.embed_tokens.additional_embedding.weight"] = []int{extraTokens, d.th}
	hd := d.th / d.theads
	for i := 0; i < d.tl; i++ {
		l := fmt.Sprintf("%smodel.layers.%d.", lm, i)
		s.lin(l+"self_attn.qkv_proj", (d.theads+2*d.tkv)*hd, d.th, false)
		s.lin(l+"self_attn.o_proj", d.th, d.th, false)
		s.lin(l+"mlp.gate_up_proj", 2*d.tmlp, d.th, false)
		s.lin(l+"mlp.down_proj", d.th, d.tmlp, false)
		s.ln(l+"input_layernorm", d.th, false)
		s.ln(l+"post_attention_layernorm", d.th, false)
	}
	s.ln(lm+"model.norm", d.th, false)
	s.lin(lm+"lm_head", d.vocab, d.th, true)
	s.lin(lm+"lm_head.additional_fc", extraTokens, d.th, true)
	return s
}

func xgenmmConfig(d tiny, latents, depth, heads, dimHead int) map[string]any {
	return map[string]any{
		"architectures": []string{"XGenMMModelForConditionalGeneration"},
		"auto_map":      map[string]any{"AutoConfig": "modeling_xgenmm.XGenMMConfig"},
		"model_type":    "xgenmm",
		"text_config": map[string]any{
			"initial_tokenizer_len": d.vocab - 4, "model_type": "phi3", "pad_token_id": d.vocab - 2,
			"hidden_size": d.th, "intermediate_size": d.tmlp, "num_hidden_layers": d.tl,
			"num_attention_heads": d.theads, "num_key_value_heads": d.tkv, "vocab_size": d.vocab,
			"rms_norm_eps": 1e-5, "rope_theta": 10000.0, "hidden_act": "silu", "tie_word_embeddings": false,
		},
		"torch_dtype": "bfloat16",
		"vision_encoder_config": map[string]any{
			"anyres_patch_sampling": true, "image_aspect_ratio": "anyres", "model_type": "xgenmm_vision_encoder",
			// Our extension: SigLIP sizes for a tower smaller than so400m.
			"hidden_size": d.vh, "intermediate_size": d.vmlp, "num_hidden_layers": d.vl,
			"num_attention_heads": d.vheads, "patch_size": d.patch, "image_size": d.img,
		},
		"vision_tokenizer_config": map[string]any{
			"model_type": "xgenmm_vision_tokenizer", "vis_feature_dim": d.vh, "lang_embedding_dim": d.th,
			"num_vis_tokens": latents, "depth": depth, "heads": heads, "dim_head": dimHead,
		},
	}
}

// moondreamShapes follows the 2024 naming (vision_encoder / text_model) or
// the 2025 one (model.vision / model.text); orig inserts torch.compile's
// "._orig_mod" into block names as some uploads have.
func moondreamShapes(d tiny, projInner int, new, orig bool) shapes {
	s := shapes{}
	n := (d.img / d.patch) * (d.img / d.patch)
	pin := 3 * d.patch * d.patch
	mod := ""
	if orig {
		mod = "._orig_mod"
	}
	if !new {
		v := "vision_encoder.encoder.model.visual."
		s.lin(v+"patch_embed.linear", d.vh, pin, true)
		s[v+"pos_embed"] = []int{1, n, d.vh}
		for i := 0; i < d.vl; i++ {
			l := fmt.Sprintf("%sblocks.%d%s.", v, i, mod)
			s.ln(l+"norm1", d.vh, true)
			s.lin(l+"attn.qkv", 3*d.vh, d.vh, true)
			s.lin(l+"attn.proj", d.vh, d.vh, true)
			s.ln(l+"norm2", d.vh, true)
			s.lin(l+"mlp.fc1", d.vmlp, d.vh, true)
			s.lin(l+"mlp.fc2", d.vh, d.vmlp, true)
		}
		s.ln(v+"norm", d.vh, true)
		s.lin("vision_encoder.projection.mlp.fc1", projInner, 2*d.vh, true)
		s.lin("vision_encoder.projection.mlp.fc2", d.th, projInner, true)
		s["text_model.transformer.embd.wte.weight"] = []int{d.vocab, d.th}
		for i := 0; i < d.tl; i++ {
			l := fmt.Sprintf("text_model.transformer.h.%d%s.", i, mod)
			s.ln(l+"ln", d.th, true)
			s.lin(l+"mixer.Wqkv", 3*d.th, d.th, true)
			s.lin(l+"mixer.out_proj", d.th, d.th, true)
			s.lin(l+"mlp.fc1", d.tmlp, d.th, true)
			s.lin(l+"mlp.fc2", d.th, d.tmlp, true)
		}
		s.ln("text_model.lm_head.ln", d.th, true)
		s.lin("text_model.lm_head.linear", d.vocab, d.th, true)
		s.lin("region_model.coordinate_encoder", d.th, 256, true) // ignored by Check
		return s
	}
	s.lin("model.vision.patch_emb", d.vh, pin, true)
	s["model.vision.pos_emb"] = []int{1, n, d.vh}
	for i := 0; i < d.vl; i++ {
		l := fmt.Sprintf("model.vision.blocks.%d.", i)
		s.ln(l+"ln1", d.vh, true)
		s.lin(l+"attn.qkv", 3*d.vh, d.vh, true)
		s.lin(l+"attn.proj", d.vh, d.vh, true)
		s.ln(l+"ln2", d.vh, true)
		s.lin(l+"mlp.fc1", d.vmlp, d.vh, true)
		s.lin(l+"mlp.fc2", d.vh, d.vmlp, true)
	}
	s.ln("model.vision.post_ln", d.vh, true)
	s.lin("model.vision.proj_mlp.fc1", projInner, 2*d.vh, true)
	s.lin("model.vision.proj_mlp.fc2", d.th, projInner, true)
	s["model.text.wte"] = []int{d.vocab, d.th}
	for i := 0; i < d.tl; i++ {
		l := fmt.Sprintf("model.text.blocks.%d.", i)
		s.ln(l+"ln", d.th, true)
		s.lin(l+"attn.qkv", 3*d.th, d.th, true)
		s.lin(l+"attn.proj", d.th, d.th, true)
		s.lin(l+"mlp.fc1", d.tmlp, d.th, true)
		s.lin(l+"mlp.fc2", d.th, d.tmlp, true)
	}
	s.ln("model.text.post_ln", d.th, true)
	s.lin("model.text.lm_head", d.vocab, d.th, true)
	s["model.region.coord_features"] = []int{128, 1}
	return s
}

func moondreamConfig(d tiny, projInner int, new bool) map[string]any {
	arch := "Moondream"
	if new {
		arch = "HfMoondream"
	}
	return map[string]any{
		"architectures": []string{arch},
		"auto_map":      map[string]any{"AutoConfig": "configuration_moondream.MoondreamConfig"},
		"model_type":    "moondream1",
		"text_config": map[string]any{
			"model_type": "phi", "hidden_size": d.th, "intermediate_size": d.tmlp, "num_hidden_layers": d.tl,
			"num_attention_heads": d.theads, "vocab_size": d.vocab, "partial_rotary_factor": 0.5,
		},
		"vision_config": map[string]any{
			"hidden_size": d.vh, "intermediate_size": d.vmlp, "num_hidden_layers": d.vl,
			"num_attention_heads": d.vheads, "patch_size": d.patch, "image_size": d.img, "proj_inner_dim": projInner,
		},
		"torch_dtype": "float16",
	}
}

// writeModel stores config and random tensors of the given shapes in a new
// folder (sharded when shard > 0), using dtype for every tensor.
func writeModel(t *testing.T, cfg map[string]any, s shapes, dt safetensors.DType, shard int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := jsonfile.Write(filepath.Join(dir, hfload.ConfigFileName), cfg); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(int64(len(s))))
	f := &safetensors.File{Tensors: map[string]safetensors.Tensor{}, Metadata: map[string]string{"format": "pt"}}
	for name, shape := range s {
		n := 1
		for _, d := range shape {
			n *= d
		}
		vals := make([]float32, n)
		for i := range vals {
			vals[i] = float32(rng.NormFloat64())
		}
		tt, err := safetensors.FromFloat32As(dt, shape, vals)
		if err != nil {
			t.Fatal(err)
		}
		f.Tensors[name] = tt
	}
	if err := safetensors.WriteSharded(dir, f, shard); err != nil {
		t.Fatal(err)
	}
	return dir
}

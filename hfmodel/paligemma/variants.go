package paligemma

import "vlmq/hfload"

// variants are PaliGemma with a Gemma decoder and PaliGemma 2 with a
// Gemma 2 one. FullSize is 3B at 224 px (256 image tokens).
//
// The tiny PaliGemma 2 has three decoder layers (sliding, global,
// sliding), a window of 5 positions shorter than its 23-position test
// sequences, query_pre_attn_scalar unlike head_dim, and caps low enough
// that tanh bends the random scores and logits. The trainable one has all
// of Gemma 2's differences switched on where a test sees them: layer 0
// slides over a window of 32 positions, shorter than NumberLine's
// sequences (16 image tokens, BOS and a prompt of about 70 tokens), so
// training and generation cross it; query_pre_attn_scalar differs from
// head_dim; the caps are the released checkpoints' (50 and 30), which
// bound the scores and logits without flattening them.
var variants = []hfload.Variant{{
	Name: "paligemma",
	FullSize: `{"model_type": "paligemma", "architectures": ["PaliGemmaForConditionalGeneration"],
  "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0, "torch_dtype": "bfloat16",
  "vision_config": {}, "text_config": {"model_type": "gemma"}}`,
	Tiny: `{"model_type": "paligemma", "architectures": ["PaliGemmaForConditionalGeneration"],
  "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0, "projection_dim": 24, "torch_dtype": "bfloat16",
  "vision_config": {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
    "patch_size": 4, "image_size": 16, "layer_norm_eps": 1e-6},
  "text_config": {"model_type": "gemma", "hidden_size": 24, "intermediate_size": 40, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 8, "vocab_size": 50, "rms_norm_eps": 1e-6,
    "max_position_embeddings": 64}}`,
	Trainable: `{"model_type": "paligemma", "architectures": ["PaliGemmaForConditionalGeneration"],
  "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0, "projection_dim": 32,
  "vision_config": {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
    "patch_size": 8, "image_size": 32, "layer_norm_eps": 1e-6},
  "text_config": {"model_type": "gemma", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 8, "vocab_size": 264, "rms_norm_eps": 1e-6,
    "max_position_embeddings": 512}}`,
}, {
	Name: "paligemma2",
	FullSize: `{"model_type": "paligemma", "architectures": ["PaliGemmaForConditionalGeneration"],
  "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0, "torch_dtype": "bfloat16",
  "vision_config": {}, "text_config": {"model_type": "gemma2"}}`,
	Tiny: `{"model_type": "paligemma", "architectures": ["PaliGemmaForConditionalGeneration"],
  "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0, "projection_dim": 24, "torch_dtype": "bfloat16",
  "vision_config": {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
    "patch_size": 4, "image_size": 16, "layer_norm_eps": 1e-6},
  "text_config": {"model_type": "gemma2", "hidden_size": 24, "intermediate_size": 40, "num_hidden_layers": 3,
    "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "vocab_size": 50, "rms_norm_eps": 1e-6,
    "max_position_embeddings": 64, "query_pre_attn_scalar": 12, "attn_logit_softcapping": 1.0,
    "final_logit_softcapping": 5.0, "sliding_window": 5, "hidden_activation": "gelu_pytorch_tanh"}}`,
	Trainable: `{"model_type": "paligemma", "architectures": ["PaliGemmaForConditionalGeneration"],
  "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0, "projection_dim": 32,
  "vision_config": {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
    "patch_size": 8, "image_size": 32, "layer_norm_eps": 1e-6},
  "text_config": {"model_type": "gemma2", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "vocab_size": 264, "rms_norm_eps": 1e-6,
    "max_position_embeddings": 512, "query_pre_attn_scalar": 16, "attn_logit_softcapping": 50.0,
    "final_logit_softcapping": 30.0, "sliding_window": 32, "hidden_activation": "gelu_pytorch_tanh"}}`,
}}

// Package hfmodel runs Hugging Face checkpoints of open-weight VLM families
// (as recognised and validated by vlmq/hfload) as trainable vlmq models:
// the forward passes are built from vlmq/tensor tape ops, so every weight
// gets gradients, and two Q heads (critics) sit next to the LM head on the
// decoder's final hidden state. A Model is a vlm.Model: folders whose
// config.json names a Hugging Face model_type load through vlm.Load.
//
// Each family lives in its own package, hfmodel/<family> (paligemma,
// xgenmm, moondream): its hfload.Family, registered in init, reads its
// config.json, plans its tensors, and gives its sequence layout, prompt
// format, what the shared blocks here cannot run, and its configs at full
// and test sizes; its reference.py is its forward pass in the PyTorch
// reference. hfmodel/all imports them all. The blocks here (SigLIP tower,
// projectors by hfload.ProjectorKind, decoder blocks by the Config's
// flags, Gemma 2's hooks in gemma2.go) are shared by every family.
//
// Supported:
//   - PaliGemma 1 (transformers layout, old and >= 4.52 names): SigLIP tower
//     (patch conv as a linear map over (c, y, x) patches, learned
//     positions, pre-LN blocks, GELU-tanh MLP, post-layernorm), linear
//     projector, Gemma decoder (RMSNorm with (1+w), embeddings × sqrt(d),
//     GeGLU, RoPE, multi-/grouped-query attention, tied LM head) with the
//     prefix-LM mask: image, BOS and (via ForwardPrompt) the prompt attend
//     bidirectionally. Sequence: [image; BOS; text].
//   - PaliGemma 2: the same with a Gemma 2 decoder (gemma2.go): scores
//     scaled by query_pre_attn_scalar^-½ and soft-capped, sliding-window
//     attention on even layers, sandwich norms around attention and MLP,
//     soft-capped LM logits.
//   - xGen-MM v1.5 (BLIP-3): SigLIP tower, perceiver resampler (latents
//     cross-attending to [media; latents], exact-erf GELU feed-forward),
//     Phi-3 decoder (fused qkv and gate_up, SiLU gating, RMSNorm, RoPE,
//     GQA), decoupled extra vocabulary for embeddings and LM head.
//     Sequence: [BOS; image; text].
//   - Moondream 2, 2024 revisions: SigLIP-style tower with fused qkv, MLP
//     projector over [global; crop] features, Phi-1.5 decoder (LayerNorm,
//     parallel attention+MLP, partial rotary, GELU-tanh, biases).
//     Sequence: [BOS; image; text], causal.
//   - tokenizer.json (tokenizer.HF): SentencePiece-style BPE (Gemma,
//     Llama/Phi-3: "▁" spaces, byte fallback) and GPT-2 byte-level BPE
//     (Phi-1.5/CodeGen).
//
// LoRA (AddLoRA, lora.go; the optional vlm.LoRAAdder): rank-r adapters on the decoder's attention and
// MLP projections (fused qkv and gate_up matrices adapted whole, as PEFT
// does), the trunk and LM head frozen (no gradients, shared with clones;
// LoadAdapter loads the base with Options.FreezeTrunk, so 16 bits),
// the critic heads trained in full. Save then writes a PEFT adapter folder
// (adapter_config.json, adapter_model.safetensors with PEFT's key names
// base_model.model.<checkpoint module>.lora_A/lora_B.weight, and
// critic.safetensors) that refers to the base folder; LoadAdapter reads it
// back, and also LoRA adapters written by PEFT for these checkpoints.
//
// Verified against an independent float64 PyTorch implementation of each
// family (testdata/reference.py with each family's reference.py) on small
// random checkpoints. Generate
// decodes with a KV cache (grouped-query heads stored once), batched over
// the prompts, with the outputs of re-running the decoder per token.
//
// Not supported (Load fails with a clear error, or the limitation applies):
//   - The 2025 Moondream layout (bidirectional BOS+image prefix and its
//     new crop scheme).
//   - Multi-crop image handling: xGen-MM's any-resolution tiling and
//     Moondream's crops; one image is resized to the tower's square size
//     (area averaging rather than HF's bicubic/bilinear filter) and encoded
//     once, giving ImageTokens positions. Images always come first (after
//     BOS where the family places it), not at an <image> placeholder.
//   - RoPE scaling variants (Phi-3 long-rope "su"/"yarn"): plain RoPE.
//   - Save writes the weights in float32 (the trunk under the checkpoint's
//     own tensor names, the critic heads in critic.safetensors), except
//     16-bit frozen weights, written back as they were read.
//
// For full fine-tuning weights are held as float32 whatever the checkpoint
// dtype (bf16/f16 are widened), so a 3B-parameter model needs about 12 GB
// of RAM before gradients and optimiser state. With a frozen trunk
// (LoadWith and Options.FreezeTrunk) the 16-bit matrices stay 16-bit and
// are widened block by block where they are read: about 6 GB for 3B
// parameters, and clones (target networks) share the frozen trunk.
// Random builds any config (such as a variant's FullSize) from random
// weights in memory, and Bench times it (cmd/vlmq-bench --hf).
package hfmodel

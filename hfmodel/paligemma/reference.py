# PaliGemma and PaliGemma 2 in the float64 PyTorch reference
# (hfmodel/testdata/reference.py), from transformers' PaliGemma, SigLIP,
# Gemma and Gemma 2.
import math

import torch

from torchref import attention, causal, gelu_tanh, lin, pixels, rms, rope, siglip, softcap

MODEL_TYPES = ["paligemma"]


def forward(W, cfg, item):
    vc, tc = cfg["vision_config"], cfg["text_config"]
    px = pixels(item, vc["image_size"])
    img = lin(W, siglip(W, "vision_tower.vision_model.", px, vc), "multi_modal_projector.linear")
    D, nh, nkv, dh = tc["hidden_size"], tc["num_attention_heads"], tc["num_key_value_heads"], tc["head_dim"]
    eps = tc.get("rms_norm_eps", 1e-6)
    img = img / math.sqrt(D)
    emb = W["language_model.model.embed_tokens.weight"]
    ids = [cfg["bos_token_id"]] + item["tokens"]
    x = torch.cat([img, emb[ids]], 0) * math.sqrt(D)
    N = img.shape[0]
    T = x.shape[0]
    mask = causal(T, N + 1 + item["prompt_len"])
    # Gemma 2 (transformers' Gemma2Config defaults; null turns a cap or the
    # window off): scores scaled by query_pre_attn_scalar^-1/2 and
    # soft-capped, even layers see only keys less than sliding_window
    # positions back (tril(diagonal=-window) over the prefix-LM mask),
    # sandwich norms, soft-capped logits.
    g2 = tc["model_type"] == "gemma2"
    scale, acap, fcap, window = None, None, None, None
    if g2:
        scale = tc.get("query_pre_attn_scalar", 256) ** -0.5
        acap = tc.get("attn_logit_softcapping", 50.0)
        fcap = tc.get("final_logit_softcapping", 30.0)
        window = tc.get("sliding_window", 4096)
    i, j = torch.arange(T)[:, None], torch.arange(T)[None, :]
    for l in range(tc["num_hidden_layers"]):
        p = f"language_model.model.layers.{l}."
        lmask = mask & (i - j < window) if g2 and l % 2 == 0 and window is not None else mask
        a = rms(x, W[p + "input_layernorm.weight"], eps, True)
        q = rope(lin(W, a, p + "self_attn.q_proj"), nh, dh, dh, tc.get("rope_theta", 10000.0))
        k = rope(lin(W, a, p + "self_attn.k_proj"), nkv, dh, dh, tc.get("rope_theta", 10000.0))
        v = lin(W, a, p + "self_attn.v_proj")
        o = lin(W, attention(q, k, v, nh, nkv, lmask, scale, acap), p + "self_attn.o_proj")
        if g2:
            x = x + rms(o, W[p + "post_attention_layernorm.weight"], eps, True)
            a = rms(x, W[p + "pre_feedforward_layernorm.weight"], eps, True)
        else:
            x = x + o
            a = rms(x, W[p + "post_attention_layernorm.weight"], eps, True)
        g = gelu_tanh(lin(W, a, p + "mlp.gate_proj")) * lin(W, a, p + "mlp.up_proj")
        f = lin(W, g, p + "mlp.down_proj")
        x = x + (rms(f, W[p + "post_feedforward_layernorm.weight"], eps, True) if g2 else f)
    x = rms(x, W["language_model.model.norm.weight"], eps, True)
    return softcap(x @ emb.T, fcap)[N:]

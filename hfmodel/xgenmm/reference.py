# xGen-MM v1.5 in the float64 PyTorch reference
# (hfmodel/testdata/reference.py), from Salesforce's perceiver resampler
# and Phi-3.
import torch
import torch.nn.functional as F

from torchref import attention, causal, lin, ln, pixels, rms, rope, siglip

MODEL_TYPES = ["xgenmm", "blip_3"]


def forward(W, cfg, item):
    vc, kc, tc = cfg["vision_encoder_config"], cfg["vision_tokenizer_config"], cfg["text_config"]
    px = pixels(item, vc["image_size"])
    f = siglip(W, "vlm.vision_encoder.", px, vc)
    lat = W["vlm.vision_tokenizer.latents"]
    heads, dhp = kc["heads"], kc["dim_head"]
    for i in range(kc["depth"]):
        p = f"vlm.vision_tokenizer.layers.{i}."
        xm = ln(W, f, p + "0.norm_media", 1e-5)
        la = ln(W, lat, p + "0.norm_latents", 1e-5)
        q = la @ W[p + "0.to_q.weight"].T
        k, v = (torch.cat([xm, la], 0) @ W[p + "0.to_kv.weight"].T).chunk(2, -1)
        lat = lat + attention(q, k, v, heads, heads) @ W[p + "0.to_out.weight"].T
        h = ln(W, lat, p + "1.0", 1e-5)
        lat = lat + F.gelu(h @ W[p + "1.1.weight"].T) @ W[p + "1.3.weight"].T
    img = lin(W, ln(W, lat, "vlm.vision_tokenizer.norm", 1e-5), "vlm.vision_tokenizer.projection")
    lm = "vlm.lang_model."
    emb = torch.cat([W[lm + "model.embed_tokens.weight"], W[lm + "model.embed_tokens.additional_embedding.weight"]], 0)
    x = torch.cat([emb[[tc["bos_token_id"]]], img, emb[item["tokens"]]], 0)
    D, nh = tc["hidden_size"], tc["num_attention_heads"]
    nkv, dh, I = tc.get("num_key_value_heads", nh), D // nh, tc["intermediate_size"]
    eps, theta = tc.get("rms_norm_eps", 1e-5), tc.get("rope_theta", 10000.0)
    T = x.shape[0]
    for l in range(tc["num_hidden_layers"]):
        p = f"{lm}model.layers.{l}."
        a = rms(x, W[p + "input_layernorm.weight"], eps, False)
        qkv = a @ W[p + "self_attn.qkv_proj.weight"].T
        q, k, v = qkv[:, :nh * dh], qkv[:, nh * dh:(nh + nkv) * dh], qkv[:, (nh + nkv) * dh:]
        q, k = rope(q, nh, dh, dh, theta), rope(k, nkv, dh, dh, theta)
        x = x + attention(q, k, v, nh, nkv, causal(T)) @ W[p + "self_attn.o_proj.weight"].T
        a = rms(x, W[p + "post_attention_layernorm.weight"], eps, False)
        g, u = (a @ W[p + "mlp.gate_up_proj.weight"].T).chunk(2, -1)
        x = x + (F.silu(g) * u) @ W[p + "mlp.down_proj.weight"].T
    x = rms(x, W[lm + "model.norm.weight"], eps, False)
    logits = torch.cat([lin(W, x, lm + "lm_head"), lin(W, x, lm + "lm_head.additional_fc")], -1)
    return logits[img.shape[0]:]
